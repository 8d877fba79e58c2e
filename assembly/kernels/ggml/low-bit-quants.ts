// 1- and 2-bit and ternary quants (TQ1_0, TQ2_0, Q1_0, Q2_0) and the FP4 micro-scaling quants
// (MXFP4, NVFP4). Values are exact small multiples of the scale: one multiply per output.

import { loadF16 } from "../float";
import { storeMul16 } from "./simd";

/** TQ1_0, 54 B: qs[48] (5 trits per byte), qh[4] (4 trits per byte), f16 d. `(t - 1)*d`. */
export function dequantizeTQ1_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 54;
    const d = loadF16(x + 52);
    let y = dst + (b << 10);
    if (simd) {
      const dv = f32x4.splat(d);
      const one = i8x16.splat(1);
      // qs[0..32) with powers 1, 3, 9, 27, 81, then qs[32..48) with the same powers
      for (let p: i16 = 1, n = 0; n < 5; n++, p *= 3) {
        for (let half = 0; half < 2; half++) {
          storeMul16(i8x16.sub(trits16(v128.load(x + 16 * half), p), one), dv, y);
          y += 64;
        }
      }
      for (let p: i16 = 1, n = 0; n < 5; n++, p *= 3) {
        storeMul16(i8x16.sub(trits16(v128.load(x + 32), p), one), dv, y);
        y += 64;
      }
      // qh: 4 bytes, powers 1, 3, 9, 27 -> 16 outputs in one vector (byte j of power n at 4n+j)
      const h = v128.load32_zero(x + 48);
      const spread = i8x16.shuffle(h, h, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3);
      const lo = i16x8.mul(i16x8.extend_low_i8x16_u(spread), i16x8(1, 1, 1, 1, 3, 3, 3, 3));
      const hi = i16x8.mul(i16x8.extend_high_i8x16_u(spread), i16x8(9, 9, 9, 9, 27, 27, 27, 27));
      storeMul16(i8x16.sub(tritsFromProducts(lo, hi), one), dv, y);
    } else {
      for (let p: u32 = 1, n = 0; n < 5; n++, p *= 3) {
        for (let m: usize = 0; m < 32; m++) { store<f32>(y, tritScalar(load<u8>(x + m), p) * d); y += 4; }
      }
      for (let p: u32 = 1, n = 0; n < 5; n++, p *= 3) {
        for (let m: usize = 0; m < 16; m++) { store<f32>(y, tritScalar(load<u8>(x + 32 + m), p) * d); y += 4; }
      }
      for (let p: u32 = 1, n = 0; n < 4; n++, p *= 3) {
        for (let m: usize = 0; m < 4; m++) { store<f32>(y, tritScalar(load<u8>(x + 48 + m), p) * d); y += 4; }
      }
    }
  }
}

// Trit at power p of byte b: q = (b*p) mod 256, t = (q*3) >> 8, value t - 1.
// @ts-ignore: decorator
@inline function tritScalar(b: u32, p: u32): f32 {
  return <f32>(<i32>((((b * p) & 255) * 3) >> 8) - 1);
}

// Products b*p in two i16x8 (wrapping mod 256 is applied here) -> trits 0..2 as 16 bytes.
// @ts-ignore: decorator
@inline function tritsFromProducts(lo: v128, hi: v128): v128 {
  const mask = i16x8.splat(255);
  const tl = i16x8.shr_u(i16x8.mul(v128.and(lo, mask), i16x8.splat(3)), 8);
  const th = i16x8.shr_u(i16x8.mul(v128.and(hi, mask), i16x8.splat(3)), 8);
  return i8x16.narrow_i16x8_u(tl, th);
}

// @ts-ignore: decorator
@inline function trits16(v: v128, p: i16): v128 {
  const pv = i16x8.splat(p);
  return tritsFromProducts(i16x8.mul(i16x8.extend_low_i8x16_u(v), pv), i16x8.mul(i16x8.extend_high_i8x16_u(v), pv));
}

