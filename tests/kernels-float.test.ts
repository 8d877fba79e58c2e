// Float conversion kernels (assembly/kernels/float.ts), scalar and SIMD, against numpy and
// ml_dtypes (expected values in tests/fixtures/ggml-kernels, written by gen_fixtures.py).
// All comparisons are on bit patterns: JS Float32Array writes would quieten signalling NaNs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bytesAt, firstWordMismatch, FIXTURES, KernelExports, loadKernels, put, sha256 } from "./kernels-wasm";

const manifest = JSON.parse(readFileSync(join(FIXTURES, "float-manifest.json"), "utf8"));
let k: KernelExports;
beforeAll(() => { k = loadKernels(); }, 120_000);

type Conv = (src: number, n: number, dst: number, simd: number) => void;

/** Runs a conversion on both paths; returns the two outputs (copied out of wasm memory). */
function run(conv: (k: KernelExports) => Conv, input: Uint8Array, n: number, outBytesPerElem: number, misalign = 0) {
  const src = put(k, input, misalign);
  const outs: Uint8Array[] = [];
  for (const simd of [0, 1]) {
    const dst = k.alloc(n * outBytesPerElem + 32) + misalign;
    conv(k)(src, n, dst, simd);
    outs.push(bytesAt(k, dst, n * outBytesPerElem).slice());
  }
  return outs;
}

const all16 = () => {
  const a = new Uint16Array(65536);
  for (let i = 0; i < 65536; i++) a[i] = i;
  return new Uint8Array(a.buffer);
};

describe("16-bit floats to f32", () => {
  it("f16: all 65536 patterns match numpy astype(float32), NaN payloads included", () => {
    const [scalar, simd] = run((k) => k.f16ToF32, all16(), 65536, 4);
    expect(sha256(scalar)).toBe(manifest.f16ToF32_sha256);
    expect(firstWordMismatch(scalar, simd)).toBe(-1);
  });

  it("bf16: all 65536 patterns match ml_dtypes", () => {
    const [scalar, simd] = run((k) => k.bf16ToF32, all16(), 65536, 4);
    expect(sha256(scalar)).toBe(manifest.bf16ToF32_sha256);
    expect(firstWordMismatch(scalar, simd)).toBe(-1);
  });

  it("handles tails and unaligned pointers on the SIMD path", () => {
    const input = all16().subarray(2 * 1000, 2 * 1000 + 2 * 37);
    for (const conv of [(k: KernelExports) => k.f16ToF32, (k: KernelExports) => k.bf16ToF32]) {
      const [scalar, simd] = run(conv, input, 37, 4, 1);
      expect(firstWordMismatch(scalar, simd)).toBe(-1);
    }
  });
});

describe("8-bit floats to f32", () => {
  const expected = readFileSync(join(FIXTURES, "f8-to-f32.bin"));
  const all8 = new Uint8Array(256).map((_, i) => i);
  const convs: Record<string, (k: KernelExports) => Conv> = {
    f8e4m3: (k) => k.f8e4m3ToF32, f8e5m2: (k) => k.f8e5m2ToF32,
    f8e4m3fnuz: (k) => k.f8e4m3fnuzToF32, f8e5m2fnuz: (k) => k.f8e5m2fnuzToF32, e8m0: (k) => k.e8m0ToF32,
  };
  manifest.f8Kinds.forEach((kind: string, idx: number) => {
    it(`${kind}: all 256 patterns match ml_dtypes`, () => {
      const want = new Uint8Array(expected.buffer, expected.byteOffset + idx * 1024, 1024);
      const [scalar, simd] = run(convs[kind], all8, 256, 4);
      expect(firstWordMismatch(scalar, want)).toBe(-1);
      expect(firstWordMismatch(simd, want)).toBe(-1);
    });
  });
});

// The f32 inputs of gen_fixtures.f32_inputs(): bits 11..31 enumerated, bits 0..10 from TAILS.
function f32Inputs(): Uint8Array {
  const tails = [0, 1, 0x3ff, 0x400, 0x7ff, 0x200, 0x401, 0x5a5];
  const a = new Uint32Array(1 << 21);
  for (let i = 0; i < a.length; i++) a[i] = ((i << 11) | tails[i % 8]) >>> 0;
  return new Uint8Array(a.buffer);
}

