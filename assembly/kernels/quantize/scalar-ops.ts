// The scalar operations ggml's reference quantizers are built from, reproduced exactly: its
// `nearest_int` (the 1.5*2^23 trick, not a rounding mode), C's `roundf`/`lroundf` (half away from
// zero), the x86 float -> integer conversion a C compiler emits for `(int8_t)f` (out of range or
// NaN gives INT_MIN, whose low byte is 0), and ggml's f32 -> f16 (NaN becomes 0x7e00 with its sign).
// All arithmetic stays in f32, in the order of the C source, and never fused.

import { f16BitsToF32Bits, f32BitsToF16Bits } from "../float";

// @ts-ignore: decorator
@inline export function nearestInt(x: f32): i32 {
  const v = x + <f32>12582912.0;
  return (reinterpret<i32>(v) & 0x007fffff) - 0x00400000;
}

/** C's roundf: halfway cases away from zero. */
// @ts-ignore: decorator
@inline export function roundf(x: f32): f32 {
  const t = Mathf.trunc(x);
  return Mathf.abs(x - t) >= <f32>0.5 ? (x < 0 ? t - 1 : t + 1) : t;
}

/** cvttss2si: truncation toward zero; NaN and values outside i32 give INT_MIN. */
// @ts-ignore: decorator
@inline export function cvtt(x: f32): i32 {
  return x >= <f32>-2147483648.0 && x < <f32>2147483648.0 ? <i32>x : i32.MIN_VALUE;
}

/** ggml_compute_fp32_to_fp16: round to nearest even, overflow to inf, every NaN to 0x7e00. */
// @ts-ignore: decorator
@inline export function ggmlF16(x: f32): u16 {
  const b = reinterpret<u32>(x);
  if ((b & 0x7fffffff) > 0x7f800000) return <u16>(((b >> 16) & 0x8000) | 0x7e00);
  return <u16>f32BitsToF16Bits(b);
}

/** The f32 an f16 written by ggmlF16 reads back as (GGML_FP16_TO_FP32 of it). */
// @ts-ignore: decorator
@inline export function f16RoundTrip(x: f32): f32 {
  return reinterpret<f32>(f16BitsToF32Bits(<u32>ggmlF16(x)));
}
