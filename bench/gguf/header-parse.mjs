// GGUF header parse time: omnimodel vs @huggingface/gguf (npm, pinned in package.json), same
// files, same process, interleaved runs, medians. Not a test.
//   npm run build && node bench/gguf/header-parse.mjs [--rounds 25]
//
// Files: the GGUF files of the shared corpus (vocab-only files and one small model), plus two
// generated here in the GGUF v3 layout: a 400k-string vocab header, and a header shaped like a
// Llama-3-8B Q4_K file (291 tensor infos, 128,256 tokens, 280,147 merges) whose tensor data is a
// sparse hole (neither reader touches it).
//
// What each side does: @huggingface/gguf parses every metadata value, materialising all arrays
// as JS arrays. omnimodel's index keeps arrays longer than 64 as {type, length, offset}; so it
// is measured twice: index alone ("open"), and index plus every such array streamed out through
// model.metadataArray ("open+arrays", the same work as @huggingface/gguf).
import { closeSync, createReadStream, existsSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gguf } from "@huggingface/gguf";
import { open } from "../../dist/bindings/node-index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CORPUS = join(ROOT, "..", "shared", "corpus", "gguf");
const argRounds = process.argv.indexOf("--rounds");
const ROUNDS = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 25;

// ---- a minimal GGUF v3 writer (strings, UINT32, INT32/FLOAT32/STRING arrays, tensor infos) ----
function writeGGUF(path, kv, tensors, alignment = 32) {
  const parts = [];
  const enc = new TextEncoder();
  const buf = (n) => { const b = Buffer.alloc(n); parts.push(b); return b; };
  const u32 = (v) => buf(4).writeUInt32LE(v);
  const u64 = (v) => buf(8).writeBigUInt64LE(BigInt(v));
  const str = (s) => { const b = enc.encode(s); u64(b.length); parts.push(Buffer.from(b)); };
  for (const b of [Buffer.from("GGUF")]) parts.push(b);
  u32(3); u64(tensors.length); u64(kv.length);
  for (const [k, type, v] of kv) {
    str(k); u32(type);
    if (type === 4) u32(v);
    else if (type === 8) str(v);
    else if (type === 9) {
      const [et, items] = v;
      u32(et); u64(items.length);
      if (et === 8) for (const s of items) str(s);
      else parts.push(Buffer.from(items.buffer, items.byteOffset, items.byteLength));
    }
  }
  let off = 0;
  for (const t of tensors) {
    str(t.name); u32(t.ne.length); for (const d of t.ne) u64(d); u32(t.type); u64(off);
    off += Math.ceil(t.bytes / alignment) * alignment;
  }
  const header = Buffer.concat(parts);
  const headerSize = Math.ceil(header.length / alignment) * alignment;
  const fd = openSync(path, "w");
  writeSync(fd, header);
  ftruncateSync(fd, headerSize + off); // sparse: the tensor data is a hole
  closeSync(fd);
  return headerSize;
}

