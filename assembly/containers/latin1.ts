// Bytes pickled as text. Python 3 pickles a `bytes` object under protocols 0-2 as
// `_codecs.encode(<str>, "latin1")`: each byte becomes the code point of the same value, and the
// str is stored as UTF-8 (BINUNICODE). NumPy arrays pickled with protocol 0-2 keep their data
// that way. This decoder turns that UTF-8 text back into the bytes, streaming: code points
// 0-0x7F are one byte, 0x80-0xFF two (C2/C3 lead), anything else is not latin-1 and an error.

import { ValueDecoder } from "./value-decoder";

export const CODEC_LATIN1_UTF8: i32 = 8;

const IN_CAP: usize = 1024 * 1024 + 16;

export class Latin1TextDecoder extends ValueDecoder {
  totalOut: u64 = 0;
  private buf: usize;
  private len: usize = 0;
  private pos: usize = 0;
  private ended: bool = false;

  constructor(private take: u64) {
    super();
    this.buf = heap.alloc(IN_CAP);
  }

  push(ptr: usize, n: usize): void {
    // Keep the unread tail (at most one lead byte), then append.
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

  pull(dst: usize, n: usize): i32 {
    let out: usize = 0;
    let p = this.buf + this.pos;
    const end = this.buf + this.len;
    const left = this.take - this.totalOut;
    const want: usize = <u64>n < left ? n : <usize>left;
    while (out < want) {
      if (p >= end) break;
      const b = <u32>load<u8>(p);
      if (b < 0x80) {
        store<u8>(dst + out++, <u8>b);
        p++;
        continue;
      }
      if (b != 0xc2 && b != 0xc3) {
        this.pos = p - this.buf;
        this.errorMessage = "latin-1 text: byte 0x" + b.toString(16) + " is not UTF-8 of a code point below 256";
        return -1;
      }
      if (p + 1 >= end) break; // the continuation byte comes with the next push
      const c = <u32>load<u8>(p + 1);
      if ((c & 0xc0) != 0x80) {
        this.pos = p - this.buf;
        this.errorMessage = "latin-1 text: a UTF-8 sequence is cut";
        return -1;
      }
      store<u8>(dst + out++, <u8>(((b & 0x1f) << 6) | (c & 0x3f)));
      p += 2;
    }
    this.pos = p - this.buf;
    this.totalOut += <u64>out;
    if (out == 0 && want > 0) {
      if (this.ended) {
        this.errorMessage = this.pos < this.len ? "latin-1 text: a UTF-8 sequence is cut off at the end" : "latin-1 text: the text ends before the bytes it should hold";
        return -1;
      }
      this.needsInput = true;
    }
    return <i32>out;
  }

  dispose(): void {
    if (this.buf) heap.free(this.buf);
    this.buf = 0;
  }
}
