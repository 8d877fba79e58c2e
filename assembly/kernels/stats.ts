// Streaming statistics over f32 windows: a tensor is read window by window (as F32, so quantized
// and half types are dequantized first), each window is folded into an accumulator, and the
// result is read once at the end.
//
// Min, max, mean and std are over the finite values; NaN, +Inf and -Inf are counted apart (a
// single NaN must not hide the shape of a weight tensor). std is the population std (ddof 0,
// numpy's default). Each window's mean and squared deviations are computed in f64 with two
// passes over the window (it is in memory anyway), then merged into the running totals with
// Chan's parallel update, so the result does not lose precision when |mean| >> std the way a
// sum-of-squares formula would.
//
// The histogram has a fixed range [lo, hi] given at the start: a host that wants it over
// [min, max] runs one accumulator without bins, then a second pass with bins. Bin of x is
// floor((x - lo) * (bins / (hi - lo))) computed in f64, x == hi goes into the last bin (numpy's
// convention), values outside the range are counted as below/above.

import { E_BAD_ARGUMENT, E_LIMIT, E_OK } from "../core/errors";

export const STATS_MAX_BINS: i32 = 4096;
// A window is a few MiB in practice; the cap keeps the per-lane i32 counters far from overflow.
export const STATS_MAX_WINDOW: u32 = 1 << 28;
const MAX_LIVE: i32 = 1024;

// Layout of the result (f64 slots), documented in bindings/ABI.md.
export const R_COUNT = 0; // finite values
export const R_NAN = 1;
export const R_POSINF = 2;
export const R_NEGINF = 3;
export const R_ZEROS = 4; // +0 and -0
export const R_MIN = 5; // NaN when there is no finite value
export const R_MAX = 6;
export const R_MEAN = 7;
export const R_STD = 8;
export const R_BELOW = 9; // finite values < lo
export const R_ABOVE = 10; // finite values > hi
export const R_BINS = 11;
export const R_LO = 12;
export const R_HI = 13;
export const R_TOTAL = 14; // every value seen
export const R_HEADER = 16; // bin counts start here

class Stats {
  total: u64 = 0;
  finite: u64 = 0;
  nan: u64 = 0;
  posInf: u64 = 0;
  negInf: u64 = 0;
  zeros: u64 = 0;
  min: f32 = Infinity;
  max: f32 = -Infinity;
  mean: f64 = 0;
  m2: f64 = 0;
  below: u64 = 0;
  above: u64 = 0;
  scale: f64 = 0;
  hist: StaticArray<u64>;
  result: StaticArray<f64>;

  constructor(public bins: i32, public lo: f64, public hi: f64) {
    this.hist = new StaticArray<u64>(bins * 4);
    this.result = new StaticArray<f64>(R_HEADER + bins);
    if (bins > 0) this.scale = <f64>bins / (hi - lo);
  }