const tmp = mkdtempSync(join(tmpdir(), "gguf-bench-"));
const generated = [];
{
  const n = 400_000;
  const tokens = Array.from({ length: n }, (_, i) => `tok_${i}_${"x".repeat(i % 7)}`);
  const p = join(tmp, "vocab-400k.gguf");
  const hs = writeGGUF(p, [["general.architecture", 8, "llama"], ["tokenizer.ggml.tokens", 9, [8, tokens]],
    ["tokenizer.ggml.scores", 9, [6, Float32Array.from({ length: n }, (_, i) => -i / 8)]]],
  [{ name: "token_embd.weight", ne: [64, 64], type: 0, bytes: 64 * 64 * 4 }]);
  generated.push({ name: "generated vocab-400k (v3)", path: p, headerSize: hs });
}
{
  // Llama-3-8B-like: dims 4096, ffn 14336, 32 layers, 8 KV heads, vocab 128256, Q4_K weights.
  const q4k = (ne) => ({ type: 12, bytes: (ne[0] * ne[1] / 256) * 144 });
  const tensors = [{ name: "token_embd.weight", ne: [4096, 128256], ...q4k([4096, 128256]) }];
  for (let l = 0; l < 32; l++) {
    const b = `blk.${l}.`;
    tensors.push({ name: b + "attn_norm.weight", ne: [4096], type: 0, bytes: 4096 * 4 });
    tensors.push({ name: b + "attn_q.weight", ne: [4096, 4096], ...q4k([4096, 4096]) });
    tensors.push({ name: b + "attn_k.weight", ne: [4096, 1024], ...q4k([4096, 1024]) });
    tensors.push({ name: b + "attn_v.weight", ne: [4096, 1024], ...q4k([4096, 1024]) });
    tensors.push({ name: b + "attn_output.weight", ne: [4096, 4096], ...q4k([4096, 4096]) });
    tensors.push({ name: b + "ffn_norm.weight", ne: [4096], type: 0, bytes: 4096 * 4 });
    tensors.push({ name: b + "ffn_gate.weight", ne: [4096, 14336], ...q4k([4096, 14336]) });
    tensors.push({ name: b + "ffn_up.weight", ne: [4096, 14336], ...q4k([4096, 14336]) });
    tensors.push({ name: b + "ffn_down.weight", ne: [14336, 4096], ...q4k([14336, 4096]) });
  }
  tensors.push({ name: "output_norm.weight", ne: [4096], type: 0, bytes: 4096 * 4 });
  tensors.push({ name: "output.weight", ne: [4096, 128256], ...q4k([4096, 128256]) });
  const tokens = Array.from({ length: 128256 }, (_, i) => `Ġtok${i.toString(36)}`);
  const merges = Array.from({ length: 280147 }, (_, i) => `Ġ${(i % 977).toString(36)} ${(i >> 3).toString(36)}`);
  const p = join(tmp, "llama3-8b-shape.gguf");
  const hs = writeGGUF(p, [
    ["general.architecture", 8, "llama"], ["general.name", 8, "bench"], ["llama.block_count", 4, 32],
    ["llama.context_length", 4, 8192], ["llama.embedding_length", 4, 4096], ["tokenizer.ggml.model", 8, "gpt2"],
    ["tokenizer.ggml.tokens", 9, [8, tokens]], ["tokenizer.ggml.token_type", 9, [5, Int32Array.from({ length: 128256 }, () => 1)]],
    ["tokenizer.ggml.merges", 9, [8, merges]],
  ], tensors);
  generated.push({ name: "generated llama3-8b-shape (291 tensors, v3)", path: p, headerSize: hs });
}

const files = [];
if (existsSync(CORPUS)) for (const f of readdirSync(CORPUS).sort()) files.push({ name: "corpus " + f, path: join(CORPUS, f) });
files.push(...generated);

async function omniOpen(path) { const m = await open(path); const n = m.tensors.length; await m.close(); return n; }
async function omniOpenArrays(path) {
  const m = await open(path);
  let n = 0;
  for (const [k, v] of Object.entries(m.metadata)) {
    if (v && typeof v === "object" && !Array.isArray(v) && "offset" in v) n += (await m.metadataArray(k)).length;
  }
  await m.close();
  return n;
}
async function hf(path) { const r = await gguf(path, { allowLocalFile: true }); return r.tensorInfos.length; }

// Both readers must see the same file: tensor count, metadata keys, and every array's length.
async function agree(path) {
  let r;
  try { r = await gguf(path, { allowLocalFile: true }); } catch { return "hf cannot read it"; }
  const m = await open(path);
  try {
    const hfKeys = Object.keys(r.metadata).filter((k) => !["version", "tensor_count", "kv_count"].includes(k)).sort();
    const omKeys = Object.keys(m.metadata).sort();
    if (JSON.stringify(hfKeys) !== JSON.stringify(omKeys)) return "metadata keys differ";
    if (r.tensorInfos.length !== m.tensors.length) return "tensor counts differ";
    for (const k of omKeys) {
      const v = m.metadata[k];
      if (v && typeof v === "object" && !Array.isArray(v) && "offset" in v) {
        const a = await m.metadataArray(k);
        if (a.length !== r.metadata[k].length) return `${k}: lengths differ`;
        if (typeof a[0] === "string") {
          const diff = a.map((x, i) => (x !== r.metadata[k][i] ? i : -1)).filter((i) => i >= 0);
          if (diff.length) return `${k}: ${diff.length} string(s) differ, first #${diff[0]}: ${JSON.stringify(a[diff[0]])} vs hf ${JSON.stringify(r.metadata[k][diff[0]])}`;
        }
      }
    }
    return "agree";
  } finally {
    await m.close();
  }
}

const tools = [["omnimodel open", omniOpen], ["omnimodel open+arrays", omniOpenArrays], ["@huggingface/gguf", hf]];
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

