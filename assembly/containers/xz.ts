// LZMA decoding for the two containers joblib writes: .xz (LZMA2 filter only) and .lzma ("LZMA
// alone"). Whole-buffer decoding into a growing output with a hard cap; every length is checked
// and every malformed stream gives an error message, never a trap. Integrity checks of .xz
// (CRC32/CRC64/SHA-256) are skipped: the pickle machine validates what it reads.

import { ByteBuf } from "../util/bytes";

const PROB_INIT: u16 = 1024;
const LIT_STATES_MAX: i32 = 1 << 12; // lc + lp <= 12 keeps the literal table bounded

class RangeDecoder {
  range: u32 = 0;
  code: u32 = 0;
  p: usize = 0;
  end: usize = 0;
  overrun: bool = false;

  init(p: usize, n: usize): bool {
    this.p = p;
    this.end = p + n;
    this.overrun = false;
    if (n < 5 || load<u8>(p) != 0) return false;
    this.range = 0xffffffff;
    this.code = 0;
    for (let i = 1; i < 5; i++) this.code = (this.code << 8) | <u32>load<u8>(p + <usize>i);
    this.p = p + 5;
    return true;
  }

  @inline next(): u32 {
    if (this.p >= this.end) { this.overrun = true; return 0; }
    const b = <u32>load<u8>(this.p);
    this.p++;
    return b;
  }

  @inline normalize(): void {
    if (this.range < (1 << 24)) {
      this.range <<= 8;
      this.code = (this.code << 8) | this.next();
    }
  }

  bit(probs: Uint16Array, i: i32): u32 {
    const prob = <u32>unchecked(probs[i]);
    const bound = (this.range >>> 11) * prob;
    let b: u32;
    if (this.code < bound) {
      this.range = bound;
      unchecked(probs[i] = <u16>(prob + ((2048 - prob) >>> 5)));
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      unchecked(probs[i] = <u16>(prob - (prob >>> 5)));
      b = 1;
    }
    this.normalize();
    return b;
  }

  direct(n: i32): u32 {
    let r: u32 = 0;
    for (let i = 0; i < n; i++) {
      this.range >>>= 1;
      this.code -= this.range;
      const t: u32 = 0 - (this.code >>> 31);
      this.code += this.range & t;
      r = (r << 1) + (t + 1);
      this.normalize();
    }
    return r;
  }

  tree(probs: Uint16Array, base: i32, bits: i32): u32 {
    let m: u32 = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.bit(probs, base + <i32>m);
    return m - (<u32>1 << <u32>bits);
  }

  reverseTree(probs: Uint16Array, base: i32, bits: i32): u32 {
    let m: u32 = 1;
    let r: u32 = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(probs, base + <i32>m);
      m = (m << 1) | b;
      r |= b << <u32>i;
    }
    return r;
  }
}

// Length decoder layout inside one Uint16Array: choice, choice2, low[16][8], mid[16][8], high[256].
const LEN_SIZE: i32 = 2 + 16 * 8 + 16 * 8 + 256;

// Probability table layout (offsets into one Uint16Array).
const IS_MATCH: i32 = 0;                 // 12 * 16
const IS_REP: i32 = IS_MATCH + 192;      // 12
const IS_REP_G0: i32 = IS_REP + 12;
const IS_REP_G1: i32 = IS_REP_G0 + 12;
const IS_REP_G2: i32 = IS_REP_G1 + 12;
const IS_REP0_LONG: i32 = IS_REP_G2 + 12; // 12 * 16
const POS_SLOT: i32 = IS_REP0_LONG + 192; // 4 * 64
const SPEC_POS: i32 = POS_SLOT + 256;     // 115
const ALIGN: i32 = SPEC_POS + 115;        // 16
const LEN: i32 = ALIGN + 16;
const REP_LEN: i32 = LEN + LEN_SIZE;
const LITERAL: i32 = REP_LEN + LEN_SIZE;

export class LzmaDecoder {
  lc: i32 = 3;
  lp: i32 = 0;
  pb: i32 = 2;
  probs: Uint16Array = new Uint16Array(LITERAL + 0x300 * 8);
  state: u32 = 0;
  rep0: u32 = 0;
  rep1: u32 = 0;
  rep2: u32 = 0;
  rep3: u32 = 0;
  rc: RangeDecoder = new RangeDecoder();
  out: ByteBuf;
  cap: u64;
  error: string = "";
  sawEnd: bool = false;

