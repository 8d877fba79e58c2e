// Dequantization throughput: wasm kernels (scalar and SIMD128) vs an in-wasm memcpy of the
// same output size and vs gguf-py on the same bytes, all measured in one run.
//
//   node bench/dequant/bench.mjs [--python PATH] [--elements N] [--readme]
//
// Output GB/s = f32 bytes written per second. --readme rewrites the table in README.md.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const OUT = join(ROOT, "bench", "out", "dequant");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const python = arg("--python", process.env.PYTHON ?? "python3");
const elements = Number(arg("--elements", String(1 << 24))); // 64 MiB of f32 output
const reps = 7;

mkdirSync(OUT, { recursive: true });
const wasmPath = join(OUT, "kernels.wasm");
execFileSync(join(ROOT, "node_modules", ".bin", "asc"), [
  "kernels-entry.ts", "--runtime", "incremental", "--enable", "simd", "--use", "abort=", "-O3", "--noAssert", "-o", wasmPath,
], { cwd: join(ROOT, "tests", "wasm-entries"), stdio: "inherit" });
const k = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {}).exports;

// gguf-py on a quarter of the elements (it is slow on the grid types); rates are per byte.
const pyElements = elements / 4;
const py = JSON.parse(execFileSync(python, [join(HERE, "gguf_py_bench.py"), OUT, String(pyElements)], { maxBuffer: 1 << 20 }).toString());

const outBytes = elements * 4;
const dst = k.alloc(outBytes);
const copySrc = k.alloc(outBytes);
// Best of `reps`: on a shared machine the fastest run is the one least disturbed by others.
const best = (a) => Math.min(...a);
function time(fn) {
  fn(); // warm up
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return best(t) / 1000;
}
const gbps = (bytes, s) => bytes / s / 1e9;

const rows = [];
for (const [name, info] of Object.entries(py)) {
  // the gguf-py input repeated up to `elements`
  const chunk = readFileSync(info.file);
  const repeat = elements / info.elements;
  const src = k.alloc(chunk.length * repeat);
  for (let r = 0; r < repeat; r++) new Uint8Array(k.memory.buffer, src + r * chunk.length, chunk.length).set(chunk);
  const scalar = gbps(outBytes, time(() => k.dequantizeGGML(info.id, src, elements, dst, 0)));
  // SIMD and memcpy alternate, so both see the same machine load
  const ts = [], tm = [];
  k.dequantizeGGML(info.id, src, elements, dst, 1);
  for (let i = 0; i < reps; i++) {
    let t0 = performance.now();
    k.dequantizeGGML(info.id, src, elements, dst, 1);
    ts.push(performance.now() - t0);
    t0 = performance.now();
    k.copyBytes(dst, copySrc, outBytes);
    tm.push(performance.now() - t0);
  }
  const simd = gbps(outBytes, best(ts) / 1000);
  const copy = gbps(outBytes, best(tm) / 1000);
  const ggufPy = gbps(info.elements * 4, info.seconds);
  rows.push({ name, scalar, simd, copy, ofMemcpy: simd / copy, ggufPy, vsGgufPy: simd / ggufPy });
  k.free(src);
}

const f = (x, d = 2) => x.toFixed(d);
const table = [
  `| type | scalar GB/s | SIMD GB/s | memcpy GB/s | SIMD / memcpy | gguf-py GB/s | SIMD / gguf-py |`,
  `|---|---:|---:|---:|---:|---:|---:|`,
  ...rows.map((r) => `| ${r.name} | ${f(r.scalar)} | ${f(r.simd)} | ${f(r.copy)} | ${f(r.ofMemcpy)}x | ${f(r.ggufPy, 3)} | ${f(r.vsGgufPy, 0)}x |`),
].join("\n");
const header = `Node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"} (${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the end of the run); ` +
  `${elements} elements (${outBytes / 2 ** 20} MiB f32 out) per kernel call, best of ${reps}; ` +
  `memcpy = in-wasm memory.copy of the same ${outBytes / 2 ** 20} MiB, alternated with the SIMD kernel; gguf-py ${pyElements} elements, best of 3.`;
console.log(header + "\n\n" + table);

if (process.argv.includes("--readme")) {
  const readme = join(HERE, "README.md");
  const text = readFileSync(readme, "utf8");
  const start = text.indexOf("<!-- results -->"), end = text.indexOf("<!-- /results -->");
  writeFileSync(readme, text.slice(0, start) + "<!-- results -->\n" + header + "\n\n" + table + "\n" + text.slice(end));
}