/** TQ2_0, 66 B: qs[64] (4 x 2 bits per byte), f16 d. `(q - 1)*d`. */
export function dequantizeTQ2_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 66;
    const d = loadF16(x + 64);
    let y = dst + (b << 10);
    for (let j: usize = 0; j < 64; j += 32) {
      for (let l: u32 = 0; l < 4; l++) {
        if (simd) {
          const dv = f32x4.splat(d);
          for (let half: usize = 0; half < 32; half += 16) {
            const q = v128.and(i8x16.shr_u(v128.load(x + j + half), 2 * l), i8x16.splat(3));
            storeMul16(i8x16.sub(q, i8x16.splat(1)), dv, y);
            y += 64;
          }
        } else {
          for (let m: usize = 0; m < 32; m++) {
            const q = (<i32>load<u8>(x + j + m) >> (2 * l)) & 3;
            store<f32>(y, <f32>(q - 1) * d);
            y += 4;
          }
        }
      }
    }
  }
}

/** Q1_0, 18 B, 128 elements: f16 d, qs[16]; bit j (LSB first) set -> d, clear -> -d. */
export function dequantizeQ1_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 18;
    const d = loadF16(x);
    const y = dst + (b << 9);
    if (simd) {
      const pos = f32x4.splat(d), neg = f32x4.splat(-d);
      for (let k: usize = 0; k < 16; k++) {
        const bits = i32x4.splat(<i32>load<u8>(x + 2 + k));
        const m0 = i32x4.ne(v128.and(bits, i32x4(1, 2, 4, 8)), i32x4.splat(0));
        const m1 = i32x4.ne(v128.and(bits, i32x4(16, 32, 64, 128)), i32x4.splat(0));
        v128.store(y + (k << 5), v128.bitselect(pos, neg, m0));
        v128.store(y + (k << 5), v128.bitselect(pos, neg, m1), 16);
      }
    } else {
      const neg = -d;
      for (let j: usize = 0; j < 128; j++) {
        const bit = (<u32>load<u8>(x + 2 + (j >> 3)) >> <u32>(j & 7)) & 1;
        store<f32>(y + (j << 2), bit ? d : neg);
      }
    }
  }
}

// Interleaves 16-bit pairs of a and b: half 0 -> a0 b0 a1 b1 a2 b2 a3 b3, half 1 -> a4 b4 ...
// @ts-ignore: decorator
@inline function pairs(a: v128, b: v128, half: i32): v128 {
  if (half == 0) return i8x16.shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  return i8x16.shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}

