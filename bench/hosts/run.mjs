// bench/hosts: cold start and tensor read throughput of the same core in every host, relative
// to Node. Makes a 64 MiB safetensors model (an F16 and an F32 tensor of random bits), builds
// what the hosts need (web bundle, wheel, Go and Rust hosts), runs each host's bench program
// RUNS times as a fresh process, and prints a Markdown table (copied into README.md).
// Usage: node bench/hosts/run.mjs [RUNS=3]     (after npm run build; tools from .ci/install-hosts.sh)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const RUNS = Number(process.argv[2] ?? 3);
const work = mkdtempSync(join(tmpdir(), "omnimodel-bench-"));
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26, ...opts });

function makeModel(path) {
  const n16 = 16 << 20, n32 = 8 << 20;
  const header = { f16: { dtype: "F16", shape: [n16], data_offsets: [0, n16 * 2] }, f32: { dtype: "F32", shape: [n32], data_offsets: [n16 * 2, n16 * 2 + n32 * 4] } };
  let text = JSON.stringify(header);
  text += " ".repeat((8 - (text.length % 8)) % 8);
  const b = Buffer.alloc(8 + text.length + n16 * 2 + n32 * 4);
  b.writeBigUInt64LE(BigInt(text.length), 0);
  b.write(text, 8, "latin1");
  let x = 0x12345678; // xorshift: reproducible random bits (F16: every class incl. subnormals)
  const body = new Uint32Array(b.buffer, b.byteOffset + 8 + text.length, (n16 * 2) / 4);
  for (let i = 0; i < body.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; body[i] = x >>> 0; }
  const f32 = new Float32Array(b.buffer, b.byteOffset + 8 + text.length + n16 * 2, n32);
  for (let i = 0; i < n32; i++) f32[i] = Math.sin(i) * 3;
  writeFileSync(path, b);
}

const model = join(work, "bench.safetensors");
makeModel(model);
sh("node", ["bindings/build-web.mjs"]);
sh("python3", ["-m", "build", "--wheel", "--no-isolation", "--outdir", join(work, "wheel"), "python"], { stdio: "ignore" });
rmSync(join(root, "python", "build"), { recursive: true, force: true });
rmSync(join(root, "python", "src", "omnimodel.egg-info"), { recursive: true, force: true });
const wheel = join(work, "wheel", readdirSync(join(work, "wheel"))[0]);
sh("python3", ["-m", "pip", "install", "-q", "--no-deps", "--target", join(work, "site"), wheel]);
sh("go", ["build", "-o", join(work, "gohost"), "."], { cwd: join(root, "bindings", "go") });
sh("cargo", ["build", "-q", "--release", "--manifest-path", "bindings/rust/Cargo.toml"]);
const wasm = join(root, "build", "omnimodel.wasm");

const hosts = [
  ["Node 20", "node", ["bench/hosts/bench-node.mjs", model]],
  ["Deno", "npx", ["--no-install", "deno", "run", "--config", "deno/deno.json", "--allow-read", "bench/hosts/bench-deno.ts", model]],
  ["Chromium (File)", "node", ["bench/hosts/bench-browser.mjs", model]],
  ["CPython + wasmtime", "python3", ["bench/hosts/bench_python.py", model], { env: { ...process.env, PYTHONPATH: join(work, "site") } }],
  ["Pyodide in Node", "node", ["bench/hosts/bench-pyodide.mjs", wheel, model]],
  ["Go + wazero", join(work, "gohost"), ["-bench", wasm, model]],
  ["Rust + wasmi", join(root, "bindings/rust/target/release/omnimodel-host"), ["--bench", wasm, model]],
];

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const rows = [];
for (const [name, cmd, args, opts] of hosts) {
  const walls = [], colds = [], loads = [];
  const best = {};
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const out = JSON.parse(sh(cmd, args, opts).trim().split("\n").pop());
    walls.push(performance.now() - t0);
    colds.push(out.cold_ms);
    if (out.runtime_load_ms) loads.push(out.runtime_load_ms);
    // Rust names tensors by position (it never parses the index): #0 = f16, #1 = f32.
    for (const [k, v] of Object.entries(out.reads)) {
      const key = k.replace(/^#0\//, "f16/").replace(/^#1\//, "f32/");
      if (!best[key] || v.ms < best[key].ms) best[key] = v;
    }
  }
  const rate = (k) => best[k].bytes / 1e6 / (best[k].ms / 1000);
  rows.push({ name, wall: median(walls), cold: median(colds), load: loads.length ? median(loads) : null, f16: rate("f16/F32"), f32: rate("f32/stored"), f32conv: rate("f32/F32") });
  console.error(`${name}: done`);
}
const node = rows[0];
const f = (x, d = 0) => x.toFixed(d);
console.log(`| host | process wall (ms) | cold start in-process (ms) | F16→F32 read (MB/s out) | vs Node | F32 read as stored (MB/s) | vs Node | F32→F32 via core (MB/s) |`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
for (const r of rows) {
  const cold = r.load ? `${f(r.cold)} (+ ${f(r.load)} runtime load)` : f(r.cold);
  console.log(`| ${r.name} | ${f(r.wall)} | ${cold} | ${f(r.f16)} | ${f(r.f16 / node.f16, 2)}× | ${f(r.f32)} | ${f(r.f32 / node.f32, 2)}× | ${f(r.f32conv)} |`);
}
rmSync(work, { recursive: true, force: true });
