// Element-wise float conversions on raw pointers.
//
// Every function takes (src, n, dst) with n = element count, and a `simd` flag that selects
// the SIMD128 path (the scalar path is kept for testing and as the reference). Both paths
// produce identical bits; the tests check that on every 16-bit pattern.
//
// Decoding to f32 is done with integer operations wherever possible, so that no float
// instruction ever sees a subnormal operand (x86 microcode assists make those ~100x slower)
// and so that NaN payloads survive untouched (float ops may quieten or canonicalise them).

// ---------------------------------------------------------------------------------------------
// f16 -> f32

// 2^-24: the f16 subnormal step. m * 2^-24 for m < 1024 is a normal f32, so the multiply
// below never produces or consumes a subnormal.
const F16_SUB_STEP: f32 = 5.9604644775390625e-8;

/** IEEE binary16 bits -> binary32 bits. Exact; NaN payloads are kept (shifted up 13 bits). */
// @ts-ignore: decorator
@inline export function f16BitsToF32Bits(h: u32): u32 {
  const sign = (h & 0x8000) << 16;
  const em = h & 0x7fff;
  if (em >= 0x7c00) return sign | 0x7f800000 | ((em & 0x3ff) << 13);
  if (em >= 0x0400) return sign | ((em << 13) + 0x38000000);
  return sign | reinterpret<u32>(<f32>em * F16_SUB_STEP);
}

/** Loads an f16 at `p` and returns it as f32. */
// @ts-ignore: decorator
@inline export function loadF16(p: usize): f32 {
  return reinterpret<f32>(f16BitsToF32Bits(<u32>load<u16>(p)));
}

// Four f16 values (sign-extended into i32 lanes, so bit 31 is the sign) -> four f32 bit patterns.
// @ts-ignore: decorator
@inline function f16LanesToF32(h: v128): v128 {
  const sign = v128.and(h, i32x4.splat(0x80000000));
  const em = v128.and(h, i32x4.splat(0x7fff));
  // normal: rebias the exponent by (127 - 15) << 23; Inf/NaN: by twice that, which maps
  // exponent 31 to 255 and keeps the payload.
  let wide = i32x4.add(i32x4.shl(em, 13), i32x4.splat(0x38000000));
  const infNan = i32x4.gt_s(em, i32x4.splat(0x7bff));
  wide = i32x4.add(wide, v128.and(infNan, i32x4.splat(0x38000000)));
  const sub = f32x4.mul(f32x4.convert_i32x4_s(em), f32x4.splat(F16_SUB_STEP));
  const isSub = i32x4.lt_s(em, i32x4.splat(0x0400));
  return v128.or(v128.bitselect(sub, wide, isSub), sign);
}

export function f16ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  let i: usize = 0;
  if (simd) {
    for (; i + 16 <= n; i += 16) {
      const a = v128.load(src + (i << 1));
      const b = v128.load(src + (i << 1), 16);
      const o = dst + (i << 2);
      v128.store(o, f16LanesToF32(i32x4.extend_low_i16x8_s(a)));
      v128.store(o, f16LanesToF32(i32x4.extend_high_i16x8_s(a)), 16);
      v128.store(o, f16LanesToF32(i32x4.extend_low_i16x8_s(b)), 32);
      v128.store(o, f16LanesToF32(i32x4.extend_high_i16x8_s(b)), 48);
    }
    for (; i + 8 <= n; i += 8) {
      const v = v128.load(src + (i << 1));
      v128.store(dst + (i << 2), f16LanesToF32(i32x4.extend_low_i16x8_s(v)));
      v128.store(dst + (i << 2), f16LanesToF32(i32x4.extend_high_i16x8_s(v)), 16);
    }
  }
  for (; i < n; i++) {
    store<u32>(dst + (i << 2), f16BitsToF32Bits(<u32>load<u16>(src + (i << 1))));
  }
}

// ---------------------------------------------------------------------------------------------
// bf16 -> f32: the upper half of an f32.

