// bzip2 decoding (joblib compress='bz2'): stream header "BZh1".."BZh9", blocks of Huffman-coded
// MTF/RLE2 symbols, inverse Burrows-Wheeler, RLE1; several streams may follow each other.
// Whole-buffer decoding with an output cap; every table index and count is checked, malformed
// input gives an error message, never a trap. CRCs are skipped: the pickle machine validates
// what it reads.

import { ByteBuf } from "../util/bytes";

export class Bz2Result {
  ok: bool = false;
  error: string = "";
  out: ByteBuf = new ByteBuf();
}

class Bits {
  p: usize;
  n: usize;
  pos: u64 = 0; // bit position
  over: bool = false;
  constructor(p: usize, n: usize) { this.p = p; this.n = n; }

  get(k: i32): u32 {
    let v: u32 = 0;
    for (let i = 0; i < k; i++) {
      const byte = <usize>(this.pos >> 3);
      if (byte >= this.n) { this.over = true; return 0; }
      const b = (<u32>load<u8>(this.p + byte) >>> (7 - <u32>(this.pos & 7))) & 1;
      v = (v << 1) | b;
      this.pos++;
    }
    return v;
  }
}

const MAX_GROUPS: i32 = 6;
const MAX_ALPHA: i32 = 258;
const MAX_CODE_LEN: i32 = 20;

