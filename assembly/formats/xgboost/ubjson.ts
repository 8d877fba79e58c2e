// Universal Binary JSON (ubjson.org, draft 12) as XGBoost writes it (src/common/json.cc
// UBJWriter): big-endian numbers, keys and strings as (length marker, length, bytes), and
// optimized containers "[$<type>#<count>" / "[#<count>". Parsed into the JSON DOM with caps;
// typed arrays longer than SMALL_ARRAY are summarised (type and count) instead of materialised,
// since readers of the document only want its metadata.

import { JArr, JBool, JFloat, JInt, JNull, JObj, JStr, JUint, JValue } from "../../util/json";

const SMALL_ARRAY: i64 = 4096;
const MAX_DEPTH: i32 = 128;
const MAX_ITEMS: i32 = 8_000_000;
const MAX_STRING: i64 = 1 << 28;

export class UbjsonParser {
  error: string = "";
  errorOffset: usize = 0;
  private p: usize = 0;
  private end: usize = 0;
  private base: usize = 0;
  private items: i32 = 0;

  parse(ptr: usize, len: usize): JValue | null {
    this.base = ptr;
    this.p = ptr;
    this.end = ptr + len;
    const v = this.value(0);
    if (!v) return null;
    if (this.p != this.end) return this.fail("unexpected bytes after the UBJSON value");
    return v;
  }

  private fail(msg: string): JValue | null {
    if (!this.error.length) { this.error = msg; this.errorOffset = this.p - this.base; }
    return null;
  }

  private has(n: usize): bool { return this.end - this.p >= n; }

  private marker(): i32 {
    while (this.p < this.end && load<u8>(this.p) == 0x4e) this.p++; // N = no-op
    if (this.p >= this.end) return -1;
    return <i32>load<u8>(this.p++);
  }

  // Integer of the given marker, or i64.MIN_VALUE when it is not an integer marker / truncated.
  private int(m: i32): i64 {
    const bad = i64.MIN_VALUE;
    if (m == 0x69) { if (!this.has(1)) return bad; const v = <i64>load<i8>(this.p); this.p += 1; return v; }
    if (m == 0x55) { if (!this.has(1)) return bad; const v = <i64>load<u8>(this.p); this.p += 1; return v; }
    if (m == 0x49) { if (!this.has(2)) return bad; const v = <i64><i16>bswap<u16>(load<u16>(this.p)); this.p += 2; return v; }
    if (m == 0x6c) { if (!this.has(4)) return bad; const v = <i64><i32>bswap<u32>(load<u32>(this.p)); this.p += 4; return v; }
    if (m == 0x4c) { if (!this.has(8)) return bad; const v = <i64>bswap<u64>(load<u64>(this.p)); this.p += 8; return v; }
    return bad;
  }

  private length(): i64 {
    const m = this.marker();
    const n = this.int(m);
    if (n == i64.MIN_VALUE || n < 0) return -1;
    return n;
  }

  private str(): string | null {
    const n = this.length();
    if (n < 0) { this.fail("bad UBJSON string length"); return null; }
    if (n > MAX_STRING || !this.has(<usize>n)) { this.fail("UBJSON string runs past the end"); return null; }
    const s = String.UTF8.decodeUnsafe(this.p, <usize>n, false);
    this.p += <usize>n;
    return s;
  }

  private scalar(m: i32): JValue | null {
    if (m == 0x5a) return new JNull();
    if (m == 0x54) return new JBool(true);
    if (m == 0x46) return new JBool(false);
    if (m == 0x69 || m == 0x55 || m == 0x49 || m == 0x6c || m == 0x4c) {
      const v = this.int(m);
      if (v == i64.MIN_VALUE) return this.fail("truncated UBJSON integer");
      return v >= 0 ? <JValue>new JUint(<u64>v) : <JValue>new JInt(v);
    }
    if (m == 0x64) {
      if (!this.has(4)) return this.fail("truncated UBJSON float32");
      const v = reinterpret<f32>(bswap<u32>(load<u32>(this.p)));
      this.p += 4;
      return new JFloat(<f64>v);
    }
    if (m == 0x44) {
      if (!this.has(8)) return this.fail("truncated UBJSON float64");
      const v = reinterpret<f64>(bswap<u64>(load<u64>(this.p)));
      this.p += 8;
      return new JFloat(v);
    }
    if (m == 0x43) {
      if (!this.has(1)) return this.fail("truncated UBJSON char");
      const s = String.fromCharCode(load<u8>(this.p));
      this.p += 1;
      return new JStr(s);
    }
    if (m == 0x53 || m == 0x48) {
      const s = this.str();
      return s === null ? null : new JStr(s);
    }
    return this.fail("unknown UBJSON marker 0x" + m.toString(16));
  }