console.log(`node ${process.version}, ${ROUNDS} rounds per file, interleaved; median ms`);
const rows = [];
for (const f of files) {
  const times = tools.map(() => []);
  const errors = tools.map(() => null);
  for (let r = -3; r < ROUNDS; r++) { // 3 warm-up rounds
    for (let k = 0; k < tools.length; k++) {
      const i = (k + r + 3) % tools.length; // rotate the order each round
      if (errors[i]) continue;
      const t0 = performance.now();
      try { await tools[i][1](f.path); } catch (e) { errors[i] = String(e.message ?? e).slice(0, 80); continue; }
      if (r >= 0) times[i].push(performance.now() - t0);
    }
  }
  const med = times.map((t, i) => (errors[i] ? null : median(t)));
  const check = await agree(f.path);
  const size = statSync(f.path).size;
  rows.push({ file: f.name, size, med, errors });
  const fmt = (x) => (x === null ? "n/a" : x.toFixed(2));
  const ratio = (a, b) => (a === null || b === null ? "n/a" : (b / a).toFixed(1) + "x");
  console.log(`${f.name}: ${(size / 1e6).toFixed(1)} MB | open ${fmt(med[0])} | open+arrays ${fmt(med[1])} | hf ${fmt(med[2])} | hf/open ${ratio(med[0], med[2])} | hf/open+arrays ${ratio(med[1], med[2])} | ${check}${errors.some(Boolean) ? " | errors: " + errors.map((e, i) => e && `${tools[i][0]}: ${e}`).filter(Boolean).join("; ") : ""}`);
}
// ---- the same files over HTTP (a local server with Range support), bytes fetched counted ----
const served = { bytes: 0, requests: 0 };
const server = createServer((req, res) => {
  served.requests++;
  const f = files.find((x) => "/" + encodeURIComponent(basename(x.path)) === req.url);
  if (!f) { res.writeHead(404).end(); return; }
  const size = statSync(f.path).size;
  const m = /bytes=(\d+)-(\d+)?/.exec(req.headers.range ?? "");
  if (!m) { res.writeHead(200, { "content-length": size }); createReadStream(f.path).pipe(res); served.bytes += size; return; }
  const start = Number(m[1]);
  const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
  if (start >= size) { res.writeHead(416, { "content-range": `bytes */${size}` }).end(); return; }
  const b = Buffer.alloc(end - start + 1);
  const fd = openSync(f.path, "r");
  readSync(fd, b, 0, b.length, start);
  closeSync(fd);
  served.bytes += b.length;
  res.writeHead(206, { "content-range": `bytes ${start}-${end}/${size}`, "content-length": b.length, "accept-ranges": "bytes" });
  res.end(b);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}/`;
const httpTools = [
  ["omnimodel", async (u) => { const m = await open(u); await m.close(); }],
  ["@huggingface/gguf", async (u) => { await gguf(u); }],
];
const HTTP_ROUNDS = Math.max(3, Math.ceil(ROUNDS / 3));
console.log(`\nover HTTP (local server, Range requests), ${HTTP_ROUNDS} rounds; median ms, bytes and requests per open`);
for (const f of files) {
  const u = base + encodeURIComponent(basename(f.path));
  const times = httpTools.map(() => []);
  const bytes = httpTools.map(() => 0);
  const requests = httpTools.map(() => 0);
  const errors = httpTools.map(() => null);
  for (let r = -1; r < HTTP_ROUNDS; r++) {
    for (let k = 0; k < httpTools.length; k++) {
      const i = (k + r + 1) % httpTools.length;
      if (errors[i]) continue;
      served.bytes = 0;
      served.requests = 0;
      const t0 = performance.now();
      try { await httpTools[i][1](u); } catch (e) { errors[i] = String(e.message ?? e).slice(0, 80); continue; }
      if (r >= 0) times[i].push(performance.now() - t0);
      bytes[i] = served.bytes;
      requests[i] = served.requests;
    }
  }
  const med = times.map((t, i) => (errors[i] ? null : median(t)));
  const fmt = (x) => (x === null ? "n/a" : x.toFixed(2));
  const hs = f.headerSize ? ` (header ${(f.headerSize / 1e6).toFixed(1)} MB)` : "";
  console.log(`${f.name}${hs}: omnimodel ${fmt(med[0])} ms, ${(bytes[0] / 1e6).toFixed(2)} MB in ${requests[0]} requests | hf ${fmt(med[1])} ms, ${(bytes[1] / 1e6).toFixed(2)} MB in ${requests[1]} requests | hf/omnimodel ${med[0] && med[1] ? (med[1] / med[0]).toFixed(1) + "x" : "n/a"}${errors.some(Boolean) ? " | errors: " + errors.map((e, i) => e && `${httpTools[i][0]}: ${e}`).filter(Boolean).join("; ") : ""}`);
}
server.close();
rmSync(tmp, { recursive: true, force: true });
