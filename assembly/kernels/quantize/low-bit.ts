// F32 -> TQ1_0, TQ2_0 (ternary), MXFP4 (e2m1 with an e8m0 scale), IQ4_NL and IQ4_XS (the
// non-linear 4-bit grid), bit for bit what quantize_row_*_ref in ggml-quants.c writes.

import { cvtt, ggmlF16, nearestInt, roundf } from "./scalar-ops";

const QK_K: usize = 256;
const KVALUES_MXFP4 = memory.data<i8>([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]);
const KVALUES_IQ4NL = memory.data<i8>([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]);
const L = memory.data(256, 16);
const W = memory.data(128, 16);
const SC = memory.data(32, 16);

// @ts-ignore: decorator
@inline function at(x: usize, i: usize): f32 { return load<f32>(x + (i << 2)); }

// amax = MAX(amax, fabsf(v)) over 256 values, as in the ternary quantizers
function amax256(x: usize): f32 {
  let a: f32 = 0;
  for (let j: usize = 0; j < QK_K; j++) { const v = Mathf.abs(at(x, j)); a = a > v ? a : v; }
  return a;
}

// @ts-ignore: decorator
@inline function trit(v: f32): u32 { return <u32>(cvtt(roundf(v)) + 1); }

// TQ1_0: {qs[48], qh[4], f16 d} (54 B): 5 trits per byte (qs), 4 per byte (qh), base 3
function tq1Block(x: usize, y: usize): void {
  const d = amax256(x);
  const id: f32 = d != 0 ? <f32>1 / d : 0;
  store<u16>(y + 52, ggmlF16(d));
  let p = x;
  for (let m: usize = 0; m < 32; m++) {
    let q: u32 = 0;
    for (let n: usize = 0; n < 5; n++) q = (q * 3 + trit(at(p, m + n * 32) * id)) & 0xff;
    store<u8>(y + m, <u8>((q * 256 + 242) / 243));
  }
  p += 5 * 32 * 4;
  for (let m: usize = 0; m < 16; m++) {
    let q: u32 = 0;
    for (let n: usize = 0; n < 5; n++) q = (q * 3 + trit(at(p, m + n * 16) * id)) & 0xff;
    store<u8>(y + 32 + m, <u8>((q * 256 + 242) / 243));
  }
  p += 5 * 16 * 4;
  for (let j: usize = 0; j < 4; j++) {
    let q: u32 = 0;
    for (let m: usize = 0; m < 4; m++) q = (q * 3 + trit(at(p, j + m * 4) * id)) & 0xff;
    q = (q * 3) & 0xff;
    store<u8>(y + 48 + j, <u8>((q * 256 + 242) / 243));
  }
}

// TQ2_0: {qs[64], f16 d} (66 B): 2-bit codes (trit + 1), four per byte
function tq2Block(x: usize, y: usize): void {
  const d = amax256(x);
  const id: f32 = d != 0 ? <f32>1 / d : 0;
  store<u16>(y + 64, ggmlF16(d));
  for (let j: usize = 0; j < 64; j += 32) {
    const p = x + j * 16; // 4*32 floats per 32 bytes
    for (let m: usize = 0; m < 32; m++) {
      let q: u32 = 0;
      for (let n: usize = 0; n < 4; n++) q += (trit(at(p, m + n * 32) * id) & 3) << (2 * <u32>n);
      store<u8>(y + j + m, <u8>q);
    }
  }
}

// @ts-ignore: decorator
@inline function bestMxfp4(x: f32, e: f32): u32 {
  let best: u32 = 0;
  let bestErr = Mathf.abs(<f32>load<i8>(KVALUES_MXFP4) * e - x);
  for (let i: u32 = 1; i < 16; i++) {
    const err = Mathf.abs(<f32>load<i8>(KVALUES_MXFP4 + i) * e - x);
    if (err < bestErr) { best = i; bestErr = err; }
  }
  return best;
}

// MXFP4: {u8 e, qs[16]} (17 B) for 32 values
function mxfp4Block(x: usize, y: usize): void {
  let amax: f32 = 0;
  for (let j: usize = 0; j < 32; j++) { const a = Mathf.abs(at(x, j)); if (amax < a) amax = a; }
  const e: u32 = amax > 0 ? <u32><u8>cvtt(Mathf.floor(Mathf.log2(amax)) - 2 + 127) : 0;
  const d = reinterpret<f32>(e < 2 ? <u32>0x00200000 << e : (e - 1) << 23);
  store<u8>(y, <u8>e);
  for (let j: usize = 0; j < 16; j++) {
    store<u8>(y + 1 + j, <u8>(bestMxfp4(at(x, j), d) | (bestMxfp4(at(x, j + 16), d) << 4)));
  }
}

// best_index_int8 over the IQ4_NL grid
// @ts-ignore: decorator
@inline function bestIq4(x: f32): u32 {
  const v = KVALUES_IQ4NL;
  if (x <= <f32>load<i8>(v)) return 0;
  if (x >= <f32>load<i8>(v + 15)) return 15;
  let ml: u32 = 0, mu: u32 = 15;
  while (mu - ml > 1) {
    const mav = (ml + mu) >> 1;
    if (x < <f32>load<i8>(v + mav)) mu = mav; else ml = mav;
  }
  return x - <f32>load<i8>(v + mu - 1) < <f32>load<i8>(v + mu) - x ? mu - 1 : mu;
}