export function bf16ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  let i: usize = 0;
  if (simd) {
    // one shuffle per four outputs: bytes [0, 0, lo, hi] for each element
    const z = i32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const a = v128.load(src + (i << 1));
      const b = v128.load(src + (i << 1), 16);
      const o = dst + (i << 2);
      v128.store(o, i8x16.shuffle(z, a, 0, 0, 16, 17, 0, 0, 18, 19, 0, 0, 20, 21, 0, 0, 22, 23));
      v128.store(o, i8x16.shuffle(z, a, 0, 0, 24, 25, 0, 0, 26, 27, 0, 0, 28, 29, 0, 0, 30, 31), 16);
      v128.store(o, i8x16.shuffle(z, b, 0, 0, 16, 17, 0, 0, 18, 19, 0, 0, 20, 21, 0, 0, 22, 23), 32);
      v128.store(o, i8x16.shuffle(z, b, 0, 0, 24, 25, 0, 0, 26, 27, 0, 0, 28, 29, 0, 0, 30, 31), 48);
    }
  }
  for (; i < n; i++) {
    store<u32>(dst + (i << 2), (<u32>load<u16>(src + (i << 1))) << 16);
  }
}

// ---------------------------------------------------------------------------------------------
// 8-bit floats -> f32, with the semantics of ml_dtypes:
//   kind 0 F8_E4M3 (float8_e4m3fn):   bias 7,  no Inf, S.1111.111 = NaN
//   kind 1 F8_E5M2 (float8_e5m2):     bias 15, IEEE Inf/NaN
//   kind 2 F8_E4M3FNUZ:               bias 8,  no Inf, no -0, 0x80 = NaN
//   kind 3 F8_E5M2FNUZ:               bias 16, no Inf, no -0, 0x80 = NaN
//   kind 4 F8_E8M0 (float8_e8m0fnu):  2^(e-127), unsigned, 0xFF = NaN
// ml_dtypes returns the canonical quiet NaN (0x7fc00000, with the sign bit of the input for
// the signed types; the FNUZ NaN 0x80 decodes to 0xffc00000), so we do the same.

const F8_E4M3: i32 = 0;
const F8_E5M2: i32 = 1;
const F8_E4M3FNUZ: i32 = 2;
const F8_E5M2FNUZ: i32 = 3;
const F8_E8M0: i32 = 4;

// Scalar decoder for one byte; `kind` is a compile-time constant at every call site.
// @ts-ignore: decorator
@inline function f8BitsToF32Bits(x: u32, kind: i32): u32 {
  if (kind == F8_E8M0) {
    if (x == 0xff) return 0x7fc00000;
    return x == 0 ? 0x00400000 : x << 23;
  }
  const sign = (x & 0x80) << 24;
  const em = x & 0x7f;
  if (kind == F8_E4M3) {
    if (em == 0x7f) return sign | 0x7fc00000;
    if (em >= 8) return sign | ((em << 20) + (120 << 23));
    return sign | reinterpret<u32>(<f32>em * 0.001953125); // m * 2^-9
  }
  if (kind == F8_E5M2) {
    if (em > 0x7c) return sign | 0x7fc00000;
    if (em == 0x7c) return sign | 0x7f800000;
    if (em >= 4) return sign | ((em << 21) + (112 << 23));
    return sign | reinterpret<u32>(<f32>em * 1.52587890625e-5); // m * 2^-16
  }
  if (x == 0x80) return 0xffc00000;
  if (kind == F8_E4M3FNUZ) {
    if (em >= 8) return sign | ((em << 20) + (119 << 23));
    return sign | reinterpret<u32>(<f32>em * 0.0009765625); // m * 2^-10
  }
  // F8_E5M2FNUZ
  if (em >= 4) return sign | ((em << 21) + (111 << 23));
  return sign | reinterpret<u32>(<f32>em * 7.62939453125e-6); // m * 2^-17
}

