// A small JSON document model used both to parse JSON found in model files (safetensors headers,
// Hugging Face configs, manifests) and to build the index the core hands to hosts.
// Integers are kept exact (i64/u64) because tensor offsets and sizes must not round.

import { ByteBuf, hexDigit, isValidUtf8, skipWhitespace, wordAt } from "./bytes";

export const enum JKind { NULL = 0, BOOL = 1, INT = 2, UINT = 3, FLOAT = 4, STR = 5, ARR = 6, OBJ = 7, RAW_ARR = 8 }

export class JValue {
  constructor(public kind: JKind) {}

  isNumber(): bool { return this.kind == JKind.INT || this.kind == JKind.UINT || this.kind == JKind.FLOAT; }
  // A non-negative integer that fits u64, or -1 when the value is not one.
  asU64(): u64 {
    if (this.kind == JKind.UINT) return (<JUint>this).value;
    if (this.kind == JKind.INT) { const v = (<JInt>this).value; return v >= 0 ? <u64>v : u64.MAX_VALUE; }
    return u64.MAX_VALUE;
  }
  isNonNegInt(): bool {
    if (this.kind == JKind.UINT) return true;
    if (this.kind == JKind.INT) return (<JInt>this).value >= 0;
    return false;
  }
  asF64(): f64 {
    if (this.kind == JKind.FLOAT) return (<JFloat>this).value;
    if (this.kind == JKind.INT) return <f64>(<JInt>this).value;
    if (this.kind == JKind.UINT) return <f64>(<JUint>this).value;
    return NaN;
  }
  asStr(): string | null { return this.kind == JKind.STR ? (<JStr>this).value : null; }
  asObj(): JObj | null { return this.kind == JKind.OBJ ? <JObj>this : null; }
  asArr(): JArr | null { return this.kind == JKind.ARR ? <JArr>this : null; }
}

export class JNull extends JValue { constructor() { super(JKind.NULL); } }
export class JBool extends JValue { constructor(public value: bool) { super(JKind.BOOL); } }
export class JInt extends JValue { constructor(public value: i64) { super(JKind.INT); } }
export class JUint extends JValue { constructor(public value: u64) { super(JKind.UINT); } }
export class JFloat extends JValue { constructor(public value: f64) { super(JKind.FLOAT); } }
export class JStr extends JValue { constructor(public value: string) { super(JKind.STR); } }

export class JArr extends JValue {
  items: Array<JValue> = new Array<JValue>();
  constructor() { super(JKind.ARR); }
  push(v: JValue): JArr { this.items.push(v); return this; }
  get length(): i32 { return this.items.length; }
  at(i: i32): JValue { return this.items[i]; }
}

// An array whose items are serialized as they are added: for lists of many objects (the nodes of
// a 100,000-node graph) that are only ever written out. Holding the items as one growing byte
// buffer instead of an object tree keeps the collector's live set small (marking the tree again
// on every cycle was most of the indexing time), at the price of not reading the items back.
export class JRawArr extends JValue {
  private data: ArrayBuffer = new ArrayBuffer(0);
  private used: i32 = 0;
  count: i32 = 0;
  constructor() { super(JKind.RAW_ARR); }

  push(v: JValue): bool {
    const s = rawScratch;
    s.clear();
    writeJson(s, v);
    if (s.failed) { s.dispose(); return false; }
    const ok = this.append(s.ptr, s.len);
    // The scratch buffer is kept for the next item but not past a large one.
    if (s.cap > 1 << 20) s.dispose();
    return ok;
  }

  // Adds one item already written as JSON (n bytes at ptr).
  append(ptr: usize, n: usize): bool {
    const comma: i32 = this.count ? 1 : 0;
    if (n > <usize>(RAW_MAX - comma - this.used)) return false;
    const need = this.used + comma + <i32>n;
    if (need > this.data.byteLength) {
      let cap = this.data.byteLength < 4096 ? 4096 : this.data.byteLength;
      while (cap < need) cap = cap > (RAW_MAX >> 1) ? RAW_MAX : cap << 1;
      const next = new ArrayBuffer(cap);
      memory.copy(changetype<usize>(next), changetype<usize>(this.data), <usize>this.used);
      this.data = next;
    }
    const at = changetype<usize>(this.data) + <usize>this.used;
    if (comma) store<u8>(at, 0x2c);
    memory.copy(at + <usize>comma, ptr, n);
    this.used = need;
    this.count++;
    return true;
  }

