// GGML dequantization (assembly/kernels/ggml-types.ts), scalar and SIMD, bit for bit against
// the expected f32 in tests/fixtures/ggml-kernels/ggml (gen_fixtures.py):
//  - "gguf-py": gguf.quants.dequantize on the same bytes (random blocks with finite f16
//    scales, and blocks from gguf.quants.quantize);
//  - "numpy": astype(float32) for the plain element types;
//  - "ggml-formula": a numpy transcription of ggml's dequantize_row_* for the layouts gguf-py
//    cannot dequantize (Q8_1, Q8_K, Q1_0, Q2_0, the GGJT v1/v2-era layouts).
// Plus the real files in the shared corpus (stories260K.gguf, silero ggml) by hash.
import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bytesAt, CORPUS, firstWordMismatch, FIXTURES, KernelExports, loadKernels, put, sha256 } from "./kernels-wasm";

interface Case { case: string; type: number; elements: number; inputBytes: number; file: string; source: string }
const manifest = JSON.parse(readFileSync(join(FIXTURES, "ggml", "manifest.json"), "utf8"));
let k: KernelExports;
beforeAll(() => { k = loadKernels(); }, 120_000);

function dequant(type: number, input: Uint8Array, n: number, simd: number, misalign = 0): { rc: number; out: Uint8Array } {
  const src = put(k, input, misalign);
  const dst = k.alloc(n * 4 + 16);
  const rc = k.dequantizeGGML(type, src, n, dst, simd);
  return { rc, out: bytesAt(k, dst, n * 4).slice() };
}

describe("dequantizeGGML matches the references bit for bit", () => {
  for (const c of manifest.cases as Case[]) {
    it(`${c.case} (${c.source})`, () => {
      const blob = readFileSync(join(FIXTURES, "ggml", c.file));
      const input = new Uint8Array(blob.buffer, blob.byteOffset, c.inputBytes);
      const want = new Uint8Array(blob.buffer, blob.byteOffset + c.inputBytes, c.elements * 4);
      expect(c.inputBytes).toBe((c.elements / k.ggmlBlockElements(c.type)) * k.ggmlBlockBytes(c.type));
      for (const simd of [0, 1]) {
        for (const misalign of [0, 1]) {
          const { rc, out } = dequant(c.type, input, c.elements, simd, misalign);
          expect(rc).toBe(0);
          expect({ simd, misalign, firstMismatch: firstWordMismatch(out, want) })
            .toEqual({ simd, misalign, firstMismatch: -1 });
        }
      }
    });
  }

  it("covers every type id gguf-py knows, plus Q2_0", () => {
    const tested = new Set((manifest.cases as Case[]).map((c) => c.type));
    for (const t of Object.values(manifest.ggufPyTypes) as { id: number }[]) expect(tested.has(t.id)).toBe(true);
    expect(tested.has(42)).toBe(true);
  });
});

