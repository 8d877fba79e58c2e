// F32 -> ggml's 256-element k-quant super-blocks (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K), bit for bit
// what quantize_row_*_ref in ggml-quants.c writes (scalar: the scale searches are sequential
// float sums whose order decides the result). Each function takes (src, nb, dst): nb blocks.

import { f16BitsToF32Bits } from "../float";
import { ggmlF16, nearestInt } from "./scalar-ops";
import { makeQ3Quants, makeQkx2Quants, makeQxQuants } from "./k-helpers";

const QK_K: usize = 256;
// scratch: L[256], Laux[32], weights[32], scales[16], mins[16], one f32 out-param
const L = memory.data(256, 16);
const LAUX = memory.data(32, 16);
const W = memory.data(128, 16);
const SC = memory.data(64, 16);
const MN = memory.data(64, 16);

// @ts-ignore: decorator
@inline function at(x: usize, i: usize): f32 { return load<f32>(x + (i << 2)); }
// @ts-ignore: decorator
@inline function clampI(v: i32, lo: i32, hi: i32): i32 { return v < lo ? lo : v > hi ? hi : v; }

/** Packs 4 values of 2 bits from L[j + l + 32k] (k = 0..3) per byte, for each 128 of 256. */
function pack2(y: usize): void {
  for (let j: usize = 0; j < QK_K; j += 128) {
    for (let l: usize = 0; l < 32; l++) {
      store<u8>(y + j / 4 + l, <u8>(load<u8>(L + j + l) | (load<u8>(L + j + l + 32) << 2) |
        (load<u8>(L + j + l + 64) << 4) | (load<u8>(L + j + l + 96) << 6)));
    }
  }
}

// Q2_K: {u8 scales[16], qs[64], f16 d, f16 dmin} (84 B)
function q2KBlock(x: usize, y: usize): void {
  let maxScale: f32 = 0, maxMin: f32 = 0;
  for (let j: usize = 0; j < 16; j++) {
    for (let l: usize = 0; l < 16; l++) store<f32>(W + (l << 2), Mathf.abs(at(x, 16 * j + l)));
    const s = makeQkx2Quants(16, 3, x + (16 * j << 2), W, L + 16 * j, MN + (j << 2), LAUX, -0.5, 0.1, 15, true);
    store<f32>(SC + (j << 2), s);
    if (s > maxScale) maxScale = s;
    const m = load<f32>(MN + (j << 2));
    if (m > maxMin) maxMin = m;
  }
  const q4scale: f32 = 15;
  if (maxScale > 0) {
    const iscale = q4scale / maxScale;
    for (let j: usize = 0; j < 16; j++) store<u8>(y + j, <u8>nearestInt(iscale * load<f32>(SC + (j << 2))));
    store<u16>(y + 80, ggmlF16(maxScale / q4scale));
  } else {
    for (let j: usize = 0; j < 16; j++) store<u8>(y + j, 0);
    store<u16>(y + 80, ggmlF16(0));
  }
  if (maxMin > 0) {
    const iscale = q4scale / maxMin;
    for (let j: usize = 0; j < 16; j++) {
      store<u8>(y + j, <u8>(load<u8>(y + j) | (nearestInt(iscale * load<f32>(MN + (j << 2))) << 4)));
    }
    store<u16>(y + 82, ggmlF16(maxMin / q4scale));
  } else store<u16>(y + 82, ggmlF16(0));
  const dd = readF16(y + 80);
  const dm = readF16(y + 82);
  for (let j: usize = 0; j < 16; j++) {
    const sc = load<u8>(y + j);
    const d = dd * <f32>(sc & 15);
    if (d == 0) continue;
    const m = dm * <f32>(sc >> 4);
    for (let ii: usize = 0; ii < 16; ii++) {
      store<u8>(L + 16 * j + ii, <u8>clampI(nearestInt((at(x, 16 * j + ii) + m) / d), 0, 3));
    }
  }
  pack2(y + 16);
}

