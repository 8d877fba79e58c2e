// Node side of bench/hosts: cold start (import the SDK, instantiate the core, first inspect) and
// the best of three reads of every tensor (as F32 and as stored) into a preallocated buffer.
// Usage: node bench/hosts/bench-node.mjs MODEL   (prints one JSON line)
const t0 = performance.now();
const { open } = await import("../../dist/bindings/node-index.js");
const m = await open(process.argv[2]);
const cold = performance.now() - t0;
const reads = {};
for (const t of m.tensors) {
  for (const [label, dtype] of [["F32", "F32"], ["stored", undefined]]) {
    const opts = dtype ? { dtype } : {};
    const buf = new Uint8Array(t.outputByteLength(opts));
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const s = performance.now();
      await t.readInto(buf, opts);
      best = Math.min(best, performance.now() - s);
    }
    reads[`${t.name}/${label}`] = { bytes: buf.length, ms: best };
  }
}
await m.close();
console.log(JSON.stringify({ cold_ms: cold, reads }));
