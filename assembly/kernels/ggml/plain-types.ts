// ggml's unquantized element types to f32: F32 (copy), F16, BF16, F64 (rounded, see float.ts)
// and the integer types I8, I16, I32, I64 (converted like numpy's astype(float32): exact
// for small magnitudes, round to nearest even beyond 2^24).

export { f16ToF32, bf16ToF32, f64ToF32 } from "../float";

export function copyF32(src: usize, n: usize, dst: usize, simd: bool): void {
  if (src != dst) memory.copy(dst, src, n << 2);
}

export function i8ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  let i: usize = 0;
  if (simd) {
    for (; i + 16 <= n; i += 16) {
      const v = v128.load(src + i);
      const lo = i16x8.extend_low_i8x16_s(v), hi = i16x8.extend_high_i8x16_s(v);
      const o = dst + (i << 2);
      v128.store(o, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)));
      v128.store(o, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), 16);
      v128.store(o, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), 32);
      v128.store(o, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), 48);
    }
  }
  for (; i < n; i++) store<f32>(dst + (i << 2), <f32>load<i8>(src + i));
}

export function i16ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  let i: usize = 0;
  if (simd) {
    for (; i + 8 <= n; i += 8) {
      const v = v128.load(src + (i << 1));
      v128.store(dst + (i << 2), f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(v)));
      v128.store(dst + (i << 2), f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(v)), 16);
    }
  }
  for (; i < n; i++) store<f32>(dst + (i << 2), <f32>load<i16>(src + (i << 1)));
}

export function i32ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  let i: usize = 0;
  if (simd) {
    for (; i + 4 <= n; i += 4) {
      v128.store(dst + (i << 2), f32x4.convert_i32x4_s(v128.load(src + (i << 2))));
    }
  }
  for (; i < n; i++) store<f32>(dst + (i << 2), <f32>load<i32>(src + (i << 2)));
}

// SIMD128 has no i64 -> f32 conversion; this one is scalar on both paths.
export function i64ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>load<i64>(src + (i << 3)));
}
