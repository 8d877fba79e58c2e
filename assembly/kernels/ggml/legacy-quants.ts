// ggml's "legacy" 32-element quants (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1) and the block
// layouts they had in earlier file eras (GGJT v1/v2: f32 scales, interleaved nibbles, Q4_2,
// Q4_3). All of them are "small integer times scale (plus min)"; one generic kernel per family
// is specialised at compile time by constant arguments.
//
// Each function takes (src, nb, dst, simd): nb = number of blocks; dst receives nb * block
// elements of f32.

import { loadF16 } from "../float";
import { bitsToByteMask, highNibbles, lowNibbles, storeMul16, storeMulAdd16 } from "./simd";

// @ts-ignore: decorator
@inline function loadScale(p: usize, f32Scale: bool): f32 {
  return f32Scale ? load<f32>(p) : loadF16(p);
}

/**
 * 4- and 5-bit blocks. Layout: d (f16 or f32), [m (same width)], [qh u32], qs[elems/2].
 * Element k takes a nibble of qs (non-interleaved: k < elems/2 the low nibble of qs[k], else
 * the high nibble of qs[k - elems/2]; interleaved (GGJT v1): low/high nibble of qs[k/2]) and,
 * with qh, bit k of qh as its 5th bit. Value: with a min `q*d + m`, else `(q - offset)*d`
 * with offset 8 (4-bit) or 16 (5-bit).
 */
// @ts-ignore: decorator
@inline function nibbleBlocks(src: usize, nb: usize, dst: usize, simd: bool,
  elems: i32, blockBytes: i32, f32Scale: bool, hasMin: bool, hasQh: bool, interleaved: bool): void {
  const sw = f32Scale ? 4 : 2;
  const qhOff = hasMin ? 2 * sw : sw;
  const qsOff = qhOff + (hasQh ? 4 : 0);
  const offset = hasMin ? 0 : (hasQh ? 16 : 8);
  const half = elems >> 1;
  if (simd) {
    for (let b: usize = 0; b < nb; b++) {
      const x = src + b * <usize>blockBytes;
      const y = dst + b * (<usize>elems << 2);
      const dv = f32x4.splat(loadScale(x, f32Scale));
      const mv = f32x4.splat(hasMin ? loadScale(x + sw, f32Scale) : 0);
      if (elems == 16) {
        const v = v128.load64_zero(x + qsOff);
        let a = i8x16.shuffle(lowNibbles(v), highNibbles(v), 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        if (hasMin) storeMulAdd16(a, dv, mv, y);
        else storeMul16(i8x16.sub(a, i8x16.splat(<i8>offset)), dv, y);
        continue;
      }
      const v = v128.load(x + qsOff);
      let a = lowNibbles(v);
      let c = highNibbles(v);
      if (interleaved) {
        const lo = a;
        a = i8x16.shuffle(lo, c, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        c = i8x16.shuffle(lo, c, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      }
      if (hasQh) {
        const qh = load<u32>(x + qhOff);
        a = v128.or(a, v128.and(bitsToByteMask(qh & 0xffff), i8x16.splat(0x10)));
        c = v128.or(c, v128.and(bitsToByteMask(qh >> 16), i8x16.splat(0x10)));
      }
      if (hasMin) {
        storeMulAdd16(a, dv, mv, y);
        storeMulAdd16(c, dv, mv, y + 64);
      } else {
        storeMul16(i8x16.sub(a, i8x16.splat(<i8>offset)), dv, y);
        storeMul16(i8x16.sub(c, i8x16.splat(<i8>offset)), dv, y + 64);
      }
    }
    return;
  }
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * <usize>blockBytes;
    const y = dst + b * (<usize>elems << 2);
    const d = loadScale(x, f32Scale);
    const m: f32 = hasMin ? loadScale(x + sw, f32Scale) : 0;
    const qh: u32 = hasQh ? load<u32>(x + qhOff) : 0;
    for (let k = 0; k < elems; k++) {
      let i = k, high = false;
      if (interleaved) { i = k >> 1; high = (k & 1) != 0; }
      else if (k >= half) { i = k - half; high = true; }
      const byte = <i32>load<u8>(x + qsOff + i);
      let q = high ? byte >> 4 : byte & 15;
      if (hasQh) q |= <i32>((qh >> k) & 1) << 4;
      const v: f32 = hasMin ? <f32>q * d + m : <f32>(q - offset) * d;
      store<f32>(y + (<usize>k << 2), v);
    }
  }
}

/** 8-bit blocks: d (f16 or f32) at 0, 32 int8 at qsOff; `q*d`. */
// @ts-ignore: decorator
@inline function int8Blocks(src: usize, nb: usize, dst: usize, simd: bool,
  blockBytes: i32, f32Scale: bool, qsOff: i32): void {
  if (simd) {
    for (let b: usize = 0; b < nb; b++) {
      const x = src + b * <usize>blockBytes;
      const y = dst + (b << 7);
      const dv = f32x4.splat(loadScale(x, f32Scale));
      storeMul16(v128.load(x + qsOff), dv, y);
      storeMul16(v128.load(x + qsOff, 16), dv, y + 64);
    }
    return;
  }
  for (let b: usize = 0; b < nb; b++) {
    const x = src + b * <usize>blockBytes;
    const y = dst + (b << 7);
    const d = loadScale(x, f32Scale);
    for (let k: usize = 0; k < 32; k++) {
      store<f32>(y + (k << 2), <f32>load<i8>(x + qsOff + k) * d);
    }
  }
}

export function dequantizeQ4_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 18, false, false, false, false);
}
export function dequantizeQ4_1(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 20, false, true, false, false);
}
export function dequantizeQ5_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 22, false, false, true, false);
}
export function dequantizeQ5_1(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 24, false, true, true, false);
}
export function dequantizeQ8_0(src: usize, nb: usize, dst: usize, simd: bool): void {
  int8Blocks(src, nb, dst, simd, 34, false, 2);
}
/** Q8_1: {f16 d, f16 s, int8 qs[32]}; s (= d * sum(qs)) is not needed to decode. */
export function dequantizeQ8_1(src: usize, nb: usize, dst: usize, simd: bool): void {
  int8Blocks(src, nb, dst, simd, 36, false, 4);
}

