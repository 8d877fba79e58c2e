// Inflate throughput of the wasm Inflater vs node:zlib on ~64 MiB of mixed data.
// Usage: node bench/inflate/bench.mjs [wasm built from tests/wasm-entries/inflate-entry.ts]
// Without an argument the entry is compiled first (same flags as the core).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
let wasmPath = process.argv[2];
if (!wasmPath) {
  wasmPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "inflate-bench-")), "inflate.wasm");
  execFileSync("npx", ["asc", "tests/wasm-entries/inflate-entry.ts", "--config", "/dev/null", "--runtime", "incremental",
    "--enable", "simd", "--use", "abort=", "-O3", "-o", wasmPath], { cwd: root, stdio: "inherit" });
}
const { instance: { exports: w } } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), {});

// Deterministic mixed input: source-like text, float32 noise, runs of zeros, random bytes.
function mixedInput(size) {
  const out = Buffer.alloc(size);
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xffffff;
  const words = "the model weight tensor layer bias attention head float int quantized block scale".split(" ");
  let off = 0;
  while (off < size) {
    const kind = rnd() % 4;
    const n = Math.min(size - off, 4096 + (rnd() % 65536));
    if (kind === 0) {
      let s = "";
      while (s.length < n) s += words[rnd() % words.length] + (rnd() % 7 === 0 ? ".\n" : " ");
      out.write(s.slice(0, n), off, "latin1");
    } else if (kind === 1) {
      const f = new Float32Array(n >> 2);
      for (let i = 0; i < f.length; i++) f[i] = ((rnd() % 2001) - 1000) / 997;
      Buffer.from(f.buffer).copy(out, off);
    } else if (kind === 2) {
      out.fill(0, off, off + n);
    } else {
      for (let i = 0; i < n; i++) out[off + i] = rnd() & 0xff;
    }
    off += n;
  }
  return out;
}

function wasmInflate(format, comp, expectedLen) {
  const h = w.create(format, 1n << 40n, true);
  const inChunk = 1 << 20, outChunk = 1 << 20;
  const ip = w.alloc(inChunk), op = w.alloc(outChunk);
  let off = 0, total = 0;
  for (;;) {
    const r = Number(w.pull(h, op, outChunk));
    if (r < 0) throw new Error("inflate error " + r);
    if (r > 0) { total += r; continue; }
    if (w.finished(h)) break;
    if (off >= comp.length) { w.endInput(h); continue; }
    const c = comp.subarray(off, off + inChunk);
    new Uint8Array(w.memory.buffer).set(c, ip);
    w.push(h, ip, c.length);
    off += c.length;
  }
  w.destroy(h); w.dealloc(ip); w.dealloc(op);
  if (total !== expectedLen) throw new Error("length mismatch");
  return total;
}

function time(fn, reps = 3) {
  let best = Infinity;
  for (let i = 0; i < reps; i++) { const t = process.hrtime.bigint(); fn(); best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6); }
  return best;
}

const data = mixedInput(64 << 20);
const mib = data.length / (1 << 20);
for (const level of [1, 6]) {
  const raw = zlib.deflateRawSync(data, { level });
  const gz = zlib.gzipSync(data, { level });
  const zl = zlib.deflateSync(data, { level });
  const rows = [
    ["raw  node:zlib", time(() => zlib.inflateRawSync(raw))],
    ["raw  wasm     ", time(() => wasmInflate(0, raw, data.length))],
    ["zlib node:zlib", time(() => zlib.inflateSync(zl))],
    ["zlib wasm     ", time(() => wasmInflate(1, zl, data.length))],
    ["gzip node:zlib", time(() => zlib.gunzipSync(gz))],
    ["gzip wasm     ", time(() => wasmInflate(2, gz, data.length))],
  ];
  console.log(`level ${level}: ${mib} MiB out, ${(raw.length / (1 << 20)).toFixed(1)} MiB deflated`);
  for (const [name, ms] of rows) console.log(`  ${name} ${ms.toFixed(0).padStart(5)} ms  ${(mib / (ms / 1000)).toFixed(0).padStart(5)} MiB/s`);
}