  update(p: usize, n: usize): void {
    // Pass 1: counts, min, max and the window's sum of finite values.
    const zero = f32x4.splat(0);
    const inf = f32x4.splat(Infinity);
    const ninf = f32x4.splat(-Infinity);
    let vmin = inf;
    let vmax = ninf;
    let sumA = f64x2.splat(0);
    let sumB = f64x2.splat(0);
    let cFinite = i32x4.splat(0);
    let cNan = i32x4.splat(0);
    let cPos = i32x4.splat(0);
    let cZero = i32x4.splat(0);
    let i: usize = 0;
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(p + (i << 2));
      // x - x is 0 for finite x and NaN for NaN and +-Inf.
      const fin = f32x4.eq(f32x4.sub(v, v), zero);
      cFinite = i32x4.sub(cFinite, fin);
      cNan = i32x4.sub(cNan, f32x4.ne(v, v));
      cPos = i32x4.sub(cPos, f32x4.eq(v, inf));
      cZero = i32x4.sub(cZero, f32x4.eq(v, zero));
      vmin = f32x4.min(vmin, v128.bitselect(v, inf, fin));
      vmax = f32x4.max(vmax, v128.bitselect(v, ninf, fin));
      const fv = v128.and(v, fin);
      sumA = f64x2.add(sumA, f64x2.promote_low_f32x4(fv));
      sumB = f64x2.add(sumB, f64x2.promote_low_f32x4(v128.shuffle<f32>(fv, fv, 2, 3, 0, 1)));
    }
    let finite = <u64>laneSum(cFinite);
    let nan = <u64>laneSum(cNan);
    let pos = <u64>laneSum(cPos);
    let zeros = <u64>laneSum(cZero);
    let mn = min(min(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3)));
    let mx = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    const s2 = f64x2.add(sumA, sumB);
    let sum = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
    for (; i < n; i++) {
      const x = load<f32>(p + (i << 2));
      if (x - x == 0) {
        finite++;
        if (x < mn) mn = x;
        if (x > mx) mx = x;
        sum += <f64>x;
        if (x == 0) zeros++;
      } else if (x != x) nan++;
      else if (x > 0) pos++;
    }
    const nonFinite = <u64>n - finite;
    this.total += <u64>n;
    this.nan += nan;
    this.posInf += pos;
    this.negInf += nonFinite - nan - pos;
    this.zeros += zeros;
    if (finite == 0) return;
    if (mn < this.min) this.min = mn;
    if (mx > this.max) this.max = mx;

    // Pass 2: squared deviations from the window's mean.
    const wMean = sum / <f64>finite;
    const m = f64x2.splat(wMean);
    let d2A = f64x2.splat(0);
    let d2B = f64x2.splat(0);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(p + (i << 2));
      const fin = f32x4.eq(f32x4.sub(v, v), zero);
      const hiV = v128.shuffle<f32>(v, v, 2, 3, 0, 1);
      const da = f64x2.sub(f64x2.promote_low_f32x4(v), m);
      const db = f64x2.sub(f64x2.promote_low_f32x4(hiV), m);
      // widen the lane masks to 64 bits so non-finite lanes drop out of the sums
      d2A = f64x2.add(d2A, v128.and(f64x2.mul(da, da), i64x2.extend_low_i32x4_s(fin)));
      d2B = f64x2.add(d2B, v128.and(f64x2.mul(db, db), i64x2.extend_high_i32x4_s(fin)));
    }
    const d2 = f64x2.add(d2A, d2B);
    let wM2 = f64x2.extract_lane(d2, 0) + f64x2.extract_lane(d2, 1);
    for (; i < n; i++) {
      const x = load<f32>(p + (i << 2));
      if (x - x == 0) {
        const d = <f64>x - wMean;
        wM2 += d * d;
      }
    }

    // Chan et al.: merge (finite, wMean, wM2) into the running (count, mean, m2).
    const na = <f64>this.finite;
    const nb = <f64>finite;
    const nt = na + nb;
    const delta = wMean - this.mean;
    this.mean += delta * (nb / nt);
    this.m2 += wM2 + delta * delta * (na * nb / nt);
    this.finite += finite;

    if (this.bins > 0) this.histogram(p, n);
  }

  // Four sub-histograms (one per SIMD lane) so that consecutive increments of one bin do not
  // wait on each other's store; they are summed in finish().
  private histogram(p: usize, n: usize): void {
    const lo = this.lo;
    const hi = this.hi;
    const scale = this.scale;
    const bins = this.bins;
    const last = bins - 1;
    const hist = changetype<usize>(this.hist);
    const stride = <usize>bins << 3;
    const loV = f64x2.splat(lo);
    const hiV = f64x2.splat(hi);
    const scaleV = f64x2.splat(scale);
    const lastV = i32x4.splat(last);
    let i: usize = 0;
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(p + (i << 2));
      const a = f64x2.promote_low_f32x4(v);
      const b = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      // NaN and +-Inf fail one of these comparisons, so "all in range" also means "all finite"
      const inA = v128.and(f64x2.ge(a, loV), f64x2.le(a, hiV));
      const inB = v128.and(f64x2.ge(b, loV), f64x2.le(b, hiV));
      if (!v128.all_true<i64>(v128.and(inA, inB))) {
        this.histogramScalar(p + (i << 2), 4);
        continue;
      }
      const ia = i32x4.trunc_sat_f64x2_s_zero(f64x2.mul(f64x2.sub(a, loV), scaleV));
      const ib = i32x4.trunc_sat_f64x2_s_zero(f64x2.mul(f64x2.sub(b, loV), scaleV));
      const idx = i32x4.min_s(v128.shuffle<i32>(ia, ib, 0, 1, 4, 5), lastV);
      const q0 = hist + (<usize>i32x4.extract_lane(idx, 0) << 3);
      const q1 = hist + stride + (<usize>i32x4.extract_lane(idx, 1) << 3);
      const q2 = hist + 2 * stride + (<usize>i32x4.extract_lane(idx, 2) << 3);
      const q3 = hist + 3 * stride + (<usize>i32x4.extract_lane(idx, 3) << 3);
      store<u64>(q0, load<u64>(q0) + 1);
      store<u64>(q1, load<u64>(q1) + 1);
      store<u64>(q2, load<u64>(q2) + 1);
      store<u64>(q3, load<u64>(q3) + 1);
    }
    this.histogramScalar(p + (i << 2), n - i);
  }

  // The reference rule, for tails and for groups of four that hold a value out of range.
  private histogramScalar(p: usize, n: usize): void {
    const lo = this.lo;
    const hi = this.hi;
    const scale = this.scale;
    const last = this.bins - 1;
    const hist = changetype<usize>(this.hist);
    for (let i: usize = 0; i < n; i++) {
      const x = <f64>load<f32>(p + (i << 2));
      if (!(x - x == 0)) continue;
      if (x < lo) { this.below++; continue; }
      if (x > hi) { this.above++; continue; }
      let b = <i32>((x - lo) * scale);
      if (b > last) b = last;
      const q = hist + (<usize>b << 3);
      store<u64>(q, load<u64>(q) + 1);
    }
  }

  finish(): StaticArray<f64> {
    const r = this.result;
    const none = this.finite == 0;
    r[R_COUNT] = <f64>this.finite;
    r[R_NAN] = <f64>this.nan;
    r[R_POSINF] = <f64>this.posInf;
    r[R_NEGINF] = <f64>this.negInf;
    r[R_ZEROS] = <f64>this.zeros;
    r[R_MIN] = none ? NaN : <f64>this.min;
    r[R_MAX] = none ? NaN : <f64>this.max;
    r[R_MEAN] = none ? NaN : this.mean;
    r[R_STD] = none ? NaN : Math.sqrt(this.m2 / <f64>this.finite);
    r[R_BELOW] = <f64>this.below;
    r[R_ABOVE] = <f64>this.above;
    r[R_BINS] = <f64>this.bins;
    r[R_LO] = this.lo;
    r[R_HI] = this.hi;
    r[R_TOTAL] = <f64>this.total;
    const h = this.hist;
    const k = this.bins;
    for (let b = 0; b < k; b++) r[R_HEADER + b] = <f64>(h[b] + h[k + b] + h[2 * k + b] + h[3 * k + b]);
    return r;
  }
}

