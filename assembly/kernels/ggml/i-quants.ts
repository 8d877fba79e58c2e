// I-quants (ggml-quants.c dequantize_row_iq*): grid codebooks (IQ1/IQ2/IQ3) and the
// non-linear 4-bit codebook (IQ4_NL, IQ4_XS). Grid lookups are scalar loads (one u64 or u32
// per 8 or 4 outputs); the scaling and sign application are SIMD. Float order follows ggml:
// IQ2 `db = d*(0.5 + s)*0.25` then `db*grid*sign`; IQ3_XXS with 0.5; IQ1 `dl*(grid + delta)`.

import { loadF16, f16BitsToF32Bits } from "../float";
import { storeGrid4, storeGrid8, storeMul16 } from "./simd";
import { gridIQ1S, gridIQ2S, gridIQ2XS, gridIQ2XXS, gridIQ3S, gridIQ3XXS } from "./iq-grids";

// ksigns_iq2xs[i]: the 7 stored sign bits plus an 8th bit that makes the parity even.
// @ts-ignore: decorator
@inline function ksigns(i: u32): u32 {
  return i | ((popcnt<u32>(i) & 1) << 7);
}

// Scalar fallback of storeGrid8/storeGrid4: n unsigned grid bytes at g, times db, signed.
// @ts-ignore: decorator
@inline function storeGridScalar(g: usize, n: i32, db: f32, signs: u32, y: usize): void {
  for (let j = 0; j < n; j++) {
    const v = db * <f32>load<u8>(g + j);
    store<f32>(y + (<usize>j << 2), (signs >> j) & 1 ? -v : v);
  }
}

// @ts-ignore: decorator
@inline function grid8(base: usize, idx: u32, db: f32, signs: u32, y: usize, simd: bool): void {
  if (simd) storeGrid8(load<u64>(base + (<usize>idx << 3)), f32x4.splat(db), signs, y);
  else storeGridScalar(base + (<usize>idx << 3), 8, db, signs, y);
}

// @ts-ignore: decorator
@inline function grid4(base: usize, idx: u32, db: f32, signs: u32, y: usize, simd: bool): void {
  if (simd) storeGrid4(load<u32>(base + (<usize>idx << 2)), f32x4.splat(db), signs, y);
  else storeGridScalar(base + (<usize>idx << 2), 4, db, signs, y);
}

/** IQ2_XXS, 66 B: f16 d, then 8 x {u32 grid indices (4 bytes), u32 signs(4x7) | scale<<28}. */
export function dequantizeIQ2XXS(src: usize, nb: usize, dst: usize, simd: bool): void {
  const grid = gridIQ2XXS();
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 66;
    const d = loadF16(x);
    for (let ib: usize = 0; ib < 8; ib++) {
      const a0 = load<u32>(x + 2 + (ib << 3));
      const a1 = load<u32>(x + 6 + (ib << 3));
      const db = d * (<f32>0.5 + <f32>(a1 >> 28)) * 0.25;
      const y = dst + (b << 10) + (ib << 7);
      for (let l: u32 = 0; l < 4; l++) {
        grid8(grid, (a0 >> (8 * l)) & 255, db, ksigns((a1 >> (7 * l)) & 127), y + (<usize>l << 5), simd);
      }
    }
  }
}

/** IQ2_XS, 74 B: f16 d, u16 qs[32] (9-bit grid index | 7 sign bits << 9), scales[8]. */
export function dequantizeIQ2XS(src: usize, nb: usize, dst: usize, simd: bool): void {
  const grid = gridIQ2XS();
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 74;
    const d = loadF16(x);
    for (let ib: usize = 0; ib < 8; ib++) {
      const sc = <u32>load<u8>(x + 66 + ib);
      const db0 = d * (<f32>0.5 + <f32>(sc & 0xf)) * 0.25;
      const db1 = d * (<f32>0.5 + <f32>(sc >> 4)) * 0.25;
      const y = dst + (b << 10) + (ib << 7);
      for (let l: usize = 0; l < 4; l++) {
        const v = <u32>load<u16>(x + 2 + ((ib * 4 + l) << 1));
        grid8(grid, v & 511, l < 2 ? db0 : db1, ksigns(v >> 9), y + (l << 5), simd);
      }
    }
  }
}

