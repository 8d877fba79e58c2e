// Times quantize_rows of the built core (SIMD128 build) on N f32 values per type:
// node ours.mjs TYPE_ID N REPS -> prints the median seconds per pass.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(join(root, "build", "omnimodel.wasm"))), {});
const e = inst.exports;
const [type, n, reps] = process.argv.slice(2).map(Number);
const src = e.alloc(n * 4) >>> 0, dst = e.alloc(n * 4) >>> 0;
const x = new Float32Array(e.memory.buffer, src, n);
let s = 18; for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; x[i] = (s / 2 ** 32 - 0.5) * 4; }
const times = [];
for (let r = 0; r < reps; r++) {
  const t = process.hrtime.bigint();
  if (e.quantize_rows(type, src, n, dst) !== 0) throw new Error("quantize_rows failed");
  times.push(Number(process.hrtime.bigint() - t) / 1e9);
}
times.sort((a, b) => a - b);
console.log(times[times.length >> 1]);
