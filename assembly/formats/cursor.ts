// A forward reader over one source for formats without an index of their own (fastText
// dictionaries, word2vec rows, legacy XGBoost strings): it views the file in windows of up to
// CHUNK bytes and hands out pointers to the next bytes. A 0 pointer means "stop": either a cache
// miss (the job re-runs once fed) or the end of the source (`ended`), which callers report as a
// truncation with ctx.truncated().

import { Context } from "../core/context";
import { isValidUtf8 } from "../util/bytes";

const CHUNK: u64 = 1 << 20;

export class Cursor {
  pos: u64;
  private winStart: u64 = 0;
  private winLen: u64 = 0;
  private ptr: usize = 0;
  // The last failed request ran past the end of the source.
  ended: bool = false;

  constructor(public ctx: Context, public src: i32, pos: u64) {
    this.pos = pos;
  }

  get size(): u64 { return this.ctx.sourceSize(this.src); }
  get remaining(): u64 { const s = this.size; return this.pos < s ? s - this.pos : 0; }

  // Pointer to the n bytes at pos (pos does not move), or 0.
  peek(n: u64): usize {
    if (this.ptr != 0 && this.pos >= this.winStart && this.pos + n <= this.winStart + this.winLen) {
      return this.ptr + <usize>(this.pos - this.winStart);
    }
    const size = this.size;
    if (this.pos > size || n > size - this.pos) { this.ended = true; return 0; }
    let want = n > CHUNK ? n : CHUNK;
    if (want > size - this.pos) want = size - this.pos;
    const p = this.ctx.viewOf(this.src, this.pos, want);
    if (!p) return 0;
    this.ptr = p;
    this.winStart = this.pos;
    this.winLen = want;
    return p;
  }

  // Pointer to the next n bytes, advancing past them, or 0.
  take(n: u64): usize {
    const p = this.peek(n);
    if (p) this.pos += n;
    return p;
  }

  skip(n: u64): bool {
    if (n > this.remaining) { this.ended = true; return false; }
    this.pos += n;
    return true;
  }

  // The byte at pos, or -1 (see peek).
  byte(): i32 {
    const p = this.peek(1);
    return p ? <i32>load<u8>(p) : -1;
  }

  // Bytes from pos up to (not including) the first `stop` byte, at most `max` bytes; the cursor
  // moves past the stop byte. Returns the length, or -1 when stopped (miss, end) and -2 when no
  // stop byte came within max bytes. The bytes stay readable at `lastPtr` until the next call.
  lastPtr: usize = 0;
  until(stop: u8, max: u64): i64 {
    let n: u64 = 0;
    while (true) {
      // Look at what the current window holds, growing the window when the run crosses its end.
      const avail = this.remaining;
      const look = avail < n + 256 ? avail : n + 256;
      if (look <= n) { this.ended = true; return -1; }
      const p = this.peek(look);
      if (!p) return -1;
      for (let i = n; i < look; i++) {
        if (load<u8>(p + <usize>i) == stop) {
          this.lastPtr = p;
          this.pos += i + 1;
          return <i64>i;
        }
        if (i >= max) return -2;
      }
      n = look;
    }
  }
}

// Text of a stored word: UTF-8 when valid, else ASCII with every other byte written \xNN (what
// gensim's backslashreplace shows for vocabularies in legacy encodings such as cp852).
export function decodeWord(p: usize, n: usize): string {
  if (isValidUtf8(p, n)) return String.UTF8.decodeUnsafe(p, n, false);
  const parts = new Array<string>();
  const HEX = "0123456789abcdef";
  for (let i: usize = 0; i < n; i++) {
    const c = <i32>load<u8>(p + i);
    if (c >= 0x20 && c < 0x7f) parts.push(String.fromCharCode(c));
    else parts.push("\\x" + HEX.charAt(c >> 4) + HEX.charAt(c & 15));
  }
  return parts.join("");
}
