// Cloudflare Workers host test, offline: the example Worker (bindings/workers/worker.mjs) and a
// conformance Worker are bundled as wrangler would (the core imported as a precompiled
// WebAssembly.Module) and run in workerd through miniflare. The model is a sparse safetensors
// file of more than 5 GB served by a local Range server; the Worker's memory is measured.
// Prints "workers: N passed, N failed".
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { execFileSync } from "node:child_process";
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, ftruncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./range-server.mjs";
import { tally } from "./tally.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const work = mkdtempSync(join(tmpdir(), "omnimodel-workers-"));
const { check, finish } = tally("workers");

// What wrangler does: resolve "omnimodel" to the package's worker entry, leave .wasm imports to
// the CompiledWasm rule.
async function bundle(entry, out) {
  await build({
    entryPoints: [entry],
    outfile: join(work, out),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    logLevel: "warning",
    alias: { omnimodel: join(root, "dist", "bindings", "web.js") },
    plugins: [{
      name: "compiled-wasm",
      setup(b) {
        b.onResolve({ filter: /\.wasm$/ }, () => ({ path: "./omnimodel.wasm", external: true }));
      },
    }],
  });
}

// A sparse safetensors file: one 5.2 GB F32 tensor of zeros (holes) and a small tensor after it.
const BIG = 1_300_000_000;
const TAIL = new Float32Array([1.5, -2, 3.25, 0.001]);
function sparseModel(path) {
  const header = { __metadata__: { note: "sparse" }, big: { dtype: "F32", shape: [BIG], data_offsets: [0, BIG * 4] }, tail: { dtype: "F32", shape: [4], data_offsets: [BIG * 4, BIG * 4 + 16] } };
  let text = JSON.stringify(header);
  text += " ".repeat((8 - (text.length % 8)) % 8);
  const head = Buffer.alloc(8 + text.length);
  head.writeBigUInt64LE(BigInt(text.length), 0);
  head.write(text, 8, "latin1");
  const fd = openSync(path, "w");
  writeSync(fd, head, 0, head.length, 0);
  ftruncateSync(fd, head.length + BIG * 4 + 16);
  writeSync(fd, new Uint8Array(TAIL.buffer), 0, 16, head.length + BIG * 4);
  closeSync(fd);
  return head.length + BIG * 4 + 16;
}

function workerdPids() {
  try {
    return execFileSync("pgrep", ["-P", String(process.pid), "-f", "workerd"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
function status(pid, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

const server = await startServer(root, { "/models/big.safetensors": join(work, "big.safetensors") });
let mf;
try {
  const size = sparseModel(join(work, "big.safetensors"));
  await bundle(join(root, "bindings", "workers", "worker.mjs"), "worker.mjs");
  await bundle(join(root, "tests", "hosts", "workers", "conformance-worker.mjs"), "conformance.mjs");
  copyFileSync(join(root, "build", "omnimodel.wasm"), join(work, "omnimodel.wasm"));
  const t0 = performance.now();
  const rules = [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }];
  mf = new Miniflare({
    workers: [
      { name: "inspect", scriptPath: join(work, "worker.mjs"), modulesRoot: work, modules: true, modulesRules: rules, compatibilityDate: "2026-04-01" },
      { name: "conformance", scriptPath: join(work, "conformance.mjs"), modulesRoot: work, modules: true, modulesRules: rules, compatibilityDate: "2026-04-01", routes: ["conformance.test/*"] },
    ],
  });
  await mf.ready;
  const pids = workerdPids();
  const rssBefore = pids.reduce((a, p) => a + status(p, "VmRSS"), 0);
  const url = `${server.url}/models/big.safetensors`;

  let res = await mf.dispatchFetch(`http://worker.test/inspect?url=${encodeURIComponent(url)}`);
  const index = await res.json();
  const firstMs = performance.now() - t0;
  check(res.status === 200 && index.format === "safetensors", "inspect a 5.2 GB model by URL", index);
  check(JSON.stringify(index.tensors?.map((t) => [t.name, t.dtype, t.shape, t.byteLength])) === JSON.stringify([["big", "F32", [BIG], BIG * 4], ["tail", "F32", [4], 16]]), "its index", index.tensors);
  check(index.metadata?.note === "sparse", "its metadata", index.metadata);
  const ranged = server.log.filter((l) => l.path === "/models/big.safetensors");
  const bytesAsked = ranged.reduce((a, l) => {
    const m = /bytes=(\d+)-(\d+)/.exec(l.range ?? "");
    return a + (m ? Number(m[2]) - Number(m[1]) + 1 : Infinity);
  }, 0);
  check(ranged.length > 0 && ranged.every((l) => l.range) && bytesAsked < 256 * 1024, `only Range requests, ${bytesAsked} bytes of ${size}`, ranged);
  const wasmMemory = Number(res.headers.get("x-wasm-memory"));

  res = await mf.dispatchFetch(`http://worker.test/values?url=${encodeURIComponent(url)}&tensor=tail&n=4`);
  const tail = await res.json();
  check(JSON.stringify(tail.values) === JSON.stringify(Array.from(TAIL)), "values of the tensor 5.2 GB into the file", tail);

  res = await mf.dispatchFetch(`http://worker.test/values?url=${encodeURIComponent(url)}&tensor=big&n=16`);
  const big = await res.json();
  check(big.values?.length === 16 && big.values.every((v) => v === 0), "first values of the 5.2 GB tensor, streamed", big);
  const wasmMemoryAfter = Number(res.headers.get("x-wasm-memory"));

  res = await mf.dispatchFetch(`http://worker.test/inspect?url=${encodeURIComponent(`${server.url}/tests/fixtures/hosts/truncated.safetensors`)}`);
  const bad = await res.json();
  check(res.status === 422 && bad.error === "INCOMPLETE_BUFFER", "typed error for a truncated model", bad);

  res = await mf.dispatchFetch(`http://conformance.test/?base=${encodeURIComponent(server.url)}`);
  const conf = await res.json();
  check(conf.failed === 0 && conf.passed >= 8, `conformance in workerd (${conf.passed} cases)`, conf.failures);

  // Memory: the core's linear memory, and the whole workerd process (runtime included).
  const peak = pids.reduce((a, p) => a + status(p, "VmHWM"), 0);
  check(wasmMemory > 0 && wasmMemoryAfter <= 64 * 1024 * 1024, `wasm memory ${(wasmMemoryAfter / 2 ** 20).toFixed(1)} MiB`);
  // workerd's RSS counts its own binary and runtime, shared by every isolate; what the requests
  // added on top of the started runtime is what the 128 MB per-isolate limit is about.
  check(pids.length > 0 && peak - rssBefore < 128 * 1024 * 1024, `workerd RSS grew ${((peak - rssBefore) / 2 ** 20).toFixed(0)} MiB (peak ${(peak / 2 ** 20).toFixed(0)}, started ${(rssBefore / 2 ** 20).toFixed(0)})`, { pids });
  console.log(`workers: first inspect ${firstMs.toFixed(0)} ms incl. workerd start; wasm memory ${(wasmMemoryAfter / 2 ** 20).toFixed(1)} MiB; workerd RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB started, ${(peak / 2 ** 20).toFixed(0)} MiB peak`);
} finally {
  await mf?.dispose();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
finish();
