// Crafted and mutated GGUF / GGML files: every bad input must end in a typed OmnimodelError (or a
// finding), never a trap, a hang or a huge allocation. The crafted cases follow llama.cpp's
// tests/test-gguf.cpp negative matrix; the fuzz part mutates real files (corpus and fixtures).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, sdk } from "./helpers/core";

// ---- a tiny GGUF writer for crafted headers -----------------------------------------------

type KV = { key: string; type: number; value: Uint8Array };
type TI = { name: string; dims: bigint[]; type: number; offset: bigint };

class Bytes {
  parts: number[] = [];
  u8(v: number) { this.parts.push(v & 255); return this; }
  u32(v: number) { for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 255); return this; }
  u64(v: bigint) { for (let i = 0n; i < 8n; i++) this.parts.push(Number((BigInt.asUintN(64, v) >> (8n * i)) & 255n)); return this; }
  raw(b: Uint8Array | number[]) { for (const x of b) this.parts.push(x); return this; }
  str(s: string, v1 = false) { const b = Buffer.from(s, "utf8"); v1 ? this.u32(b.length) : this.u64(BigInt(b.length)); return this.raw(b); }
  get length() { return this.parts.length; }
  done() { return Uint8Array.from(this.parts); }
}
const u32v = (v: number) => new Bytes().u32(v).done();

interface Spec {
  version?: number; magic?: string; nTensors?: bigint; nKV?: bigint; kv?: KV[]; tensors?: TI[]; alignment?: number;
  data?: number; // bytes of tensor data to append
}

function gguf(s: Spec): Uint8Array {
  const b = new Bytes().raw(Buffer.from(s.magic ?? "GGUF", "latin1")).u32(s.version ?? 3);
  const kv = s.kv ?? [{ key: "general.architecture", type: 8, value: new Bytes().str("test").done() }];
  const ts = s.tensors ?? [{ name: "w", dims: [32n, 2n], type: 0, offset: 0n }];
  b.u64(s.nTensors ?? BigInt(ts.length)).u64(s.nKV ?? BigInt(kv.length));
  for (const e of kv) b.str(e.key).u32(e.type).raw(e.value);
  for (const t of ts) {
    b.str(t.name).u32(t.dims.length);
    for (const d of t.dims) b.u64(d);
    b.u32(t.type).u64(t.offset);
  }
  const a = s.alignment ?? 32;
  while (b.length % a) b.u8(0);
  const data = s.data ?? 256;
  for (let i = 0; i < data; i++) b.u8(i);
  return b.done();
}

async function outcome(bytes: Uint8Array, name = "crafted.gguf"): Promise<{ code: string; message: string; findings: string[] }> {
  const { open } = await sdk();
  try {
    const m = await open(bytes, { name });
    const findings = m.findings.map((f) => f.code);
    await m.close();
    return { code: "OK", message: "", findings };
  } catch (e: any) {
    if (e?.name !== "OmnimodelError") throw e; // a trap or a host bug: the test fails
    return { code: e.code, message: e.message, findings: [] };
  }
}

const kvU32 = (key: string, v: number): KV => ({ key, type: 4, value: u32v(v) });

