// Decoders for the argument formats of pickle's text opcodes (protocol 0) and for LONG1/LONG4.
// They mirror CPython's int(), float(), codecs.escape_decode and raw_unicode_escape closely enough
// for every value a writer emits; anything else is reported as malformed, never guessed.

// Result of parsing a decimal integer line.
export class IntText {
  ok: bool = false;
  big: bool = false;   // did not fit i64: text holds the normalised decimal
  value: i64 = 0;
  text: string = "";
}

// Text built from code units in one allocation: appending to a string one character at a time
// copies the whole string each time, which made a long protocol-0 line cost time quadratic in
// its length (a 1 MiB line took minutes).
export class Utf16Builder {
  private buf: Uint16Array;
  private n: i32 = 0;
  constructor(capacity: i32) { this.buf = new Uint16Array(capacity > 0 ? capacity : 1); }
  push(unit: u32): void {
    if (this.n == this.buf.length) {
      const next = new Uint16Array(this.buf.length * 2);
      memory.copy(next.dataStart, this.buf.dataStart, <usize>this.n * 2);
      this.buf = next;
    }
    this.buf[this.n++] = <u16>unit;
  }
  pushCodePoint(cp: u32): void {
    if (cp < 0x10000) { this.push(cp); return; }
    const v = cp - 0x10000;
    this.push(0xd800 + (v >> 10));
    this.push(0xdc00 + (v & 0x3ff));
  }
  toString(): string { return String.UTF16.decodeUnsafe(this.buf.dataStart, <usize>this.n * 2); }
}

// Bytes 0-255 as the characters of the same code (latin-1), linear in n.
export function latin1String(ptr: usize, n: usize): string {
  const b = new Utf16Builder(<i32>n);
  for (let k: usize = 0; k < n; k++) b.push(<u32>load<u8>(ptr + k));
  return b.toString();
}

function isSpace(c: u32): bool { return c == 0x20 || c == 0x09 || c == 0x0d || c == 0x0b || c == 0x0c; }

// Parses what Python's int(bytes) accepts from a pickle: optional spaces, sign, digits (and "_"
// between digits). `L` suffix (protocol-0 LONG) must be stripped by the caller.
export function parseIntText(ptr: usize, n: usize): IntText {
  const r = new IntText();
  let i: usize = 0;
  while (i < n && isSpace(load<u8>(ptr + i))) i++;
  let e = n;
  while (e > i && isSpace(load<u8>(ptr + e - 1))) e--;
  let neg = false;
  if (i < e && (load<u8>(ptr + i) == 0x2d || load<u8>(ptr + i) == 0x2b)) { neg = load<u8>(ptr + i) == 0x2d; i++; }
  if (i >= e) return r;
  const db = new Utf16Builder(<i32>(e - i));
  let prevDigit = false;
  for (let k = i; k < e; k++) {
    const c = <u32>load<u8>(ptr + k);
    if (c >= 0x30 && c <= 0x39) { db.push(c); prevDigit = true; }
    else if (c == 0x5f && prevDigit && k + 1 < e) { prevDigit = false; }
    else return r;
  }
  if (!prevDigit) return r;
  let digits = db.toString();
  // strip leading zeros
  let z = 0;
  while (z < digits.length - 1 && digits.charCodeAt(z) == 0x30) z++;
  digits = digits.substring(z);
  r.ok = true;
  if (digits.length <= 18) {
    let v: i64 = 0;
    for (let k = 0; k < digits.length; k++) v = v * 10 + <i64>(digits.charCodeAt(k) - 0x30);
    r.value = neg ? -v : v;
  } else {
    r.big = true;
    r.text = (neg && digits != "0" ? "-" : "") + digits;
  }
  return r;
}

// Python float(text): decimal, exponent, inf/nan spellings.
export function parseFloatText(ptr: usize, n: usize, out: StaticArray<f64>): bool {
  // no float Python writes is longer than a few dozen characters
  if (n > 1024) return false;
  for (let k: usize = 0; k < n; k++) if (load<u8>(ptr + k) >= 0x80) return false;
  let s = latin1String(ptr, n).trim().toLowerCase();
  let sign: f64 = 1;
  let body = s;
  if (body.startsWith("-")) { sign = -1; body = body.substring(1); }
  else if (body.startsWith("+")) body = body.substring(1);
  if (body == "inf" || body == "infinity") { out[0] = sign * Infinity; return true; }
  if (body == "nan") { out[0] = NaN; return true; }
  if (body.length == 0) return false;
  // validate the grammar: digits [. digits] [e [sign] digits]
  let k = 0;
  let nd = 0;
  while (k < body.length && isDigit(body.charCodeAt(k))) { k++; nd++; }
  if (k < body.length && body.charCodeAt(k) == 0x2e) { k++; while (k < body.length && isDigit(body.charCodeAt(k))) { k++; nd++; } }
  if (nd == 0) return false;
  if (k < body.length && body.charCodeAt(k) == 0x65) {
    k++;
    if (k < body.length && (body.charCodeAt(k) == 0x2b || body.charCodeAt(k) == 0x2d)) k++;
    let ne = 0;
    while (k < body.length && isDigit(body.charCodeAt(k))) { k++; ne++; }
    if (ne == 0) return false;
  }
  if (k != body.length) return false;
  out[0] = sign * parseFloat(body);
  return true;
}

function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }
function hexVal(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  if (c >= 0x61 && c <= 0x66) return <i32>(c - 0x61 + 10);
  if (c >= 0x41 && c <= 0x46) return <i32>(c - 0x41 + 10);
  return -1;
}