  writeTo(out: ByteBuf): void {
    out.byte(0x5b);
    if (this.used && out.reserve(<usize>this.used)) {
      memory.copy(out.ptr + out.len, changetype<usize>(this.data), <usize>this.used);
      out.len += <usize>this.used;
    }
    out.byte(0x5d);
  }
}

// The largest managed buffer the runtime allocates is just under 1 GiB; the index a host
// receives is capped at 1 GiB anyway.
const RAW_MAX: i32 = (1 << 30) - 1024;

// One item's bytes on their way into a JRawArr: shared (items are pushed one at a time), so its
// unmanaged memory is bounded and never leaks with a failed index.
const rawScratch = new ByteBuf();

export class JObj extends JValue {
  keys: Array<string> = new Array<string>();
  vals: Array<JValue> = new Array<JValue>();
  constructor() { super(JKind.OBJ); }

  get size(): i32 { return this.keys.length; }

  indexOf(key: string): i32 {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return i;
    return -1;
  }
  has(key: string): bool { return this.indexOf(key) >= 0; }
  get(key: string): JValue | null {
    const i = this.indexOf(key);
    return i < 0 ? null : this.vals[i];
  }
  getStr(key: string): string | null {
    const v = this.get(key);
    return v ? v.asStr() : null;
  }
  getObj(key: string): JObj | null {
    const v = this.get(key);
    return v ? v.asObj() : null;
  }
  getArr(key: string): JArr | null {
    const v = this.get(key);
    return v ? v.asArr() : null;
  }
  // Sets key (replacing an existing one).
  set(key: string, v: JValue): JObj {
    const i = this.indexOf(key);
    if (i >= 0) this.vals[i] = v;
    else { this.keys.push(key); this.vals.push(v); }
    return this;
  }
  // Appends without the duplicate check (the parser checks duplicates itself when asked).
  append(key: string, v: JValue): JObj {
    this.keys.push(key);
    this.vals.push(v);
    return this;
  }
  setStr(key: string, s: string): JObj { return this.set(key, new JStr(s)); }
  setInt(key: string, v: i64): JObj { return this.set(key, new JInt(v)); }
  setU64(key: string, v: u64): JObj { return this.set(key, new JUint(v)); }
  setF64(key: string, v: f64): JObj { return this.set(key, new JFloat(v)); }
  setBool(key: string, v: bool): JObj { return this.set(key, new JBool(v)); }
}

export function jstr(s: string): JStr { return new JStr(s); }
export function jint(v: i64): JInt { return new JInt(v); }
export function ju64(v: u64): JUint { return new JUint(v); }
export function jnull(): JNull { return new JNull(); }

// ---------------------------------------------------------------------------------------------
// Parser

export class JsonParseLimits {
  maxDepth: i32 = 128;
  maxItems: i32 = 10_000_000;
  rejectDuplicateKeys: bool = false;
}

export class JsonParser {
  error: string = "";
  errorOffset: usize = 0;
  duplicateKey: string = "";
  private p: usize = 0;
  private end: usize = 0;
  private base: usize = 0;
  private items: i32 = 0;

  constructor(public limits: JsonParseLimits = new JsonParseLimits()) {}

  // Parses exactly one JSON value spanning [ptr, ptr+len) (surrounding whitespace allowed).
  parse(ptr: usize, len: usize): JValue | null {
    this.base = ptr;
    this.p = ptr;
    this.end = ptr + len;
    this.error = "";
    this.items = 0;
    if (!isValidUtf8(ptr, len)) return this.fail("text is not valid UTF-8");
    this.ws();
    const v = this.value(0);
    if (!v) return null;
    this.ws();
    if (this.p != this.end) return this.fail("unexpected bytes after the JSON value");
    return v;
  }

  private fail(msg: string): JValue | null {
    if (this.error.length == 0) {
      this.error = msg;
      this.errorOffset = this.p - this.base;
    }
    return null;
  }

  private ws(): void {
    this.p = skipWhitespace(this.p, this.end);
  }

