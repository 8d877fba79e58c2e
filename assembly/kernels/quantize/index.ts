// The one F32 -> GGML quantization entry point: quantizeGGML(type, src, n, dst, simd) writes
// ggmlRowBytes(type, n) bytes at dst from n f32 at src, bit for bit what ggml's reference row
// quantizers (quantize_row_*_ref) write. `simd` selects SIMD128 paths where a type has one; the
// scalar paths give the same bytes.

import {
  GGML_TYPE_BF16, GGML_TYPE_F16, GGML_TYPE_F32, GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS, GGML_TYPE_MXFP4,
  GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q4_K, GGML_TYPE_Q5_0,
  GGML_TYPE_Q5_1, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K, GGML_TYPE_Q8_0, GGML_TYPE_TQ1_0, GGML_TYPE_TQ2_0,
  ggmlBlockElements,
} from "../ggml-types";
import { f32ToBF16 } from "../float";
import { quantizeQ4_0, quantizeQ4_1, quantizeQ5_0, quantizeQ5_1, quantizeQ8_0 } from "./legacy";
import { quantizeQ2K, quantizeQ3K, quantizeQ4K, quantizeQ5K, quantizeQ6K } from "./k-quants";
import { quantizeIQ4NL, quantizeIQ4XS, quantizeMXFP4, quantizeTQ1_0, quantizeTQ2_0 } from "./low-bit";
import { quantizeF16 } from "./plain";

export const QUANT_ERR_UNSUPPORTED = -1;
export const QUANT_ERR_PARTIAL_BLOCK = -2;

/** Whether quantizeGGML can write this type. */
export function canQuantize(type: i32): bool {
  switch (type) {
    case GGML_TYPE_F32: case GGML_TYPE_F16: case GGML_TYPE_BF16:
    case GGML_TYPE_Q4_0: case GGML_TYPE_Q4_1: case GGML_TYPE_Q5_0: case GGML_TYPE_Q5_1: case GGML_TYPE_Q8_0:
    case GGML_TYPE_Q2_K: case GGML_TYPE_Q3_K: case GGML_TYPE_Q4_K: case GGML_TYPE_Q5_K: case GGML_TYPE_Q6_K:
    case GGML_TYPE_IQ4_NL: case GGML_TYPE_IQ4_XS: case GGML_TYPE_TQ1_0: case GGML_TYPE_TQ2_0: case GGML_TYPE_MXFP4:
      return true;
  }
  return false;
}

/** Returns 0, QUANT_ERR_UNSUPPORTED or QUANT_ERR_PARTIAL_BLOCK (n not a whole number of blocks). */
export function quantizeGGML(type: i32, src: usize, n: usize, dst: usize, simd: bool): i32 {
  if (!canQuantize(type)) return QUANT_ERR_UNSUPPORTED;
  const be = <usize>ggmlBlockElements(type);
  if (n % be != 0) return QUANT_ERR_PARTIAL_BLOCK;
  const nb = n / be;
  switch (type) {
    case GGML_TYPE_F32: memory.copy(dst, src, n << 2); break;
    case GGML_TYPE_F16: quantizeF16(src, n, dst, simd); break;
    case GGML_TYPE_BF16: f32ToBF16(src, n, dst, simd); break;
    case GGML_TYPE_Q4_0: quantizeQ4_0(src, nb, dst, simd); break;
    case GGML_TYPE_Q4_1: quantizeQ4_1(src, nb, dst, simd); break;
    case GGML_TYPE_Q5_0: quantizeQ5_0(src, nb, dst, simd); break;
    case GGML_TYPE_Q5_1: quantizeQ5_1(src, nb, dst, simd); break;
    case GGML_TYPE_Q8_0: quantizeQ8_0(src, nb, dst, simd); break;
    case GGML_TYPE_Q2_K: quantizeQ2K(src, nb, dst); break;
    case GGML_TYPE_Q3_K: quantizeQ3K(src, nb, dst); break;
    case GGML_TYPE_Q4_K: quantizeQ4K(src, nb, dst); break;
    case GGML_TYPE_Q5_K: quantizeQ5K(src, nb, dst); break;
    case GGML_TYPE_Q6_K: quantizeQ6K(src, nb, dst); break;
    case GGML_TYPE_IQ4_NL: quantizeIQ4NL(src, nb, dst); break;
    case GGML_TYPE_IQ4_XS: quantizeIQ4XS(src, nb, dst); break;
    case GGML_TYPE_TQ1_0: quantizeTQ1_0(src, nb, dst); break;
    case GGML_TYPE_TQ2_0: quantizeTQ2_0(src, nb, dst); break;
    case GGML_TYPE_MXFP4: quantizeMXFP4(src, nb, dst); break;
  }
  return 0;
}