// Four bytes (zero-extended into i32 lanes) -> four f32 bit patterns. Same rules as above.
// @ts-ignore: decorator
@inline function f8LanesToF32(x: v128, kind: i32): v128 {
  if (kind == F8_E8M0) {
    const normal = i32x4.shl(x, 23);
    const isZero = i32x4.eq(x, i32x4.splat(0));
    const isNaN = i32x4.eq(x, i32x4.splat(0xff));
    return v128.bitselect(i32x4.splat(0x7fc00000),
      v128.bitselect(i32x4.splat(0x00400000), normal, isZero), isNaN);
  }
  const sign = i32x4.shl(v128.and(x, i32x4.splat(0x80)), 24);
  const em = v128.and(x, i32x4.splat(0x7f));
  let mbits = 3, rebias = 120, subStep: f32 = 0.001953125, minNormal = 8;
  if (kind == F8_E5M2) { mbits = 2; rebias = 112; subStep = 1.52587890625e-5; minNormal = 4; }
  if (kind == F8_E4M3FNUZ) { rebias = 119; subStep = 0.0009765625; }
  if (kind == F8_E5M2FNUZ) { mbits = 2; rebias = 111; subStep = 7.62939453125e-6; minNormal = 4; }
  const normal = i32x4.add(i32x4.shl(em, 23 - mbits), i32x4.splat(rebias << 23));
  const sub = f32x4.mul(f32x4.convert_i32x4_s(em), f32x4.splat(subStep));
  let r = v128.or(v128.bitselect(sub, normal, i32x4.lt_s(em, i32x4.splat(minNormal))), sign);
  if (kind == F8_E4M3) {
    r = v128.bitselect(v128.or(sign, i32x4.splat(0x7fc00000)), r, i32x4.eq(em, i32x4.splat(0x7f)));
  } else if (kind == F8_E5M2) {
    r = v128.bitselect(v128.or(sign, i32x4.splat(0x7f800000)), r, i32x4.eq(em, i32x4.splat(0x7c)));
    r = v128.bitselect(v128.or(sign, i32x4.splat(0x7fc00000)), r, i32x4.gt_s(em, i32x4.splat(0x7c)));
  } else {
    r = v128.bitselect(i32x4.splat(0xffc00000), r, i32x4.eq(x, i32x4.splat(0x80)));
  }
  return r;
}

// @ts-ignore: decorator
@inline function f8ToF32(src: usize, n: usize, dst: usize, simd: bool, kind: i32): void {
  let i: usize = 0;
  if (simd) {
    for (; i + 16 <= n; i += 16) {
      const v = v128.load(src + i);
      const lo = i16x8.extend_low_i8x16_u(v);
      const hi = i16x8.extend_high_i8x16_u(v);
      const o = dst + (i << 2);
      v128.store(o, f8LanesToF32(i32x4.extend_low_i16x8_u(lo), kind));
      v128.store(o, f8LanesToF32(i32x4.extend_high_i16x8_u(lo), kind), 16);
      v128.store(o, f8LanesToF32(i32x4.extend_low_i16x8_u(hi), kind), 32);
      v128.store(o, f8LanesToF32(i32x4.extend_high_i16x8_u(hi), kind), 48);
    }
  }
  for (; i < n; i++) {
    store<u32>(dst + (i << 2), f8BitsToF32Bits(<u32>load<u8>(src + i), kind));
  }
}

export function f8e4m3ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  f8ToF32(src, n, dst, simd, F8_E4M3);
}
export function f8e5m2ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  f8ToF32(src, n, dst, simd, F8_E5M2);
}
export function f8e4m3fnuzToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  f8ToF32(src, n, dst, simd, F8_E4M3FNUZ);
}
export function f8e5m2fnuzToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  f8ToF32(src, n, dst, simd, F8_E5M2FNUZ);
}
export function e8m0ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  f8ToF32(src, n, dst, simd, F8_E8M0);
}

// ---------------------------------------------------------------------------------------------
// f32 -> f16, round to nearest even (numpy's `astype(float16)` bit for bit).
// NaN keeps its sign and the top 10 payload bits; a payload that truncates to 0 becomes 1 so
// the result stays NaN (numpy's rule). Overflow gives +-Inf.

