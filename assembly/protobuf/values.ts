// Tensor values stored as protobuf repeated fields (ONNX int32_data/int64_data, TF int_val,
// half_val, ...) are varints or tagged values, not a flat array. A read plan names such a run of
// stored bytes with one of the codecs below; the read job decodes it here into fixed-width
// little-endian elements, streaming, with bounded memory.
//
// TensorFlow's broadcast rule (tensor.cc FromProtoField): when a field holds fewer values than the
// shape needs, the rest repeat the last value (zeros if there is none). A segment's `take` is the
// bytes wanted; when the stored values end first, the decoder repeats the last one.

import { CODEC_NONE } from "../core/model";
import { ValueDecoder } from "../containers/value-decoder";

export const CODEC_PB_BASE: i32 = 64;
export const PB_PACKED_VARINT: i32 = 0; // [varint]*
export const PB_TAGGED_VARINT: i32 = 1; // ([tag][varint])* of one field, not packed
export const PB_PACKED_FIXED: i32 = 2; // [fixed W]* with repeat-last
export const PB_TAGGED_FIXED: i32 = 3; // ([tag][fixed W])*

// Codec id for a kind and an element width (1, 2, 4 or 8 bytes).
export function pbCodec(kind: i32, width: i32): i32 {
  const wlog = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : 3;
  return CODEC_PB_BASE + kind * 4 + wlog;
}

export function isPbCodec(codec: i32): bool { return codec >= CODEC_PB_BASE && codec < CODEC_PB_BASE + 16; }

const IN_CAP: usize = 1024 * 1024 + 64;

export class PbDecoder extends ValueDecoder {
  kind: i32;
  width: i32;
  take: u64;
  totalOut: u64 = 0;
  private buf: usize;
  private len: usize = 0;
  private pos: usize = 0;
  private ended: bool = false;
  private last: u64 = 0; // last element's bits
  private pend: u64 = 0; // bytes of the current element still to emit
  private pendVal: u64 = 0;
  private exhausted: bool = false;

  constructor(codec: i32, take: u64) {
    super();
    this.kind = (codec - CODEC_PB_BASE) >> 2;
    this.width = 1 << ((codec - CODEC_PB_BASE) & 3);
    this.take = take;
    this.buf = heap.alloc(IN_CAP);
  }

  push(ptr: usize, n: usize): void {
    // Keep the unread tail (at most a partial element), then append.
    const rest = this.len - this.pos;
    if (rest) memory.copy(this.buf, this.buf + this.pos, rest);
    this.len = rest;
    this.pos = 0;
    const room = IN_CAP - this.len;
    const m = n < room ? n : room;
    memory.copy(this.buf + this.len, ptr, m);
    this.len += m;
    this.needsInput = false;
  }

  endInput(): void { this.ended = true; this.needsInput = false; }

  // Decodes the next stored element into this.pendVal. 1 ok, 0 needs input/exhausted, -1 error.
  private next(): i32 {
    let p = this.buf + this.pos;
    const end = this.buf + this.len;
    if (p >= end) return 0;
    if (this.kind == PB_TAGGED_VARINT || this.kind == PB_TAGGED_FIXED) {
      // Skip the tag (a varint).
      let q = p;
      while (q < end && load<u8>(q) >= 0x80) q++;
      if (q >= end) return this.ended ? this.bad("a tag is cut off") : 0;
      p = q + 1;
    }
    if (this.kind == PB_PACKED_VARINT || this.kind == PB_TAGGED_VARINT) {
      let v: u64 = 0;
      let shift: u64 = 0;
      let q = p;
      while (true) {
        if (q >= end) return this.ended ? this.bad("a varint is cut off") : 0;
        const b = <u64>load<u8>(q++);
        if (shift < 64) v |= (b & 0x7f) << shift;
        if (b < 0x80) break;
        shift += 7;
        if (shift > 63) return this.bad("a varint is longer than 10 bytes");
      }
      this.pendVal = v;
      this.pos = q - this.buf;
    } else {
      const w = <usize>this.width;
      if (<usize>(end - p) < w) return this.ended ? this.bad("a fixed-width value is cut off") : 0;
      this.pendVal = w == 8 ? load<u64>(p) : w == 4 ? <u64>load<u32>(p) : w == 2 ? <u64>load<u16>(p) : <u64>load<u8>(p);
      this.pos = p + w - this.buf;
    }
    this.last = this.pendVal;
    this.pend = <u64>this.width;
    return 1;
  }

  private bad(why: string): i32 {
    this.errorMessage = "protobuf values: " + why;
    return -1;
  }

  // Writes up to n decoded bytes at dst. Returns the count, 0 when input is needed (needsInput)
  // or the segment is complete, or -1 on malformed input (errorMessage).
  pull(dst: usize, n: usize): i32 {
    let out: usize = 0;
    const w = <u64>this.width;
    while (out < n && this.totalOut < this.take) {
      if (this.pend == 0) {
        if (!this.exhausted) {
          const r = this.next();
          if (r < 0) return -1;
          if (r == 0) {
            if (!this.ended) { if (out == 0) this.needsInput = true; break; }
            this.exhausted = true;
          }
        }
        if (this.exhausted) { this.pendVal = this.last; this.pend = w; }
      }
      if (this.pend == w && <u64>(n - out) >= w && this.take - this.totalOut >= w) {
        const v = this.pendVal;
        if (w == 8) store<u64>(dst + out, v); else if (w == 4) store<u32>(dst + out, <u32>v); else if (w == 2) store<u16>(dst + out, <u16>v); else store<u8>(dst + out, <u8>v);
        out += <usize>w;
        this.totalOut += w;
        this.pend = 0;
        continue;
      }
      // Emit the element's remaining bytes (little-endian).
      const from = w - this.pend;
      store<u8>(dst + out, <u8>(this.pendVal >> (from * 8)));
      this.pend--;
      out++;
      this.totalOut++;
    }
    return <i32>out;
  }

  dispose(): void {
    if (this.buf) heap.free(this.buf);
    this.buf = 0;
  }
}

export { CODEC_NONE };