// Q3_K: {hmask[32], qs[64], scales[12], f16 d} (110 B)
function q3KBlock(x: usize, y: usize): void {
  let maxScale: f32 = 0, amax: f32 = 0;
  for (let j: usize = 0; j < 16; j++) {
    const s = makeQ3Quants(16, 4, x + (16 * j << 2), L + 16 * j);
    store<f32>(SC + (j << 2), s);
    const a = Mathf.abs(s);
    if (a > amax) { amax = a; maxScale = s; }
  }
  const sc = y + 96;
  memory.fill(sc, 0, 12);
  if (maxScale != 0) {
    const iscale = <f32>-32 / maxScale;
    for (let j: usize = 0; j < 16; j++) {
      let l = <i32><i8>nearestInt(iscale * load<f32>(SC + (j << 2)));
      l = <i32><i8>(clampI(l, -32, 31) + 32);
      if (j < 8) store<u8>(sc + j, <u8>(l & 15));
      else store<u8>(sc + j - 8, <u8>(load<u8>(sc + j - 8) | ((l & 15) << 4)));
      l >>= 4;
      store<u8>(sc + (j % 4) + 8, <u8>(load<u8>(sc + (j % 4) + 8) | (l << (2 * <i32>(j / 4)))));
    }
    store<u16>(y + 108, ggmlF16(<f32>1 / iscale));
  } else store<u16>(y + 108, ggmlF16(0));
  const dAll = readF16(y + 108);
  for (let j: usize = 0; j < 16; j++) {
    let s = <i32>(j < 8 ? load<u8>(sc + j) & 15 : load<u8>(sc + j - 8) >> 4);
    s = <i32><i8>((s | (((<i32>load<u8>(sc + 8 + (j % 4)) >> (2 * <i32>(j / 4))) & 3) << 4)) - 32);
    const d = dAll * <f32>s;
    if (d == 0) continue;
    for (let ii: usize = 0; ii < 16; ii++) {
      store<i8>(L + 16 * j + ii, <i8>(clampI(nearestInt(at(x, 16 * j + ii) / d), -4, 3) + 4));
    }
  }
  memory.fill(y, 0, 32);
  let m: usize = 0;
  let hm: u8 = 1;
  for (let j: usize = 0; j < QK_K; j++) {
    if (load<i8>(L + j) > 3) {
      store<u8>(y + m, load<u8>(y + m) | hm);
      store<i8>(L + j, load<i8>(L + j) - 4);
    }
    if (++m == 32) { m = 0; hm <<= 1; }
  }
  pack2(y + 32);
}

// Q4_K / Q5_K scales: 8 pairs (scale, min) of 6 bits packed into 12 bytes
function packScalesMins(sc: usize): void {
  let maxScale: f32 = 0, maxMin: f32 = 0;
  for (let j: usize = 0; j < 8; j++) {
    const s = load<f32>(SC + (j << 2)), m = load<f32>(MN + (j << 2));
    if (s > maxScale) maxScale = s;
    if (m > maxMin) maxMin = m;
  }
  const invScale: f32 = maxScale > 0 ? <f32>63 / maxScale : 0;
  const invMin: f32 = maxMin > 0 ? <f32>63 / maxMin : 0;
  for (let j: usize = 0; j < 8; j++) {
    let ls = <u32><u8>nearestInt(invScale * load<f32>(SC + (j << 2)));
    let lm = <u32><u8>nearestInt(invMin * load<f32>(MN + (j << 2)));
    if (ls > 63) ls = 63;
    if (lm > 63) lm = 63;
    if (j < 4) {
      store<u8>(sc + j, <u8>ls);
      store<u8>(sc + j + 4, <u8>lm);
    } else {
      store<u8>(sc + j + 4, <u8>((ls & 15) | ((lm & 15) << 4)));
      store<u8>(sc + j - 4, <u8>(load<u8>(sc + j - 4) | ((ls >> 4) << 6)));
      store<u8>(sc + j, <u8>(load<u8>(sc + j) | ((lm >> 4) << 6)));
    }
  }
  store<u16>(sc - 4, ggmlF16(maxScale / <f32>63));
  store<u16>(sc - 2, ggmlF16(maxMin / <f32>63));
}

// @ts-ignore: decorator
@inline function scaleMinK4(j: usize, q: usize, wantMin: bool): u32 {
  if (j < 4) return wantMin ? <u32>load<u8>(q + j + 4) & 63 : <u32>load<u8>(q + j) & 63;
  return wantMin
    ? (<u32>load<u8>(q + j + 4) >> 4) | ((<u32>load<u8>(q + j) >> 6) << 4)
    : (<u32>load<u8>(q + j + 4) & 15) | ((<u32>load<u8>(q + j - 4) >> 6) << 4);
}

// @ts-ignore: decorator
@inline function q45KScales(x: usize, y: usize, nmax: i32, rmin: f32, nstep: i32): void {
  for (let j: usize = 0; j < 8; j++) {
    let sumX2: f32 = 0;
    for (let l: usize = 0; l < 32; l++) sumX2 += at(x, 32 * j + l) * at(x, 32 * j + l);
    const avX = Mathf.sqrt(sumX2 / <f32>32);
    for (let l: usize = 0; l < 32; l++) store<f32>(W + (l << 2), avX + Mathf.abs(at(x, 32 * j + l)));
    store<f32>(SC + (j << 2), makeQkx2Quants(32, nmax, x + (32 * j << 2), W, L + 32 * j, MN + (j << 2), LAUX, rmin, 0.1, nstep, false));
  }
  packScalesMins(y + 4);
  const d0 = readF16(y), dm0 = readF16(y + 2);
  for (let j: usize = 0; j < 8; j++) {
    const d = d0 * <f32>scaleMinK4(j, y + 4, false);
    if (d == 0) continue;
    const dm = dm0 * <f32>scaleMinK4(j, y + 4, true);
    for (let ii: usize = 0; ii < 32; ii++) {
      store<u8>(L + 32 * j + ii, <u8>clampI(nearestInt((at(x, 32 * j + ii) + dm) / d), 0, nmax));
    }
  }
}