// --- earlier eras (see ggml-types.ts for the ids) ---

/** GGJT v1 Q4_0: {f32 d, qs[16]}, interleaved nibbles. */
export function dequantizeQ4_0GGJT1(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 20, true, false, false, true);
}
/** GGJT v1 Q4_1: {f32 d, f32 m, qs[16]}, interleaved nibbles. */
export function dequantizeQ4_1GGJT1(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 24, true, true, false, true);
}
/** Q4_2 (GGJT v1 only): 16 elements {f16 d, qs[8]}, interleaved. */
export function dequantizeQ4_2(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 16, 10, false, false, false, true);
}
/** Q4_3 (GGJT v1 only): 16 elements {f16 d, f16 m, qs[8]}, interleaved. */
export function dequantizeQ4_3(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 16, 12, false, true, false, true);
}
/** GGJT v1 Q5_0: {f16 d, u32 qh, qs[16]}, interleaved; bit k of qh is element k's 5th bit. */
export function dequantizeQ5_0GGJT1(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 22, false, false, true, true);
}
/** GGJT v1 Q5_1: {f16 d, f16 m, u32 qh, qs[16]}, interleaved. */
export function dequantizeQ5_1GGJT1(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 24, false, true, true, true);
}
/** GGJT v1 and v2 Q8_0: {f32 d, int8 qs[32]}. */
export function dequantizeQ8_0GGJT1(src: usize, nb: usize, dst: usize, simd: bool): void {
  int8Blocks(src, nb, dst, simd, 36, true, 4);
}
/** GGJT v2 Q4_0: {f32 d, qs[16]}, today's nibble order. */
export function dequantizeQ4_0GGJT2(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 20, true, false, false, false);
}
/** GGJT v2 Q4_1: {f32 d, f32 m, qs[16]}, today's nibble order. */
export function dequantizeQ4_1GGJT2(src: usize, nb: usize, dst: usize, simd: bool): void {
  nibbleBlocks(src, nb, dst, simd, 32, 24, true, true, false, false);
}
