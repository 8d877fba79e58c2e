// Test entry: exposes the numeric kernels with plain i32 signatures, plus an allocator, so
// tests can drive them from JS through raw pointers.

export {
  f16ToF32, bf16ToF32, f8e4m3ToF32, f8e5m2ToF32, f8e4m3fnuzToF32, f8e5m2fnuzToF32, e8m0ToF32,
  f32ToF16, f32ToBF16, f64ToF32, byteswap, byteswapPath,
} from "../../assembly/kernels/float";
export {
  ggmlBlockElements, ggmlBlockBytes, ggmlRowBytes, dequantizeGGML,
} from "../../assembly/kernels/ggml-types";
import { ggmlTypeName, ggmlTypeFromName } from "../../assembly/kernels/ggml-types";
export { gridIQ2XXS, gridIQ2XS, gridIQ2S, gridIQ3XXS, gridIQ3S, gridIQ1S } from "../../assembly/kernels/ggml/iq-grids";

export function alloc(size: usize): usize {
  return heap.alloc(size);
}
export function free(ptr: usize): void {
  heap.free(ptr);
}
/** In-wasm memcpy, the baseline the dequantization benchmark compares against. */
export function copyBytes(dst: usize, src: usize, n: usize): void {
  memory.copy(dst, src, n);
}

// Strings cross the boundary as (ptr, len) of ASCII bytes in a scratch buffer.
const NAME_BUF = memory.data(64);
/** Writes the type name into nameBuffer() and returns its length. */
export function typeName(type: i32): i32 {
  const s = ggmlTypeName(type);
  for (let i = 0; i < s.length; i++) store<u8>(NAME_BUF + i, <u8>s.charCodeAt(i));
  return s.length;
}
export function nameBuffer(): usize {
  return NAME_BUF;
}
/** Type id of the ASCII name of length len at nameBuffer(). */
export function typeFromName(len: i32): i32 {
  return ggmlTypeFromName(String.UTF8.decodeUnsafe(NAME_BUF, len));
}
export { quantizeGGML } from "../../assembly/kernels/quantize/index";
