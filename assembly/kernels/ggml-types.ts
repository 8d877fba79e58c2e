// The GGML type table and the one dequantization entry point.
//
// Type ids are ggml's `enum ggml_type` (include/ggml.h, GGML_TYPE_COUNT = 43). Removed ids
// (4, 5, 31-33, 36-38) have no block size here. Block layouts of earlier file eras, which
// reused ids 2, 3, 6, 7, 8 with other layouts, get their own ids >= 1000 so a legacy reader
// can name them:
//
//   1000 Q4_0_GGJT1  GGJT v1 / qntvr 0 Q4_0: 32 el, 20 B {f32 d, qs[16]}, interleaved nibbles
//   1001 Q4_1_GGJT1  GGJT v1 Q4_1: 32 el, 24 B {f32 d, f32 m, qs[16]}, interleaved
//   1002 Q4_2        GGJT v1 (old id 4): 16 el, 10 B {f16 d, qs[8]}, interleaved
//   1003 Q4_3        GGJT v1 (old id 5): 16 el, 12 B {f16 d, f16 m, qs[8]}, interleaved
//   1004 Q5_0_GGJT1  GGJT v1 Q5_0: 32 el, 22 B {f16 d, u32 qh, qs[16]}, interleaved
//   1005 Q5_1_GGJT1  GGJT v1 Q5_1: 32 el, 24 B {f16 d, f16 m, u32 qh, qs[16]}, interleaved
//   1006 Q8_0_GGJT1  GGJT v1 and v2 Q8_0: 32 el, 36 B {f32 d, int8 qs[32]}
//   1007 Q4_0_GGJT2  GGJT v2 / qntvr 1 Q4_0: 32 el, 20 B {f32 d, qs[16]}, today's nibble order
//   1008 Q4_1_GGJT2  GGJT v2 Q4_1: 32 el, 24 B {f32 d, f32 m, qs[16]}, today's nibble order
//
// (GGJT v2 Q5_0/Q5_1 already have today's layout, ids 6 and 7.)
//
// Big-endian GGUF files (s390x, POWER) store the f16 scale fields of a block byte-swapped; the
// quantized bytes are unchanged. gguf-py's gguf_convert_endian.py defines this for Q4_0, Q8_0,
// Q4_K and Q6_K (MXFP4 and NVFP4 have no multi-byte field and need nothing). Those four get ids
// 2000 + their id ("Q4_0_BE", ...): same block size; dequantizeGGML swaps the scale fields of
// src, decodes, and swaps them back, so src is unchanged afterwards.

import { bf16ToF32, copyF32, f16ToF32, f64ToF32, i16ToF32, i32ToF32, i64ToF32, i8ToF32 } from "./ggml/plain-types";
import {
  dequantizeQ4_0, dequantizeQ4_1, dequantizeQ5_0, dequantizeQ5_1, dequantizeQ8_0, dequantizeQ8_1,
  dequantizeQ4_0GGJT1, dequantizeQ4_1GGJT1, dequantizeQ4_2, dequantizeQ4_3, dequantizeQ5_0GGJT1,
  dequantizeQ5_1GGJT1, dequantizeQ8_0GGJT1, dequantizeQ4_0GGJT2, dequantizeQ4_1GGJT2,
} from "./ggml/legacy-quants";
import { dequantizeQ2K, dequantizeQ3K, dequantizeQ4K, dequantizeQ5K, dequantizeQ6K, dequantizeQ8K } from "./ggml/k-quants";
import {
  dequantizeIQ1M, dequantizeIQ1S, dequantizeIQ2S, dequantizeIQ2XS, dequantizeIQ2XXS, dequantizeIQ3S,
  dequantizeIQ3XXS, dequantizeIQ4NL, dequantizeIQ4XS,
} from "./ggml/i-quants";
import {
  dequantizeMXFP4, dequantizeNVFP4, dequantizeQ1_0, dequantizeQ2_0, dequantizeTQ1_0, dequantizeTQ2_0,
} from "./ggml/low-bit-quants";

