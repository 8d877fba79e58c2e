// deno run --allow-read deno/example.ts MODEL
// Prints a model's format, findings and tensors, and the first values of its first tensor.
import { open } from "./mod.ts";

const path = Deno.args[0];
if (!path) {
  console.error("usage: deno run --allow-read deno/example.ts MODEL");
  Deno.exit(2);
}
const m = await open(path);
try {
  console.log(`${path}: ${m.format}, ${m.tensors.length} tensors, highest finding: ${m.highestSeverity}`);
  for (const t of m.tensors.slice(0, 20)) console.log(`  ${t.name}  ${t.dtype}  [${t.shape.join(", ")}]`);
  const first = m.tensors.find((t) => t.size > 0);
  if (first) {
    const values = await first.read({ dtype: "F32" });
    console.log(`first values of ${first.name}:`, Array.from(values.slice(0, 5)));
  }
} finally {
  await m.close();
}
