// Growable byte buffer in unmanaged memory, and small helpers for raw bytes.
// Unmanaged so that hosts can read results by pointer without pinning GC objects.

export class ByteBuf {
  ptr: usize = 0;
  len: usize = 0;
  cap: usize = 0;
  // Set when a growth request could not be satisfied; writers stop writing.
  failed: bool = false;

  reserve(extra: usize): bool {
    if (this.failed) return false;
    const need = this.len + extra;
    if (need < this.len) { this.failed = true; return false; }
    if (need <= this.cap) return true;
    let ncap = this.cap < 256 ? <usize>256 : this.cap;
    while (ncap < need) {
      if (ncap > (<usize>1 << 30)) { this.failed = true; return false; }
      ncap <<= 1;
    }
    const np = heap.alloc(ncap);
    if (this.ptr) {
      memory.copy(np, this.ptr, this.len);
      heap.free(this.ptr);
    }
    this.ptr = np;
    this.cap = ncap;
    return true;
  }

  byte(b: u8): void {
    if (!this.reserve(1)) return;
    store<u8>(this.ptr + this.len, b);
    this.len++;
  }

  raw(src: usize, n: usize): void {
    if (n == 0 || !this.reserve(n)) return;
    memory.copy(this.ptr + this.len, src, n);
    this.len += n;
  }

  // Appends an ASCII/UTF-16 string as UTF-8.
  str(s: string): void {
    const n = <usize>String.UTF8.byteLength(s, false);
    if (!this.reserve(n)) return;
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.ptr + this.len, false);
    this.len += n;
  }

  u64dec(v: u64): void {
    this.str(v.toString());
  }

  clear(): void {
    this.len = 0;
  }

  dispose(): void {
    if (this.ptr) heap.free(this.ptr);
    this.ptr = 0;
    this.len = 0;
    this.cap = 0;
  }
}

// Copies n bytes at ptr into a new managed string, decoding UTF-8 (invalid sequences become U+FFFD).
export function utf8ToString(ptr: usize, n: usize): string {
  return String.UTF8.decodeUnsafe(ptr, n, false);
}

// Strict UTF-8 validation (no overlongs, no surrogates, max U+10FFFF).
export function isValidUtf8(ptr: usize, n: usize): bool {
  let i: usize = 0;
  while (i < n) {
    const c = <u32>load<u8>(ptr + i);
    if (c < 0x80) { i++; continue; }
    let need: usize = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if ((c & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = c & 0x07; }
    else return false;
    for (let k: usize = 1; k <= need; k++) {
      if (i + k >= n) return false;
      const cc = <u32>load<u8>(ptr + i + k);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

export function bytesEqualAscii(ptr: usize, n: usize, s: string): bool {
  if (<usize>s.length != n) return false;
  for (let i = 0; i < s.length; i++) {
    if (<u32>load<u8>(ptr + <usize>i) != <u32>s.charCodeAt(i)) return false;
  }
  return true;
}

// Reads a little-endian unsigned integer of 1..8 bytes.
export function loadLE(ptr: usize, n: i32): u64 {
  let v: u64 = 0;
  for (let i = n - 1; i >= 0; i--) v = (v << 8) | <u64>load<u8>(ptr + <usize>i);
  return v;
}

export function loadBE(ptr: usize, n: i32): u64 {
  let v: u64 = 0;
  for (let i = 0; i < n; i++) v = (v << 8) | <u64>load<u8>(ptr + <usize>i);
  return v;
}

// The first byte at or after p (before end) that is not JSON/Python whitespace.
export function skipWhitespace(p: usize, end: usize): usize {
  while (p < end) {
    const c = load<u8>(p);
    if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) p++;
    else break;
  }
  return p;
}

// Whether the ASCII word w stands at p (with end as the limit).
export function wordAt(p: usize, end: usize, w: string): bool {
  const n = <usize>w.length;
  if (p + n > end) return false;
  for (let i = 0; i < w.length; i++) if (<i32>load<u8>(p + <usize>i) != w.charCodeAt(i)) return false;
  return true;
}

// The value of a hexadecimal digit, or -1.
export function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