export const GGML_TYPE_F32 = 0;
export const GGML_TYPE_F16 = 1;
export const GGML_TYPE_Q4_0 = 2;
export const GGML_TYPE_Q4_1 = 3;
export const GGML_TYPE_Q5_0 = 6;
export const GGML_TYPE_Q5_1 = 7;
export const GGML_TYPE_Q8_0 = 8;
export const GGML_TYPE_Q8_1 = 9;
export const GGML_TYPE_Q2_K = 10;
export const GGML_TYPE_Q3_K = 11;
export const GGML_TYPE_Q4_K = 12;
export const GGML_TYPE_Q5_K = 13;
export const GGML_TYPE_Q6_K = 14;
export const GGML_TYPE_Q8_K = 15;
export const GGML_TYPE_IQ2_XXS = 16;
export const GGML_TYPE_IQ2_XS = 17;
export const GGML_TYPE_IQ3_XXS = 18;
export const GGML_TYPE_IQ1_S = 19;
export const GGML_TYPE_IQ4_NL = 20;
export const GGML_TYPE_IQ3_S = 21;
export const GGML_TYPE_IQ2_S = 22;
export const GGML_TYPE_IQ4_XS = 23;
export const GGML_TYPE_I8 = 24;
export const GGML_TYPE_I16 = 25;
export const GGML_TYPE_I32 = 26;
export const GGML_TYPE_I64 = 27;
export const GGML_TYPE_F64 = 28;
export const GGML_TYPE_IQ1_M = 29;
export const GGML_TYPE_BF16 = 30;
export const GGML_TYPE_TQ1_0 = 34;
export const GGML_TYPE_TQ2_0 = 35;
export const GGML_TYPE_MXFP4 = 39;
export const GGML_TYPE_NVFP4 = 40;
export const GGML_TYPE_Q1_0 = 41;
export const GGML_TYPE_Q2_0 = 42;
export const GGML_TYPE_COUNT = 43;

export const GGML_TYPE_Q4_0_GGJT1 = 1000;
export const GGML_TYPE_Q4_1_GGJT1 = 1001;
export const GGML_TYPE_Q4_2 = 1002;
export const GGML_TYPE_Q4_3 = 1003;
export const GGML_TYPE_Q5_0_GGJT1 = 1004;
export const GGML_TYPE_Q5_1_GGJT1 = 1005;
export const GGML_TYPE_Q8_0_GGJT1 = 1006;
export const GGML_TYPE_Q4_0_GGJT2 = 1007;
export const GGML_TYPE_Q4_1_GGJT2 = 1008;
export const GGML_LEGACY_TYPE_FIRST = 1000;
export const GGML_LEGACY_TYPE_END = 1009;
export const GGML_BE_TYPE_BASE = 2000;

/** The big-endian-scales id of a type, or -1 when big-endian files of that type are undefined. */
export function ggmlBigEndianType(type: i32): i32 {
  if (type == GGML_TYPE_Q4_0 || type == GGML_TYPE_Q8_0 || type == GGML_TYPE_Q4_K || type == GGML_TYPE_Q6_K) return GGML_BE_TYPE_BASE + type;
  return -1;
}

// The base type of a big-endian-scales id, else -1.
function beBase(type: i32): i32 {
  const t = type - GGML_BE_TYPE_BASE;
  return t >= 0 && ggmlBigEndianType(t) == type ? t : -1;
}

/**
 * Byte-swaps the f16 scale fields of nb blocks of `type` at ptr in place (gguf_convert_endian's
 * rule). Returns 0, or -1 when the type has no defined big-endian form.
 */
export function ggmlSwapBlockScales(type: i32, ptr: usize, nb: usize): i32 {
  const bb = <usize>ggmlBlockBytes(type);
  let a: usize = 0, b: usize = 0, two = false;
  if (type == GGML_TYPE_Q4_0 || type == GGML_TYPE_Q8_0) a = 0;
  else if (type == GGML_TYPE_Q4_K) { a = 0; b = 2; two = true; }
  else if (type == GGML_TYPE_Q6_K) a = 208;
  else return -1;
  for (let i: usize = 0; i < nb; i++) {
    const p = ptr + i * bb;
    store<u16>(p + a, bswap<u16>(load<u16>(p + a)));
    if (two) store<u16>(p + b, bswap<u16>(load<u16>(p + b)));
  }
  return 0;
}

/** dequantizeGGML error codes. */
export const GGML_ERR_UNKNOWN_TYPE = -1;
export const GGML_ERR_PARTIAL_BLOCK = -2;

// Per id: name, elements per block, bytes per block (0 = no such type).
const NAMES: string[] = [
  "F32", "F16", "Q4_0", "Q4_1", "", "", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
  "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
  "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M",
  "BF16", "", "", "", "TQ1_0", "TQ2_0", "", "", "", "MXFP4",
  "NVFP4", "Q1_0", "Q2_0",
];
const BLOCK_ELEMENTS = memory.data<i32>([
  1, 1, 32, 32, 0, 0, 32, 32, 32, 32,
  256, 256, 256, 256, 256, 256, 256, 256, 256, 256,
  32, 256, 256, 256, 1, 1, 1, 1, 1, 256,
  1, 0, 0, 0, 256, 256, 0, 0, 0, 32,
  64, 128, 64,
]);
const BLOCK_BYTES = memory.data<i32>([
  4, 2, 18, 20, 0, 0, 22, 24, 34, 36,
  84, 110, 144, 176, 210, 292, 66, 74, 98, 50,
  18, 110, 82, 136, 1, 2, 4, 8, 8, 56,
  2, 0, 0, 0, 54, 66, 0, 0, 0, 17,
  36, 18, 18,
]);
const LEGACY_NAMES: string[] = [
  "Q4_0_GGJT1", "Q4_1_GGJT1", "Q4_2", "Q4_3", "Q5_0_GGJT1", "Q5_1_GGJT1", "Q8_0_GGJT1",
  "Q4_0_GGJT2", "Q4_1_GGJT2",
];
const LEGACY_BLOCK_ELEMENTS = memory.data<i32>([32, 32, 16, 16, 32, 32, 32, 32, 32]);
const LEGACY_BLOCK_BYTES = memory.data<i32>([20, 24, 10, 12, 22, 24, 36, 20, 24]);