// codecs.escape_decode of the body of a protocol-0 STRING (quotes already removed).
// Returns null when an escape is malformed (CPython raises ValueError).
export function escapeDecode(ptr: usize, n: usize): Uint8Array | null {
  const out = new Array<u8>();
  let i: usize = 0;
  while (i < n) {
    const c = load<u8>(ptr + i);
    if (c != 0x5c) { out.push(c); i++; continue; }
    i++;
    if (i >= n) return null; // trailing backslash
    const e = load<u8>(ptr + i);
    i++;
    switch (e) {
      case 0x0a: break; // line continuation
      case 0x5c: out.push(0x5c); break;
      case 0x27: out.push(0x27); break;
      case 0x22: out.push(0x22); break;
      case 0x62: out.push(0x08); break;
      case 0x66: out.push(0x0c); break;
      case 0x74: out.push(0x09); break;
      case 0x6e: out.push(0x0a); break;
      case 0x72: out.push(0x0d); break;
      case 0x76: out.push(0x0b); break;
      case 0x61: out.push(0x07); break;
      case 0x78: {
        if (i + 2 > n) return null;
        const h = hexVal(load<u8>(ptr + i)), l = hexVal(load<u8>(ptr + i + 1));
        if (h < 0 || l < 0) return null;
        out.push(<u8>(h * 16 + l));
        i += 2;
        break;
      }
      default: {
        if (e >= 0x30 && e <= 0x37) {
          let v: u32 = <u32>(e - 0x30);
          for (let k = 0; k < 2 && i < n; k++) {
            const d = load<u8>(ptr + i);
            if (d < 0x30 || d > 0x37) break;
            v = v * 8 + <u32>(d - 0x30);
            i++;
          }
          out.push(<u8>(v & 0xff));
        } else {
          out.push(0x5c);
          out.push(e);
        }
      }
    }
  }
  const r = new Uint8Array(out.length);
  for (let k = 0; k < out.length; k++) r[k] = out[k];
  return r;
}

// raw_unicode_escape decoding (protocol-0 UNICODE): bytes are latin-1, except \uXXXX and \UXXXXXXXX.
export function rawUnicodeEscapeDecode(ptr: usize, n: usize): string | null {
  const s = new Utf16Builder(<i32>n);
  let i: usize = 0;
  while (i < n) {
    const c = <u32>load<u8>(ptr + i);
    if (c == 0x5c && i + 1 < n && (load<u8>(ptr + i + 1) == 0x75 || load<u8>(ptr + i + 1) == 0x55)) {
      const w: usize = load<u8>(ptr + i + 1) == 0x75 ? 4 : 8;
      if (i + 2 + w > n) return null;
      let v: u32 = 0;
      for (let k: usize = 0; k < w; k++) {
        const h = hexVal(load<u8>(ptr + i + 2 + k));
        if (h < 0) return null;
        v = (v << 4) | <u32>h;
      }
      if (v > 0x10ffff) return null;
      s.pushCodePoint(v);
      i += 2 + w;
      continue;
    }
    s.push(c);
    i++;
  }
  return s.toString();
}

// Two's-complement little-endian integer of n bytes (LONG1/LONG4). Fits i64 -> value, else decimal text.
export function longBytes(ptr: usize, n: usize, r: IntText): void {
  r.ok = true;
  if (n == 0) { r.value = 0; return; }
  const neg = (load<u8>(ptr + n - 1) & 0x80) != 0;
  if (n <= 8) {
    let v: u64 = 0;
    for (let k = <isize>n - 1; k >= 0; k--) v = (v << 8) | <u64>load<u8>(ptr + <usize>k);
    if (neg && n < 8) v |= ~(<u64>0) << (<u64>n * 8);
    r.value = <i64>v;
    return;
  }
  // Magnitude into u32 limbs (little-endian), negating if needed, then repeated division by 1e9.
  const nl = <i32>((n + 3) / 4);
  const limbs = new StaticArray<u32>(nl);
  for (let k: usize = 0; k < n; k++) {
    const b = <u32>load<u8>(ptr + k);
    limbs[<i32>(k >> 2)] |= (neg ? (~b & 0xff) : b) << (<u32>(k & 3) * 8);
  }
  if (neg) {
    // ~x + 1, but bytes beyond n (in the last limb) stay zero
    const rem = <u32>(n & 3);
    if (rem != 0) limbs[nl - 1] &= (<u32>1 << (rem * 8)) - 1;
    let carry: u64 = 1;
    for (let k = 0; k < nl && carry; k++) {
      const t = <u64>limbs[k] + carry;
      limbs[k] = <u32>t;
      carry = t >> 32;
    }
  }
  // fits in i64?
  let top = nl - 1;
  while (top > 0 && limbs[top] == 0) top--;
  if (top <= 1) {
    const mag = (<u64>(top == 1 ? limbs[1] : 0) << 32) | <u64>limbs[0];
    if (!neg && mag <= <u64>i64.MAX_VALUE) { r.value = <i64>mag; return; }
    if (neg && mag <= (<u64>1 << 63)) { r.value = <i64>(0 - mag); return; }
  }
  let digits = "";
  let len = top + 1;
  while (len > 0) {
    let rem: u64 = 0;
    for (let k = len - 1; k >= 0; k--) {
      const cur = (rem << 32) | <u64>limbs[k];
      limbs[k] = <u32>(cur / 1000000000);
      rem = cur % 1000000000;
    }
    while (len > 0 && limbs[len - 1] == 0) len--;
    let chunk = rem.toString();
    if (len > 0) while (chunk.length < 9) chunk = "0" + chunk;
    digits = chunk + digits;
  }
  r.big = true;
  r.text = neg ? "-" + digits : digits;
}
