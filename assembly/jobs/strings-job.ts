// Reading a tensor of fixed-width strings (NumPy 'U' UCS-4 and 'S' byte strings): each element is
// decoded, its trailing NULs dropped, and written as a u32 little-endian byte count followed by
// the UTF-8 bytes — the encoding metadata_array uses for strings. Windows of stored bytes go in,
// windows of encoded strings come out; memory stays bounded.

import { E_BAD_ARGUMENT, E_IO, E_UNREADABLE } from "../core/errors";
import { CODEC_NONE, Plan, STR_BYTES, STR_UCS4_BE, Tensor } from "../core/model";
import { Job, S_DONE, S_ERROR, S_NEED_BYTES, S_OUTPUT } from "./job";

const WINDOW: u64 = 4 * 1024 * 1024;

// @ts-ignore: decorator
@inline function ucs4(q: usize, bigEndian: bool): u32 {
  const v = load<u32>(q);
  return bigEndian ? bswap<u32>(v) : v;
}

export class StringsJob extends Job {
  private seg: i32 = 0;
  private segPos: u64 = 0;
  private inBuf: usize = 0;
  private inCap: u64 = 0;
  private outBuf: usize = 0;
  private produced: u64 = 0;
  private fed: bool = false;

  constructor(public tensor: Tensor, public plan: Plan) {
    super();
  }

  check(): i32 {
    const p = this.plan;
    const item = p.stringItem;
    if (p.stringEncoding == 0 || item == 0) return this.setError(E_UNREADABLE, "tensor \"" + this.tensor.name + "\" is not an array of fixed-width strings", 0);
    for (let i = 0; i < p.segments.length; i++) {
      if (p.segments[i].codec != CODEC_NONE) return this.setError(E_UNREADABLE, "tensor \"" + this.tensor.name + "\": strings inside compressed members are not read", 0);
      if (p.segments[i].length % item != 0) return this.setError(E_UNREADABLE, "tensor \"" + this.tensor.name + "\" does not hold a whole number of strings", 0);
    }
    let cap = (WINDOW / item) * item;
    if (cap == 0) cap = item;
    if (cap > (<u64>1 << 30)) return this.setError(E_UNREADABLE, "tensor \"" + this.tensor.name + "\" has strings longer than 1 GiB", 0);
    this.inCap = cap;
    this.inBuf = heap.alloc(<usize>cap);
    // UTF-8 of a UCS-4 item is at most its size; of bytes at most twice (latin-1 above 0x7f); plus 4 per item.
    this.outBuf = heap.alloc(<usize>(cap * 2 + (cap / item) * 4 + 16));
    return 0;
  }

  run(): i32 {
    if (this.status == S_ERROR) return S_ERROR;
    while (this.seg < this.plan.segments.length) {
      const s = this.plan.segments[this.seg];
      if (this.fed) {
        this.fed = false;
        return this.emit(<usize>this.needLength);
      }
      if (this.segPos >= s.length) { this.seg++; this.segPos = 0; continue; }
      const left = s.length - this.segPos;
      return this.needBytes(s.source, s.offset + this.segPos, left < this.inCap ? left : this.inCap);
    }
    this.status = S_DONE;
    return S_DONE;
  }

  feedBuffer(len: u64): usize {
    if (this.status != S_NEED_BYTES || len != this.needLength) return 0;
    return this.inBuf;
  }

  commit(len: u64): i32 {
    if (this.status != S_NEED_BYTES) return E_BAD_ARGUMENT;
    if (len != this.needLength) return this.setError(E_IO, "the host delivered " + len.toString() + " of " + this.needLength.toString() + " bytes", this.needOffset);
    this.segPos += len;
    this.fed = true;
    this.status = S_OUTPUT;
    return 0;
  }

  private emit(n: usize): i32 {
    const item = <usize>this.plan.stringItem;
    const enc = this.plan.stringEncoding;
    let o = this.outBuf;
    for (let p = this.inBuf; p < this.inBuf + n; p += item) {
      const lenAt = o;
      o += 4;
      const start = o;
      if (enc == STR_BYTES) {
        let end = item;
        while (end > 0 && load<u8>(p + end - 1) == 0) end--;
        for (let i: usize = 0; i < end; i++) {
          const c = <u32>load<u8>(p + i);
          if (c < 0x80) { store<u8>(o, <u8>c); o++; }
          else { store<u8>(o, <u8>(0xc0 | (c >> 6))); store<u8>(o + 1, <u8>(0x80 | (c & 0x3f))); o += 2; }
        }
      } else {
        let chars = item / 4;
        const be = enc == STR_UCS4_BE;
        while (chars > 0 && ucs4(p + (chars - 1) * 4, be) == 0) chars--;
        for (let i: usize = 0; i < chars; i++) {
          let c = ucs4(p + i * 4, be);
          if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) c = 0xfffd;
          if (c < 0x80) { store<u8>(o, <u8>c); o += 1; }
          else if (c < 0x800) { store<u8>(o, <u8>(0xc0 | (c >> 6))); store<u8>(o + 1, <u8>(0x80 | (c & 0x3f))); o += 2; }
          else if (c < 0x10000) { store<u8>(o, <u8>(0xe0 | (c >> 12))); store<u8>(o + 1, <u8>(0x80 | ((c >> 6) & 0x3f))); store<u8>(o + 2, <u8>(0x80 | (c & 0x3f))); o += 3; }
          else { store<u8>(o, <u8>(0xf0 | (c >> 18))); store<u8>(o + 1, <u8>(0x80 | ((c >> 12) & 0x3f))); store<u8>(o + 2, <u8>(0x80 | ((c >> 6) & 0x3f))); store<u8>(o + 3, <u8>(0x80 | (c & 0x3f))); o += 4; }
        }
      }
      store<u32>(lenAt, <u32>(o - start));
    }
    this.outPtr = this.outBuf;
    this.outLen = o - this.outBuf;
    this.outOffset = this.produced;
    this.produced += <u64>this.outLen;
    this.status = S_OUTPUT;
    return S_OUTPUT;
  }

  dispose(): void {
    if (this.inBuf) heap.free(this.inBuf);
    if (this.outBuf) heap.free(this.outBuf);
    this.inBuf = 0;
    this.outBuf = 0;
    super.dispose();
  }
}