/** Elements per block of a type; 0 for an unknown or removed id. */
export function ggmlBlockElements(type: i32): i32 {
  if (type >= 0 && type < GGML_TYPE_COUNT) return load<i32>(BLOCK_ELEMENTS + (<usize>type << 2));
  if (beBase(type) >= 0) return ggmlBlockElements(beBase(type));
  if (type >= GGML_LEGACY_TYPE_FIRST && type < GGML_LEGACY_TYPE_END) {
    return load<i32>(LEGACY_BLOCK_ELEMENTS + (<usize>(type - GGML_LEGACY_TYPE_FIRST) << 2));
  }
  return 0;
}

/** Bytes per block of a type; 0 for an unknown or removed id. */
export function ggmlBlockBytes(type: i32): i32 {
  if (type >= 0 && type < GGML_TYPE_COUNT) return load<i32>(BLOCK_BYTES + (<usize>type << 2));
  if (beBase(type) >= 0) return ggmlBlockBytes(beBase(type));
  if (type >= GGML_LEGACY_TYPE_FIRST && type < GGML_LEGACY_TYPE_END) {
    return load<i32>(LEGACY_BLOCK_BYTES + (<usize>(type - GGML_LEGACY_TYPE_FIRST) << 2));
  }
  return 0;
}

/** ggml's name of a type ("Q4_K"); "" for an unknown or removed id. */
export function ggmlTypeName(type: i32): string {
  if (type >= 0 && type < GGML_TYPE_COUNT) return NAMES[type];
  if (type >= GGML_LEGACY_TYPE_FIRST && type < GGML_LEGACY_TYPE_END) return LEGACY_NAMES[type - GGML_LEGACY_TYPE_FIRST];
  if (beBase(type) >= 0) return NAMES[beBase(type)] + "_BE";
  return "";
}

/** Type id of a name (exact, case-sensitive); -1 if unknown. */
export function ggmlTypeFromName(name: string): i32 {
  if (name.length == 0) return -1;
  for (let i = 0; i < NAMES.length; i++) if (NAMES[i] == name) return i;
  for (let i = 0; i < LEGACY_NAMES.length; i++) if (LEGACY_NAMES[i] == name) return GGML_LEGACY_TYPE_FIRST + i;
  if (name.endsWith("_BE")) {
    const base = ggmlTypeFromName(name.substring(0, name.length - 3));
    if (base >= 0 && base < GGML_TYPE_COUNT) return ggmlBigEndianType(base);
  }
  return -1;
}

/**
 * Bytes of n elements of a type. u64.MAX_VALUE when the type is unknown, n is not a whole
 * number of blocks, or the size would overflow u64.
 */
export function ggmlRowBytes(type: i32, n: u64): u64 {
  const be = <u64>ggmlBlockElements(type);
  const bb = <u64>ggmlBlockBytes(type);
  if (be == 0 || bb == 0 || n % be != 0) return u64.MAX_VALUE;
  const blocks = n / be;
  if (blocks > u64.MAX_VALUE / bb) return u64.MAX_VALUE;
  return blocks * bb;
}

/**
 * Decodes nElements of `type` at src into f32 at dst (4 * nElements bytes; must not overlap
 * src unless type is F32). Returns 0, GGML_ERR_UNKNOWN_TYPE or GGML_ERR_PARTIAL_BLOCK.
 * `simd` selects the SIMD128 kernels; the scalar ones give the same bits.
 */