/** IQ2_S, 82 B: f16 d, qs[32] (low 8 index bits), signs[32], qh[8] (2 index bits each), scales[8]. */
export function dequantizeIQ2S(src: usize, nb: usize, dst: usize, simd: bool): void {
  const grid = gridIQ2S();
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 82;
    const d = loadF16(x);
    for (let ib: usize = 0; ib < 8; ib++) {
      const sc = <u32>load<u8>(x + 74 + ib);
      const db0 = d * (<f32>0.5 + <f32>(sc & 0xf)) * 0.25;
      const db1 = d * (<f32>0.5 + <f32>(sc >> 4)) * 0.25;
      const qh = <u32>load<u8>(x + 66 + ib);
      const y = dst + (b << 10) + (ib << 7);
      for (let l: u32 = 0; l < 4; l++) {
        const k = ib * 4 + l;
        const idx = <u32>load<u8>(x + 2 + k) | ((qh << (8 - 2 * l)) & 0x300);
        grid8(grid, idx, l < 2 ? db0 : db1, <u32>load<u8>(x + 34 + k), y + (<usize>l << 5), simd);
      }
    }
  }
}

/** IQ3_XXS, 98 B: f16 d, qs[64] grid indices, 8 x u32 (4 x 7 sign bits | scale << 28). */
export function dequantizeIQ3XXS(src: usize, nb: usize, dst: usize, simd: bool): void {
  const grid = gridIQ3XXS();
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 98;
    const d = loadF16(x);
    for (let ib: usize = 0; ib < 8; ib++) {
      const a = load<u32>(x + 66 + (ib << 2));
      const db = d * (<f32>0.5 + <f32>(a >> 28)) * 0.5;
      const y = dst + (b << 10) + (ib << 7);
      for (let l: u32 = 0; l < 4; l++) {
        const signs = ksigns((a >> (7 * l)) & 127);
        const q = x + 2 + (ib << 3) + (<usize>l << 1);
        const yl = y + (<usize>l << 5);
        grid4(grid, <u32>load<u8>(q), db, signs & 0xf, yl, simd);
        grid4(grid, <u32>load<u8>(q + 1), db, signs >> 4, yl + 16, simd);
      }
    }
  }
}

/** IQ3_S, 110 B: f16 d, qs[64], qh[8] (9th index bits), signs[32], scales[4] (two 4-bit). */
export function dequantizeIQ3S(src: usize, nb: usize, dst: usize, simd: bool): void {
  const grid = gridIQ3S();
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 110;
    const d = loadF16(x);
    for (let ib: usize = 0; ib < 8; ib++) {
      const sc = <u32>load<u8>(x + 106 + (ib >> 1));
      const db = d * <f32>(((ib & 1) ? sc >> 4 : sc & 0xf) * 2 + 1);
      const qh = <u32>load<u8>(x + 66 + ib);
      const y = dst + (b << 10) + (ib << 7);
      for (let l: u32 = 0; l < 4; l++) {
        const q = x + 2 + (ib << 3) + (<usize>l << 1);
        const i1 = <u32>load<u8>(q) | ((qh << (8 - 2 * l)) & 256);
        const i2 = <u32>load<u8>(q + 1) | ((qh << (7 - 2 * l)) & 256);
        const signs = <u32>load<u8>(x + 74 + (ib << 2) + l);
        const yl = y + (<usize>l << 5);
        grid4(grid, i1, db, signs & 0xf, yl, simd);
        grid4(grid, i2, db, signs >> 4, yl + 16, simd);
      }
    }
  }
}

// Eight int8 grid values (-1, 0, 1) plus delta, times dl: `dl*(grid + delta)`.
// @ts-ignore: decorator
@inline function iq1Group(base: usize, idx: u32, dl: f32, delta: f32, y: usize, simd: bool): void {
  const g = base + (<usize>idx << 3);
  if (simd) {
    const g16 = i16x8.extend_low_i8x16_s(v128.load64_zero(g));
    const dv = f32x4.splat(delta), lv = f32x4.splat(dl);
    const lo = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(g16));
    const hi = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(g16));
    v128.store(y, f32x4.mul(lv, f32x4.add(lo, dv)));
    v128.store(y, f32x4.mul(lv, f32x4.add(hi, dv)), 16);
  } else {
    for (let j = 0; j < 8; j++) {
      store<f32>(y + (<usize>j << 2), dl * (<f32>load<i8>(g + j) + delta));
    }
  }
}

const IQ1S_DELTA: f32 = 0.125;

/** IQ1_S, 50 B: f16 d, qs[32] (low 8 index bits), u16 qh[8] (3 index bits x 4, scale, delta sign). */
export function dequantizeIQ1S(src: usize, nb: usize, dst: usize, simd: bool): void {
  const grid = gridIQ1S();
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 50;
    const d = loadF16(x);
    for (let ib: usize = 0; ib < 8; ib++) {
      const qh = <u32>load<u16>(x + 34 + (ib << 1));
      const dl = d * <f32>(((qh >> 12) & 7) * 2 + 1);
      const delta = (qh & 0x8000) ? -IQ1S_DELTA : IQ1S_DELTA;
      const y = dst + (b << 10) + (ib << 7);
      for (let l: u32 = 0; l < 4; l++) {
        const idx = <u32>load<u8>(x + 2 + (ib << 2) + l) | (((qh >> (3 * l)) & 7) << 8);
        iq1Group(grid, idx, dl, delta, y + (<usize>l << 5), simd);
      }
    }
  }
}

