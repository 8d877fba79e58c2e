// The scale searches behind ggml's k-quants (make_qx_quants, make_q3_quants, make_qkx2_quants
// in ggml-quants.c), without importance weights, as the reference row quantizers call them.
// Every sum is accumulated in f32 in the C order so the chosen scales are the same bits.

import { nearestInt } from "./scalar-ops";

const GROUP_MAX_EPS: f32 = 1e-15;

// @ts-ignore: decorator
@inline function clampI(v: i32, lo: i32, hi: i32): i32 { return v < lo ? lo : v > hi ? hi : v; }

// @ts-ignore: decorator
@inline function at(x: usize, i: i32): f32 { return load<f32>(x + (<usize>i << 2)); }

/** make_qx_quants(n, nmax, x, L, rmse_type = 1, NULL): L[i] in [0, 2*nmax), returns the scale. */
export function makeQxQuants(n: i32, nmax: i32, x: usize, L: usize): f32 {
  let max: f32 = 0, amax: f32 = 0;
  for (let i = 0; i < n; i++) {
    const ax = Mathf.abs(at(x, i));
    if (ax > amax) { amax = ax; max = at(x, i); }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) store<i8>(L + i, 0);
    return 0;
  }
  const fmax = <f32>nmax;
  let iscale = -fmax / max;
  let sumlx: f32 = 0, suml2: f32 = 0;
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    const l = clampI(nearestInt(iscale * v), -nmax, nmax - 1);
    store<i8>(L + i, <i8>(l + nmax));
    const w = v * v;
    const fl = <f32>l;
    sumlx += w * v * fl;
    suml2 += w * fl * fl;
  }
  let scale: f32 = suml2 != 0 ? sumlx / suml2 : 0;
  let best = scale * sumlx;
  for (let is = -9; is <= 9; is++) {
    if (is == 0) continue;
    iscale = -(fmax + <f32>0.1 * <f32>is) / max;
    sumlx = 0; suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = at(x, i);
      const fl = <f32>clampI(nearestInt(iscale * v), -nmax, nmax - 1);
      const w = v * v;
      sumlx += w * v * fl;
      suml2 += w * fl * fl;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (let i = 0; i < n; i++) store<i8>(L + i, <i8>(nmax + clampI(nearestInt(iscale * at(x, i)), -nmax, nmax - 1)));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

/** make_q3_quants(n, nmax, x, L, do_rmse = true): L[i] in [0, 2*nmax). */
export function makeQ3Quants(n: i32, nmax: i32, x: usize, L: usize): f32 {
  let max: f32 = 0, amax: f32 = 0;
  for (let i = 0; i < n; i++) {
    const ax = Mathf.abs(at(x, i));
    if (ax > amax) { amax = ax; max = at(x, i); }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) store<i8>(L + i, 0);
    return 0;
  }
  const iscale = -<f32>nmax / max;
  let sumlx: f32 = 0, suml2: f32 = 0;
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    const l = clampI(nearestInt(iscale * v), -nmax, nmax - 1);
    store<i8>(L + i, <i8>l);
    const w = v * v;
    sumlx += w * v * <f32>l;
    suml2 += w * <f32>l * <f32>l;
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const v = at(x, i);
      const w = v * v;
      const li = <f32>load<i8>(L + i);
      let slx = sumlx - w * v * li;
      if (slx > 0) {
        let sl2 = suml2 - w * li * li;
        const nl = clampI(nearestInt(v * sl2 / slx), -nmax, nmax - 1);
        if (nl != <i32>load<i8>(L + i)) {
          slx += w * v * <f32>nl;
          sl2 += w * <f32>nl * <f32>nl;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            store<i8>(L + i, <i8>nl); sumlx = slx; suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (let i = 0; i < n; i++) store<i8>(L + i, <i8>(load<i8>(L + i) + nmax));
  return suml2 > 0 ? sumlx / suml2 : 0;
}

/**
 * make_qkx2_quants: scale and min (returned through minOut as -min) for q in [0, nmax] with
 * weights w, trying nstep+1 inverse scales from (rmin + nmax)/(max - min) in steps of rdelta.
 */
export function makeQkx2Quants(n: i32, nmax: i32, x: usize, w: usize, L: usize, minOut: usize, Laux: usize,
  rmin: f32, rdelta: f32, nstep: i32, useMad: bool): f32 {
  let min = at(x, 0), max = at(x, 0);
  let sumW = at(w, 0);
  let sumX = sumW * at(x, 0);
  for (let i = 1; i < n; i++) {
    const v = at(x, i);
    if (v < min) min = v;
    if (v > max) max = v;
    const wi = at(w, i);
    sumW += wi;
    sumX += wi * v;
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (let i = 0; i < n; i++) store<u8>(L + i, 0);
    store<f32>(minOut, -min);
    return 0;
  }
  const fmax = <f32>nmax;
  let iscale = fmax / (max - min);
  let scale = <f32>1 / iscale;
  let bestError: f32 = 0;
  for (let i = 0; i < n; i++) {
    const l = clampI(nearestInt(iscale * (at(x, i) - min)), 0, nmax);
    store<u8>(L + i, <u8>l);
    let diff = scale * <f32>l + min - at(x, i);
    diff = useMad ? Mathf.abs(diff) : diff * diff;
    bestError += at(w, i) * diff;
  }
  if (nstep < 1) { store<f32>(minOut, -min); return scale; }
  for (let is = 0; is <= nstep; is++) {
    iscale = (rmin + rdelta * <f32>is + fmax) / (max - min);
    let sumL: f32 = 0, sumL2: f32 = 0, sumXL: f32 = 0;
    for (let i = 0; i < n; i++) {
      const l = clampI(nearestInt(iscale * (at(x, i) - min)), 0, nmax);
      store<u8>(Laux + i, <u8>l);
      const wi = at(w, i);
      const fl = <f32>l;
      sumL += wi * fl;
      sumL2 += wi * fl * fl;
      sumXL += wi * fl * at(x, i);
    }
    const D = sumW * sumL2 - sumL * sumL;
    if (D > 0) {
      let thisScale = (sumW * sumXL - sumX * sumL) / D;
      let thisMin = (sumL2 * sumX - sumL * sumXL) / D;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      let cur: f32 = 0;
      for (let i = 0; i < n; i++) {
        let diff = thisScale * <f32>load<u8>(Laux + i) + thisMin - at(x, i);
        diff = useMad ? Mathf.abs(diff) : diff * diff;
        cur += at(w, i) * diff;
      }
      if (cur < bestError) {
        memory.copy(L, Laux, <usize>n);
        bestError = cur;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  store<f32>(minOut, -min);
  return scale;
}
