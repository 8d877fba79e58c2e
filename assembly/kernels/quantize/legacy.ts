// F32 -> ggml's 32-element "legacy" blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), bit for bit what
// quantize_row_*_ref in ggml-quants.c writes. Each function takes (src, nb, dst, simd): nb blocks
// of 32 f32 at src, nb blocks written at dst.
//
// The SIMD paths only take a block when their result provably equals the scalar one: no NaN in
// the block (the C max scans are order-dependent there), a finite scale and its finite inverse
// (so every product stays in integer range, where truncation is the same on every engine), and a
// non-zero extreme (so which of +0/-0 was seen first cannot matter). Other blocks go scalar.

import { cvtt, ggmlF16, roundf } from "./scalar-ops";

const QK: usize = 32;
const F32_MAX: f32 = 3.4028234663852886e38;

// @ts-ignore: decorator
@inline function finite(x: f32): bool { return x - x == 0; }

// ---------------------------------------------------------------------------------------------
// Q8_0: {f16 d, i8 qs[32]}, d = amax/127, q = roundf(x/d).

function q8_0Scalar(x: usize, y: usize): void {
  let amax: f32 = 0;
  for (let j: usize = 0; j < QK; j++) {
    const a = Mathf.abs(load<f32>(x + (j << 2)));
    amax = amax > a ? amax : a; // MAX(amax, fabsf(v)): a NaN sticks only if it is last
  }
  const d = amax / <f32>127;
  const id: f32 = d != 0 ? <f32>1 / d : 0;
  store<u16>(y, ggmlF16(d));
  for (let j: usize = 0; j < QK; j++) store<i8>(y + 2 + j, <i8>cvtt(roundf(load<f32>(x + (j << 2)) * id)));
}

// @ts-ignore: decorator
@inline function roundAway(v: v128): v128 {
  const t = f32x4.trunc(v);
  const one = v128.or(v128.and(v, i32x4.splat(0x80000000)), f32x4.splat(1));
  const up = f32x4.ge(f32x4.abs(f32x4.sub(v, t)), f32x4.splat(0.5));
  return f32x4.add(t, v128.and(one, up));
}

function q8_0Simd(x: usize, y: usize): void {
  let m = f32x4.splat(0);
  let nan = i32x4.splat(0);
  for (let j: usize = 0; j < QK; j += 4) {
    const v = v128.load(x + (j << 2));
    nan = v128.or(nan, f32x4.ne(v, v));
    m = f32x4.pmax(m, f32x4.abs(v));
  }
  m = f32x4.pmax(m, v128.shuffle<u32>(m, m, 2, 3, 0, 1));
  const amax = Mathf.max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
  const d = amax / <f32>127;
  const id: f32 = d != 0 ? <f32>1 / d : 0;
  if (v128.any_true(nan) || !finite(amax) || !finite(id)) { q8_0Scalar(x, y); return; }
  store<u16>(y, ggmlF16(d));
  const s = f32x4.splat(id);
  for (let j: usize = 0; j < QK; j += 16) {
    const a = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(x + (j << 2)), s)));
    const b = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(x + (j << 2), 16), s)));
    const c = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(x + (j << 2), 32), s)));
    const e = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(x + (j << 2), 48), s)));
    v128.store(y + 2 + j, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, e)));
  }
}

export function quantizeQ8_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    if (simd) q8_0Simd(src + b * 128, dst + b * 34);
    else q8_0Scalar(src + b * 128, dst + b * 34);
  }
}

// ---------------------------------------------------------------------------------------------
// Q4_0 / Q5_0: d = max/-8 (or /-16) where max is the first element of largest magnitude,
// q = min(15, (int8)(x/d + 8.5)) (31 and 16.5 for Q5_0). Q5_0 keeps the fifth bits in qh.

// @ts-ignore: decorator
@inline function signedMax(x: usize): f32 {
  let amax: f32 = 0, max: f32 = 0;
  for (let j: usize = 0; j < QK; j++) {
    const v = load<f32>(x + (j << 2));
    if (amax < Mathf.abs(v)) { amax = Mathf.abs(v); max = v; }
  }
  return max;
}

// @ts-ignore: decorator
@inline function signedMaxSimd(x: usize): f32 {
  let m = f32x4.splat(0);
  for (let j: usize = 0; j < QK; j += 4) m = f32x4.pmax(m, f32x4.abs(v128.load(x + (j << 2))));
  m = f32x4.pmax(m, v128.shuffle<u32>(m, m, 2, 3, 0, 1));
  const amax = Mathf.max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
  if (amax == 0) return 0;
  // the C scan keeps the first element of that magnitude (NaN never compares greater)
  for (let j: usize = 0; j < QK; j++) {
    const v = load<f32>(x + (j << 2));
    if (Mathf.abs(v) == amax) return v;
  }
  return 0;
}

