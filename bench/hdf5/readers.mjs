// One reader per process: open a file and read every dataset. Prints {ms, bytes, maxRssKiB}.
//   node readers.mjs omnimodel|h5wasm|jsfive FILE
import { readFileSync } from "node:fs";
import { resourceUsage } from "node:process";

const [tool, file] = process.argv.slice(2);
const t0 = performance.now();
let bytes = 0;

if (tool === "omnimodel") {
  const { open } = await import("../../dist/bindings/node-index.js");
  const m = await open(file);
  for (const t of m.tensors) bytes += (await t.read()).byteLength;
  await m.close();
} else if (tool === "h5wasm") {
  const h5wasm = (await import("h5wasm/node")).default;
  await h5wasm.ready;
  const f = new h5wasm.File(file, "r");
  const walk = (g) => {
    for (const k of g.keys()) {
      const o = g.get(k);
      if (o instanceof h5wasm.Dataset) bytes += o.value.byteLength;
      else if (o instanceof h5wasm.Group) walk(o);
    }
  };
  walk(f);
  f.close();
} else if (tool === "jsfive") {
  const hdf5 = await import("jsfive");
  const buf = readFileSync(file);
  const f = new hdf5.File(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), file);
  const walk = (g) => {
    for (const k of g.keys) {
      const o = g.get(k);
      if (o instanceof hdf5.Dataset) {
        const v = o.value;
        bytes += (v.byteLength ?? v.length * 4);
      } else walk(o);
    }
  };
  walk(f);
}
const ms = performance.now() - t0;
console.log(JSON.stringify({ tool, file, ms, bytes, maxRssKiB: resourceUsage().maxRSS }));