export function dequantizeGGML(type: i32, src: usize, nElements: usize, dst: usize, simd: bool): i32 {
  const be = <usize>ggmlBlockElements(type);
  if (be == 0) return GGML_ERR_UNKNOWN_TYPE;
  if (nElements % be != 0) return GGML_ERR_PARTIAL_BLOCK;
  const nb = nElements / be;
  const base = beBase(type);
  if (base >= 0) {
    ggmlSwapBlockScales(base, src, nb);
    const rc = dequantizeGGML(base, src, nElements, dst, simd);
    ggmlSwapBlockScales(base, src, nb);
    return rc;
  }
  switch (type) {
    case GGML_TYPE_F32: copyF32(src, nElements, dst, simd); break;
    case GGML_TYPE_F16: f16ToF32(src, nElements, dst, simd); break;
    case GGML_TYPE_BF16: bf16ToF32(src, nElements, dst, simd); break;
    case GGML_TYPE_F64: f64ToF32(src, nElements, dst, simd); break;
    case GGML_TYPE_I8: i8ToF32(src, nElements, dst, simd); break;
    case GGML_TYPE_I16: i16ToF32(src, nElements, dst, simd); break;
    case GGML_TYPE_I32: i32ToF32(src, nElements, dst, simd); break;
    case GGML_TYPE_I64: i64ToF32(src, nElements, dst, simd); break;
    case GGML_TYPE_Q4_0: dequantizeQ4_0(src, nb, dst, simd); break;
    case GGML_TYPE_Q4_1: dequantizeQ4_1(src, nb, dst, simd); break;
    case GGML_TYPE_Q5_0: dequantizeQ5_0(src, nb, dst, simd); break;
    case GGML_TYPE_Q5_1: dequantizeQ5_1(src, nb, dst, simd); break;
    case GGML_TYPE_Q8_0: dequantizeQ8_0(src, nb, dst, simd); break;
    case GGML_TYPE_Q8_1: dequantizeQ8_1(src, nb, dst, simd); break;
    case GGML_TYPE_Q2_K: dequantizeQ2K(src, nb, dst, simd); break;
    case GGML_TYPE_Q3_K: dequantizeQ3K(src, nb, dst, simd); break;
    case GGML_TYPE_Q4_K: dequantizeQ4K(src, nb, dst, simd); break;
    case GGML_TYPE_Q5_K: dequantizeQ5K(src, nb, dst, simd); break;
    case GGML_TYPE_Q6_K: dequantizeQ6K(src, nb, dst, simd); break;
    case GGML_TYPE_Q8_K: dequantizeQ8K(src, nb, dst, simd); break;
    case GGML_TYPE_IQ2_XXS: dequantizeIQ2XXS(src, nb, dst, simd); break;
    case GGML_TYPE_IQ2_XS: dequantizeIQ2XS(src, nb, dst, simd); break;
    case GGML_TYPE_IQ2_S: dequantizeIQ2S(src, nb, dst, simd); break;
    case GGML_TYPE_IQ3_XXS: dequantizeIQ3XXS(src, nb, dst, simd); break;
    case GGML_TYPE_IQ3_S: dequantizeIQ3S(src, nb, dst, simd); break;
    case GGML_TYPE_IQ1_S: dequantizeIQ1S(src, nb, dst, simd); break;
    case GGML_TYPE_IQ1_M: dequantizeIQ1M(src, nb, dst, simd); break;
    case GGML_TYPE_IQ4_NL: dequantizeIQ4NL(src, nb, dst, simd); break;
    case GGML_TYPE_IQ4_XS: dequantizeIQ4XS(src, nb, dst, simd); break;
    case GGML_TYPE_TQ1_0: dequantizeTQ1_0(src, nb, dst, simd); break;
    case GGML_TYPE_TQ2_0: dequantizeTQ2_0(src, nb, dst, simd); break;
    case GGML_TYPE_MXFP4: dequantizeMXFP4(src, nb, dst, simd); break;
    case GGML_TYPE_NVFP4: dequantizeNVFP4(src, nb, dst, simd); break;
    case GGML_TYPE_Q1_0: dequantizeQ1_0(src, nb, dst, simd); break;
    case GGML_TYPE_Q2_0: dequantizeQ2_0(src, nb, dst, simd); break;
    case GGML_TYPE_Q4_0_GGJT1: dequantizeQ4_0GGJT1(src, nb, dst, simd); break;
    case GGML_TYPE_Q4_1_GGJT1: dequantizeQ4_1GGJT1(src, nb, dst, simd); break;
    case GGML_TYPE_Q4_2: dequantizeQ4_2(src, nb, dst, simd); break;
    case GGML_TYPE_Q4_3: dequantizeQ4_3(src, nb, dst, simd); break;
    case GGML_TYPE_Q5_0_GGJT1: dequantizeQ5_0GGJT1(src, nb, dst, simd); break;
    case GGML_TYPE_Q5_1_GGJT1: dequantizeQ5_1GGJT1(src, nb, dst, simd); break;
    case GGML_TYPE_Q8_0_GGJT1: dequantizeQ8_0GGJT1(src, nb, dst, simd); break;
    case GGML_TYPE_Q4_0_GGJT2: dequantizeQ4_0GGJT2(src, nb, dst, simd); break;
    case GGML_TYPE_Q4_1_GGJT2: dequantizeQ4_1GGJT2(src, nb, dst, simd); break;
    default: return GGML_ERR_UNKNOWN_TYPE;
  }
  return 0;
}