// quantize_row_iq4_nl_impl without importance weights. superBlock 32 (IQ4_NL, ntry -1: d is
// stored, codes kept from the first pass) or 256 (IQ4_XS, ntry 7: 6-bit sub-block scales).
function iq4Impl(superBlock: i32, x: usize, dh: usize, q4: usize, scalesH: usize, scalesL: usize, ntry: i32): void {
  memory.fill(q4, 0, <usize>(superBlock / 2));
  store<u16>(dh, ggmlF16(0));
  let maxScale: f32 = 0, amaxScale: f32 = 0;
  const nb = superBlock / 32;
  const v0 = <f32>load<i8>(KVALUES_IQ4NL);
  for (let ib = 0; ib < nb; ib++) {
    const xb = x + (<usize>ib * 32 << 2);
    const Lb = L + <usize>ib * 32;
    for (let j: usize = 0; j < 32; j++) store<f32>(W + (j << 2), at(xb, j) * at(xb, j));
    let amax: f32 = 0, max: f32 = 0;
    for (let j: usize = 0; j < 32; j++) {
      const ax = Mathf.abs(at(xb, j));
      if (ax > amax) { amax = ax; max = at(xb, j); }
    }
    if (amax < <f32>1e-15) {
      // ggml leaves the codes of an all-zero block uninitialised (d = 0, they read back as 0)
      memory.fill(Lb, 0, 32);
      store<f32>(SC + (<usize>ib << 2), 0);
      continue;
    }
    let d: f32 = ntry > 0 ? -max / v0 : max / v0;
    let id = <f32>1 / d;
    let sumqx: f32 = 0, sumq2: f32 = 0;
    for (let j: usize = 0; j < 32; j++) {
      const l = bestIq4(id * at(xb, j));
      store<u8>(Lb + j, <u8>l);
      const q = <f32>load<i8>(KVALUES_IQ4NL + l);
      const w = load<f32>(W + (j << 2));
      sumqx += w * q * at(xb, j);
      sumq2 += w * q * q;
    }
    d = sumq2 > 0 ? sumqx / sumq2 : 0;
    let best = d * sumqx;
    for (let itry = -ntry; itry <= ntry; itry++) {
      id = (<f32>itry + v0) / max;
      sumqx = 0; sumq2 = 0;
      for (let j: usize = 0; j < 32; j++) {
        const q = <f32>load<i8>(KVALUES_IQ4NL + bestIq4(id * at(xb, j)));
        const w = load<f32>(W + (j << 2));
        sumqx += w * q * at(xb, j);
        sumq2 += w * q * q;
      }
      if (sumq2 > 0 && sumqx * sumqx > best * sumq2) { d = sumqx / sumq2; best = d * sumqx; }
    }
    store<f32>(SC + (<usize>ib << 2), d);
    const ad = Mathf.abs(d);
    if (ad > amaxScale) { amaxScale = ad; maxScale = d; }
  }
  if (nb > 1) {
    store<u16>(scalesH, 0);
    const d = -maxScale / <f32>32;
    store<u16>(dh, ggmlF16(d));
    const id: f32 = d != 0 ? <f32>1 / d : 0;
    for (let ib = 0; ib < nb; ib++) {
      let l = nearestInt(id * load<f32>(SC + (<usize>ib << 2)));
      l = l < -32 ? -32 : l > 31 ? 31 : l;
      const dl = d * <f32>l;
      const idl: f32 = dl != 0 ? <f32>1 / dl : 0;
      const xb = x + (<usize>ib * 32 << 2);
      for (let j: usize = 0; j < 32; j++) store<u8>(L + <usize>ib * 32 + j, <u8>bestIq4(idl * at(xb, j)));
      l += 32;
      const ll = <u32>(l & 15), lh = <u32>(l >> 4) & 0xff;
      const p = scalesL + <usize>(ib / 2);
      if (ib % 2 == 0) store<u8>(p, <u8>ll); else store<u8>(p, <u8>(load<u8>(p) | (ll << 4)));
      store<u16>(scalesH, <u16>(load<u16>(scalesH) | (lh << <u32>(2 * (ib % 8)))));
    }
  } else {
    const s0 = load<f32>(SC);
    store<u16>(dh, ggmlF16(s0));
    if (ntry > 0) {
      const id: f32 = s0 != 0 ? <f32>1 / s0 : 0;
      for (let j: usize = 0; j < <usize>superBlock; j++) store<u8>(L + j, <u8>bestIq4(id * at(x, j)));
    }
  }
  for (let i: usize = 0; i < <usize>nb; i++) {
    for (let j: usize = 0; j < 16; j++) {
      store<u8>(q4 + 16 * i + j, <u8>(load<u8>(L + 32 * i + j) | (load<u8>(L + 32 * i + 16 + j) << 4)));
    }
  }
}

export function quantizeTQ1_0(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) tq1Block(src + b * 1024, dst + b * 54);
}
export function quantizeTQ2_0(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) tq2Block(src + b * 1024, dst + b * 66);
}
export function quantizeMXFP4(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) mxfp4Block(src + b * 128, dst + b * 17);
}
// IQ4_NL: {f16 d, qs[16]} (18 B) for 32 values
export function quantizeIQ4NL(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) { const y = dst + b * 18; iq4Impl(32, src + b * 128, y, y + 2, 0, 0, -1); }
}
// IQ4_XS: {f16 d, u16 scales_h, scales_l[4], qs[128]} (136 B) for 256 values
export function quantizeIQ4XS(src: usize, nb: usize, dst: usize): void {
  for (let b: usize = 0; b < nb; b++) { const y = dst + b * 136; iq4Impl(256, src + b * 1024, y, y + 8, y + 2, y + 4, 7); }
}
