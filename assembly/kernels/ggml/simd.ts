// SIMD128 building blocks shared by the GGML dequantizers.
//
// A dequantizer produces small signed integers q (one byte each) and turns them into f32 with
// one or two float operations whose order matches ggml's scalar reference (see the notes on
// bit-exactness: the rounding happens only in these multiplies and adds, so the order matters
// and fused multiply-add is never used).

// The four groups of four bytes of an i8x16, sign-extended to i32 lanes and converted to f32.
// @ts-ignore: decorator
@inline export function i8Quarter0(q: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(q)));
}
// @ts-ignore: decorator
@inline export function i8Quarter1(q: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(i16x8.extend_low_i8x16_s(q)));
}
// @ts-ignore: decorator
@inline export function i8Quarter2(q: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_high_i8x16_s(q)));
}
// @ts-ignore: decorator
@inline export function i8Quarter3(q: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(i16x8.extend_high_i8x16_s(q)));
}

/** dst[0..16) = f32(q[k]) * d, for 16 signed bytes q. */
// @ts-ignore: decorator
@inline export function storeMul16(q: v128, d: v128, dst: usize): void {
  v128.store(dst, f32x4.mul(i8Quarter0(q), d));
  v128.store(dst, f32x4.mul(i8Quarter1(q), d), 16);
  v128.store(dst, f32x4.mul(i8Quarter2(q), d), 32);
  v128.store(dst, f32x4.mul(i8Quarter3(q), d), 48);
}

/** dst[0..16) = f32(q[k]) * d + m (Q4_1, Q5_1: `q*d + m`). */
// @ts-ignore: decorator
@inline export function storeMulAdd16(q: v128, d: v128, m: v128, dst: usize): void {
  v128.store(dst, f32x4.add(f32x4.mul(i8Quarter0(q), d), m));
  v128.store(dst, f32x4.add(f32x4.mul(i8Quarter1(q), d), m), 16);
  v128.store(dst, f32x4.add(f32x4.mul(i8Quarter2(q), d), m), 32);
  v128.store(dst, f32x4.add(f32x4.mul(i8Quarter3(q), d), m), 48);
}

/** dst[0..16) = d * f32(q[k]) - m (K-quants: `dl*q - ml`). */
// @ts-ignore: decorator
@inline export function storeMulSub16(q: v128, d: v128, m: v128, dst: usize): void {
  v128.store(dst, f32x4.sub(f32x4.mul(d, i8Quarter0(q)), m));
  v128.store(dst, f32x4.sub(f32x4.mul(d, i8Quarter1(q)), m), 16);
  v128.store(dst, f32x4.sub(f32x4.mul(d, i8Quarter2(q)), m), 32);
  v128.store(dst, f32x4.sub(f32x4.mul(d, i8Quarter3(q)), m), 48);
}

/** Low nibbles of 16 bytes. */
// @ts-ignore: decorator
@inline export function lowNibbles(v: v128): v128 {
  return v128.and(v, i8x16.splat(0x0f));
}
/** High nibbles of 16 bytes. */
// @ts-ignore: decorator
@inline export function highNibbles(v: v128): v128 {
  return i8x16.shr_u(v, 4);
}

/**
 * Spreads 16 bits (the low 16 bits of `bits`) over 16 byte lanes: lane k = 0xFF when bit k is
 * set, else 0.
 */
// @ts-ignore: decorator
@inline export function bitsToByteMask(bits: u32): v128 {
  const v = i8x16.shuffle(i16x8.splat(<i16>bits), i16x8.splat(0), 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const sel = v128.and(v, i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128));
  return i8x16.ne(sel, i8x16.splat(0));
}

/**
 * Eight grid bytes (a u64 grid entry, as stored in memory) times db, with sign bit j of
 * `signs` flipping output j. `signedGrid`: grid bytes are int8 (IQ1), else uint8.
 * Writes 8 f32 to dst: `db * grid[j] * (sign ? -1 : 1)`. A sign flip is exact, so xor-ing the
 * sign bit equals ggml's multiply by -1.
 */
// @ts-ignore: decorator
@inline export function storeGrid8(grid: u64, db: v128, signs: u32, dst: usize): void {
  const g16 = i16x8.extend_low_i8x16_u(i64x2.splat(<i64>grid));
  const lo = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(g16));
  const hi = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(g16));
  const s = i32x4.splat(<i32>signs);
  const mLo = i32x4.shl(i32x4.ne(v128.and(s, i32x4(1, 2, 4, 8)), i32x4.splat(0)), 31);
  const mHi = i32x4.shl(i32x4.ne(v128.and(s, i32x4(16, 32, 64, 128)), i32x4.splat(0)), 31);
  v128.store(dst, v128.xor(f32x4.mul(db, lo), mLo));
  v128.store(dst, v128.xor(f32x4.mul(db, hi), mHi), 16);
}

/** Four u8 grid bytes (a u32 grid entry) times db, signs in bits 0..3 of `signs`. */
// @ts-ignore: decorator
@inline export function storeGrid4(grid: u32, db: v128, signs: u32, dst: usize): void {
  const g = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(i32x4.splat(<i32>grid))));
  const m = i32x4.shl(i32x4.ne(v128.and(i32x4.splat(<i32>signs), i32x4(1, 2, 4, 8)), i32x4.splat(0)), 31);
  v128.store(dst, v128.xor(f32x4.mul(db, g), m));
}