/** Q2_0, 18 B, 64 elements: f16 d, qs[16]; element j = bits 2(j%4).. of qs[j/4]. `(q - 1)*d`. */
export function dequantizeQ2_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 18;
    const d = loadF16(x);
    const y = dst + (b << 8);
    if (simd) {
      const v = v128.load(x + 2);
      const three = i8x16.splat(3), one = i8x16.splat(1);
      const a0 = v128.and(v, three);
      const a1 = v128.and(i8x16.shr_u(v, 2), three);
      const a2 = v128.and(i8x16.shr_u(v, 4), three);
      const a3 = i8x16.shr_u(v, 6);
      // interleave so that output 4i+t comes from a_t[i]
      const z01l = i8x16.shuffle(a0, a1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const z01h = i8x16.shuffle(a0, a1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const z23l = i8x16.shuffle(a2, a3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const z23h = i8x16.shuffle(a2, a3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const dv = f32x4.splat(d);
      storeMul16(i8x16.sub(pairs(z01l, z23l, 0), one), dv, y);
      storeMul16(i8x16.sub(pairs(z01l, z23l, 1), one), dv, y + 64);
      storeMul16(i8x16.sub(pairs(z01h, z23h, 0), one), dv, y + 128);
      storeMul16(i8x16.sub(pairs(z01h, z23h, 1), one), dv, y + 192);
    } else {
      for (let j: usize = 0; j < 64; j++) {
        const q = (<i32>load<u8>(x + 2 + (j >> 2)) >> <i32>((j & 3) << 1)) & 3;
        store<f32>(y + (j << 2), <f32>(q - 1) * d);
      }
    }
  }
}

// kvalues_mxfp4: E2M1 values doubled (the scales below are halved to match).
const KVALUES_FP4 = memory.data<i8>([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]);

// 16 bytes of FP4 codes -> 32 outputs `kv[code]*d`, low nibbles then high nibbles.
// @ts-ignore: decorator
@inline function fp4Run16(qs: usize, d: f32, y: usize, simd: bool): void {
  if (simd) {
    const table = v128.load(KVALUES_FP4);
    const v = v128.load(qs);
    const dv = f32x4.splat(d);
    storeMul16(i8x16.swizzle(table, v128.and(v, i8x16.splat(0xf))), dv, y);
    storeMul16(i8x16.swizzle(table, i8x16.shr_u(v, 4)), dv, y + 64);
  } else {
    for (let j: usize = 0; j < 16; j++) {
      const byte = <usize>load<u8>(qs + j);
      store<f32>(y + (j << 2), <f32>load<i8>(KVALUES_FP4 + (byte & 0xf)) * d);
      store<f32>(y + 64 + (j << 2), <f32>load<i8>(KVALUES_FP4 + (byte >> 4)) * d);
    }
  }
}

// E8M0 exponent -> 2^(e - 128) (ggml_e8m0_to_fp32_half); e = 0, 1 give f32 subnormals and
// e = 255 gives 2^127 (ggml has no NaN here).
// @ts-ignore: decorator
@inline function e8m0Half(e: u32): f32 {
  return reinterpret<f32>(e < 2 ? <u32>0x00200000 << e : (e - 1) << 23);
}

/** MXFP4, 17 B: E8M0 e, qs[16]. */
export function dequantizeMXFP4(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 17;
    fp4Run16(x + 1, e8m0Half(<u32>load<u8>(x)), dst + (b << 7), simd);
  }
}

// UE4M3 scale (ggml_ue4m3_to_fp32) times 0.5: 0 and 0x7F decode to 0; bit 7 is ignored
// otherwise (0xFF decodes as 240). Built from bits, so exact.
// @ts-ignore: decorator
@inline function ue4m3Half(x: u32): f32 {
  if (x == 0 || x == 0x7f) return 0;
  const e = (x >> 3) & 0xf, m = x & 7;
  if (e == 0) return <f32>m * 0.0009765625; // m * 2^-9 * 0.5
  return reinterpret<f32>(((e + 119) << 23) | (m << 20)); // (1 + m/8) * 2^(e-7) * 0.5
}

/** NVFP4, 36 B, 64 elements: 4 UE4M3 scales (one per 16), qs[32]. */
export function dequantizeNVFP4(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 36;
    const y = dst + (b << 8);
    for (let s: usize = 0; s < 4; s++) {
      const d = ue4m3Half(<u32>load<u8>(x + s));
      const qs = x + 4 + (s << 3);
      const ys = y + (s << 6);
      if (simd) {
        const table = v128.load(KVALUES_FP4);
        const v = v128.load64_zero(qs);
        const codes = i8x16.shuffle(v128.and(v, i8x16.splat(0xf)), i8x16.shr_u(v, 4),
          0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        storeMul16(i8x16.swizzle(table, codes), f32x4.splat(d), ys);
      } else {
        for (let j: usize = 0; j < 8; j++) {
          const byte = <usize>load<u8>(qs + j);
          store<f32>(ys + (j << 2), <f32>load<i8>(KVALUES_FP4 + (byte & 0xf)) * d);
          store<f32>(ys + 32 + (j << 2), <f32>load<i8>(KVALUES_FP4 + (byte >> 4)) * d);
        }
      }
    }
  }
}