describe("f32 to 16-bit floats", () => {
  const input = f32Inputs();
  const n = input.length / 4;

  it("f32ToF16 matches numpy astype(float16) on 2^21 patterns (ties, overflow, subnormals, NaN)", () => {
    const [scalar, simd] = run((k) => k.f32ToF16, input, n, 2);
    expect(sha256(scalar)).toBe(manifest.f32ToF16_sha256);
    expect(sha256(simd)).toBe(manifest.f32ToF16_sha256);
  });

  it("f32ToBF16 matches ggml's rounding (gguf-py) on every pattern and ml_dtypes on non-NaN", () => {
    const [scalar, simd] = run((k) => k.f32ToBF16, input, n, 2);
    expect(sha256(scalar)).toBe(manifest.f32ToBF16_ggml_sha256);
    expect(sha256(simd)).toBe(manifest.f32ToBF16_ggml_sha256);
    const inWords = new Uint32Array(input.buffer);
    const out = new Uint16Array(scalar.buffer, scalar.byteOffset, n);
    const kept: number[] = [];
    for (let i = 0; i < n; i++) if ((inWords[i] & 0x7fffffff) <= 0x7f800000) kept.push(out[i]);
    expect(sha256(new Uint8Array(Uint16Array.from(kept).buffer))).toBe(manifest.f32ToBF16_mldtypes_nonNaN_sha256);
  });

  it("every f16 survives f16 -> f32 -> f16 unchanged", () => {
    const [f32] = run((k) => k.f16ToF32, all16(), 65536, 4);
    const [scalar, simd] = run((k) => k.f32ToF16, f32, 65536, 2);
    expect(firstWordMismatch(scalar, all16())).toBe(-1);
    expect(firstWordMismatch(simd, all16())).toBe(-1);
  });
});

describe("f64 to f32", () => {
  it("matches numpy astype(float32) on values around every rounding boundary, and NaNs", () => {
    const blob = readFileSync(join(FIXTURES, "f64-to-f32.bin"));
    const n = manifest.f64Count as number;
    const input = new Uint8Array(blob.buffer, blob.byteOffset, n * 8);
    const want = new Uint8Array(blob.buffer, blob.byteOffset + n * 8, n * 4);
    const [scalar, simd] = run((k) => k.f64ToF32, input, n, 4);
    expect(firstWordMismatch(scalar, want)).toBe(-1);
    expect(firstWordMismatch(simd, want)).toBe(-1);
  });
});

describe("byteswap", () => {
  const data = new Uint8Array(16 * 67).map((_, i) => (i * 131 + 7) & 255);
  for (const size of [2, 4, 8, 16]) {
    it(`reverses ${size}-byte elements like Buffer.swap (both paths, in place too)`, () => {
      const n = Math.floor(data.length / size) - 1; // odd tail for the SIMD loop
      const want = Buffer.from(data.subarray(0, n * size));
      if (size === 2) want.swap16(); else if (size === 4) want.swap32(); else if (size === 8) want.swap64();
      else for (let i = 0; i < n; i++) want.subarray(i * 16, i * 16 + 16).reverse();
      for (const simd of [0, 1]) {
        const src = put(k, data.subarray(0, n * size));
        const dst = k.alloc(n * size);
        expect(k.byteswapPath(src, n, size, dst, simd)).toBe(0);
        expect(Buffer.from(bytesAt(k, dst, n * size)).equals(want)).toBe(true);
        expect(k.byteswapPath(src, n, size, src, simd)).toBe(0);
        expect(Buffer.from(bytesAt(k, src, n * size)).equals(want)).toBe(true);
      }
    });
  }
  it("rejects element sizes other than 2, 4, 8, 16", () => {
    for (const size of [0, 1, 3, 5, 32, -4]) {
      expect(k.byteswap(0, 1, size, 0)).toBe(-1);
      expect(k.byteswapPath(0, 1, size, 0, 0)).toBe(-1);
    }
  });
});
