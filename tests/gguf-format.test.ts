// GGUF reader (assembly/formats/gguf/gguf.ts) on files written by gguf-py's GGUFWriter
// (tests/fixtures/gguf/gen_gguf.py): names, dtypes, shapes and metadata as gguf-py's GGUFReader
// reads them, stored bytes and dequantized F32 values bit for bit against gguf-py.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, ROOT, corpusManifest, sdk } from "./helpers/core";
import { bytesAt, loadKernels, put } from "./kernels-wasm";

const dir = join(FIXTURES, "gguf");
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
const sha = (a: ArrayBufferView) => createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");

// JSON metadata as the index shows it: 64-bit integers beyond 2^53 arrive as strings, large
// arrays as {type, length, offset}.
function normalise(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number" && !Number.isSafeInteger(v) && Number.isInteger(v)) return BigInt(v).toString();
  if (Array.isArray(v)) return v.map(normalise);
  return v;
}

describe("GGUF files written by gguf-py", () => {
  for (const [file, exp] of Object.entries<any>(expected.files)) {
    it(`${file}${exp.derived ? ` (derived: ${exp.derived})` : ""}`, async () => {
      const { open } = await sdk();
      const m = await open(join(dir, file));
      try {
        expect(m.format).toBe("gguf");
        expect(m.formatVersion).toBe(exp.version);
        if (exp.unknownType) {
          const t = m.tensor(exp.unknownType.tensor)!;
          expect(m.findings.map((f) => f.code)).toContain("gguf-unknown-type");
          const err = await t.read().catch((e) => e);
          expect(err.code).toBe("UNREADABLE");
          expect(err.message).toContain(String(exp.unknownType.id));
          expect(err.message).toContain(exp.unknownType.tensor);
          expect(err.message).toMatch(/has the size of .*\bQ4_0\b/); // the byte-size check names candidates
          return;
        }
        expect(m.tensors.map((t) => t.name)).toEqual(Object.keys(exp.tensors));
        for (const [name, e] of Object.entries<any>(exp.tensors)) {
          const t = m.tensor(name)!;
          expect([name, t.dtype, t.shape]).toEqual([name, e.dtype, e.shape]);
          if ((exp.unreadable ?? []).includes(name)) {
            await expect(t.read({ dtype: "F32" })).rejects.toMatchObject({ code: "UNREADABLE" });
            continue;
          }
          if (e.raw_sha256) expect([name, sha(await t.read())]).toEqual([name, e.raw_sha256]);
          if (e.f32_sha256) expect([name, "F32", sha(await t.read({ dtype: "F32" }))]).toEqual([name, "F32", e.f32_sha256]);
          if (e.f16_sha256) expect([name, "F16", sha(await t.read({ dtype: "F16" }))]).toEqual([name, "F16", e.f16_sha256]);
          if (e.bf16_sha256) expect([name, "BF16", sha(await t.read({ dtype: "BF16" }))]).toEqual([name, "BF16", e.bf16_sha256]);
        }
        for (const [k, v] of Object.entries<any>(exp.metadata ?? {})) {
          const got = m.metadata[k] as any;
          if (v && typeof v === "object" && !Array.isArray(v)) {
            expect([k, got.type, got.length]).toEqual([k, v.type, v.length]);
          } else if (typeof v === "number" && !Number.isInteger(v)) {
            expect([k, got]).toEqual([k, Math.fround(v) === v ? v : got]);
            expect(Math.abs(got - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-7);
          } else {
            expect([k, normalise(got)]).toEqual([k, normalise(typeof v === "number" && !Number.isSafeInteger(v) ? BigInt(v) : v)]);
          }
        }
      } finally {
        await m.close();
      }
    });
  }

  it("64-bit metadata beyond 2^53 is exact (as a decimal string)", async () => {
    const { open } = await sdk();
    const m = await open(join(dir, "all-types.gguf"));
    expect(m.metadata["test.u64"]).toBe("18446744073709551615");
    expect(m.metadata["test.i64"]).toBe("-9007199254740993");
    await m.close();
  });

  it("maps a fork type id onto a known layout when asked (ggmlTypeMap option)", async () => {
    const { open } = await sdk();
    const m = await open(join(dir, "fork-type.gguf"), { core: { ggmlTypeMap: { "144": "Q4_0" } } });
    const t = m.tensor("fork.weight")!;
    expect(t.dtype).toBe("Q4_0");
    expect(sha(await t.read({ dtype: "F32" }))).toBe(expected.files["fork-type.gguf"].mapped.Q4_0);
    await m.close();
  });

  it("a split set opened from its first shard lists every shard's tensors", async () => {
    const { open } = await sdk();
    const m = await open(join(dir, "split-00001-of-00003.gguf"));
    expect(m.tensors.map((t) => (t.info as any)?.shard ?? 0)).toEqual([0, 0, 1, 1, 2, 2]);
    await m.close();
  });

  it("a shard that names another position, or repeats a tensor, is reported", async () => {
    const { open } = await sdk();
    const one = readFileSync(join(dir, "split-00001-of-00003.gguf"));
    const two = Buffer.from(readFileSync(join(dir, "split-00002-of-00003.gguf")));
    const three = readFileSync(join(dir, "split-00003-of-00003.gguf"));
    const name = "split-00001-of-00003.gguf";
    const at = two.indexOf("split.no") + "split.no".length; // then u32 type (UINT16) and the value
    expect(two.readUInt32LE(at)).toBe(2);
    const moved = Buffer.from(two);
    moved.writeUInt16LE(4, at + 4);
    const m = await open(one, { name, siblings: new Map([["split-00002-of-00003.gguf", moved], ["split-00003-of-00003.gguf", three]]) });
    expect(m.findings.find((f) => f.code === "gguf-split-mismatch")?.message).toContain("shard 5 of 3");
    await m.close();
    const dup = Buffer.from(two);
    dup.write("t0", dup.indexOf("t2"), "latin1");
    await expect(open(one, { name, siblings: new Map([["split-00002-of-00003.gguf", dup], ["split-00003-of-00003.gguf", three]]) }))
      .rejects.toMatchObject({ code: "DUPLICATE" });
  });

  it("a split set with a missing shard lists what is there and says which shard is missing", async () => {
    const { open } = await sdk();
    const bytes = readFileSync(join(dir, "split-00001-of-00003.gguf"));
    const two = readFileSync(join(dir, "split-00002-of-00003.gguf"));
    const m = await open(bytes, { name: "split-00001-of-00003.gguf", siblings: new Map([["split-00002-of-00003.gguf", two]]) });
    expect(m.tensors.map((t) => t.name)).toEqual(["t0", "t1", "t2", "t3"]);
    expect(m.findings.find((f) => f.code === "gguf-split-missing")?.location).toBe("split-00003-of-00003.gguf");
    await m.close();
  });
});

describe("converting GGUF to safetensors", () => {
  it("omnimodel convert --dtype F32 writes gguf-py's dequantized values and the metadata", async () => {
    const out = mkdtempSync(join(tmpdir(), "gguf-convert-"));
    try {
      const target = join(out, "out.safetensors");
      execFileSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), "convert", join(dir, "all-types.gguf"), target, "--dtype", "F32"]);
      const { open } = await sdk();
      const m = await open(target);
      const exp = expected.files["all-types.gguf"];
      let checked = 0;
      for (const [name, e] of Object.entries<any>(exp.tensors)) {
        if (!e.f32_sha256 || /^plain\.(i8|i16|i32|i64)$/.test(name)) continue; // integer tensors keep their type
        const t = m.tensor(name)!;
        expect([name, t.dtype, t.shape, sha(await t.read())]).toEqual([name, "F32", e.shape, e.f32_sha256]);
        checked++;
      }
      expect(checked).toBeGreaterThan(25);
      expect(JSON.parse(String(m.metadata["test.small_array"]))).toEqual([1, 2, 3]);
      await m.close();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("GGUF files of the shared corpus", () => {
  const cases = Object.entries<any>(corpusManifest().cases).filter(([k]) => k.startsWith("gguf/"));
  for (const [rel, c] of cases) {
    it(rel, async () => {
      const { open } = await sdk();
      const m = await open(join(CORPUS, rel));
      try {
        expect(m.format).toBe("gguf");
        expect(m.formatVersion).toBe(String(c.metadata.gguf_version));
        expect(m.tensors.length).toBe(c.tensor_count);
        for (const [key, type] of Object.entries<string>(c.metadata.kv_types ?? {})) {
          const v = m.metadata[key] as any;
          expect([key, v === undefined]).toEqual([key, false]);
          if (type.startsWith("ARRAY") && v && typeof v === "object" && !Array.isArray(v)) expect([key, v.type]).toEqual([key, type]);
        }
        const tokens = m.metadata["tokenizer.ggml.tokens"] as any;
        if (c.metadata["tokenizer.ggml.tokens.count"]) expect(tokens.length).toBe(c.metadata["tokenizer.ggml.tokens.count"]);
        if (c.metadata["general.architecture"]) expect(m.metadata["general.architecture"]).toBe(c.metadata["general.architecture"]);
        for (const [name, e] of Object.entries<any>(c.tensors ?? {})) {
          const t = m.tensor(name)!;
          expect([name, t.dtype, t.shape]).toEqual([name, e.dtype, e.shape]);
          if (e.sha256) expect([name, sha(await t.read())]).toEqual([name, e.sha256]);
        }
      } finally {
        await m.close();
      }
    });
  }
});

describe("reading quantized tensors larger than one read window", () => {
  // Random blocks with finite f16 scales; the expected F32 comes from the dequantization kernel
  // called once on the whole tensor (that kernel is checked against gguf-py in kernels-ggml).
  for (const [typeName, id, blockBytes, scaleOffsets] of [["Q4_0", 2, 18, [0]], ["Q4_K", 12, 144, [0, 2]], ["IQ2_XS", 17, 74, [0]]] as const) {
    it(`${typeName}: streamed windows equal one whole-tensor dequantization`, async () => {
      const blocks = Math.ceil((9 * 1024 * 1024) / blockBytes); // spans three 4 MiB windows
      const perBlock = typeName === "Q4_0" ? 32 : 256;
      const data = new Uint8Array(blocks * blockBytes);
      let x = 12345;
      for (let i = 0; i < data.length; i++) { x = (x * 1103515245 + 12345) >>> 0; data[i] = x >>> 24; }
      for (let b = 0; b < blocks; b++) {
        for (const o of scaleOffsets) {
          const hi = b * blockBytes + o + 1;
          if ((data[hi] & 0x7c) === 0x7c) data[hi] &= 0xbf;
        }
      }
      // GGUF v3: one KV, one tensor [perBlock * blocks]
      const name = Buffer.from("big.weight");
      const head: number[] = [];
      const u32 = (v: number) => { for (let i = 0; i < 4; i++) head.push((v >>> (8 * i)) & 255); };
      const u64 = (v: number) => { u32(v >>> 0); u32(Math.floor(v / 2 ** 32)); };
      head.push(...Buffer.from("GGUF")); u32(3); u64(1); u64(0);
      u64(name.length); head.push(...name); u32(1); u64(perBlock * blocks); u32(id); u64(0);
      while (head.length % 32) head.push(0);
      const file = new Uint8Array(head.length + data.length);
      file.set(head);
      file.set(data, head.length);

      const k = loadKernels();
      const n = perBlock * blocks;
      const src = put(k, data);
      const dst = k.alloc(n * 4);
      expect(k.dequantizeGGML(id, src, n, dst, 1)).toBe(0);
      const want = sha(bytesAt(k, dst, n * 4));

      const { open } = await sdk();
      const m = await open(file, { name: "big.gguf" });
      const t = m.tensor("big.weight")!;
      expect(t.dtype).toBe(typeName);
      expect(sha(await t.read({ dtype: "F32" }))).toBe(want);
      let parts = 0;
      const h = createHash("sha256");
      for await (const c of t.chunks({ dtype: "F32" })) { parts++; h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength)); }
      expect(parts).toBeGreaterThan(2);
      expect(h.digest("hex")).toBe(want);
      expect(sha(await t.read())).toBe(sha(data));
      await m.close();
    });
  }
});