  constructor(out: ByteBuf, cap: u64) {
    this.out = out;
    this.cap = cap;
  }

  setProps(b: i32): bool {
    if (b >= 9 * 5 * 5) return false;
    this.lc = b % 9;
    b /= 9;
    this.lp = b % 5;
    this.pb = b / 5;
    if ((1 << (this.lc + this.lp)) > LIT_STATES_MAX) return false;
    const need = LITERAL + 0x300 * (1 << (this.lc + this.lp));
    if (this.probs.length != need) this.probs = new Uint16Array(need);
    return true;
  }

  resetState(): void {
    this.probs.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  private len(base: i32, posState: i32): u32 {
    const rc = this.rc;
    if (rc.bit(this.probs, base) == 0) return rc.tree(this.probs, base + 2 + posState * 8, 3);
    if (rc.bit(this.probs, base + 1) == 0) return 8 + rc.tree(this.probs, base + 2 + 128 + posState * 8, 3);
    return 16 + rc.tree(this.probs, base + 2 + 256, 8);
  }

  // Decodes from [p, p+n) until `limit` more bytes are out (or the end marker when allowed).
  // `dictStart` is the output offset where the current dictionary begins (LZMA2 dict resets).
  decode(p: usize, n: usize, limit: u64, allowEnd: bool, dictStart: u64): bool {
    const rc = this.rc;
    if (!rc.init(p, n)) { this.error = "bad range coder start"; return false; }
    const out = this.out;
    const target = <u64>out.len + limit;
    if (target > this.cap) { this.error = "decompressed data larger than the cap"; return false; }
    const pbMask: u32 = (1 << this.pb) - 1;
    const lpMask: u32 = (1 << this.lp) - 1;
    const probs = this.probs;
    while (<u64>out.len < target) {
      const pos = <u64>out.len;
      const posState = <u32>pos & pbMask;
      const st = this.state;
      if (rc.bit(probs, IS_MATCH + <i32>((st << 4) + posState)) == 0) {
        const prev: u32 = pos > dictStart ? <u32>load<u8>(out.ptr + <usize>pos - 1) : 0;
        const litState = ((<u32>pos & lpMask) << this.lc) + (prev >>> (8 - this.lc));
        const base = LITERAL + 0x300 * <i32>litState;
        let sym: u32 = 1;
        if (st >= 7) {
          if (<u64>this.rep0 + 1 > pos - dictStart) { this.error = "distance beyond the dictionary"; return false; }
          let mb = <u32>load<u8>(out.ptr + <usize>(pos - <u64>this.rep0 - 1));
          while (sym < 0x100) {
            const matchBit = (mb >>> 7) & 1;
            mb <<= 1;
            const b = rc.bit(probs, base + <i32>(((1 + matchBit) << 8) + sym));
            sym = (sym << 1) | b;
            if (matchBit != b) break;
          }
        }
        while (sym < 0x100) sym = (sym << 1) | rc.bit(probs, base + <i32>sym);
        out.byte(<u8>sym);
        this.state = st < 4 ? 0 : st < 10 ? st - 3 : st - 6;
      } else {
        let len: u32;
        if (rc.bit(probs, IS_REP + <i32>st) == 1) {
          if (pos == dictStart) { this.error = "repeat match at the start of the dictionary"; return false; }
          if (rc.bit(probs, IS_REP_G0 + <i32>st) == 0) {
            if (rc.bit(probs, IS_REP0_LONG + <i32>((st << 4) + posState)) == 0) {
              this.state = st < 7 ? 9 : 11;
              if (<u64>this.rep0 + 1 > pos - dictStart) { this.error = "distance beyond the dictionary"; return false; }
              out.byte(load<u8>(out.ptr + <usize>(pos - <u64>this.rep0 - 1)));
              if (out.failed) { this.error = "out of memory"; return false; }
              continue;
            }
          } else {
            let dist: u32;
            if (rc.bit(probs, IS_REP_G1 + <i32>st) == 0) dist = this.rep1;
            else {
              if (rc.bit(probs, IS_REP_G2 + <i32>st) == 0) dist = this.rep2;
              else { dist = this.rep3; this.rep3 = this.rep2; }
              this.rep2 = this.rep1;
            }
            this.rep1 = this.rep0;
            this.rep0 = dist;
          }
          len = this.len(REP_LEN, <i32>posState);
          this.state = st < 7 ? 8 : 11;
        } else {
          this.rep3 = this.rep2;
          this.rep2 = this.rep1;
          this.rep1 = this.rep0;
          len = this.len(LEN, <i32>posState);
          this.state = st < 7 ? 7 : 10;
          const lenState = len < 3 ? len : 3;
          const slot = rc.tree(probs, POS_SLOT + <i32>lenState * 64, 6);
          let dist: u32;
          if (slot < 4) dist = slot;
          else {
            const nd = <i32>(slot >>> 1) - 1;
            dist = (2 | (slot & 1)) << <u32>nd;
            if (slot < 14) dist += rc.reverseTree(probs, SPEC_POS + <i32>dist - <i32>slot - 1, nd);
            else {
              dist += rc.direct(nd - 4) << 4;
              dist += rc.reverseTree(probs, ALIGN, 4);
            }
          }
          if (dist == 0xffffffff) {
            if (!allowEnd) { this.error = "unexpected end marker"; return false; }
            this.sawEnd = true;
            return !rc.overrun;
          }
          this.rep0 = dist;
        }
        len += 2;
        if (<u64>this.rep0 + 1 > pos - dictStart) { this.error = "distance beyond the dictionary"; return false; }
        let k = <u64>len;
        if (pos + k > target) { this.error = "match runs past the declared size"; return false; }
        if (!out.reserve(<usize>k)) { this.error = "out of memory"; return false; }
        const src = out.ptr + <usize>(pos - <u64>this.rep0 - 1);
        const dst = out.ptr + out.len;
        for (let i: usize = 0; i < <usize>k; i++) store<u8>(dst + i, load<u8>(src + i)); // may overlap forward
        out.len += <usize>k;
      }
      if (rc.overrun) { this.error = "compressed data ends early"; return false; }
      if (out.failed) { this.error = "out of memory"; return false; }
    }
    return !rc.overrun;
  }
}

export class XzResult {
  ok: bool = false;
  error: string = "";
  out: ByteBuf = new ByteBuf();
}

// .lzma ("LZMA alone"): props, dict size u32, uncompressed size u64 (all ones = unknown, end
// marker), then the range-coded data.
export function decompressLzmaAlone(p: usize, n: usize, cap: u64): XzResult {
  const r = new XzResult();
  if (n < 13) { r.error = "lzma header truncated"; return r; }
  const d = new LzmaDecoder(r.out, cap);
  if (!d.setProps(<i32>load<u8>(p))) { r.error = "invalid lzma properties"; return r; }
  d.resetState();
  const size = load<u64>(p + 5);
  const known = size != u64.MAX_VALUE;
  if (known && size > cap) { r.error = "declared size " + size.toString() + " above the cap"; return r; }
  const limit = known ? size : cap;
  const ok = d.decode(p + 13, n - 13, limit, !known, 0);
  if (!ok && !(d.sawEnd)) { r.error = d.error.length ? d.error : "lzma data ends early"; return r; }
  r.ok = true;
  return r;
}

function vli(p: usize, end: usize, out: StaticArray<u64>): usize {
  let v: u64 = 0;
  for (let i = 0; i < 9; i++) {
    if (p + <usize>i >= end) return 0;
    const b = <u64>load<u8>(p + <usize>i);
    v |= (b & 0x7f) << (<u64>i * 7);
    if ((b & 0x80) == 0) { out[0] = v; return <usize>i + 1; }
  }
  return 0;
}

// .xz: one or more streams of blocks with the LZMA2 filter (other filters are refused by name).
export function decompressXz(p: usize, n: usize, cap: u64): XzResult {
  const r = new XzResult();
  const end = p + n;
  let q = p;
  const v = new StaticArray<u64>(1);
  let streams = 0;
  while (q + 12 <= end) {
    if (load<u8>(q) == 0 && streams > 0) { q++; continue; } // stream padding
    if (load<u32>(q) != 0x587a37fd || load<u16>(q + 4) != 0x005a) { if (streams > 0) break; r.error = "not an xz stream"; return r; }
    const check = <i32>(load<u8>(q + 7) & 0x0f);
    const checkSize: usize = check == 0 ? 0 : check <= 3 ? 4 : check <= 6 ? 8 : check <= 9 ? 16 : check <= 12 ? 32 : 64;
    q += 12;
    streams++;
    while (true) {
      if (q >= end) { r.error = "xz stream truncated"; return r; }
      const hb = <usize>load<u8>(q);
      if (hb == 0) break; // index follows
      const hsize = (hb + 1) * 4;
      if (q + hsize > end) { r.error = "xz block header truncated"; return r; }
      const flags = <i32>load<u8>(q + 1);
      const nfilters = (flags & 3) + 1;
      let h = q + 2;
      const hend = q + hsize - 4;
      if (flags & 0x40) { const k = vli(h, hend, v); if (!k) { r.error = "bad xz block header"; return r; } h += k; }
      if (flags & 0x80) { const k = vli(h, hend, v); if (!k) { r.error = "bad xz block header"; return r; } h += k; }
      let dictOk = false;
      for (let f = 0; f < nfilters; f++) {
        let k = vli(h, hend, v);
        if (!k) { r.error = "bad xz filter flags"; return r; }
        h += k;
        const id = v[0];
        k = vli(h, hend, v);
        if (!k) { r.error = "bad xz filter flags"; return r; }
        h += k;
        const psize = v[0];
        if (id != 0x21) { r.error = "xz filter 0x" + id.toString(16) + " is not supported (only LZMA2)"; return r; }
        if (h + <usize>psize > hend || psize != 1) { r.error = "bad LZMA2 filter properties"; return r; }
        h += 1;
        dictOk = true;
      }
      if (!dictOk) { r.error = "xz block without the LZMA2 filter"; return r; }
      q += hsize;
      // LZMA2 chunks
      const d = new LzmaDecoder(r.out, cap);
      let dictStart: u64 = <u64>r.out.len;
      let needProps = true;
      const blockStart = q;
      while (true) {
        if (q >= end) { r.error = "LZMA2 data truncated"; return r; }
        const c = <u32>load<u8>(q);
        q++;
        if (c == 0) break;
        if (c == 1 || c == 2) {
          if (q + 2 > end) { r.error = "LZMA2 chunk truncated"; return r; }
          const size = ((<u64>load<u8>(q) << 8) | <u64>load<u8>(q + 1)) + 1;
          q += 2;
          if (q + <usize>size > end) { r.error = "LZMA2 chunk truncated"; return r; }
          if (c == 1) dictStart = <u64>r.out.len;
          if (<u64>r.out.len + size > cap) { r.error = "decompressed data larger than the cap"; return r; }
          r.out.raw(q, <usize>size);
          q += <usize>size;
          continue;
        }
        if (c < 0x80) { r.error = "invalid LZMA2 control byte"; return r; }
        if (q + 4 > end) { r.error = "LZMA2 chunk truncated"; return r; }
        const usize_ = ((<u64>(c & 0x1f)) << 16 | (<u64>load<u8>(q) << 8) | <u64>load<u8>(q + 1)) + 1;
        const csize = ((<u64>load<u8>(q + 2) << 8) | <u64>load<u8>(q + 3)) + 1;
        q += 4;
        const mode = (c >>> 5) & 3;
        if (mode == 3) dictStart = <u64>r.out.len;
        if (mode >= 2) {
          if (q >= end || !d.setProps(<i32>load<u8>(q))) { r.error = "invalid LZMA2 properties"; return r; }
          q++;
          needProps = false;
        } else if (needProps) { r.error = "LZMA2 chunk without properties"; return r; }
        if (mode >= 1) d.resetState();
        if (q + <usize>csize > end) { r.error = "LZMA2 chunk truncated"; return r; }
        if (!d.decode(q, <usize>csize, usize_, false, dictStart)) { r.error = "LZMA2: " + d.error; return r; }
        q += <usize>csize;
      }
      // block padding and check
      while (((q - blockStart) & 3) != 0) q++;
      q += checkSize;
    }
    // index and footer: skip the index by the footer's backward size
    // (the index lists sizes we do not need; find the footer magic "YZ")
    let f = q;
    while (f + 12 <= end && !(load<u8>(f + 10) == 0x59 && load<u8>(f + 11) == 0x5a)) f += 4;
    if (f + 12 > end) { r.error = "xz footer not found"; return r; }
    q = f + 12;
  }
  if (streams == 0) { r.error = "not an xz stream"; return r; }
  r.ok = true;
  return r;
}
