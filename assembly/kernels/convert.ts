// The single place that maps (stored type, wanted type) to a kernel. Read jobs call it on
// windows of bytes; formats never convert values themselves.

import {
  DT_BF16, DT_BOOL, DT_F16, DT_F32, DT_F64, DT_F8_E4M3, DT_F8_E4M3FNUZ, DT_F8_E5M2, DT_F8_E5M2FNUZ, DT_F8_E8M0,
  DT_I16, DT_I32, DT_I64, DT_I8, DT_U16, DT_U32, DT_U64, DT_U8, DT_GGML_BASE, dtypeBits,
} from "../core/dtype";
import { bf16ToF32, byteswap, e8m0ToF32, f16ToF32, f32ToBF16, f32ToF16, f64ToF32, f8e4m3fnuzToF32, f8e4m3ToF32, f8e5m2fnuzToF32, f8e5m2ToF32 } from "./float";
import { dequantizeGGML } from "./ggml-types";

export const SIMD: bool = true;

// Can `from` be turned into `to`? (to is F32, F16, BF16 or the stored type itself.)
export function canConvert(from: i32, to: i32): bool {
  if (from == to) return true;
  if (to != DT_F32 && to != DT_F16 && to != DT_BF16) return false;
  return toF32Supported(from);
}

export function toF32Supported(from: i32): bool {
  if (from >= DT_GGML_BASE) return true;
  return from == DT_F32 || from == DT_F16 || from == DT_BF16 || from == DT_F64 || from == DT_F8_E4M3 ||
    from == DT_F8_E5M2 || from == DT_F8_E4M3FNUZ || from == DT_F8_E5M2FNUZ || from == DT_F8_E8M0 ||
    from == DT_I8 || from == DT_I16 || from == DT_I32 || from == DT_I64 || from == DT_U8 || from == DT_U16 ||
    from == DT_U32 || from == DT_U64 || from == DT_BOOL;
}

// Bytes per element of an output type (whole-byte element types only).
export function outElementBytes(dt: i32): i32 { return dtypeBits(dt) / 8; }

// n elements of `from` at src (little-endian; swap first when stored big-endian) -> f32 at dst.
// Returns 0 or a negative error.
export function convertToF32(from: i32, src: usize, n: usize, dst: usize): i32 {
  if (from >= DT_GGML_BASE) return dequantizeGGML(from - DT_GGML_BASE, src, n, dst, SIMD);
  switch (from) {
    case DT_F32: memory.copy(dst, src, n * 4); return 0;
    case DT_F16: f16ToF32(src, n, dst, SIMD); return 0;
    case DT_BF16: bf16ToF32(src, n, dst, SIMD); return 0;
    case DT_F64: f64ToF32(src, n, dst, SIMD); return 0;
    case DT_F8_E4M3: f8e4m3ToF32(src, n, dst, SIMD); return 0;
    case DT_F8_E5M2: f8e5m2ToF32(src, n, dst, SIMD); return 0;
    case DT_F8_E4M3FNUZ: f8e4m3fnuzToF32(src, n, dst, SIMD); return 0;
    case DT_F8_E5M2FNUZ: f8e5m2fnuzToF32(src, n, dst, SIMD); return 0;
    case DT_F8_E8M0: e8m0ToF32(src, n, dst, SIMD); return 0;
    case DT_I8: for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>load<i8>(src + i)); return 0;
    case DT_U8: for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>load<u8>(src + i)); return 0;
    case DT_BOOL: for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), load<u8>(src + i) != 0 ? 1.0 : 0.0); return 0;
    case DT_I16: for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>load<i16>(src + (i << 1))); return 0;
    case DT_U16: for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>load<u16>(src + (i << 1))); return 0;
    case DT_I32: for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>load<i32>(src + (i << 2))); return 0;
    case DT_U32: for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>load<u32>(src + (i << 2))); return 0;
    case DT_I64: for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>load<i64>(src + (i << 3))); return 0;
    case DT_U64: for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>load<u64>(src + (i << 3))); return 0;
  }
  return -1;
}

// f32 at src -> `to` (F32, F16 or BF16) at dst, in place allowed.
export function convertFromF32(to: i32, src: usize, n: usize, dst: usize): i32 {
  if (to == DT_F32) { if (src != dst) memory.copy(dst, src, n * 4); return 0; }
  if (to == DT_F16) { f32ToF16(src, n, dst, SIMD); return 0; }
  if (to == DT_BF16) { f32ToBF16(src, n, dst, SIMD); return 0; }
  return -1;
}

// Reverses the byte order of `units` values of `unitBytes` each (complex: per component).
export function swapInPlace(ptr: usize, units: usize, unitBytes: i32): i32 {
  if (unitBytes <= 1) return 0;
  return byteswap(ptr, units, unitBytes, ptr);
}

// The byte-order unit of a stored type: its size, or a component's size for complex types.
export function swapUnit(dt: i32): i32 {
  if (dt == 14) return 4; // C64
  if (dt == 15) return 8; // C128
  if (dt == 30) return 2; // C32
  return dtypeBits(dt) / 8;
}
