// Affine dequantization of stored integers (TFLite): value = (q - zero[c]) * scale[c], computed
// in f64 from the integer itself and rounded once to f32 — what TFLite's Dequantize kernel does
// (float(double(scale) * (q - zero_point))). c is the channel of element e:
// (e / inner) % scales.length, so one scale per tensor (length 1) or per slice of an axis.

import { DT_I16, DT_I32, DT_I4, DT_I64, DT_I8, DT_U16, DT_U32, DT_U4, DT_U8 } from "../core/dtype";

export function dequantSupported(dt: i32): bool {
  return dt == DT_I8 || dt == DT_U8 || dt == DT_I16 || dt == DT_U16 || dt == DT_I32 || dt == DT_U32 || dt == DT_I64 || dt == DT_I4 || dt == DT_U4;
}

// The integer at element i of a window starting at element `first` (sub-byte types: two to a
// byte, low nibble first; a window always starts on a byte boundary).
@inline function stored(dt: i32, src: usize, i: usize): f64 {
  switch (dt) {
    case DT_I8: return <f64>load<i8>(src + i);
    case DT_U8: return <f64>load<u8>(src + i);
    case DT_I16: return <f64>load<i16>(src + (i << 1));
    case DT_U16: return <f64>load<u16>(src + (i << 1));
    case DT_I32: return <f64>load<i32>(src + (i << 2));
    case DT_U32: return <f64>load<u32>(src + (i << 2));
    case DT_I64: return <f64>load<i64>(src + (i << 3));
    case DT_I4: { const b = <i32>load<u8>(src + (i >> 1)); const v = (i & 1) ? b >> 4 : b & 15; return <f64>(v >= 8 ? v - 16 : v); }
    case DT_U4: { const b = <i32>load<u8>(src + (i >> 1)); return <f64>((i & 1) ? b >> 4 : b & 15); }
  }
  return 0;
}

// n elements at src (the tensor's elements first..first+n) -> f32 at dst.
export function dequantizeToF32(dt: i32, src: usize, n: usize, dst: usize, first: u64, scales: f64[], zeros: f64[], inner: u64): void {
  const channels = <u64>scales.length;
  const step = inner == 0 ? 1 : inner;
  if (channels == 1) {
    const s = scales[0], z = zeros[0];
    for (let i: usize = 0; i < n; i++) store<f32>(dst + (i << 2), <f32>((stored(dt, src, i) - z) * s));
    return;
  }
  let c = <i32>((first / step) % channels);
  let left = step - first % step; // elements before the channel changes
  for (let i: usize = 0; i < n; i++) {
    store<f32>(dst + (i << 2), <f32>((stored(dt, src, i) - unchecked(zeros[c])) * unchecked(scales[c])));
    if (--left == 0) { left = step; c++; if (<u64>c == channels) c = 0; }
  }
}