  private value(depth: i32): JValue | null {
    if (depth > this.limits.maxDepth) return this.fail("nesting deeper than " + this.limits.maxDepth.toString());
    if (++this.items > this.limits.maxItems) return this.fail("more than " + this.limits.maxItems.toString() + " JSON values");
    if (this.p >= this.end) return this.fail("unexpected end of JSON");
    const c = load<u8>(this.p);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      return s === null ? null : new JStr(s);
    }
    if (c == 0x74) return this.word("true", new JBool(true));
    if (c == 0x66) return this.word("false", new JBool(false));
    if (c == 0x6e) return this.word("null", new JNull());
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail("unexpected character in JSON");
  }

  private word(w: string, v: JValue): JValue | null {
    if (!wordAt(this.p, this.end, w)) return this.fail("invalid literal in JSON");
    this.p += <usize>w.length;
    return v;
  }

  private number(): JValue | null {
    const start = this.p;
    let neg = false;
    if (load<u8>(this.p) == 0x2d) { neg = true; this.p++; }
    if (this.p >= this.end) return this.fail("invalid number in JSON");
    let c = load<u8>(this.p);
    if (c < 0x30 || c > 0x39) return this.fail("invalid number in JSON");
    let mag: u64 = 0;
    let overflow = false;
    if (c == 0x30) {
      this.p++;
    } else {
      while (this.p < this.end) {
        c = load<u8>(this.p);
        if (c < 0x30 || c > 0x39) break;
        const d = <u64>(c - 0x30);
        if (mag > (u64.MAX_VALUE - d) / 10) overflow = true;
        else mag = mag * 10 + d;
        this.p++;
      }
    }
    let isFloat = false;
    if (this.p < this.end && load<u8>(this.p) == 0x2e) {
      isFloat = true;
      this.p++;
      let digits = 0;
      while (this.p < this.end) { c = load<u8>(this.p); if (c < 0x30 || c > 0x39) break; this.p++; digits++; }
      if (digits == 0) return this.fail("invalid number in JSON");
    }
    if (this.p < this.end && (load<u8>(this.p) | 0x20) == 0x65) {
      isFloat = true;
      this.p++;
      if (this.p < this.end && (load<u8>(this.p) == 0x2b || load<u8>(this.p) == 0x2d)) this.p++;
      let digits = 0;
      while (this.p < this.end) { c = load<u8>(this.p); if (c < 0x30 || c > 0x39) break; this.p++; digits++; }
      if (digits == 0) return this.fail("invalid number in JSON");
    }
    if (!isFloat && !overflow) {
      if (!neg) return new JUint(mag);
      if (mag <= <u64>i64.MAX_VALUE + 1) return new JInt(<i64>(0 - mag));
    }
    const text = String.UTF8.decodeUnsafe(start, this.p - start, false);
    return new JFloat(parseFloat(text));
  }

  private string(): string | null {
    this.p++; // opening quote
    const parts = new Array<string>();
    let runStart = this.p;
    while (true) {
      if (this.p >= this.end) { this.fail("unterminated string in JSON"); return null; }
      const c = load<u8>(this.p);
      if (c == 0x22) break;
      if (c < 0x20) { this.fail("control character in JSON string"); return null; }
      if (c == 0x5c) {
        if (this.p > runStart) parts.push(String.UTF8.decodeUnsafe(runStart, this.p - runStart, false));
        this.p++;
        if (this.p >= this.end) { this.fail("unterminated escape in JSON string"); return null; }
        const e = load<u8>(this.p);
        this.p++;
        if (e == 0x22) parts.push("\"");
        else if (e == 0x5c) parts.push("\\");
        else if (e == 0x2f) parts.push("/");
        else if (e == 0x62) parts.push("\b");
        else if (e == 0x66) parts.push("\f");
        else if (e == 0x6e) parts.push("\n");
        else if (e == 0x72) parts.push("\r");
        else if (e == 0x74) parts.push("\t");
        else if (e == 0x75) {
          const u = this.hex4();
          if (u < 0) { this.fail("invalid \\u escape in JSON string"); return null; }
          parts.push(String.fromCharCode(u));
        } else { this.fail("invalid escape in JSON string"); return null; }
        runStart = this.p;
        continue;
      }
      this.p++;
    }
    if (this.p > runStart) parts.push(String.UTF8.decodeUnsafe(runStart, this.p - runStart, false));
    this.p++; // closing quote
    if (parts.length == 0) return "";
    if (parts.length == 1) return parts[0];
    return parts.join("");
  }

  private hex4(): i32 {
    if (this.p + 4 > this.end) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const d = hexDigit(<i32>load<u8>(this.p + <usize>i));
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    this.p += 4;
    return v;
  }

  private array(depth: i32): JValue | null {
    this.p++;
    const a = new JArr();
    this.ws();
    if (this.p < this.end && load<u8>(this.p) == 0x5d) { this.p++; return a; }
    while (true) {
      this.ws();
      const v = this.value(depth + 1);
      if (!v) return null;
      a.items.push(v);
      this.ws();
      if (this.p >= this.end) return this.fail("unterminated array in JSON");
      const c = load<u8>(this.p);
      this.p++;
      if (c == 0x2c) continue;
      if (c == 0x5d) return a;
      this.p--;
      return this.fail("expected , or ] in JSON array");
    }
  }

  private object(depth: i32): JValue | null {
    this.p++;
    const o = new JObj();
    this.ws();
    if (this.p < this.end && load<u8>(this.p) == 0x7d) { this.p++; return o; }
    while (true) {
      this.ws();
      if (this.p >= this.end || load<u8>(this.p) != 0x22) return this.fail("expected a string key in JSON object");
      const k = this.string();
      if (k === null) return null;
      this.ws();
      if (this.p >= this.end || load<u8>(this.p) != 0x3a) return this.fail("expected : in JSON object");
      this.p++;
      this.ws();
      const v = this.value(depth + 1);
      if (!v) return null;
      if (this.limits.rejectDuplicateKeys && o.keys.length < 100000 && o.has(k)) {
        this.duplicateKey = k;
        return this.fail("duplicate key \"" + k + "\" in JSON object");
      }
      o.append(k, v);
      this.ws();
      if (this.p >= this.end) return this.fail("unterminated object in JSON");
      const c = load<u8>(this.p);
      this.p++;
      if (c == 0x2c) continue;
      if (c == 0x7d) return o;
      this.p--;
      return this.fail("expected , or } in JSON object");
    }
  }
}