describe("scalar and SIMD paths agree on arbitrary bytes (Inf/NaN scales included)", () => {
  // No reference library takes NaN scales consistently, so here the two paths are compared with
  // each other: identical bits, except that any NaN equals any NaN (wasm leaves NaN payloads of
  // arithmetic results open).
  const ids = [...Array(43).keys(), 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 2002, 2008, 2012, 2014];
  it("every type, 1 to 9 blocks, several seeds", () => {
    let x = 0x9e3779b9;
    const rnd = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
    let compared = 0;
    for (const t of ids) {
      const be = k.ggmlBlockElements(t), bb = k.ggmlBlockBytes(t);
      if (be === 0) continue;
      for (let seed = 0; seed < 6; seed++) {
        const nb = 1 + (rnd() % 9);
        const n = be === 1 ? nb * 7 : nb * be;
        const bytes = new Uint8Array((n / be) * bb).map(() => rnd() & 255);
        const a = dequant(t, bytes, n, 0).out, b = dequant(t, bytes, n, 1, 3).out;
        const va = new DataView(a.buffer), vb = new DataView(b.buffer);
        for (let i = 0; i < n; i++) {
          const wa = va.getUint32(i * 4, true), wb = vb.getUint32(i * 4, true);
          const nanA = (wa & 0x7fffffff) > 0x7f800000, nanB = (wb & 0x7fffffff) > 0x7f800000;
          if (nanA || nanB ? nanA !== nanB : wa !== wb) {
            expect({ type: t, element: i, scalar: wa.toString(16), simd: wb.toString(16) }).toBeNull();
          }
        }
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(250);
  });
});

describe("IQ grids", () => {
  // The generated file records the sha256 of each grid as gguf-py expands it (and that the grids
  // equal ggml's C tables); the wasm side unpacks its own packed copy, which must give the same.
  const src = readFileSync(join(__dirname, "..", "assembly", "kernels", "ggml", "iq-grids.ts"), "utf8");
  const sizes: Record<string, number> = { IQ2XXS: 2048, IQ2XS: 4096, IQ2S: 8192, IQ3XXS: 1024, IQ3S: 2048, IQ1S: 16384 };
  for (const [name, bytes] of Object.entries(sizes)) {
    it(`${name}: the grid unpacked in wasm has the recorded sha256`, () => {
      const want = new RegExp(`//   ${name}: ([0-9a-f]{64})`).exec(src)![1];
      const ptr = (k as any)[`grid${name}`]() as number;
      expect(sha256(bytesAt(k, ptr, bytes))).toBe(want);
    });
  }
  it("the grids were checked against ggml's own tables when generated", () => {
    expect(src).toMatch(/Checked equal, value for value, to the tables of ggml's src\/ggml-common\.h at [0-9a-f]{40}/);
  });
});

describe("type table", () => {
  const nameOf = (t: number) => {
    const len = k.typeName(t);
    return Buffer.from(bytesAt(k, k.nameBuffer(), len)).toString("latin1");
  };
  const idOf = (name: string) => {
    bytesAt(k, k.nameBuffer(), name.length).set(Buffer.from(name, "latin1"));
    return k.typeFromName(name.length);
  };

  it("agrees with gguf-py's names and GGML_QUANT_SIZES (except Q8_1, see below)", () => {
    for (const [name, t] of Object.entries(manifest.ggufPyTypes) as [string, { id: number; blockElements: number; blockBytes: number }][]) {
      expect(nameOf(t.id)).toBe(name);
      expect(idOf(name)).toBe(t.id);
      expect(k.ggmlBlockElements(t.id)).toBe(t.blockElements);
      // gguf-py 0.19 still lists Q8_1 with f32 d and s (40 B); ggml's block_q8_1 has been
      // {f16 d, f16 s, qs[32]} = 36 B since 2023 (ggml-common.h static_assert).
      expect(k.ggmlBlockBytes(t.id)).toBe(name === "Q8_1" ? 36 : t.blockBytes);
    }
    expect([nameOf(42), k.ggmlBlockElements(42), k.ggmlBlockBytes(42)]).toEqual(["Q2_0", 64, 18]);
  });

  it("has no entry for removed or unknown ids", () => {
    for (const t of [-1, 4, 5, 31, 32, 33, 36, 37, 38, 43, 99, 999, 1009, 0x7fffffff]) {
      expect([t, k.ggmlBlockElements(t), k.ggmlBlockBytes(t), nameOf(t)]).toEqual([t, 0, 0, ""]);
    }
    expect(idOf("Q4_2_NOPE")).toBe(-1);
    expect(idOf("")).toBe(-1);
    expect(idOf("q4_0")).toBe(-1);
  });

  it("names the earlier-era layouts with ids >= 1000", () => {
    expect([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008].map(nameOf)).toEqual([
      "Q4_0_GGJT1", "Q4_1_GGJT1", "Q4_2", "Q4_3", "Q5_0_GGJT1", "Q5_1_GGJT1", "Q8_0_GGJT1", "Q4_0_GGJT2", "Q4_1_GGJT2",
    ]);
  });

  it("ggmlRowBytes is exact and overflow-checked", () => {
    const MAX = 0xffffffffffffffffn;
    // u64 results arrive in JS as signed BigInt
    const rowBytes = (t: number, n: bigint) => BigInt.asUintN(64, k.ggmlRowBytes(t, BigInt.asIntN(64, n)));
    expect(rowBytes(2, 64n)).toBe(36n);
    expect(rowBytes(12, 4096n)).toBe(16n * 144n);
    expect(rowBytes(0, 0n)).toBe(0n);
    expect(rowBytes(2, 33n)).toBe(MAX);
    expect(rowBytes(4, 32n)).toBe(MAX);
    expect(rowBytes(0, 1n << 62n)).toBe(MAX);
    expect(rowBytes(28, (1n << 61n) - 1n)).toBe(((1n << 61n) - 1n) * 8n);
    expect(rowBytes(28, 1n << 61n)).toBe(MAX);
    expect(rowBytes(14, (MAX / 256n) * 256n)).toBe((MAX / 256n) * 210n);
    expect(rowBytes(15, (MAX / 256n) * 256n)).toBe(MAX); // 292 B per block overflows
  });
});

describe("big-endian block ids (2000 + id)", () => {
  // gguf_convert_endian.py swaps exactly these f16 fields; the blocks are the fixtures above.
  const scaleFields: Record<string, number[]> = { Q4_0: [0], Q8_0: [0], Q4_K: [0, 2], Q6_K: [208] };
  for (const [name, fields] of Object.entries(scaleFields)) {
    it(`${name}_BE: swapped scale fields decode to the same values; src is left unchanged`, () => {
      const c = (manifest.cases as Case[]).find((x) => x.case === `${name}.random`)!;
      const blob = readFileSync(join(FIXTURES, "ggml", c.file));
      const input = new Uint8Array(blob.subarray(0, c.inputBytes));
      const want = new Uint8Array(blob.buffer, blob.byteOffset + c.inputBytes, c.elements * 4);
      const bb = k.ggmlBlockBytes(c.type);
      const be = input.slice();
      for (let b = 0; b < be.length; b += bb) for (const f of fields) [be[b + f], be[b + f + 1]] = [be[b + f + 1], be[b + f]];
      for (const simd of [0, 1]) {
        const src = put(k, be);
        const dst = k.alloc(c.elements * 4);
        expect(k.dequantizeGGML(2000 + c.type, src, c.elements, dst, simd)).toBe(0);
        expect(firstWordMismatch(bytesAt(k, dst, c.elements * 4).slice(), want)).toBe(-1);
        expect(Buffer.from(bytesAt(k, src, be.length)).equals(Buffer.from(be))).toBe(true);
      }
      expect([k.ggmlBlockElements(2000 + c.type), k.ggmlBlockBytes(2000 + c.type)]).toEqual([k.ggmlBlockElements(c.type), bb]);
    });
  }
  it("only those four types have a big-endian id", () => {
    for (const t of [0, 1, 3, 6, 7, 10, 11, 13, 16, 39, 40]) expect(k.ggmlBlockElements(2000 + t)).toBe(0);
    expect(k.dequantizeGGML(2003, 0, 32, 0, 1)).toBe(-1);
  });
});

describe("dequantizeGGML errors", () => {
  it("rejects unknown ids and partial blocks without touching memory", () => {
    const dst = k.alloc(64);
    bytesAt(k, dst, 64).fill(0xab);
    for (const t of [-1, 4, 5, 31, 36, 43, 1009]) expect(k.dequantizeGGML(t, dst, 32, dst, 1)).toBe(-1);
    expect(k.dequantizeGGML(2, dst, 31, dst, 1)).toBe(-2);
    expect(k.dequantizeGGML(12, dst, 32, dst, 0)).toBe(-2);
    expect(bytesAt(k, dst, 64).every((b) => b === 0xab)).toBe(true);
    expect(k.dequantizeGGML(2, dst, 0, dst, 1)).toBe(0);
  });
});

describe("real files from the shared corpus", () => {
  const entries = manifest.corpus as { file: string; tensor: string; type: number; offset: number; elements: number; bytes: number; sha256: string; source: string }[];
  const files = [...new Set(entries.map((e) => e.file))];
  for (const file of files) {
    const path = join(CORPUS, file);
    it.runIf(existsSync(path))(`${file}: every tensor matches ${entries.find((e) => e.file === file)!.source}`, () => {
      const fd = openSync(path, "r");
      try {
        for (const e of entries.filter((x) => x.file === file)) {
          const buf = new Uint8Array(e.bytes);
          expect(readSync(fd, buf, 0, e.bytes, e.offset)).toBe(e.bytes);
          for (const simd of [0, 1]) {
            const { rc, out } = dequant(e.type, buf, e.elements, simd);
            expect(rc).toBe(0);
            expect([e.tensor, simd, sha256(out)]).toEqual([e.tensor, simd, e.sha256]);
          }
        }
      } finally {
        closeSync(fd);
      }
    });
  }
});