// @ts-ignore: decorator
@inline export function f32BitsToF16Bits(f: u32): u32 {
  const sign = (f >> 16) & 0x8000;
  const a = f & 0x7fffffff;
  if (a >= 0x47800000) {
    if (a > 0x7f800000) {
      const m = (a >> 13) & 0x3ff;
      return sign | 0x7c00 | (m == 0 ? 1 : m);
    }
    return sign | 0x7c00;
  }
  if (a < 0x38800000) {
    // f16 subnormal or zero: adding 0.5 aligns the f16 subnormal step (2^-24) with the f32 ulp,
    // so the hardware does the round-to-nearest-even for us.
    return sign | (reinterpret<u32>(reinterpret<f32>(a) + 0.5) - 0x3f000000);
  }
  return sign | ((a + 0xc8000fff + ((a >> 13) & 1)) >> 13);
}

// @ts-ignore: decorator
@inline function f32LanesToF16(f: v128): v128 {
  const sign = v128.and(i32x4.shr_u(f, 16), i32x4.splat(0x8000));
  const a = v128.and(f, i32x4.splat(0x7fffffff));
  const odd = v128.and(i32x4.shr_u(a, 13), i32x4.splat(1));
  const normal = i32x4.shr_u(i32x4.add(i32x4.add(a, i32x4.splat(0xc8000fff)), odd), 13);
  const sub = i32x4.sub(f32x4.add(a, f32x4.splat(0.5)), i32x4.splat(0x3f000000));
  let r = v128.bitselect(sub, normal, i32x4.lt_s(a, i32x4.splat(0x38800000)));
  r = v128.bitselect(i32x4.splat(0x7c00), r, i32x4.gt_s(a, i32x4.splat(0x477fffff)));
  const m = v128.and(i32x4.shr_u(a, 13), i32x4.splat(0x3ff));
  const nanBits = v128.or(i32x4.splat(0x7c00),
    v128.or(m, v128.and(i32x4.eq(m, i32x4.splat(0)), i32x4.splat(1))));
  r = v128.bitselect(nanBits, r, i32x4.gt_s(a, i32x4.splat(0x7f800000)));
  return v128.or(r, sign);
}

export function f32ToF16(src: usize, n: usize, dst: usize, simd: bool): void {
  let i: usize = 0;
  if (simd) {
    for (; i + 8 <= n; i += 8) {
      const lo = f32LanesToF16(v128.load(src + (i << 2)));
      const hi = f32LanesToF16(v128.load(src + (i << 2), 16));
      // every lane is < 0x10000, so unsigned saturation is a plain narrowing
      v128.store(dst + (i << 1), i16x8.narrow_i32x4_u(lo, hi));
    }
  }
  for (; i < n; i++) {
    store<u16>(dst + (i << 1), <u16>f32BitsToF16Bits(load<u32>(src + (i << 2))));
  }
}

// ---------------------------------------------------------------------------------------------
// f32 -> bf16, round to nearest even; NaN becomes a quiet NaN keeping the sign and the top
// payload bits (ggml's ggml_compute_fp32_to_bf16, also gguf-py's BF16.quantize).

// @ts-ignore: decorator
@inline export function f32BitsToBF16Bits(f: u32): u32 {
  if ((f & 0x7fffffff) > 0x7f800000) return (f >> 16) | 0x40;
  return (f + 0x7fff + ((f >> 16) & 1)) >> 16;
}

// @ts-ignore: decorator
@inline function f32LanesToBF16(f: v128): v128 {
  const rounded = i32x4.shr_u(
    i32x4.add(i32x4.add(f, i32x4.splat(0x7fff)), v128.and(i32x4.shr_u(f, 16), i32x4.splat(1))), 16);
  const quiet = v128.or(i32x4.shr_u(f, 16), i32x4.splat(0x40));
  const isNaN = i32x4.gt_u(v128.and(f, i32x4.splat(0x7fffffff)), i32x4.splat(0x7f800000));
  return v128.bitselect(quiet, rounded, isNaN);
}