  private value(depth: i32): JValue | null {
    if (depth > MAX_DEPTH) return this.fail("UBJSON nesting deeper than " + MAX_DEPTH.toString());
    if (++this.items > MAX_ITEMS) return this.fail("more than " + MAX_ITEMS.toString() + " UBJSON values");
    const m = this.marker();
    if (m < 0) return this.fail("unexpected end of UBJSON");
    if (m == 0x7b) return this.object(depth);
    if (m == 0x5b) return this.array(depth);
    return this.scalar(m);
  }

  private fixedSize(t: i32): i32 {
    if (t == 0x69 || t == 0x55 || t == 0x43) return 1;
    if (t == 0x49) return 2;
    if (t == 0x6c || t == 0x64) return 4;
    if (t == 0x4c || t == 0x44) return 8;
    return 0;
  }

  private array(depth: i32): JValue | null {
    const a = new JArr();
    let type = -1;
    let count: i64 = -1;
    if (this.p < this.end && load<u8>(this.p) == 0x24) { this.p++; type = this.marker(); }
    if (this.p < this.end && load<u8>(this.p) == 0x23) { this.p++; count = this.length(); if (count < 0) return this.fail("bad UBJSON array count"); }
    if (type >= 0 && count < 0) return this.fail("UBJSON typed array without a count");
    if (count >= 0) {
      const fs = type >= 0 ? this.fixedSize(type) : 0;
      if (fs > 0) {
        if (<u64>count * <u64>fs > <u64>(this.end - this.p)) return this.fail("UBJSON typed array runs past the end");
        if (count > SMALL_ARRAY) {
          this.p += <usize>(count * fs);
          const o = new JObj();
          o.setStr("ubjson_type", String.fromCharCode(type));
          o.setInt("count", count);
          return o;
        }
      } else if (count > <i64>(this.end - this.p) && type != 0x5a && type != 0x54 && type != 0x46) {
        return this.fail("UBJSON array count exceeds the remaining bytes");
      }
      if (count > <i64>MAX_ITEMS) return this.fail("UBJSON array too long");
      for (let i: i64 = 0; i < count; i++) {
        const v = type >= 0 ? this.typed(type, depth + 1) : this.value(depth + 1);
        if (!v) return null;
        a.push(v);
      }
      return a;
    }
    while (true) {
      while (this.p < this.end && load<u8>(this.p) == 0x4e) this.p++;
      if (this.p >= this.end) return this.fail("unterminated UBJSON array");
      if (load<u8>(this.p) == 0x5d) { this.p++; return a; }
      const v = this.value(depth + 1);
      if (!v) return null;
      a.push(v);
    }
  }

  private typed(type: i32, depth: i32): JValue | null {
    if (++this.items > MAX_ITEMS) return this.fail("more than " + MAX_ITEMS.toString() + " UBJSON values");
    if (type == 0x7b) return this.object(depth);
    if (type == 0x5b) return this.array(depth);
    return this.scalar(type);
  }

  private object(depth: i32): JValue | null {
    const o = new JObj();
    let type = -1;
    let count: i64 = -1;
    if (this.p < this.end && load<u8>(this.p) == 0x24) { this.p++; type = this.marker(); }
    if (this.p < this.end && load<u8>(this.p) == 0x23) { this.p++; count = this.length(); if (count < 0) return this.fail("bad UBJSON object count"); }
    if (count >= 0) {
      if (count > <i64>(this.end - this.p)) return this.fail("UBJSON object count exceeds the remaining bytes");
      for (let i: i64 = 0; i < count; i++) {
        const k = this.str();
        if (k === null) return null;
        const v = type >= 0 ? this.typed(type, depth + 1) : this.value(depth + 1);
        if (!v) return null;
        o.append(k, v);
      }
      return o;
    }
    while (true) {
      while (this.p < this.end && load<u8>(this.p) == 0x4e) this.p++;
      if (this.p >= this.end) return this.fail("unterminated UBJSON object");
      if (load<u8>(this.p) == 0x7d) { this.p++; return o; }
      const k = this.str();
      if (k === null) return null;
      const v = this.value(depth + 1);
      if (!v) return null;
      o.append(k, v);
    }
  }
}
