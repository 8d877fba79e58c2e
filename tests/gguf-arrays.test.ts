// Metadata arrays streamed through the core's metadata_array call (jobs/array-job.ts) and the
// SDK's model.metadataArray(key), against gguf-py's GGUFReader: files written by GGUFWriter with
// every element type in both byte orders (tests/fixtures/gguf-arrays/gen_arrays.py writes the
// files and expected.json), real vocab files of the corpus (digests from GGUFReader), and GGUF v1
// (which gguf-py cannot read) against its v2 twin.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, sdk } from "./helpers/core";
import { startRangeServer, type RangeServer } from "./helpers/range-server";

const dir = join(FIXTURES, "gguf-arrays");
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
const hex = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");

// What metadata_array emits, re-encoded from the SDK's result: LE bytes, or u32 length + bytes.
function encoded(v: ArrayBufferView | string[]): Buffer {
  if (!Array.isArray(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const parts: Buffer[] = [];
  for (const s of v) {
    const b = Buffer.from(s, "utf8");
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.length);
    parts.push(n, b);
  }
  return Buffer.concat(parts);
}

describe("metadata arrays of GGUFWriter files, every element type", () => {
  for (const file of expected.files as string[]) {
    it(`${file}: every array equals GGUFReader's values`, async () => {
      const { open } = await sdk();
      const m = await open(join(dir, file));
      try {
        const keys = Object.keys(expected.arrays);
        expect(keys.length).toBe(13);
        for (const key of keys) {
          const exp = expected.arrays[key];
          const shown = m.metadata[key] as any;
          if (key === "test.short") expect(shown).toEqual([1, 2, 3]);
          else expect(shown).toMatchObject({ type: exp.type, length: 120 });
          const got = await m.metadataArray(key);
          if (exp.strings) {
            expect(got).toEqual(exp.strings);
          } else {
            expect(Array.isArray(got)).toBe(false);
            expect((got as ArrayLike<unknown>).length).toBe(exp.length);
            expect(hex(got as ArrayBufferView)).toBe(exp.le_hex);
          }
        }
        // Typed arrays of the element type.
        expect(await m.metadataArray("test.float64")).toBeInstanceOf(Float64Array);
        expect(await m.metadataArray("test.int64")).toBeInstanceOf(BigInt64Array);
        expect(await m.metadataArray("test.uint16")).toBeInstanceOf(Uint16Array);
        expect(await m.metadataArray("test.int8")).toBeInstanceOf(Int8Array);
      } finally {
        await m.close();
      }
    });
  }

  it("refuses what is not a streamable array, with typed errors", async () => {
    const { open } = await sdk();
    const m = await open(join(dir, "arrays-le.gguf"));
    try {
      await expect(m.metadataArray("test.nested")).rejects.toMatchObject({ code: "UNSUPPORTED" });
      await expect(m.metadataArray("general.architecture")).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(m.metadataArray("no.such.key")).rejects.toMatchObject({ code: "NOT_FOUND" });
      // The index still shows the nested array inline.
      expect(m.metadata["test.nested"]).toEqual([[1, 2], [3, 4]]);
    } finally {
      await m.close();
    }
  });

  it("the raw ABI: description first, then contiguous OUTPUT windows, then DONE", async () => {
    const { open } = await sdk();
    const m = await open(join(dir, "arrays-be.gguf"));
    try {
      const core = m.core;
      const e = core.exports;
      const h = core.withString("tokenizer.ggml.tokens", (p, l) => e.metadata_array(m.handle, p, l));
      expect(h).toBeGreaterThan(0);
      expect(JSON.parse(core.result(h))).toEqual({ key: "tokenizer.ggml.tokens", type: "ARRAY[STRING]", dtype: "STR", length: 120, encoding: "u32le-length-prefixed", byteLength: null });
      const src = readFileSync(join(dir, "arrays-be.gguf"));
      let produced = 0;
      const statuses = new Set<number>();
      const parts: Buffer[] = [];
      for (let guard = 0; guard < 1000; guard++) {
        const st = e.job_run(h);
        statuses.add(st);
        if (st === 0) break;
        if (st === 1) {
          const off = e.job_need_offset(h), n = e.job_need_length(h);
          const p = e.job_feed(h, n) >>> 0;
          core.bytes(p, n).set(src.subarray(off, off + n));
          expect(e.job_commit(h, n)).toBe(0);
        } else if (st === 3) {
          expect(e.job_output_offset(h)).toBe(produced);
          const b = Buffer.from(core.bytes(e.job_output_ptr(h), e.job_output_length(h)));
          produced += b.length;
          parts.push(b);
        } else throw new Error(`status ${st}`);
      }
      expect([...statuses].sort()).toEqual([0, 1, 3]);
      expect(Buffer.concat(parts).equals(encoded(expected.arrays["tokenizer.ggml.tokens"].strings))).toBe(true);
      e.job_close(h);
      // Not a finished index job: refused.
      expect(core.withString("tokenizer.ggml.tokens", (p, l) => e.metadata_array(9999, p, l))).toBe(-24);
    } finally {
      await m.close();
    }
  });
});

describe("metadata arrays: bytes that changed after indexing", () => {
  // The index validated the array; a file rewritten since (or a lying host) must still give a
  // typed error from the array job, never a trap or a huge allocation.
  async function driveWith(bytes: Buffer, key: string): Promise<{ status: number; code: number; message: string }> {
    const { open } = await sdk();
    const m = await open(join(dir, "arrays-le.gguf"));
    try {
      const core = m.core;
      const e = core.exports;
      const h = core.withString(key, (p, l) => e.metadata_array(m.handle, p, l));
      expect(h).toBeGreaterThan(0);
      let st = 0;
      for (let guard = 0; guard < 1000; guard++) {
        st = e.job_run(h);
        if (st === 1) {
          const off = e.job_need_offset(h), n = e.job_need_length(h);
          const p = e.job_feed(h, n) >>> 0;
          core.bytes(p, n).set(bytes.subarray(off, off + n));
          e.job_commit(h, n);
        } else if (st !== 3) break;
      }
      const out = { status: st, code: e.job_error_code(h), message: core.string(e.job_error_message(h), e.job_error_message_length(h)) };
      e.job_close(h);
      return out;
    } finally {
      await m.close();
    }
  }

  it("a string length past the end of the file or beyond the cap is an error", async () => {
    const { open } = await sdk();
    const m = await open(join(dir, "arrays-le.gguf"));
    const at = (m.metadata["tokenizer.ggml.tokens"] as any).offset as number;
    await m.close();
    const original = readFileSync(join(dir, "arrays-le.gguf"));
    expect(await driveWith(original, "tokenizer.ggml.tokens")).toMatchObject({ status: 0 });
    const past = Buffer.from(original);
    past.writeBigUInt64LE(BigInt(original.length), at);
    expect(await driveWith(past, "tokenizer.ggml.tokens")).toMatchObject({ status: -1, code: 6, message: expect.stringContaining("string #0") });
    const huge = Buffer.from(original);
    huge.writeBigUInt64LE(1n << 40n, at);
    expect(await driveWith(huge, "tokenizer.ggml.tokens")).toMatchObject({ status: -1, code: 15 });
  });
});

describe("metadata arrays of real files", () => {
  for (const [name, arrays] of Object.entries<Record<string, { length: number; sha256: string }>>(expected.digests)) {
    const path = name.startsWith("fixtures/") ? join(FIXTURES, name.slice("fixtures/".length)) : join(CORPUS, "gguf", name);
    it.runIf(existsSync(path))(`${name}: every array matches GGUFReader (sha256 of the values)`, async () => {
      const { open } = await sdk();
      const m = await open(path);
      try {
        for (const [key, exp] of Object.entries(arrays)) {
          const got = await m.metadataArray(key);
          expect(got.length, key).toBe(exp.length);
          expect(createHash("sha256").update(encoded(got as any)).digest("hex"), key).toBe(exp.sha256);
        }
      } finally {
        await m.close();
      }
    });
  }

  it("GGUF v1 (32-bit lengths) gives the same arrays as its v2 twin", async () => {
    const { open } = await sdk();
    const v1 = await open(join(FIXTURES, "gguf", "v1.gguf"));
    const v2 = await open(join(FIXTURES, "gguf", "v2.gguf"));
    try {
      const keys = Object.keys(expected.digests["fixtures/gguf/v2.gguf"]);
      expect(keys).toContain("tokenizer.ggml.tokens");
      for (const key of keys) expect(await v1.metadataArray(key), key).toEqual(await v2.metadataArray(key));
    } finally {
      await v1.close();
      await v2.close();
    }
  });
});

describe("metadata arrays over HTTP Range requests", () => {
  let server: RangeServer;
  beforeAll(async () => { server = await startRangeServer(join(CORPUS, "gguf")); });
  afterAll(async () => { await server?.close(); });

  it.runIf(existsSync(join(CORPUS, "gguf", "ggml-vocab-falcon.v2.gguf")))("a vocab streamed from a URL equals the local one", async () => {
    const { open } = await sdk();
    const local = await open(join(CORPUS, "gguf", "ggml-vocab-falcon.v2.gguf"));
    const remote = await open(`${server.url}/ggml-vocab-falcon.v2.gguf`);
    try {
      for (const key of ["tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.scores"]) {
        expect(await remote.metadataArray(key), key).toEqual(await local.metadataArray(key));
      }
    } finally {
      await local.close();
      await remote.close();
    }
  });
});