export function f32ToBF16(src: usize, n: usize, dst: usize, simd: bool): void {
  let i: usize = 0;
  if (simd) {
    for (; i + 8 <= n; i += 8) {
      const lo = f32LanesToBF16(v128.load(src + (i << 2)));
      const hi = f32LanesToBF16(v128.load(src + (i << 2), 16));
      v128.store(dst + (i << 1), i16x8.narrow_i32x4_u(lo, hi));
    }
  }
  for (; i < n; i++) {
    store<u16>(dst + (i << 1), <u16>f32BitsToBF16Bits(load<u32>(src + (i << 2))));
  }
}

// ---------------------------------------------------------------------------------------------
// f64 -> f32, round to nearest even. NaN is handled in integers so the payload rule is fixed
// (quiet bit set, top 22 payload bits kept: what x86 cvtsd2ss and numpy produce) instead of
// depending on the engine's demote instruction, which the wasm spec leaves open for NaN.

// @ts-ignore: decorator
@inline export function f64BitsToF32Bits(d: u64): u32 {
  if ((d & 0x7fffffffffffffff) > 0x7ff0000000000000) {
    return (<u32>(d >> 32) & 0x80000000) | 0x7fc00000 | <u32>((d >> 29) & 0x7fffff);
  }
  return reinterpret<u32>(<f32>reinterpret<f64>(d));
}

export function f64ToF32(src: usize, n: usize, dst: usize, simd: bool): void {
  let i: usize = 0;
  if (simd) {
    for (; i + 4 <= n; i += 4) {
      const a = v128.load(src + (i << 3));
      const b = v128.load(src + (i << 3), 16);
      // any NaN in this group: let the scalar path handle these four
      if (v128.any_true(v128.or(f64x2.ne(a, a), f64x2.ne(b, b)))) {
        for (let k: usize = 0; k < 4; k++) {
          store<u32>(dst + ((i + k) << 2), f64BitsToF32Bits(load<u64>(src + ((i + k) << 3))));
        }
        continue;
      }
      const lo = f32x4.demote_f64x2_zero(a);
      const hi = f32x4.demote_f64x2_zero(b);
      v128.store(dst + (i << 2), v128.shuffle<u32>(lo, hi, 0, 1, 4, 5));
    }
  }
  for (; i < n; i++) {
    store<u32>(dst + (i << 2), f64BitsToF32Bits(load<u64>(src + (i << 3))));
  }
}

// ---------------------------------------------------------------------------------------------
// Byte order reversal of n elements of 2, 4, 8 or 16 bytes. src may equal dst (in place).
// Returns 0, or -1 for an unsupported element size.

export function byteswap(src: usize, n: usize, elemSize: i32, dst: usize): i32 {
  return byteswapPath(src, n, elemSize, dst, true);
}

/** byteswap with an explicit choice of the SIMD or scalar path (for tests). */
export function byteswapPath(src: usize, n: usize, elemSize: i32, dst: usize, simd: bool): i32 {
  if (elemSize != 2 && elemSize != 4 && elemSize != 8 && elemSize != 16) return -1;
  const total = n * <usize>elemSize;
  let i: usize = 0;
  if (simd) {
    for (; i + 16 <= total; i += 16) {
      const v = v128.load(src + i);
      let r: v128;
      if (elemSize == 2) r = i8x16.shuffle(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
      else if (elemSize == 4) r = i8x16.shuffle(v, v, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
      else if (elemSize == 8) r = i8x16.shuffle(v, v, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
      else r = i8x16.shuffle(v, v, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
      v128.store(dst + i, r);
    }
  }
  if (elemSize == 2) {
    for (; i < total; i += 2) store<u16>(dst + i, bswap<u16>(load<u16>(src + i)));
  } else if (elemSize == 4) {
    for (; i < total; i += 4) store<u32>(dst + i, bswap<u32>(load<u32>(src + i)));
  } else if (elemSize == 8) {
    for (; i < total; i += 8) store<u64>(dst + i, bswap<u64>(load<u64>(src + i)));
  } else {
    for (; i < total; i += 16) {
      const a = load<u64>(src + i);
      const b = load<u64>(src + i, 8);
      store<u64>(dst + i, bswap<u64>(b));
      store<u64>(dst + i, bswap<u64>(a), 8);
    }
  }
  return 0;
}