/** IQ1_M, 56 B: qs[32], qh[16], u16 scales[4] (3-bit sub-scales; the f16 d is the four top nibbles). */
export function dequantizeIQ1M(src: usize, nb: usize, dst: usize, simd: bool): void {
  const grid = gridIQ1S();
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 56;
    const sc0 = <u32>load<u16>(x + 48), sc1 = <u32>load<u16>(x + 50);
    const sc2 = <u32>load<u16>(x + 52), sc3 = <u32>load<u16>(x + 54);
    const dBits = (sc0 >> 12) | ((sc1 >> 8) & 0xf0) | ((sc2 >> 4) & 0xf00) | (sc3 & 0xf000);
    const d = reinterpret<f32>(f16BitsToF32Bits(dBits));
    for (let ib: usize = 0; ib < 8; ib++) {
      const sc = <u32>load<u16>(x + 48 + ((ib >> 1) << 1));
      const shift = 6 * <u32>(ib & 1);
      const dl1 = d * <f32>(((sc >> shift) & 7) * 2 + 1);
      const dl2 = d * <f32>(((sc >> (shift + 3)) & 7) * 2 + 1);
      const qs = x + (ib << 2);
      const qh0 = <u32>load<u8>(x + 32 + (ib << 1));
      const qh1 = <u32>load<u8>(x + 33 + (ib << 1));
      const y = dst + (b << 10) + (ib << 7);
      iq1Group(grid, <u32>load<u8>(qs) | ((qh0 << 8) & 0x700), dl1,
        (qh0 & 0x08) ? -IQ1S_DELTA : IQ1S_DELTA, y, simd);
      iq1Group(grid, <u32>load<u8>(qs + 1) | ((qh0 << 4) & 0x700), dl1,
        (qh0 & 0x80) ? -IQ1S_DELTA : IQ1S_DELTA, y + 32, simd);
      iq1Group(grid, <u32>load<u8>(qs + 2) | ((qh1 << 8) & 0x700), dl2,
        (qh1 & 0x08) ? -IQ1S_DELTA : IQ1S_DELTA, y + 64, simd);
      iq1Group(grid, <u32>load<u8>(qs + 3) | ((qh1 << 4) & 0x700), dl2,
        (qh1 & 0x80) ? -IQ1S_DELTA : IQ1S_DELTA, y + 96, simd);
    }
  }
}

// kvalues_iq4nl
const KVALUES_IQ4NL = memory.data<i8>([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]);

// 16 bytes of 4-bit codes -> 32 outputs `d * kv[code]`: low nibbles first, then high nibbles.
// @ts-ignore: decorator
@inline function iq4Run(qs: usize, d: f32, y: usize, simd: bool): void {
  if (simd) {
    const table = v128.load(KVALUES_IQ4NL);
    const v = v128.load(qs);
    const dv = f32x4.splat(d);
    storeMul16(i8x16.swizzle(table, v128.and(v, i8x16.splat(0xf))), dv, y);
    storeMul16(i8x16.swizzle(table, i8x16.shr_u(v, 4)), dv, y + 64);
  } else {
    for (let j: usize = 0; j < 16; j++) {
      const byte = <usize>load<u8>(qs + j);
      store<f32>(y + (j << 2), d * <f32>load<i8>(KVALUES_IQ4NL + (byte & 0xf)));
      store<f32>(y + 64 + (j << 2), d * <f32>load<i8>(KVALUES_IQ4NL + (byte >> 4)));
    }
  }
}

/** IQ4_NL, 18 B: f16 d, qs[16]. */
export function dequantizeIQ4NL(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 18;
    iq4Run(x + 2, loadF16(x), dst + (b << 7), simd);
  }
}

/** IQ4_XS, 136 B: f16 d, u16 scales_h, scales_l[4], qs[128]; 6-bit sub-scales minus 32. */
export function dequantizeIQ4XS(src: usize, nb: usize, dst: usize, simd: bool): void {
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * 136;
    const d = loadF16(x);
    const scalesH = <u32>load<u16>(x + 2);
    for (let ib: u32 = 0; ib < 8; ib++) {
      const lo = (<u32>load<u8>(x + 4 + (ib >> 1)) >> (4 * (ib & 1))) & 0xf;
      const ls = <i32>(lo | (((scalesH >> (2 * ib)) & 3) << 4));
      iq4Run(x + 8 + (<usize>ib << 4), d * <f32>(ls - 32), dst + (b << 10) + (<usize>ib << 7), simd);
    }
  }
}
