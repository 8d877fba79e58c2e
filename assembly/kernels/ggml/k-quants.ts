// K-quants: 256-element super-blocks with 6-bit (or 4-bit) sub-block scales
// (ggml-quants.c dequantize_row_q{2,3,4,5,6,8}_K). Scales are decoded in scalar code; the
// 16- and 32-element runs under one scale are SIMD. Float operation order follows ggml:
// `dl = d*sc` first, then `dl*q - ml` (Q2_K, Q4_K, Q5_K) or `dl*q` (Q3_K, Q6_K).

import { loadF16 } from "../float";
import { storeMul16, storeMulSub16 } from "./simd";

// @ts-ignore: decorator
@inline function storeScalarMulSub(q: i32, dl: f32, ml: f32, p: usize): void {
  store<f32>(p, dl * <f32>q - ml);
}

/** Q2_K, 84 B: scales[16] (lo = scale, hi = min), qs[64], f16 d, f16 dmin. */
export function dequantizeQ2K(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 84;
    let y = dst + (b << 10);
    const d = loadF16(x + 80);
    const dmin = loadF16(x + 82);
    let is = 0;
    for (let h = 0; h < 2; h++) {
      const q = x + 16 + 32 * h;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const sc = <u32>load<u8>(x + is++);
          const dl = d * <f32>(sc & 0xf);
          const ml = dmin * <f32>(sc >> 4);
          const qp = q + 16 * part;
          if (simd) {
            const v = v128.and(i8x16.shr_u(v128.load(qp), shift), i8x16.splat(3));
            storeMulSub16(v, f32x4.splat(dl), f32x4.splat(ml), y);
          } else {
            for (let l = 0; l < 16; l++) {
              storeScalarMulSub((<i32>load<u8>(qp + l) >> shift) & 3, dl, ml, y + (<usize>l << 2));
            }
          }
          y += 64;
        }
      }
    }
  }
}

/** Q3_K, 110 B: hmask[32], qs[64], scales[12] (16 signed 6-bit), f16 d. */
export function dequantizeQ3K(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 110;
    let y = dst + (b << 10);
    const d = loadF16(x + 108);
    const s = x + 96;
    let is = 0;
    let m: u32 = 1; // hmask bit, runs 0..7 across the whole block
    for (let h = 0; h < 2; h++) {
      const q = x + 32 + 32 * h;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const i = is++;
          const low4 = i < 8 ? <i32>load<u8>(s + i) & 0xf : <i32>load<u8>(s + i - 8) >> 4;
          const hi2 = (<i32>load<u8>(s + 8 + (i & 3)) >> (2 * (i >> 2))) & 3;
          const dl = d * <f32>((low4 | (hi2 << 4)) - 32);
          const qp = q + 16 * part;
          const hp = x + 16 * part;
          if (simd) {
            const lo2 = v128.and(i8x16.shr_u(v128.load(qp), shift), i8x16.splat(3));
            const noHigh = i8x16.eq(v128.and(v128.load(hp), i8x16.splat(<i8>m)), i8x16.splat(0));
            storeMul16(i8x16.sub(lo2, v128.and(noHigh, i8x16.splat(4))), f32x4.splat(dl), y);
          } else {
            for (let l = 0; l < 16; l++) {
              const lo = (<i32>load<u8>(qp + l) >> shift) & 3;
              const sub = (<u32>load<u8>(hp + l) & m) != 0 ? 0 : 4;
              store<f32>(y + (<usize>l << 2), dl * <f32>(lo - sub));
            }
          }
          y += 64;
        }
        m <<= 1;
      }
    }
  }
}

// 6-bit scale j and min j of Q4_K/Q5_K from the 12 packed bytes at p (get_scale_min_k4).
// @ts-ignore: decorator
@inline function scaleK4(p: usize, j: i32): i32 {
  if (j < 4) return <i32>load<u8>(p + j) & 63;
  return (<i32>load<u8>(p + j + 4) & 0xf) | ((<i32>load<u8>(p + j - 4) >> 6) << 4);
}
// @ts-ignore: decorator
@inline function minK4(p: usize, j: i32): i32 {
  if (j < 4) return <i32>load<u8>(p + j + 4) & 63;
  return (<i32>load<u8>(p + j + 4) >> 4) | ((<i32>load<u8>(p + j) >> 6) << 4);
}

