// deno test: inspect, read, scan and convert through deno/mod.ts, plus the shared host-conformance
// list (tests/conformance/facts.json, written by numpy/torch/safetensors).
import assert from "node:assert/strict";
import { convert, FileSource, OmnimodelError, open, resolveInside, scan } from "../mod.ts";
// @ts-types="./check.d.ts"
import { checkAll, mismatches, observe, siblingsOf } from "../../tests/conformance/check.mjs";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const FIX = `${ROOT}/tests/fixtures/hosts`;
const facts = JSON.parse(Deno.readTextFileSync(`${ROOT}/tests/conformance/facts.json`));

async function rejectsWith(code: string, fn: () => Promise<unknown>): Promise<OmnimodelError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof OmnimodelError, `expected an OmnimodelError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

Deno.test("conformance: every fixture from a path", async () => {
  const r = await checkAll(open, facts, (f: string) => `${ROOT}/${f}`);
  assert.deepEqual(r.failures, {});
  assert.equal(r.passed, facts.cases.length);
});

Deno.test("conformance: every fixture from bytes and from a Blob", async () => {
  const load = (f: string) => Deno.readFileSync(`${ROOT}/${f}`);
  const blob = (f: string) => new Blob([load(f)]);
  const bytes = await checkAll(open, facts, load, async (f: string, c: unknown) => ({ name: f.split("/").pop(), siblings: await siblingsOf(c, load) }));
  assert.deepEqual(bytes.failures, {});
  const blobs = await checkAll(open, facts, blob, async (f: string, c: unknown) => ({ name: f.split("/").pop(), siblings: await siblingsOf(c, blob) }));
  assert.deepEqual(blobs.failures, {});
});

Deno.test("conformance check can fail", async () => {
  const c = structuredClone(facts.cases.find((x: { file: string }) => x.file.endsWith("arrays.npz")));
  c.tensors[1].f32_sha256 = "f".repeat(64);
  assert.equal(mismatches(c, await observe(open, `${ROOT}/${c.file}`)).length, 1);
});

Deno.test("inspect and read", async () => {
  const m = await open(`${FIX}/mixed.safetensors`);
  try {
    assert.equal(m.format, "safetensors");
    assert.deepEqual(m.metadata, { producer: "generate.py" });
    assert.ok(m.source instanceof FileSource);
    const steps = m.tensor("steps")!;
    assert.deepEqual([steps.dtype, steps.shape], ["I64", [2, 3]]);
    assert.deepEqual(Array.from(await steps.read() as BigInt64Array), [-3n, -2n, -1n, 0n, 1n, 2n]);
    assert.deepEqual(Array.from(await m.tensor("mask")!.read() as Uint8Array), [1, 0, 1]);
    const bias = await m.tensor("layer.bias")!.read({ dtype: "F32" });
    assert.ok(bias instanceof Float32Array && bias.length === 3);
    let n = 0;
    for await (const c of m.tensor("bytes")!.chunks()) n += c.length;
    assert.equal(n, 25);
  } finally {
    await m.close();
  }
});

Deno.test("scan reports findings", async () => {
  const r = await scan(`${FIX}/trailing.npy`);
  assert.equal(r.highest, "info");
  assert.deepEqual(r.findings.map((f) => f.code), ["trailing-bytes"]);
});

Deno.test("convert streams a safetensors file identical to the Node writer's", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const out = `${dir}/out.safetensors`;
    const r = await convert(`${FIX}/fortran_be.npy`, out);
    assert.equal(r.tensors, 1);
    assert.equal(Deno.statSync(out).size, r.bytes);
    const m = await open(out);
    const fact = facts.cases.find((c: { file: string }) => c.file.endsWith("fortran_be.npy"));
    assert.equal(m.format, "safetensors");
    assert.deepEqual(mismatches({ ...fact, format: "safetensors", metadata: { format: "npy" } }, await observe(open, out)), []);
    await m.close();
    // tests/hosts/run.sh converts every fixture with the Node SDK into this directory.
    const refDir = Deno.env.get("OMNIMODEL_TS_CONVERTED_DIR");
    if (refDir) {
      let compared = 0;
      for (const c of facts.cases.filter((x: { error?: string }) => !x.error)) {
        const base = c.file.split("/").pop();
        if (!c.tensors?.length) {
          // nothing to write is refused, as the CLI and the other hosts refuse it
          await rejectsWith("UNSUPPORTED", () => convert(`${ROOT}/${c.file}`, `${dir}/${base}.safetensors`));
          continue;
        }
        await convert(`${ROOT}/${c.file}`, `${dir}/${base}.safetensors`);
        assert.deepEqual(Deno.readFileSync(`${dir}/${base}.safetensors`), Deno.readFileSync(`${refDir}/${base}.safetensors`), c.file);
        compared++;
      }
      assert.ok(compared >= 10);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("typed errors, directories and sibling containment", async () => {
  await rejectsWith("INCOMPLETE_BUFFER", () => open(`${FIX}/truncated.safetensors`));
  await rejectsWith("SOURCE_MISSING", () => open(`${FIX}/nope.safetensors`));
  const dir = Deno.makeTempDirSync();
  const outside = Deno.makeTempDirSync();
  try {
    Deno.copyFileSync(`${FIX}/mixed.safetensors`, `${dir}/model.safetensors`);
    Deno.writeTextFileSync(`${dir}/README.txt`, "hi");
    const m = await open(dir);
    assert.equal(m.source.baseName, "model.safetensors");
    await m.close();
    Deno.writeTextFileSync(`${outside}/secret`, "x");
    Deno.symlinkSync(`${outside}/secret`, `${dir}/link`);
    assert.throws(() => resolveInside(dir, "link", "model"), (e: OmnimodelError) => e.code === "PATH_VIOLATION");
    assert.throws(() => resolveInside(dir, "../x", "model"), (e: OmnimodelError) => e.code === "PATH_VIOLATION");
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
});

Deno.test("a URL read with Range requests", async () => {
  const data = Deno.readFileSync(`${FIX}/mixed.safetensors`);
  const ranges: string[] = [];
  const ac = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} }, (req) => {
    const r = req.headers.get("range") ?? "";
    ranges.push(r);
    const m = /^bytes=(\d+)-(\d+)$/.exec(r);
    if (!m) return new Response(data);
    const a = Number(m[1]), b = Math.min(Number(m[2]), data.length - 1);
    return new Response(data.slice(a, b + 1), { status: 206, headers: { "content-range": `bytes ${a}-${b}/${data.length}` } });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/mixed.safetensors`;
    const fact = facts.cases.find((c: { file: string }) => c.file.endsWith("mixed.safetensors"));
    assert.deepEqual(mismatches(fact, await observe(open, url)), []);
    assert.ok(ranges.length >= 2 && ranges.every((r) => r.startsWith("bytes=")));
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("convert writes GGUF: gguf-py's bytes for a fixture, llama.cpp's tensors for a HF Llama folder", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    // the expected file of tests/gguf-writer.test.ts (gguf-py's GGUFWriter with gguf-py's Q8_0)
    const conv = `${ROOT}/tests/fixtures/gguf-writer/convert`;
    const want = JSON.parse(Deno.readTextFileSync(`${conv}/expected.json`)).cases["source.gguf:Q8_0"];
    const out = `${dir}/q8.gguf`;
    const r = await convert(`${conv}/source.gguf`, out, { type: "Q8_0" });
    const bytes = Deno.readFileSync(out);
    assert.equal(bytes.length, want.size);
    assert.equal(r.bytes, want.size);
    const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(hex, want.sha256);
    // a HF Llama folder: llama.cpp's convert_hf_to_gguf.py output, tensor for tensor
    const hf = `${ROOT}/tests/fixtures/hf-llama`;
    await convert(`${hf}/tiny`, `${dir}/tiny.gguf`);
    const [a, b] = [await open(`${hf}/llama-cpp-f32.gguf`), await open(`${dir}/tiny.gguf`)];
    try {
      assert.deepEqual(b.tensors.map((t) => t.name), a.tensors.map((t) => t.name));
      for (const [i, t] of b.tensors.entries()) assert.deepEqual(await t.read(), await a.tensors[i].read(), t.name);
      assert.equal(b.metadata["tokenizer.ggml.model"], "llama");
    } finally { await a.close(); await b.close(); }
    await rejectsWith("BAD_ARGUMENT", () => convert(`${conv}/source.gguf`, `${dir}/bad.gguf`, { type: "Q7_Z" as never }));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
