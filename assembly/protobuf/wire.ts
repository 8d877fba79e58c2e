// Protocol-buffers wire format, read without a schema compiler: a message is a run of fields,
// each a varint tag (field number << 3 | wire type) and a value. Length-delimited values are
// recorded as byte ranges (offset, length) in the file, never copied, so tensor payloads stay in
// the file and only the small structure around them is looked at.
//
// Every count and length is checked against the bytes that enclose it; errors are codes with a
// sentence, never traps.

import { E_CORRUPT, E_LIMIT, E_TRUNCATED } from "../core/errors";
import { utf8ToString } from "../util/bytes";

export const WT_VARINT: i32 = 0;
export const WT_I64: i32 = 1;
export const WT_LEN: i32 = 2;
export const WT_SGROUP: i32 = 3;
export const WT_EGROUP: i32 = 4;
export const WT_I32: i32 = 5;

const WT_NAMES: string[] = ["varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit", "6", "7"];
export function wireTypeName(wt: i32): string { return wt >= 0 && wt < 8 ? WT_NAMES[wt] : wt.toString(); }

// Fields of one message are capped: a message with more is either hostile or not one we read.
export const MAX_FIELDS: i32 = 16 * 1024 * 1024;
// Nesting of messages we descend into (subgraphs of subgraphs...).
export const MAX_DEPTH: i32 = 64;

// One field of a message. For LEN fields `offset`/`length` are the payload's position in its
// source (absolute); `ptr` is where those bytes are in memory when they were viewed (0 when the
// message was walked without viewing its payloads). For scalar fields `value` holds the raw bits.
export class PbField {
  num: i32 = 0;
  wt: i32 = 0;
  value: u64 = 0;
  offset: u64 = 0;
  length: u64 = 0;
  ptr: usize = 0;
  // Offset of the tag itself and of the byte after the value (for non-packed runs).
  tagOffset: u64 = 0;
  end: u64 = 0;

  // Scalar helpers (protobuf truncation rules: int32 fields keep the low 32 bits).
  get i32v(): i32 { return <i32>(<u32>this.value); }
  get i64v(): i64 { return <i64>this.value; }
  get f32v(): f32 { return reinterpret<f32>(<u32>this.value); }
  get f64v(): f64 { return reinterpret<f64>(this.value); }
  get boolv(): bool { return this.value != 0; }
  // The payload as text (viewed fields only).
  str(): string { return this.ptr ? utf8ToString(this.ptr, <usize>this.length) : ""; }
}

// Result of decoding a varint: the value and where the next byte is; `next == 0` means an error
// (`err` says which).
export class Varint {
  value: u64 = 0;
  next: usize = 0;
  err: i32 = 0; // 0 ok, 1 truncated, 2 longer than 10 bytes
}

// Decodes a varint at p (< end).
export function readVarint(p: usize, end: usize, out: Varint): bool {
  let v: u64 = 0;
  let shift: u64 = 0;
  let q = p;
  while (true) {
    if (q >= end) { out.err = 1; out.next = 0; return false; }
    const b = <u64>load<u8>(q++);
    if (shift == 63 && b > 1) { out.err = 2; out.next = 0; return false; }
    v |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 63) { out.err = 2; out.next = 0; return false; }
  }
  out.value = v;
  out.next = q;
  out.err = 0;
  return true;
}

// Errors of a parse, filled by parseMessage.
export class PbError {
  code: i32 = 0;
  message: string = "";
  offset: u64 = 0;

  set(code: i32, message: string, offset: u64): bool {
    this.code = code;
    this.message = message;
    this.offset = offset;
    return false;
  }
}

// Parses the fields of a message held in memory at [ptr, ptr+len), whose first byte is at file
// offset `base`. Appends to `out`. Returns false with `err` set on malformed input.
export function parseMessage(ptr: usize, len: usize, base: u64, out: PbField[], err: PbError, what: string): bool {
  const end = ptr + len;
  let p = ptr;
  const vi = new Varint();
  while (p < end) {
    const tagAt = base + <u64>(p - ptr);
    if (!readVarint(p, end, vi)) return err.set(vi.err == 1 ? E_TRUNCATED : E_CORRUPT, what + ": a field tag " + (vi.err == 1 ? "runs past the end of the message" : "is longer than 10 bytes"), tagAt);
    p = vi.next;
    const tag = vi.value;
    const wt = <i32>(tag & 7);
    const num64 = tag >> 3;
    if (num64 == 0 || num64 > 536870911) return err.set(E_CORRUPT, what + ": field number " + num64.toString() + " is outside 1..2^29-1", tagAt);
    if (out.length >= MAX_FIELDS) return err.set(E_LIMIT, what + ": more than " + MAX_FIELDS.toString() + " fields in one message", tagAt);
    const f = new PbField();
    f.num = <i32>num64;
    f.wt = wt;
    f.tagOffset = tagAt;
    if (wt == WT_VARINT) {
      if (!readVarint(p, end, vi)) return err.set(vi.err == 1 ? E_TRUNCATED : E_CORRUPT, what + ": the varint of field " + f.num.toString() + (vi.err == 1 ? " runs past the end of the message" : " is longer than 10 bytes"), tagAt);
      f.value = vi.value;
      p = vi.next;
    } else if (wt == WT_I64) {
      if (end - p < 8) return err.set(E_TRUNCATED, what + ": the 64-bit value of field " + f.num.toString() + " runs past the end of the message", tagAt);
      f.value = load<u64>(p);
      p += 8;
    } else if (wt == WT_I32) {
      if (end - p < 4) return err.set(E_TRUNCATED, what + ": the 32-bit value of field " + f.num.toString() + " runs past the end of the message", tagAt);
      f.value = <u64>load<u32>(p);
      p += 4;
    } else if (wt == WT_LEN) {
      if (!readVarint(p, end, vi)) return err.set(vi.err == 1 ? E_TRUNCATED : E_CORRUPT, what + ": the length of field " + f.num.toString() + (vi.err == 1 ? " runs past the end of the message" : " is longer than 10 bytes"), tagAt);
      p = vi.next;
      const n = vi.value;
      if (n > <u64>(end - p)) return err.set(E_TRUNCATED, what + ": field " + f.num.toString() + " declares " + n.toString() + " bytes but only " + (<u64>(end - p)).toString() + " remain in its message", tagAt);
      f.offset = base + <u64>(p - ptr);
      f.length = n;
      f.ptr = p;
      p += <usize>n;
    } else {
      return err.set(E_CORRUPT, what + ": field " + f.num.toString() + " has wire type " + wireTypeName(wt) + ", which this schema never uses", tagAt);
    }
    f.end = base + <u64>(p - ptr);
    out.push(f);
  }
  return true;
}