// @ts-ignore: decorator
@inline function readF16(p: usize): f32 { return reinterpret<f32>(f16BitsToF32Bits(<u32>load<u16>(p))); }

// Q4_K: {f16 d, f16 dmin, scales[12], qs[128]} (144 B)
function q4KBlock(x: usize, y: usize): void {
  q45KScales(x, y, 15, -1, 20);
  let q = y + 16;
  for (let j: usize = 0; j < QK_K; j += 64) {
    for (let l: usize = 0; l < 32; l++) store<u8>(q + l, <u8>(load<u8>(L + j + l) | (load<u8>(L + j + l + 32) << 4)));
    q += 32;
  }
}

// Q5_K: {f16 d, f16 dmin, scales[12], qh[32], qs[128]} (176 B)
function q5KBlock(x: usize, y: usize): void {
  q45KScales(x, y, 31, -0.5, 15);
  const qh = y + 16;
  let ql = y + 48;
  memory.fill(qh, 0, 32);
  let m1: u32 = 1, m2: u32 = 2;
  for (let n: usize = 0; n < QK_K; n += 64) {
    for (let j: usize = 0; j < 32; j++) {
      let l1 = <u32>load<u8>(L + n + j);
      if (l1 > 15) { l1 -= 16; store<u8>(qh + j, <u8>(load<u8>(qh + j) | m1)); }
      let l2 = <u32>load<u8>(L + n + j + 32);
      if (l2 > 15) { l2 -= 16; store<u8>(qh + j, <u8>(load<u8>(qh + j) | m2)); }
      store<u8>(ql + j, <u8>(l1 | (l2 << 4)));
    }
    m1 <<= 2; m2 <<= 2;
    ql += 32;
  }
}

// Q6_K: {ql[128], qh[64], i8 scales[16], f16 d} (210 B)
function q6KBlock(x: usize, y: usize): void {
  let maxScale: f32 = 0, maxAbs: f32 = 0;
  for (let ib: usize = 0; ib < 16; ib++) {
    const s = makeQxQuants(16, 32, x + (16 * ib << 2), L + 16 * ib);
    store<f32>(SC + (ib << 2), s);
    const a = Mathf.abs(s);
    if (a > maxAbs) { maxAbs = a; maxScale = s; }
  }
  if (maxAbs < <f32>1e-15) {
    memory.fill(y, 0, 210);
    store<u16>(y + 208, ggmlF16(0));
    return;
  }
  const iscale = <f32>-128 / maxScale;
  store<u16>(y + 208, ggmlF16(<f32>1 / iscale));
  for (let ib: usize = 0; ib < 16; ib++) {
    const l = nearestInt(iscale * load<f32>(SC + (ib << 2)));
    store<i8>(y + 192 + ib, <i8>(l < 127 ? l : 127));
  }
  const dAll = readF16(y + 208);
  for (let j: usize = 0; j < 16; j++) {
    const d = dAll * <f32>load<i8>(y + 192 + j);
    if (d == 0) continue;
    for (let ii: usize = 0; ii < 16; ii++) {
      store<i8>(L + 16 * j + ii, <i8>(clampI(nearestInt(at(x, 16 * j + ii) / d), -32, 31) + 32));
    }
  }
  let ql = y, qh = y + 128;
  for (let j: usize = 0; j < QK_K; j += 128) {
    for (let l: usize = 0; l < 32; l++) {
      const a = <u32>load<u8>(L + j + l), b = <u32>load<u8>(L + j + l + 32);
      const c = <u32>load<u8>(L + j + l + 64), e = <u32>load<u8>(L + j + l + 96);
      store<u8>(ql + l, <u8>((a & 15) | ((c & 15) << 4)));
      store<u8>(ql + l + 32, <u8>((b & 15) | ((e & 15) << 4)));
      store<u8>(qh + l, <u8>((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6)));
    }
    ql += 64;
    qh += 32;
  }
}

export function quantizeQ2K(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) q2KBlock(src + b * 1024, dst + b * 84);
}
export function quantizeQ3K(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) q3KBlock(src + b * 1024, dst + b * 110);
}
export function quantizeQ4K(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) q4KBlock(src + b * 1024, dst + b * 144);
}
export function quantizeQ5K(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) q5KBlock(src + b * 1024, dst + b * 176);
}
export function quantizeQ6K(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) q6KBlock(src + b * 1024, dst + b * 210);
}
