// omnimodel's side of the pickle benchmark. For each path given: the pickle machine alone on the
// data.pkl stream (build of tests/wasm-entries/pickle-entry.ts: parse + fold + scan), and the
// whole SDK open (zip directory, data.pkl, tensors with read plans). Prints JSON: median ms.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const wasmPath = join(ROOT, "bench", "out", "pickle-entry.wasm");
if (!existsSync(wasmPath) || process.env.REBUILD) {
  execFileSync(join(ROOT, "node_modules/.bin/asc"), [join(ROOT, "tests/wasm-entries/pickle-entry.ts"), "--runtime", "incremental",
    "--enable", "simd", "--use", "abort=", "-O3", "-o", wasmPath], { cwd: dirname(wasmPath), stdio: "inherit" });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [pklPath, ptPath, runs = "7", legacyPath] = process.argv.slice(2);
const out = {};

{
  const data = readFileSync(pklPath);
  const times = [];
  let result;
  // compiled once, as a host does; a fresh instance per file
  const mod = new WebAssembly.Module(readFileSync(wasmPath));
  for (let i = 0; i < Number(runs) + 2; i++) {
    const e = new WebAssembly.Instance(mod, {}).exports;
    const t0 = performance.now();
    const p = e.alloc(data.length);
    new Uint8Array(e.memory.buffer, p, data.length).set(data);
    const n = e.inspectPickle(p, data.length, 0, false);
    const json = Buffer.from(new Uint8Array(e.memory.buffer, e.resultPtr(), n)).toString();
    result = JSON.parse(json);
    if (i >= 2) times.push(performance.now() - t0); // the first runs include tier-up compilation
  }
  out.machine = { ms: median(times), tensors: result.tensors.length, opcodes: result.opcodes, error: result.error ?? null };
  const parse = [];
  for (let i = 0; i < Number(runs) + 2; i++) {
    const e = new WebAssembly.Instance(mod, {}).exports;
    const t0 = performance.now();
    const p = e.alloc(data.length);
    new Uint8Array(e.memory.buffer, p, data.length).set(data);
    e.parsePickle(p, data.length);
    if (i >= 2) parse.push(performance.now() - t0);
  }
  out.parse = { ms: median(parse) };
}

async function sdkTime(path) {
  const { open } = await import(join(ROOT, "dist/bindings/node-index.js"));
  const times = [];
  let count = 0;
  for (let i = 0; i < Number(runs) + 1; i++) {
    const t0 = performance.now();
    try {
      const m = await open(path);
      count = m.tensors.length;
      await m.close();
    } catch (e) { return { error: String(e.message || e) }; }
    if (i >= 1) times.push(performance.now() - t0);
  }
  return { ms: median(times), tensors: count };
}
if (ptPath) out.sdk = await sdkTime(ptPath);
if (legacyPath) out.sdk_legacy = await sdkTime(legacyPath);
process.stdout.write(JSON.stringify(out));