export function decompressBz2(p: usize, n: usize, cap: u64): Bz2Result {
  const r = new Bz2Result();
  const bits = new Bits(p, n);
  let streams = 0;
  const tt = new Array<u32>(0);
  while (true) {
    // stream header (byte aligned)
    bits.pos = (bits.pos + 7) & ~(<u64>7);
    if ((bits.pos >> 3) + 4 > <u64>n) break;
    if (bits.get(8) != 0x42 || bits.get(8) != 0x5a || bits.get(8) != 0x68) {
      if (streams > 0) break;
      r.error = "not a bzip2 stream";
      return r;
    }
    const level = <i32>bits.get(8) - 0x30;
    if (level < 1 || level > 9) { r.error = "bad bzip2 block size"; return r; }
    const maxBlock = level * 100000;
    streams++;
    while (true) {
      const m1 = bits.get(24), m2 = bits.get(24);
      if (bits.over) { r.error = "bzip2 data ends early"; return r; }
      if (m1 == 0x177245 && m2 == 0x385090) { bits.get(32); break; } // end of stream + combined CRC
      if (m1 != 0x314159 || m2 != 0x265359) { r.error = "bad bzip2 block magic"; return r; }
      bits.get(32); // block CRC
      if (bits.get(1)) { r.error = "randomised bzip2 blocks are not supported"; return r; }
      const origPtr = <i32>bits.get(24);
      // symbol map
      const used = new Array<u8>();
      const hi = bits.get(16);
      for (let i = 0; i < 16; i++) {
        if ((hi >>> (15 - <u32>i)) & 1) {
          const lo = bits.get(16);
          for (let j = 0; j < 16; j++) if ((lo >>> (15 - <u32>j)) & 1) used.push(<u8>(i * 16 + j));
        }
      }
      if (used.length == 0) { r.error = "bzip2 block uses no symbols"; return r; }
      const alpha = used.length + 2;
      const groups = <i32>bits.get(3);
      if (groups < 2 || groups > MAX_GROUPS) { r.error = "bad bzip2 table count"; return r; }
      const nsel = <i32>bits.get(15);
      if (nsel < 1) { r.error = "bad bzip2 selector count"; return r; }
      // selectors, MTF-coded
      const mtfG = new Array<u8>(groups);
      for (let i = 0; i < groups; i++) mtfG[i] = <u8>i;
      const sel = new Uint8Array(nsel);
      for (let i = 0; i < nsel; i++) {
        let j = 0;
        while (bits.get(1)) { j++; if (j >= groups) { r.error = "bad bzip2 selector"; return r; } }
        const v = mtfG[j];
        for (let k = j; k > 0; k--) mtfG[k] = mtfG[k - 1];
        mtfG[0] = v;
        sel[i] = v;
        if (bits.over) { r.error = "bzip2 data ends early"; return r; }
      }
      // code lengths -> canonical decoding tables per group
      const limit = new Int32Array(MAX_GROUPS * (MAX_CODE_LEN + 1));
      const base = new Int32Array(MAX_GROUPS * (MAX_CODE_LEN + 1));
      const perm = new Int32Array(MAX_GROUPS * MAX_ALPHA);
      const minLen = new Int32Array(MAX_GROUPS);
      const lens = new Int32Array(MAX_ALPHA);
      for (let g = 0; g < groups; g++) {
        let cur = <i32>bits.get(5);
        let lo = 32, hiL = 0;
        for (let s = 0; s < alpha; s++) {
          while (true) {
            if (cur < 1 || cur > MAX_CODE_LEN) { r.error = "bad bzip2 code length"; return r; }
            if (!bits.get(1)) break;
            if (bits.get(1)) cur--; else cur++;
            if (bits.over) { r.error = "bzip2 data ends early"; return r; }
          }
          lens[s] = cur;
          if (cur < lo) lo = cur;
          if (cur > hiL) hiL = cur;
        }
        minLen[g] = lo;
        // canonical codes: perm lists symbols by length; limit[len] = last code of that length
        let pi = 0;
        for (let l = lo; l <= hiL; l++) for (let s = 0; s < alpha; s++) if (lens[s] == l) perm[g * MAX_ALPHA + pi++] = s;
        let code = 0;
        let idx = 0;
        for (let l = 1; l <= MAX_CODE_LEN; l++) {
          let cnt = 0;
          for (let s = 0; s < alpha; s++) if (lens[s] == l) cnt++;
          base[g * (MAX_CODE_LEN + 1) + l] = idx - code; // symbol index = code + base
          code += cnt;
          idx += cnt;
          limit[g * (MAX_CODE_LEN + 1) + l] = cnt ? code - 1 : -1;
          code <<= 1;
        }
      }
      // decode MTF/RLE2 symbols
      const mtf = new Array<u8>(256);
      for (let i = 0; i < used.length; i++) mtf[i] = used[i];
      const counts = new Int32Array(256);
      if (tt.length < maxBlock) tt.length = maxBlock;
      let count = 0;
      let run = 0, runBit = 1;
      let selIdx = 0, left = 0, g = 0;
      const eob = alpha - 1;
      while (true) {
        if (left == 0) {
          if (selIdx >= nsel) { r.error = "bzip2 selectors exhausted"; return r; }
          g = sel[selIdx++];
          left = 50;
        }
        left--;
        // read one symbol
        let l = minLen[g];
        let code = <i32>bits.get(l);
        let sym = -1;
        while (l <= MAX_CODE_LEN) {
          const lim = limit[g * (MAX_CODE_LEN + 1) + l];
          if (lim >= 0 && code <= lim) {
            const k = code + base[g * (MAX_CODE_LEN + 1) + l];
            if (k < 0 || k >= alpha) { r.error = "bad bzip2 Huffman code"; return r; }
            sym = perm[g * MAX_ALPHA + k];
            break;
          }
          code = (code << 1) | <i32>bits.get(1);
          l++;
        }
        if (sym < 0 || bits.over) { r.error = "bad bzip2 Huffman code"; return r; }
        if (sym <= 1) { // RUNA / RUNB
          run += (sym + 1) * runBit;
          runBit <<= 1;
          if (run > maxBlock) { r.error = "bzip2 run longer than the block"; return r; }
          continue;
        }
        if (run > 0) {
          if (count + run > maxBlock) { r.error = "bzip2 block larger than declared"; return r; }
          const b = mtf[0];
          counts[b] += run;
          for (let k = 0; k < run; k++) tt[count++] = b;
          run = 0;
          runBit = 1;
        }
        if (sym == eob) break;
        const j = sym - 1;
        if (j >= used.length) { r.error = "bad bzip2 MTF index"; return r; }
        const b = mtf[j];
        for (let k = j; k > 0; k--) mtf[k] = mtf[k - 1];
        mtf[0] = b;
        if (count >= maxBlock) { r.error = "bzip2 block larger than declared"; return r; }
        counts[b]++;
        tt[count++] = b;
      }
      if (origPtr >= count) { r.error = "bad bzip2 origin pointer"; return r; }
      // inverse BWT: tt[i] high bits link to the next position
      let sum = 0;
      const starts = new Int32Array(256);
      for (let i = 0; i < 256; i++) { starts[i] = sum; sum += counts[i]; }
      for (let i = 0; i < count; i++) {
        const b = tt[i] & 0xff;
        const at = starts[b]++;
        tt[at] = (tt[at] & 0xff) | (<u32>i << 8);
      }
      // walk and undo RLE1 (4 equal bytes, then a repeat count)
      let pos = tt[origPtr] >>> 8;
      let last: i32 = -1, same = 0;
      for (let i = 0; i < count; i++) {
        if (pos >= <u32>count) { r.error = "bad bzip2 block"; return r; }
        const e = tt[pos];
        const b = <i32>(e & 0xff);
        pos = e >>> 8;
        if (same == 4) {
          if (<u64>r.out.len + <u64>b > cap) { r.error = "decompressed data larger than the cap"; return r; }
          for (let k = 0; k < b; k++) r.out.byte(<u8>last);
          same = 0;
          last = -1;
          continue;
        }
        if (b == last) same++; else { same = 1; last = b; }
        if (<u64>r.out.len + 1 > cap) { r.error = "decompressed data larger than the cap"; return r; }
        r.out.byte(<u8>b);
      }
      if (r.out.failed) { r.error = "out of memory"; return r; }
    }
  }
  if (streams == 0) { r.error = "not a bzip2 stream"; return r; }
  r.ok = true;
  return r;
}