// @ts-ignore: decorator
@inline function laneSum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

const live = new Array<Stats | null>();

function get(h: i32): Stats | null {
  if (h <= 0 || h > live.length) return null;
  return live[h - 1];
}

// ---- ABI (bindings/ABI.md, "Statistics") ----

/**
 * Starts an accumulator. `bins` = 0 for no histogram; otherwise 1..4096 bins over [lo, hi]
 * (finite, lo < hi). Returns a handle > 0 or -code.
 */
export function stats_begin(bins: i32, lo: f64, hi: f64): i32 {
  if (bins < 0 || bins > STATS_MAX_BINS) return -E_BAD_ARGUMENT;
  if (bins > 0 && !(lo < hi && hi - lo < Infinity)) return -E_BAD_ARGUMENT;
  const s = new Stats(bins, lo, hi);
  for (let i = 0; i < live.length; i++) {
    if (live[i] === null) { live[i] = s; return i + 1; }
  }
  if (live.length >= MAX_LIVE) return -E_LIMIT;
  live.push(s);
  return live.length;
}

/** Folds `n` f32 values at `ptr` into the accumulator. 0 or an error code. */
export function stats_update(h: i32, ptr: usize, n: u32): i32 {
  const s = get(h);
  if (!s || n > STATS_MAX_WINDOW || (n > 0 && ptr == 0)) return E_BAD_ARGUMENT;
  if (n > 0) s.update(ptr, <usize>n);
  return E_OK;
}

/** The result as f64 slots (R_* above, then `bins` counts); valid until the next call on `h`. */
export function stats_result(h: i32): usize {
  const s = get(h);
  if (!s) return 0;
  return changetype<usize>(s.finish());
}

/** Frees the accumulator. */
export function stats_end(h: i32): void {
  if (get(h) === null) return;
  live[h - 1] = null;
}
