// Go (wazero) and Rust (wasmi) example hosts, written from bindings/ABI.md alone, run over every
// conformance fixture. Their output is compared with the TypeScript host's (index JSON, error
// code, first F32 values) and checked against tests/conformance/facts.json with the same check
// the JavaScript hosts use. Prints "native: N passed, N failed".
// Usage: node tests/hosts/native.mjs [--go BIN] [--rust BIN]  (built by tests/hosts/run.sh)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mismatches } from "../conformance/check.mjs";
import { tally } from "./tally.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { open } = await import(join(root, "dist", "bindings", "node-index.js"));
const args = process.argv.slice(2);
const hosts = [];
for (let k = 0; k < args.length; k += 2) hosts.push({ name: args[k].replace(/^--/, ""), bin: args[k + 1] });
if (!hosts.length) throw new Error("usage: native.mjs --go BIN --rust BIN");

const wasm = join(root, "build", "omnimodel.wasm");
// wazero compiles the core once per process unless it has a cache directory.
const env = { ...process.env, OMNIMODEL_WAZERO_CACHE: mkdtempSync(join(tmpdir(), "omnimodel-wazero-")) };
const facts = JSON.parse(readFileSync(join(root, "tests", "conformance", "facts.json"), "utf8"));
const SEV = ["info", "low", "medium", "high", "critical"];

const { check, finish } = tally("native");

// The TypeScript host's view of a fixture.
async function tsView(path) {
  let m;
  try {
    m = await open(path);
  } catch (e) {
    return { error: e.code };
  }
  try {
    const first = [];
    for (const t of m.tensors) {
      try {
        first.push(Array.from((await t.read({ dtype: "F32" })).slice(0, 4)));
      } catch {
        first.push([]);
      }
    }
    return { index: m.index, first };
  } finally {
    await m.close();
  }
}

// A native host's --facts output as a facts.json-shaped observation.
function observation(out) {
  if (out.error) return { error: out.error };
  const idx = out.index;
  let best = 0;
  for (const f of idx.findings) best = Math.max(best, SEV.indexOf(f.severity) + 1);
  const tensors = out.tensors.map((t, k) => {
    const info = idx.tensors[k];
    const o = { name: info.name, dtype: info.dtype, shape: info.shape, byteLength: info.byteLength, sha256: t.sha256 };
    if (t.f32_sha256) o.f32_sha256 = t.f32_sha256;
    return o;
  });
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { format: idx.format, highest: best ? SEV[best - 1] : "none", metadata: idx.metadata, tensors };
}

for (const c of facts.cases) {
  const path = join(root, c.file);
  const ts = await tsView(path);
  for (const h of hosts) {
    const t0 = performance.now();
    let out;
    try {
      out = JSON.parse(execFileSync(h.bin, h.name === "rust" ? ["--facts", wasm, path] : ["-facts", wasm, path], { encoding: "utf8", env }));
    } catch (e) {
      check(false, `${h.name} ${c.file}: ran`, String(e));
      continue;
    }
    const ms = performance.now() - t0;
    const where = `${h.name} ${c.file}`;
    if (ts.error) {
      check(out.error === ts.error, `${where}: same error as the TypeScript host (${ts.error})`, out);
    } else {
      check(JSON.stringify(out.index) === JSON.stringify(ts.index), `${where}: same index as the TypeScript host`, { native: out.index, ts: ts.index });
      check(out.tensors?.length === ts.index.tensors.length, `${where}: one entry per tensor`, out.tensors?.length);
      const firstSame = (out.tensors ?? []).every((t, k) => t.first.length === ts.first[k].length && t.first.every((v, j) => Math.fround(v) === ts.first[k][j]));
      check(firstSame, `${where}: same first values as the TypeScript host`, { native: out.tensors?.map((t) => t.first), ts: ts.first });
    }
    check(mismatches(c, observation(out)).length === 0, `${where}: conformance facts`, mismatches(c, observation(out)));
    h.ms = (h.ms ?? 0) + ms;
  }
}
// A file whose tensors claim 4 TiB and 16 GiB (tests/fixtures/hdf5/shape_bomb.h5): every host
// must refuse the whole-tensor read with TOO_LARGE before allocating, by default and with a
// configured cap; a cap above a small tensor's size must let it through.
const bomb = join(root, "tests", "fixtures", "hdf5", "shape_bomb.h5");
const small = join(root, "tests", "fixtures", "hosts", "mixed.safetensors");
for (const h of hosts) {
  const run = (file, cap) => JSON.parse(execFileSync(h.bin, h.name === "rust" ? ["--facts", wasm, file] : ["-facts", wasm, file], {
    encoding: "utf8", env: cap === undefined ? env : { ...env, OMNIMODEL_MAX_TENSOR_BYTES: String(cap) },
  }));
  const codes = (out) => (out.tensors ?? []).map((t) => [t.read_error ?? null, t.f32_error ?? null]);
  const byDefault = run(bomb);
  check(byDefault.tensors?.length === 2 && codes(byDefault).every(([a, b]) => a === "TOO_LARGE" && b === "TOO_LARGE"), `${h.name} shape_bomb.h5: TOO_LARGE by default`, byDefault.tensors);
  const tiny = run(small, 4);
  check(codes(tiny).some(([a]) => a === "TOO_LARGE") && codes(tiny).some(([a]) => a === null), `${h.name} OMNIMODEL_MAX_TENSOR_BYTES=4: larger tensors refused, smaller read`, tiny.tensors);
}
for (const h of hosts) console.log(`native: ${h.name} ran ${facts.cases.length} fixtures in ${h.ms?.toFixed(0)} ms (one process each)`);
rmSync(env.OMNIMODEL_WAZERO_CACHE, { recursive: true, force: true });
finish();
