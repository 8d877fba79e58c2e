// A strict parser for the Python literals that appear in .npy headers: dicts, tuples, lists,
// strings, ints (Python 2 `1L` too), True/False/None. It never evaluates anything: anything
// outside this grammar is an error. Tuples and lists become JArr; dicts become JObj.

import { JArr, JBool, JInt, JNull, JObj, JStr, JUint, JValue } from "./json";
import { hexDigit, skipWhitespace, wordAt } from "./bytes";

export class PyLiteralParser {
  error: string = "";
  private p: usize = 0;
  private end: usize = 0;
  private nodes: i32 = 0;

  parse(ptr: usize, len: usize): JValue | null {
    this.p = ptr;
    this.end = ptr + len;
    this.nodes = 0;
    this.ws();
    const v = this.value(0);
    if (!v) return null;
    this.ws();
    if (this.p != this.end) return this.fail("unexpected text after the literal");
    return v;
  }

  private fail(m: string): JValue | null {
    if (!this.error.length) this.error = m;
    return null;
  }

  private ws(): void {
    this.p = skipWhitespace(this.p, this.end);
  }

  private value(depth: i32): JValue | null {
    if (depth > 32) return this.fail("literal nested too deeply");
    if (++this.nodes > 100000) return this.fail("literal too large");
    if (this.p >= this.end) return this.fail("unexpected end of literal");
    const c = load<u8>(this.p);
    if (c == 0x7b) return this.dict(depth);
    if (c == 0x28) return this.seq(depth, 0x29);
    if (c == 0x5b) return this.seq(depth, 0x5d);
    if (c == 0x27 || c == 0x22) return this.str();
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.int();
    if (this.word("True")) return new JBool(true);
    if (this.word("False")) return new JBool(false);
    if (this.word("None")) return new JNull();
    return this.fail("unsupported token in literal");
  }

  private word(w: string): bool {
    if (!wordAt(this.p, this.end, w)) return false;
    this.p += <usize>w.length;
    return true;
  }

  private int(): JValue | null {
    let neg = false;
    if (load<u8>(this.p) == 0x2d) { neg = true; this.p++; }
    let v: u64 = 0;
    let digits = 0;
    while (this.p < this.end) {
      const c = load<u8>(this.p);
      if (c < 0x30 || c > 0x39) break;
      const d = <u64>(c - 0x30);
      if (v > (u64.MAX_VALUE - d) / 10) return this.fail("integer too large");
      v = v * 10 + d;
      this.p++;
      digits++;
    }
    if (!digits) return this.fail("invalid integer");
    if (this.p < this.end && (load<u8>(this.p) == 0x4c || load<u8>(this.p) == 0x6c)) this.p++; // Python 2 long
    if (neg) {
      if (v > <u64>i64.MAX_VALUE) return this.fail("integer too small");
      return new JInt(-<i64>v);
    }
    return new JUint(v);
  }

  private str(): JValue | null {
    const q = load<u8>(this.p);
    this.p++;
    const parts = new Array<string>();
    let run = this.p;
    while (true) {
      if (this.p >= this.end) return this.fail("unterminated string");
      const c = load<u8>(this.p);
      if (c == q) break;
      if (c == 0x5c) {
        if (this.p > run) parts.push(String.UTF8.decodeUnsafe(run, this.p - run, false));
        this.p++;
        if (this.p >= this.end) return this.fail("unterminated escape");
        const e = load<u8>(this.p);
        this.p++;
        if (e == 0x6e) parts.push("\n");
        else if (e == 0x74) parts.push("\t");
        else if (e == 0x72) parts.push("\r");
        else if (e == 0x30) parts.push("\0");
        else if (e == 0x78) {
          if (this.p + 2 > this.end) return this.fail("bad \\x escape");
          const hi = hexDigit(<i32>load<u8>(this.p));
          const lo = hexDigit(<i32>load<u8>(this.p + 1));
          if (hi < 0 || lo < 0) return this.fail("bad \\x escape");
          const h = hi * 16 + lo;
          parts.push(String.fromCharCode(h));
          this.p += 2;
        } else parts.push(String.fromCharCode(e));
        run = this.p;
        continue;
      }
      this.p++;
    }
    if (this.p > run) parts.push(String.UTF8.decodeUnsafe(run, this.p - run, false));
    this.p++;
    return new JStr(parts.join(""));
  }

  private seq(depth: i32, close: u8): JValue | null {
    this.p++;
    const a = new JArr();
    while (true) {
      this.ws();
      if (this.p >= this.end) return this.fail("unterminated sequence");
      if (load<u8>(this.p) == close) { this.p++; return a; }
      const v = this.value(depth + 1);
      if (!v) return null;
      a.push(v);
      this.ws();
      if (this.p >= this.end) return this.fail("unterminated sequence");
      const c = load<u8>(this.p);
      if (c == 0x2c) { this.p++; continue; }
      if (c == close) { this.p++; return a; }
      return this.fail("expected , in sequence");
    }
  }

  private dict(depth: i32): JValue | null {
    this.p++;
    const o = new JObj();
    while (true) {
      this.ws();
      if (this.p >= this.end) return this.fail("unterminated dict");
      if (load<u8>(this.p) == 0x7d) { this.p++; return o; }
      const k = this.value(depth + 1);
      if (!k) return null;
      const ks = k.asStr();
      if (ks === null) return this.fail("dict key is not a string");
      this.ws();
      if (this.p >= this.end || load<u8>(this.p) != 0x3a) return this.fail("expected : in dict");
      this.p++;
      this.ws();
      const v = this.value(depth + 1);
      if (!v) return null;
      if (o.has(ks)) return this.fail("duplicate dict key '" + ks + "'");
      o.append(ks, v);
      this.ws();
      if (this.p >= this.end) return this.fail("unterminated dict");
      const c = load<u8>(this.p);
      if (c == 0x2c) { this.p++; continue; }
      if (c == 0x7d) { this.p++; return o; }
      return this.fail("expected , in dict");
    }
  }
}
