// .npy reading: omnimodel (open + read, and read as F32) against npyjs, the JS library a user
// would pick, in the same process run. Reports medians and ratios. Not a test.
//   node bench/formats/npy-vs-npyjs.mjs [MiB]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as npyjsParse } from "npyjs";
import { open } from "../../dist/bindings/node-index.js";

const MIB = Number(process.argv[2] ?? 64);
const RUNS = 7;
const dir = mkdtempSync(join(tmpdir(), "npy-bench-"));

function npy(descr, n, fill) {
  const h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${n},), }`;
  const total = Math.ceil((10 + h.length + 1) / 64) * 64;
  const head = h + " ".repeat(total - 10 - h.length - 1) + "\n";
  const itemsize = Number(descr.slice(2));
  const buf = Buffer.alloc(total + n * itemsize);
  buf.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  buf.writeUInt16LE(head.length, 8);
  buf.write(head, 10, "latin1");
  fill(new DataView(buf.buffer, buf.byteOffset + total, n * itemsize));
  return buf;
}

const n32 = (MIB * 1024 * 1024) / 4;
const f32 = npy("<f4", n32, (dv) => { for (let i = 0; i < n32; i++) dv.setFloat32(i * 4, Math.sin(i), true); });
const n16 = (MIB * 1024 * 1024) / 2;
const f16 = npy("<f2", n16, (dv) => { for (let i = 0; i < n16; i++) dv.setUint16(i * 2, (i * 7919) & 0x7bff, true); });
writeFileSync(join(dir, "f32.npy"), f32);
writeFileSync(join(dir, "f16.npy"), f16);

async function time(fn) {
  const ts = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(RUNS / 2)];
}

const rows = [];
for (const [name, file, bytesOut, ours] of [
  ["f32 -> Float32Array", "f32.npy", MIB, {}],
  ["f16 -> Float32Array", "f16.npy", MIB * 2, { dtype: "F32" }],
]) {
  const path = join(dir, file);
  // npyjs works on a whole ArrayBuffer: reading the file is part of its cost, as it is of ours.
  const theirs = await time(async () => {
    const b = readFileSync(path);
    const r = npyjsParse(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    if (r.data.length === 0) throw new Error("npyjs read nothing");
  });
  const mine = await time(async () => {
    const m = await open(path);
    const v = await m.tensors[0].read(ours);
    if (v.length === 0) throw new Error("omnimodel read nothing");
    await m.close();
  });
  rows.push({ case: name, MiB_out: bytesOut, npyjs_ms: theirs.toFixed(1), omnimodel_ms: mine.toFixed(1), speedup: (theirs / mine).toFixed(2) + "x" });
}
console.table(rows);
rmSync(dir, { recursive: true, force: true });