describe("crafted GGUF headers (llama.cpp test-gguf.cpp cases and more)", () => {
  const cases: [string, Spec | (() => Uint8Array), string, string?][] = [
    ["valid baseline", {}, "OK"],
    ["bad magic", { magic: "GGUG" }, "INVALID_HEADER", "magic"],
    ["version 0", { version: 0 }, "INVALID_HEADER", "version"],
    ["future version 4", { version: 4 }, "INVALID_HEADER", "version 4"],
    ["tensor count 2^64-1", { nTensors: -1n }, "LIMIT", "tensors"],
    ["KV count 2^64-1", { nKV: -1n }, "LIMIT", "key-value"],
    ["counts larger than the file", { nTensors: 100000n }, "INVALID_HEADER", "100000 tensors"],
    ["key length past EOF", () => { const b = gguf({}); new DataView(b.buffer).setBigUint64(24, 1n << 40n, true); return b; }, "INVALID_HEADER", "metadata key"],
    ["empty key", { kv: [{ key: "", type: 4, value: u32v(1) }] }, "INVALID_HEADER", "empty"],
    ["unknown value type 13", { kv: [{ key: "a.b", type: 13, value: u32v(1) }] }, "INVALID_HEADER", "value type 13"],
    ["duplicate key", { kv: [kvU32("a.b", 1), kvU32("a.b", 2)] }, "DUPLICATE", "a.b"],
    ["alignment 13", { kv: [kvU32("general.alignment", 13)] }, "MISALIGNED", "13"],
    ["alignment 0", { kv: [kvU32("general.alignment", 0)] }, "MISALIGNED", "power of two"],
    ["alignment 2^31", { kv: [kvU32("general.alignment", 2 ** 31)] }, "MISALIGNED", "power of two"],
    ["alignment stored as UINT64", { kv: [{ key: "general.alignment", type: 10, value: new Bytes().u64(32n).done() }] }, "MISALIGNED", "UINT32"],
    ["string value past EOF", { kv: [{ key: "s", type: 8, value: new Bytes().u64(1n << 33n).done() }] }, "INVALID_HEADER", "string value"],
    ["string value over 1 GiB", () => {
      const b = gguf({ kv: [{ key: "s", type: 8, value: new Bytes().u64(1n << 31n).done() }], data: 0 });
      return b;
    }, "INVALID_HEADER"],
    ["array count past EOF", { kv: [{ key: "a", type: 9, value: new Bytes().u32(4).u64(1n << 40n).done() }] }, "LIMIT"],
    ["array of unknown type", { kv: [{ key: "a", type: 9, value: new Bytes().u32(77).u64(1n).done() }] }, "INVALID_HEADER", "element type 77"],
    ["arrays nested 5 deep", { kv: [{ key: "a", type: 9, value: new Bytes().u32(9).u64(1n).u32(9).u64(1n).u32(9).u64(1n).u32(9).u64(1n).u32(4).u64(0n).done() }] }, "LIMIT", "nests"],
    ["tensor name length past EOF", () => {
      const b = gguf({ tensors: [{ name: "w", dims: [32n], type: 0, offset: 0n }] });
      const i = Buffer.from(b).indexOf(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0x77]));
      new DataView(b.buffer).setBigUint64(i, 1n << 40n, true);
      return b;
    }, "INVALID_HEADER", "tensor name"],
    ["5 dimensions", { tensors: [{ name: "w", dims: [1n, 1n, 1n, 1n, 1n], type: 0, offset: 0n }] }, "BAD_SHAPE", "5 dimensions"],
    ["negative dimension", { tensors: [{ name: "w", dims: [-1n], type: 0, offset: 0n }] }, "BAD_SHAPE", "negative"],
    ["element count overflow", { tensors: [{ name: "w", dims: [1n << 40n, 1n << 40n], type: 0, offset: 0n }] }, "OVERFLOW"],
    ["dim 2^42+1 (llama.cpp PR 18674)", { tensors: [{ name: "w", dims: [(1n << 42n) + 1n, 1n << 30n], type: 0, offset: 0n }] }, "OVERFLOW"],
    ["row not a multiple of the block", { tensors: [{ name: "w", dims: [33n], type: 2, offset: 0n }] }, "BAD_SHAPE", "multiple"],
    ["offset past the data", { tensors: [{ name: "w", dims: [4n], type: 0, offset: 1n << 40n }] }, "INVALID_OFFSET", "past"],
    ["data shorter than declared", { tensors: [{ name: "w", dims: [1024n], type: 0, offset: 0n }] }, "INVALID_OFFSET", "runs past"],
    ["duplicate tensor name", { tensors: [{ name: "w", dims: [4n], type: 0, offset: 0n }, { name: "w", dims: [4n], type: 0, offset: 32n }] }, "DUPLICATE", "\"w\""],
    ["tensor name not UTF-8", () => {
      const b = gguf({ tensors: [{ name: "wx", dims: [4n], type: 0, offset: 0n }] });
      const i = Buffer.from(b).indexOf("wx");
      b[i + 1] = 0xff;
      return b;
    }, "INVALID_HEADER", "UTF-8"],
    ["magic only", () => Buffer.from("GGUF"), "INVALID_HEADER"],
  ];
  for (const [title, spec, code, text] of cases) {
    it(title, async () => {
      const bytes = typeof spec === "function" ? spec() : gguf(spec);
      const r = await outcome(bytes);
      expect([r.code, r.message]).toEqual([code, expect.stringContaining(text ?? "")]);
    });
  }

  it("a removed type id (4, Q4_2) is listed, reported and unreadable", async () => {
    const { open } = await sdk();
    const m = await open(gguf({ tensors: [{ name: "w", dims: [32n], type: 4, offset: 0n }] }), { name: "x.gguf" });
    expect(m.tensors[0].dtype).toBe("GGML_TYPE_4");
    expect(m.findings.map((f) => f.code)).toContain("gguf-unknown-type");
    await expect(m.tensors[0].read()).rejects.toMatchObject({ code: "UNREADABLE" });
    await m.close();
  });

  it("an ARM-repacked Q4_0_4_4 tensor (id 31, 2024 files) says so", async () => {
    const { open } = await sdk();
    const m = await open(gguf({ tensors: [{ name: "w", dims: [32n], type: 31, offset: 0n }] }), { name: "x.gguf" });
    expect(m.findings.find((f) => f.code === "gguf-unknown-type")?.message).toContain("ARM-repacked Q4_0");
    await m.close();
  });

  it("misaligned, overlapping and out-of-order tensors are findings, not errors", async () => {
    const r = await outcome(gguf({
      tensors: [
        { name: "b", dims: [8n], type: 0, offset: 64n },
        { name: "a", dims: [8n], type: 0, offset: 4n },
        { name: "c", dims: [16n], type: 0, offset: 16n },
      ],
    }));
    expect(r.code).toBe("OK");
    expect(r.findings).toEqual(expect.arrayContaining(["gguf-misaligned", "gguf-overlap", "gguf-out-of-order"]));
  });

  it("the unmerged big-endian magic FUGG is refused unless allowed by an option", async () => {
    const { open } = await sdk();
    const be = new Uint8Array(readFileSync(join(FIXTURES, "gguf", "converted-big-endian.gguf")));
    be.set(Buffer.from("FUGG"), 0);
    const r = await outcome(be);
    expect([r.code, r.message]).toEqual(["INVALID_HEADER", expect.stringContaining("FUGG")]);
    const m = await open(be, { name: "x.gguf", core: { gguf: { acceptFuggMagic: 1 } } });
    expect(m.formatVersion).toBe("3-be");
    expect(m.findings.map((f) => f.code)).toContain("gguf-fugg-magic");
    expect((await m.tensor("quant.q4_k")!.read({ dtype: "F32" })).length).toBe(1024);
    await m.close();
  });

  it("a 0-byte .gguf file is refused with a typed error", async () => {
    const r = await outcome(new Uint8Array(0));
    expect(["INVALID_HEADER", "UNKNOWN_FORMAT"]).toContain(r.code);
    expect(r.message).toMatch(/0 bytes|empty/);
  });

  it("a zero-sized dimension is allowed (as in ggml) and reported", async () => {
    const { open } = await sdk();
    const m = await open(gguf({ tensors: [{ name: "w", dims: [32n, 0n], type: 2, offset: 0n }] }), { name: "x.gguf" });
    expect([m.tensors[0].shape, m.tensors[0].byteLength]).toEqual([[0, 32], 0]);
    expect(m.findings.map((f) => f.code)).toContain("gguf-empty-tensor");
    expect((await m.tensors[0].read({ dtype: "F32" })).length).toBe(0);
    await m.close();
  });

  it("deeply nested small arrays are not all materialised (64^3 values)", async () => {
    const inner = new Bytes().u32(4).u64(64n);
    for (let i = 0; i < 64; i++) inner.u32(i);
    const mid = new Bytes().u32(9).u64(64n);
    for (let i = 0; i < 64; i++) mid.raw(inner.done());
    const top = new Bytes().u32(9).u64(64n);
    for (let i = 0; i < 64; i++) top.raw(mid.done());
    const { open } = await sdk();
    const m = await open(gguf({ kv: [{ key: "nested", type: 9, value: top.done() }] }), { name: "x.gguf" });
    const v = m.metadata.nested as any[];
    expect(v.length).toBe(64);
    const json = JSON.stringify(m.metadata);
    expect(json.length).toBeLessThan(200_000); // not 262,144 numbers
    expect(json).toContain('"type":"ARRAY[UINT32]","length":64');
    await m.close();
  });

  it("a BOOL other than 0/1 is read as true and reported", async () => {
    const { open } = await sdk();
    const m = await open(gguf({ kv: [{ key: "flag", type: 7, value: Uint8Array.of(7) }] }), { name: "x.gguf" });
    expect(m.metadata.flag).toBe(true);
    expect(m.findings.map((f) => f.code)).toContain("gguf-bool");
    await m.close();
  });

  it("every truncation of a valid file is a typed error", async () => {
    const full = readFileSync(join(FIXTURES, "gguf", "align-1.gguf"));
    for (let n = 0; n < full.length; n += n < 600 ? 1 : 37) {
      const r = await outcome(full.subarray(0, n), "align-1.gguf");
      expect([n, r.code === "OK"]).toEqual([n, false]);
    }
  });
});