/** Q4_K, 144 B: f16 d, f16 dmin, scales[12], qs[128]. */
export function dequantizeQ4K(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 144;
    const d = loadF16(x);
    const dmin = loadF16(x + 2);
    for (let c = 0; c < 4; c++) {
      const q = x + 16 + 32 * c;
      const y = dst + (b << 10) + (<usize>c << 8);
      const d1 = d * <f32>scaleK4(x + 4, 2 * c);
      const m1 = dmin * <f32>minK4(x + 4, 2 * c);
      const d2 = d * <f32>scaleK4(x + 4, 2 * c + 1);
      const m2 = dmin * <f32>minK4(x + 4, 2 * c + 1);
      if (simd) {
        const d1v = f32x4.splat(d1), m1v = f32x4.splat(m1);
        const d2v = f32x4.splat(d2), m2v = f32x4.splat(m2);
        const v0 = v128.load(q), v1 = v128.load(q, 16);
        const mask = i8x16.splat(0xf);
        storeMulSub16(v128.and(v0, mask), d1v, m1v, y);
        storeMulSub16(v128.and(v1, mask), d1v, m1v, y + 64);
        storeMulSub16(i8x16.shr_u(v0, 4), d2v, m2v, y + 128);
        storeMulSub16(i8x16.shr_u(v1, 4), d2v, m2v, y + 192);
      } else {
        for (let l = 0; l < 32; l++) {
          const byte = <i32>load<u8>(q + l);
          storeScalarMulSub(byte & 0xf, d1, m1, y + (<usize>l << 2));
          storeScalarMulSub(byte >> 4, d2, m2, y + 128 + (<usize>l << 2));
        }
      }
    }
  }
}

/** Q5_K, 176 B: f16 d, f16 dmin, scales[12], qh[32], qs[128]. */
export function dequantizeQ5K(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 176;
    const d = loadF16(x);
    const dmin = loadF16(x + 2);
    const qh = x + 16;
    for (let c = 0; c < 4; c++) {
      const q = x + 48 + 32 * c;
      const y = dst + (b << 10) + (<usize>c << 8);
      const d1 = d * <f32>scaleK4(x + 4, 2 * c);
      const m1 = dmin * <f32>minK4(x + 4, 2 * c);
      const d2 = d * <f32>scaleK4(x + 4, 2 * c + 1);
      const m2 = dmin * <f32>minK4(x + 4, 2 * c + 1);
      const u1 = 1 << (2 * c), u2 = 2 << (2 * c);
      if (simd) {
        const d1v = f32x4.splat(d1), m1v = f32x4.splat(m1);
        const d2v = f32x4.splat(d2), m2v = f32x4.splat(m2);
        const zero = i8x16.splat(0), sixteen = i8x16.splat(16), mask = i8x16.splat(0xf);
        const u1v = i8x16.splat(<i8>u1), u2v = i8x16.splat(<i8>u2);
        for (let half = 0; half < 2; half++) {
          const v = v128.load(q + 16 * half);
          const h = v128.load(qh + 16 * half);
          const h1 = v128.and(i8x16.ne(v128.and(h, u1v), zero), sixteen);
          const h2 = v128.and(i8x16.ne(v128.and(h, u2v), zero), sixteen);
          storeMulSub16(v128.or(v128.and(v, mask), h1), d1v, m1v, y + 64 * half);
          storeMulSub16(v128.or(i8x16.shr_u(v, 4), h2), d2v, m2v, y + 128 + 64 * half);
        }
      } else {
        for (let l = 0; l < 32; l++) {
          const byte = <i32>load<u8>(q + l);
          const hb = <i32>load<u8>(qh + l);
          storeScalarMulSub((byte & 0xf) + ((hb & u1) != 0 ? 16 : 0), d1, m1, y + (<usize>l << 2));
          storeScalarMulSub((byte >> 4) + ((hb & u2) != 0 ? 16 : 0), d2, m2, y + 128 + (<usize>l << 2));
        }
      }
    }
  }
}