// @ts-ignore: decorator
@inline function q4q5Block(x: usize, y: usize, simd: bool, five: bool): void {
  const max = simd ? signedMaxSimd(x) : signedMax(x);
  const d = max / (five ? <f32>-16 : <f32>-8);
  const id: f32 = d != 0 ? <f32>1 / d : 0;
  store<u16>(y, ggmlF16(d));
  const qs = y + (five ? 6 : 2);
  const top = five ? 31 : 15;
  const bias: f32 = five ? 16.5 : 8.5;
  if (simd && finite(d) && finite(id)) {
    const s = f32x4.splat(id);
    const o = f32x4.splat(bias);
    // |x/d| <= 8 (16) here, so truncation is in range and (int8) is exact
    const lo0 = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(v128.load(x), s), o));
    const lo1 = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(v128.load(x, 16), s), o));
    const lo2 = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(v128.load(x, 32), s), o));
    const lo3 = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(v128.load(x, 48), s), o));
    const hi0 = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(v128.load(x, 64), s), o));
    const hi1 = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(v128.load(x, 80), s), o));
    const hi2 = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(v128.load(x, 96), s), o));
    const hi3 = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(v128.load(x, 112), s), o));
    const t = i8x16.splat(<i8>top);
    const lo = i8x16.min_u(i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(lo0, lo1), i16x8.narrow_i32x4_u(lo2, lo3)), t);
    const hi = i8x16.min_u(i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(hi0, hi1), i16x8.narrow_i32x4_u(hi2, hi3)), t);
    const n = i8x16.splat(15);
    v128.store(qs, v128.or(v128.and(lo, n), i16x8.shl(v128.and(hi, n), 4)));
    if (five) {
      const bit = i8x16.splat(16);
      const qh = <u32>i8x16.bitmask(i8x16.eq(v128.and(lo, bit), bit)) | (<u32>i8x16.bitmask(i8x16.eq(v128.and(hi, bit), bit)) << 16);
      store<u32>(y + 2, qh);
    }
    return;
  }
  let qh: u32 = 0;
  for (let j: usize = 0; j < 16; j++) {
    let a = <i32><i8>cvtt(load<f32>(x + (j << 2)) * id + bias);
    let b = <i32><i8>cvtt(load<f32>(x + ((j + 16) << 2)) * id + bias);
    const xi0 = <u32><u8>(a < top ? a : top);
    const xi1 = <u32><u8>(b < top ? b : top);
    store<u8>(qs + j, <u8>((xi0 & 15) | ((xi1 & 15) << 4)));
    qh |= ((xi0 & 0x10) >> 4) << <u32>j;
    qh |= ((xi1 & 0x10) >> 4) << <u32>(j + 16);
  }
  if (five) store<u32>(y + 2, qh);
}

export function quantizeQ4_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) q4q5Block(src + b * 128, dst + b * 18, simd, false);
}
export function quantizeQ5_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) q4q5Block(src + b * 128, dst + b * 22, simd, true);
}

// ---------------------------------------------------------------------------------------------
// Q4_1 / Q5_1: {f16 d, f16 m, [u32 qh], qs[16]}, d = (max - min)/15 (31), q = (x - min)/d + 0.5.
// Q4_1 clamps with MIN(15, (int8)...), Q5_1 converts straight to uint8 (no clamp), as in C.

// @ts-ignore: decorator
@inline function q4q5MinBlock(x: usize, y: usize, five: bool): void {
  let min: f32 = F32_MAX, max: f32 = -F32_MAX;
  for (let j: usize = 0; j < QK; j++) {
    const v = load<f32>(x + (j << 2));
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const d = (max - min) / (five ? <f32>31 : <f32>15);
  const id: f32 = d != 0 ? <f32>1 / d : 0;
  store<u16>(y, ggmlF16(d));
  store<u16>(y + 2, ggmlF16(min));
  const qs = y + (five ? 8 : 4);
  let qh: u32 = 0;
  for (let j: usize = 0; j < 16; j++) {
    const f0 = (load<f32>(x + (j << 2)) - min) * id + <f32>0.5;
    const f1 = (load<f32>(x + ((j + 16) << 2)) - min) * id + <f32>0.5;
    let xi0: u32, xi1: u32;
    if (five) {
      xi0 = <u32><u8>cvtt(f0);
      xi1 = <u32><u8>cvtt(f1);
    } else {
      const a = <i32><i8>cvtt(f0), b = <i32><i8>cvtt(f1);
      xi0 = <u32><u8>(a < 15 ? a : 15);
      xi1 = <u32><u8>(b < 15 ? b : 15);
    }
    store<u8>(qs + j, <u8>((xi0 & 15) | ((xi1 & 15) << 4)));
    qh |= ((xi0 & 0x10) >> 4) << <u32>j;
    qh |= ((xi1 & 0x10) >> 4) << <u32>(j + 16);
  }
  if (five) store<u32>(y + 4, qh);
}

export function quantizeQ4_1(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) q4q5MinBlock(src + b * 128, dst + b * 20, false);
}
export function quantizeQ5_1(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) q4q5MinBlock(src + b * 128, dst + b * 24, true);
}