export function parseJson(ptr: usize, len: usize): JValue | null {
  return new JsonParser().parse(ptr, len);
}

// ---------------------------------------------------------------------------------------------
// Writer

const HEX = "0123456789abcdef";

export function writeJsonString(out: ByteBuf, s: string): void {
  out.byte(0x22);
  let runStart = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c == 0x22) esc = "\\\"";
    else if (c == 0x5c) esc = "\\\\";
    else if (c == 0x0a) esc = "\\n";
    else if (c == 0x0d) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c < 0x20 || c == 0x2028 || c == 0x2029) {
      esc = "\\u" + HEX.charAt((c >> 12) & 15) + HEX.charAt((c >> 8) & 15) + HEX.charAt((c >> 4) & 15) + HEX.charAt(c & 15);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      // A lone high surrogate cannot be encoded as UTF-8: replace it.
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) { i++; continue; }
      esc = "\uFFFD";
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      esc = "\uFFFD";
    }
    if (esc !== null) {
      if (i > runStart) out.str(s.substring(runStart, i));
      out.str(esc);
      runStart = i + 1;
    }
  }
  if (runStart == 0) out.str(s);
  else if (runStart < n) out.str(s.substring(runStart));
  out.byte(0x22);
}

// Integers outside +-2^53 are written as strings so every JSON consumer reads them exactly.
const SAFE: u64 = 9007199254740991;

export function writeJson(out: ByteBuf, v: JValue): void {
  switch (v.kind) {
    case JKind.NULL: out.str("null"); break;
    case JKind.BOOL: out.str((<JBool>v).value ? "true" : "false"); break;
    case JKind.UINT: {
      const x = (<JUint>v).value;
      if (x > SAFE) { out.byte(0x22); out.u64dec(x); out.byte(0x22); } else out.u64dec(x);
      break;
    }
    case JKind.INT: {
      const x = (<JInt>v).value;
      const mag: u64 = x < 0 ? <u64>(0 - x) : <u64>x;
      if (mag > SAFE) { out.byte(0x22); out.str(x.toString()); out.byte(0x22); } else out.str(x.toString());
      break;
    }
    case JKind.FLOAT: {
      const x = (<JFloat>v).value;
      if (isNaN(x)) out.str("\"NaN\"");
      else if (!isFinite(x)) out.str(x > 0 ? "\"Infinity\"" : "\"-Infinity\"");
      else if (x == Math.floor(x) && Math.abs(x) < 1e15) out.str((<i64>x).toString());
      else out.str(x.toString());
      break;
    }
    case JKind.STR: writeJsonString(out, (<JStr>v).value); break;
    case JKind.ARR: {
      const a = <JArr>v;
      out.byte(0x5b);
      for (let i = 0; i < a.items.length; i++) {
        if (i) out.byte(0x2c);
        writeJson(out, a.items[i]);
      }
      out.byte(0x5d);
      break;
    }
    case JKind.OBJ: {
      const o = <JObj>v;
      out.byte(0x7b);
      for (let i = 0; i < o.keys.length; i++) {
        if (i) out.byte(0x2c);
        writeJsonString(out, o.keys[i]);
        out.byte(0x3a);
        writeJson(out, o.vals[i]);
      }
      out.byte(0x7d);
      break;
    }
    case JKind.RAW_ARR: (<JRawArr>v).writeTo(out); break;
  }
}
