// LZ4 frame decoding (the format of lz4.frame, which joblib uses for compress='lz4'): frame
// header, blocks (compressed or stored), end mark; several frames may follow each other.
// Whole-buffer decoding with an output cap; malformed input gives an error message, never a trap.
// Checksums are skipped: the pickle machine validates what it reads.

import { ByteBuf } from "../util/bytes";

export class Lz4Result {
  ok: bool = false;
  error: string = "";
  out: ByteBuf = new ByteBuf();
}

// One LZ4 block into out; matches may reach back into earlier blocks of the frame (linked
// blocks), never before `frameStart`.
function block(p: usize, n: usize, out: ByteBuf, frameStart: usize, cap: u64): string | null {
  let i: usize = 0;
  while (i < n) {
    const token = <u32>load<u8>(p + i);
    i++;
    let lit = <usize>(token >>> 4);
    if (lit == 15) {
      while (true) {
        if (i >= n) return "literal length runs past the block";
        const b = <usize>load<u8>(p + i);
        i++;
        lit += b;
        if (b != 255) break;
      }
    }
    if (lit > n - i) return "literals run past the block";
    if (<u64>out.len + <u64>lit > cap) return "decompressed data larger than the cap";
    out.raw(p + i, lit);
    if (out.failed) return "out of memory";
    i += lit;
    if (i >= n) break; // the last sequence has no match
    if (i + 2 > n) return "match offset runs past the block";
    const off = <usize>load<u16>(p + i);
    i += 2;
    if (off == 0 || off > out.len - frameStart) return "match offset outside the decoded data";
    let mlen = <usize>(token & 15);
    if (mlen == 15) {
      while (true) {
        if (i >= n) return "match length runs past the block";
        const b = <usize>load<u8>(p + i);
        i++;
        mlen += b;
        if (b != 255) break;
      }
    }
    mlen += 4;
    if (<u64>out.len + <u64>mlen > cap) return "decompressed data larger than the cap";
    if (!out.reserve(mlen)) return "out of memory";
    const src = out.ptr + out.len - off;
    const dst = out.ptr + out.len;
    for (let k: usize = 0; k < mlen; k++) store<u8>(dst + k, load<u8>(src + k)); // overlapping copy, forward
    out.len += mlen;
  }
  return null;
}

export function decompressLz4Frame(p: usize, n: usize, cap: u64): Lz4Result {
  const r = new Lz4Result();
  let q: usize = 0;
  let frames = 0;
  while (q < n) {
    if (q + 4 > n) break;
    const magic = load<u32>(p + q);
    if ((magic & 0xfffffff0) == 0x184d2a50) {
      // skippable frame
      if (q + 8 > n) { r.error = "skippable frame truncated"; return r; }
      const sz = <usize>load<u32>(p + q + 4);
      if (sz > n - q - 8) { r.error = "skippable frame truncated"; return r; }
      q += 8 + sz;
      continue;
    }
    if (magic != 0x184d2204) {
      if (frames > 0) break;
      r.error = "not an LZ4 frame";
      return r;
    }
    q += 4;
    if (q + 3 > n) { r.error = "LZ4 frame header truncated"; return r; }
    const flg = <u32>load<u8>(p + q);
    if ((flg >>> 6) != 1) { r.error = "unsupported LZ4 frame version"; return r; }
    const blockChecksum = (flg & 0x10) != 0;
    const contentSize = (flg & 0x08) != 0;
    const contentChecksum = (flg & 0x04) != 0;
    const dictId = (flg & 0x01) != 0;
    if (dictId) { r.error = "LZ4 frames with a dictionary are not supported"; return r; }
    q += 2 + (contentSize ? 8 : 0) + 1; // FLG, BD, [content size], header checksum
    if (q > n) { r.error = "LZ4 frame header truncated"; return r; }
    const frameStart = r.out.len;
    while (true) {
      if (q + 4 > n) { r.error = "LZ4 block size truncated"; return r; }
      const bs = load<u32>(p + q);
      q += 4;
      if (bs == 0) break;
      const stored = (bs & 0x80000000) != 0;
      const len = <usize>(bs & 0x7fffffff);
      if (len > n - q) { r.error = "LZ4 block runs past the end"; return r; }
      if (stored) {
        if (<u64>r.out.len + <u64>len > cap) { r.error = "decompressed data larger than the cap"; return r; }
        r.out.raw(p + q, len);
      } else {
        const e = block(p + q, len, r.out, frameStart, cap);
        if (e !== null) { r.error = e; return r; }
      }
      if (r.out.failed) { r.error = "out of memory"; return r; }
      q += len + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) q += 4;
    frames++;
  }
  if (frames == 0) { r.error = "not an LZ4 frame"; return r; }
  r.ok = true;
  return r;
}
