// F32 -> GGML quantizers against ggml's own reference row quantizers. Oracle for every vector:
// quantize_row_*_ref / ggml_compute_fp32_to_fp16 / ggml_compute_fp32_to_bf16 compiled from the
// ggml sources vendored in a pinned llama-cpp-python sdist (tests/fixtures/gguf-writer/quantize/
// generate.py, which also records where gguf-py's quants.quantize agrees). Both the scalar and
// the SIMD128 paths must give the same bytes as the oracle.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bytesAt, type KernelExports, loadKernels, put, sha256 } from "./kernels-wasm";

const DIR = join(__dirname, "fixtures", "gguf-writer", "quantize");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")) as {
  rowElements: number; rows: string[]; specialRows: string[]; inputsSha256: string; specialsSha256: string;
  types: Record<string, { rowBytes: number; sha256: string; ggufPy: { implemented: boolean; disagreeRows?: string[] } }>;
};
const inputs = readFileSync(join(DIR, "inputs.f32"));
const specials = readFileSync(join(DIR, "specials.f32"));
let k: KernelExports;
const typeId = (name: string) => {
  new Uint8Array(k.memory.buffer, k.nameBuffer(), name.length).set(Buffer.from(name));
  return k.typeFromName(name.length);
};

beforeAll(() => { k = loadKernels(); });

function quantize(type: number, data: Uint8Array, n: number, outBytes: number, simd: boolean, misalign = 0): Uint8Array {
  const src = put(k, data, misalign);
  const dst = k.alloc(outBytes + 32) + misalign;
  new Uint8Array(k.memory.buffer, dst, outBytes).fill(0xa5); // every byte must be written
  const rc = k.quantizeGGML(type, src, n, dst, simd ? 1 : 0);
  expect(rc).toBe(0);
  return bytesAt(k, dst, outBytes).slice();
}

describe("quantizeGGML matches ggml's reference quantizers", () => {
  it("the committed inputs are the generated ones", () => {
    expect(sha256(inputs)).toBe(expected.inputsSha256);
    expect(sha256(specials)).toBe(expected.specialsSha256);
  });
  for (const [name, t] of Object.entries(expected.types)) {
    for (const simd of [false, true]) {
      it(`${name} ${simd ? "SIMD128" : "scalar"}: every row bit for bit`, () => {
        const want = readFileSync(join(DIR, `${name}.bin`));
        expect(sha256(want)).toBe(t.sha256);
        const withSpecials = name === "F16" || name === "BF16";
        const data = withSpecials ? Buffer.concat([inputs, specials]) : inputs;
        const names = withSpecials ? [...expected.rows, ...expected.specialRows] : expected.rows;
        const N = expected.rowElements;
        // row by row, so a failure names the edge case
        const all = quantize(typeId(name), data, names.length * N, names.length * t.rowBytes, simd);
        for (let r = 0; r < names.length; r++) {
          const row = data.subarray(r * N * 4, (r + 1) * N * 4);
          const got = quantize(typeId(name), row, N, t.rowBytes, simd, r & 3);
          const ref = Buffer.from(want.subarray(r * t.rowBytes, (r + 1) * t.rowBytes));
          if (name === "IQ4_NL") maskUndefined(row, got, ref);
          expect(Buffer.from(got).equals(ref), `${name} row ${names[r]}`).toBe(true);
          // the same bytes when the row is one of many in a call (no state leaks between blocks)
          const inAll = all.slice(r * t.rowBytes, (r + 1) * t.rowBytes);
          if (name === "IQ4_NL") maskUndefined(row, inAll, ref);
          expect(Buffer.from(inAll).equals(ref), `${name} row ${names[r]} within a long call`).toBe(true);
        }
      });
    }
  }
});

// IQ4_NL blocks of zeros: ggml stores d = 0 and leaves the codes uninitialised; ours must be 0
// and the reference's are not compared (expected.json "undefinedBlocks").
function maskUndefined(row: Uint8Array, got: Uint8Array, ref: Buffer) {
  const f = new Float32Array(row.buffer.slice(row.byteOffset, row.byteOffset + row.byteLength));
  for (let b = 0; b < f.length / 32; b++) {
    if (f.subarray(b * 32, b * 32 + 32).some((v) => Math.abs(v) >= 1e-15)) continue;
    expect(got.subarray(b * 18 + 2, b * 18 + 18).every((c) => c === 0)).toBe(true);
    ref.fill(0, b * 18 + 2, b * 18 + 18);
  }
}

describe("quantizeGGML refuses what it cannot write", () => {
  it("a partial block is an error, not a short write", () => {
    expect(k.quantizeGGML(typeId("Q4_K"), k.alloc(1024), 255, k.alloc(1024), 1)).toBe(-2);
    expect(k.quantizeGGML(typeId("Q8_0"), k.alloc(1024), 33, k.alloc(1024), 0)).toBe(-2);
  });
  it("types without a quantizer are refused", () => {
    for (const name of ["IQ2_XXS", "IQ1_S", "Q8_K", "I8"]) expect(k.quantizeGGML(typeId(name), k.alloc(1024), 256, k.alloc(1024), 1)).toBe(-1);
    expect(k.quantizeGGML(9999, k.alloc(64), 32, k.alloc(64), 1)).toBe(-1);
  });
});