/** Q6_K, 210 B: ql[128], qh[64], int8 scales[16], f16 d. `(d*sc)*q`, q = 6 bits - 32. */
export function dequantizeQ6K(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 210;
    const d = loadF16(x + 208);
    for (let h = 0; h < 2; h++) {
      const ql = x + 64 * h;
      const qh = x + 128 + 32 * h;
      const sc = x + 192 + 8 * h;
      const y = dst + (b << 10) + (<usize>h << 9);
      if (simd) {
        const mask = i8x16.splat(0xf), three = i8x16.splat(3), off = i8x16.splat(32);
        for (let half = 0; half < 2; half++) {
          const o = 16 * half;
          const a = v128.load(ql + o), c = v128.load(ql + 32 + o), hb = v128.load(qh + o);
          const q1 = v128.or(v128.and(a, mask), i8x16.shl(v128.and(hb, three), 4));
          const q2 = v128.or(v128.and(c, mask), i8x16.shl(v128.and(i8x16.shr_u(hb, 2), three), 4));
          const q3 = v128.or(i8x16.shr_u(a, 4), i8x16.shl(v128.and(i8x16.shr_u(hb, 4), three), 4));
          const q4 = v128.or(i8x16.shr_u(c, 4), i8x16.shl(i8x16.shr_u(hb, 6), 4));
          const yo = y + (<usize>o << 2);
          storeMul16(i8x16.sub(q1, off), f32x4.splat(d * <f32>load<i8>(sc + half)), yo);
          storeMul16(i8x16.sub(q2, off), f32x4.splat(d * <f32>load<i8>(sc + half + 2)), yo + 128);
          storeMul16(i8x16.sub(q3, off), f32x4.splat(d * <f32>load<i8>(sc + half + 4)), yo + 256);
          storeMul16(i8x16.sub(q4, off), f32x4.splat(d * <f32>load<i8>(sc + half + 6)), yo + 384);
        }
      } else {
        for (let l = 0; l < 32; l++) {
          const is = l >> 4;
          const a = <i32>load<u8>(ql + l), c = <i32>load<u8>(ql + 32 + l), hb = <i32>load<u8>(qh + l);
          const q1 = ((a & 0xf) | ((hb & 3) << 4)) - 32;
          const q2 = ((c & 0xf) | (((hb >> 2) & 3) << 4)) - 32;
          const q3 = ((a >> 4) | (((hb >> 4) & 3) << 4)) - 32;
          const q4 = ((c >> 4) | (((hb >> 6) & 3) << 4)) - 32;
          const yo = y + (<usize>l << 2);
          store<f32>(yo, d * <f32>load<i8>(sc + is) * <f32>q1);
          store<f32>(yo + 128, d * <f32>load<i8>(sc + is + 2) * <f32>q2);
          store<f32>(yo + 256, d * <f32>load<i8>(sc + is + 4) * <f32>q3);
          store<f32>(yo + 384, d * <f32>load<i8>(sc + is + 6) * <f32>q4);
        }
      }
    }
  }
}

/** Q8_K, 292 B: f32 d, int8 qs[256], int16 bsums[16] (not needed to decode). `d*q`. */
export function dequantizeQ8K(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 292;
    const y = dst + (b << 10);
    const d = load<f32>(x);
    if (simd) {
      const dv = f32x4.splat(d);
      for (let k: usize = 0; k < 256; k += 16) storeMul16(v128.load(x + 4 + k), dv, y + (k << 2));
    } else {
      for (let k: usize = 0; k < 256; k++) store<f32>(y + (k << 2), d * <f32>load<i8>(x + 4 + k));
    }
  }
}