// ---- fuzzing: mutated real files -------------------------------------------------------------

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

const EXTREMES = [0, 1, 0xff, 0x7f, 0x80, 0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 64, 4, 5];

function mutate(src: Uint8Array, rand: () => number, headerLen: number): Uint8Array {
  const kind = Math.floor(rand() * 4);
  if (kind === 0) return src.slice(0, Math.floor(rand() * src.length)); // truncate
  const b = src.slice();
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * Math.min(headerLen, b.length - 8));
    if (kind === 1) b[at] ^= 1 << Math.floor(rand() * 8);
    else if (kind === 2) new DataView(b.buffer).setUint32(at, EXTREMES[Math.floor(rand() * EXTREMES.length)], true);
    else b[at] = Math.floor(rand() * 256);
  }
  return b;
}

describe("fuzz: mutated GGUF and GGML files give results or typed errors only", () => {
  const files: [string, number][] = [
    [join(CORPUS, "gguf", "stories260K.gguf"), 14176],
    [join(CORPUS, "gguf", "ggml-vocab-llama.v1.gguf"), 2000],
    [join(CORPUS, "ggml", "for-tests-silero-v6.2.0-ggml.bin"), 2000],
    [join(CORPUS, "ggml", "for-tests-ggml-parakeet-tdt.bin"), 16603],
    [join(FIXTURES, "gguf", "all-types.gguf"), 3000],
    [join(FIXTURES, "gguf", "big-endian.gguf"), 2944],
    [join(FIXTURES, "gguf", "ggjt-v1.bin"), 324],
    [join(FIXTURES, "gguf", "whisper-q4_0.bin"), 269],
  ];
  for (const [path, headerLen] of files) {
    const name = path.split("/").pop()!;
    it(name, async () => {
      const { open } = await sdk();
      const src = new Uint8Array(readFileSync(path));
      const rand = rng(0x5eed ^ src.length);
      let opened = 0, refused = 0;
      for (let i = 0; i < 150; i++) {
        const bytes = mutate(src, rand, headerLen);
        let m;
        try {
          m = await open(bytes, { name });
        } catch (e: any) {
          expect([i, e?.name, typeof e?.code]).toEqual([i, "OmnimodelError", "string"]);
          refused++;
          continue;
        }
        opened++;
        for (const t of m.tensors.slice(0, 6)) {
          try {
            await t.read({ dtype: "F32" });
          } catch (e: any) {
            expect([i, t.name, e?.name]).toEqual([i, t.name, "OmnimodelError"]);
          }
        }
        await m.close();
      }
      expect(opened + refused).toBe(150);
    });
  }
});