// Accessors over a parsed field list.
export class PbMsg {
  fields: PbField[] = [];
  base: u64 = 0;

  first(num: i32): PbField | null {
    for (let i = 0; i < this.fields.length; i++) if (this.fields[i].num == num) return this.fields[i];
    return null;
  }
  // protobuf rule: for a singular scalar the last occurrence wins.
  last(num: i32): PbField | null {
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i].num == num) return this.fields[i];
    return null;
  }
  all(num: i32): PbField[] {
    const r = new Array<PbField>();
    for (let i = 0; i < this.fields.length; i++) if (this.fields[i].num == num) r.push(this.fields[i]);
    return r;
  }
  count(num: i32): i32 {
    let n = 0;
    for (let i = 0; i < this.fields.length; i++) if (this.fields[i].num == num) n++;
    return n;
  }
  str(num: i32): string {
    const f = this.last(num);
    return f !== null && f.wt == WT_LEN ? f.str() : "";
  }
  has(num: i32): bool { return this.first(num) !== null; }
  u64v(num: i32, dflt: u64): u64 {
    const f = this.last(num);
    return f !== null && f.wt != WT_LEN ? f.value : dflt;
  }
  i64v(num: i32, dflt: i64): i64 {
    const f = this.last(num);
    return f !== null && f.wt != WT_LEN ? <i64>f.value : dflt;
  }
  i32v(num: i32, dflt: i32): i32 {
    const f = this.last(num);
    return f !== null && f.wt != WT_LEN ? <i32>(<u32>f.value) : dflt;
  }
  strs(num: i32): string[] {
    const r = new Array<string>();
    for (let i = 0; i < this.fields.length; i++) {
      const f = this.fields[i];
      if (f.num == num && f.wt == WT_LEN) r.push(f.str());
    }
    return r;
  }
}

// Parses a message in memory into a PbMsg; null on error (err set).
export function parseMsg(ptr: usize, len: usize, base: u64, err: PbError, what: string): PbMsg | null {
  const m = new PbMsg();
  m.base = base;
  if (!parseMessage(ptr, len, base, m.fields, err, what)) return null;
  return m;
}

// Parses a LEN field's payload (which must have been viewed) as a message.
export function subMsg(f: PbField, err: PbError, what: string): PbMsg | null {
  if (f.wt != WT_LEN) { err.set(E_CORRUPT, what + ": field " + f.num.toString() + " should be a message but has wire type " + wireTypeName(f.wt), f.tagOffset); return null; }
  return parseMsg(f.ptr, <usize>f.length, f.offset, err, what);
}

// Checks that field `num` of m has wire type wt wherever it appears (wrong wire types are a
// corrupt file, not a silently ignored field). Returns false with err set.
export function expectWire(m: PbMsg, num: i32, wt: i32, err: PbError, what: string): bool {
  for (let i = 0; i < m.fields.length; i++) {
    const f = m.fields[i];
    if (f.num == num && f.wt != wt) {
      // A packed repeated scalar may also appear as LEN (and a packed one unpacked): accepted by callers.
      return err.set(E_CORRUPT, what + ": field " + num.toString() + " has wire type " + wireTypeName(f.wt) + ", expected " + wireTypeName(wt), f.tagOffset);
    }
  }
  return true;
}

// Counts the varints in a packed run (for sizing repeated fields). -1 on a malformed run.
export function countPackedVarints(ptr: usize, len: usize): i64 {
  let n: i64 = 0;
  for (let i: usize = 0; i < len; i++) if (load<u8>(ptr + i) < 0x80) n++;
  if (len > 0 && load<u8>(ptr + len - 1) >= 0x80) return -1;
  return n;
}

// Zigzag decoding (sint32/sint64).
export function unzigzag(v: u64): i64 { return <i64>(v >> 1) ^ -(<i64>(v & 1)); }
