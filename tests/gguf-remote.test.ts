// Remote GGUF: `open(url)` and `omnimodel inspect URL` read the header with Range requests and
// fetch no more than the header plus 1 MiB (the core's readahead cap), however large the header
// and the tensor data behind it. The server (tests/helpers/range-server.ts) counts bytes served.
//
// The file is built here, in the GGUF v3 layout (ggml's docs/gguf.md), so the committed tree
// stays small: a tokenizer vocab of 400,000 strings makes a header of several MiB, followed by
// 24 MiB of tensor data the index must never fetch.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, sdk } from "./helpers/core";
import { startRangeServer, type RangeServer } from "./helpers/range-server";

const MiB = 1024 * 1024;

// A minimal GGUF v3 writer: string and array KVs, F32 tensors. Returns the file and the offset
// where tensor data starts (= the header's size, alignment padding included).
export function buildGGUF(kv: [string, number, unknown][], tensors: { name: string; ne: number[]; bytes: number }[], alignment = 32): { file: Uint8Array; headerSize: number } {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => { parts.push(b); size += b.byteLength; };
  const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); push(b); };
  const u64 = (v: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); push(b); };
  const enc = new TextEncoder();
  const str = (s: string) => { const b = enc.encode(s); u64(b.byteLength); push(b); };
  const value = (type: number, v: any) => {
    switch (type) {
      case 4: u32(v); break;
      case 7: push(Uint8Array.of(v)); break; // BOOL, stored as given (the spec allows 0 and 1)
      case 6: { const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, v, true); push(b); break; }
      case 8: str(v); break;
      case 9: {
        const [et, items] = v as [number, any[] | Float32Array | Int32Array];
        u32(et);
        u64(items.length);
        if (items instanceof Float32Array || items instanceof Int32Array) push(new Uint8Array(items.buffer.slice(0)));
        else for (const x of items) value(et, x);
        break;
      }
      default: throw new Error(`type ${type} not needed here`);
    }
  };
  push(enc.encode("GGUF"));
  u32(3);
  u64(tensors.length);
  u64(kv.length);
  for (const [k, t, v] of kv) { str(k); u32(t); value(t, v); }
  let off = 0;
  for (const t of tensors) {
    str(t.name);
    u32(t.ne.length);
    for (const d of t.ne) u64(d);
    u32(0); // F32
    u64(off);
    off += Math.ceil(t.bytes / alignment) * alignment;
  }
  const headerSize = Math.ceil(size / alignment) * alignment;
  const file = new Uint8Array(headerSize + off);
  let at = 0;
  for (const p of parts) { file.set(p, at); at += p.byteLength; }
  // Tensor data: a recognisable pattern, so a read through the URL can be checked.
  const dv = new DataView(file.buffer);
  for (let i = headerSize; i + 4 <= file.byteLength; i += 4) dv.setFloat32(i, (i - headerSize) / 4, true);
  return { file, headerSize };
}

const VOCAB = 400_000;
const tokens = Array.from({ length: VOCAB }, (_, i) => `tok_${i}_${"x".repeat(i % 7)}`);
const scores = Float32Array.from({ length: VOCAB }, (_, i) => -i / 8);

let dir = "";
let server: RangeServer;
let headerSize = 0;
let fileSize = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gguf-remote-"));
  const g = buildGGUF(
    [
      ["general.architecture", 8, "llama"],
      ["test.flag", 7, 2], // a finding raised before the long vocab must survive the runs after it
      ["tokenizer.ggml.tokens", 9, [8, tokens]],
      ["tokenizer.ggml.scores", 9, [6, scores]],
    ],
    [
      { name: "token_embd.weight", ne: [1024, 4096], bytes: 1024 * 4096 * 4 },
      { name: "output.weight", ne: [1024, 2048], bytes: 1024 * 2048 * 4 },
    ],
  );
  headerSize = g.headerSize;
  fileSize = g.file.byteLength;
  writeFileSync(join(dir, "big-vocab.gguf"), g.file);
  server = await startRangeServer(dir);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("GGUF over HTTP Range requests", () => {
  it("the test file has a header of several MiB and far more tensor data", () => {
    expect(headerSize).toBeGreaterThan(4 * MiB);
    expect(fileSize - headerSize).toBeGreaterThan(16 * MiB);
  });

  it("open(url) fetches at most the header plus 1 MiB", async () => {
    const { open } = await sdk();
    server.reset();
    const m = await open(`${server.url}/big-vocab.gguf`);
    try {
      const served = server.bytesServed();
      const requests = server.requests();
      expect(m.format).toBe("gguf");
      expect(m.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
        ["token_embd.weight", "F32", [4096, 1024]],
        ["output.weight", "F32", [2048, 1024]],
      ]);
      expect(m.metadata["general.architecture"]).toBe("llama");
      expect(m.metadata["test.flag"]).toBe(true);
      expect(m.findings.filter((f) => f.code === "gguf-bool").length).toBe(1);
      // The header took several windows (runs); the vocab read through them is complete.
      const got = (await m.metadataArray("tokenizer.ggml.tokens")) as string[];
      expect(got.length).toBe(VOCAB);
      expect(got[0]).toBe(tokens[0]);
      expect(got[VOCAB - 1]).toBe(tokens[VOCAB - 1]);
      expect(got.every((t, i) => t === tokens[i])).toBe(true);
      expect(Array.from((await m.metadataArray("tokenizer.ggml.scores")) as Float32Array)).toEqual(Array.from(scores));
      expect(m.metadata["tokenizer.ggml.tokens"]).toMatchObject({ type: "ARRAY[STRING]", length: VOCAB });
      // Every vocab string's length must be read; the fixed-size scores array can be skipped.
      const vocabBytes = tokens.reduce((a, t) => a + 8 + t.length, 0);
      expect(served).toBeGreaterThanOrEqual(vocabBytes);
      expect(served).toBeLessThanOrEqual(headerSize + MiB);
      expect(requests).toBeGreaterThan(4); // the header came in several windows
      // A tensor read afterwards fetches that tensor's bytes, not the whole file.
      server.reset();
      const out = await m.tensor("output.weight")!.read();
      expect(out.length).toBe(1024 * 2048);
      const first = 1024 * 4096; // output.weight starts after token_embd.weight (aligned)
      expect([out[0], out[1], out[out.length - 1]]).toEqual([first, first + 1, first + out.length - 1]);
      expect(server.bytesServed()).toBeLessThanOrEqual(1024 * 2048 * 4 + MiB);
    } finally {
      await m.close();
    }
  });

  it("`omnimodel inspect URL` fetches at most the header plus 1 MiB", async () => {
    server.reset();
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "bin", "omnimodel.js"), "inspect", "--json", `${server.url}/big-vocab.gguf`], { maxBuffer: 64 * MiB });
    const idx = JSON.parse(stdout);
    expect(idx.format).toBe("gguf");
    expect(idx.tensors.length).toBe(2);
    expect(idx.metadata["tokenizer.ggml.scores"]).toMatchObject({ type: "ARRAY[FLOAT32]", length: VOCAB });
    expect(server.bytesServed()).toBeLessThanOrEqual(headerSize + MiB);
  });

  it("the bound is tight enough to fail: reading the whole file exceeds it", async () => {
    // The same counter over a read that touches every byte shows what the bound rules out.
    const { open } = await sdk();
    const m = await open(`${server.url}/big-vocab.gguf`);
    try {
      server.reset();
      await m.tensor("token_embd.weight")!.read();
      expect(server.bytesServed()).toBeGreaterThan(headerSize + MiB);
    } finally {
      await m.close();
    }
  });
});
