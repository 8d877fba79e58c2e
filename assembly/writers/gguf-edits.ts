// Metadata edits and shard selection for the GGUF writer (gguf set / rm / split): options given
// to gguf_plan as JSON
//   {"set": [{"key", "value" (text), "type"?}], "remove": [keys], "kv": false (no source pairs),
//    "tensors": [first, end) of the planned tensors, "split": [no, count, total tensors],
//    "alignment": n, "rename": {source name: written name},
//    "permute": {source name: groups},
//    "arrays": [{"key", "type": "STRING" | "FLOAT32" | "INT32" | "UINT32", "values": [...]}]}
// `permute` reorders a tensor's rows as llama.cpp's converters do for Q and K projections
// (rows of each of `groups` heads taken as [2, rows/2] and transposed, so the rotary halves
// interleave); the host applies it while streaming the tensor as F32.
// A set value is text, parsed here by its type: --type, else the key's type in the source, else
// STRING. Numbers out of their type's range, unknown types and arrays are refused.

import { JArr, JBool, JInt, JKind, JObj, JStr, JUint, JValue } from "../util/json";

export class Edits {
  set: Map<string, EncodedPair> = new Map();
  setOrder: string[] = [];
  remove: Set<string> = new Set();
  kv: bool = true;
  first: i32 = 0;
  end: i32 = i32.MAX_VALUE;
  split: u64[] | null = null;
  alignment: u32 = 0;
  rename: Map<string, string> = new Map();
  permute: Map<string, u32> = new Map();
  error: string = "";
}

/** A whole key-value pair, encoded (key, type, value). */
export class EncodedPair {
  bytes: u8[] = [];
}

const TYPE_NAMES = ["UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"];

function le(p: EncodedPair, v: u64, n: i32): void { for (let i = 0; i < n; i++) p.bytes.push(<u8>(v >> (<u64>i * 8))); }
function str(p: EncodedPair, s: string): void {
  const b = Uint8Array.wrap(String.UTF8.encode(s));
  le(p, <u64>b.length, 8);
  for (let i = 0; i < b.length; i++) p.bytes.push(b[i]);
}

function isInt(s: string): bool {
  if (s.length == 0 || s.length > 20) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 48 && c <= 57) && !(i == 0 && c == 45)) return false;
  }
  return s != "-";
}

// Decimal text -> u64 (negative flagged), false on overflow.
function parseDec(s: string, out: u64[]): bool {
  let neg = false, i = 0;
  if (s.charCodeAt(0) == 45) { neg = true; i = 1; }
  let v: u64 = 0;
  for (; i < s.length; i++) {
    const d = <u64>(s.charCodeAt(i) - 48);
    if (v > (u64.MAX_VALUE - d) / 10) return false;
    v = v * 10 + d;
  }
  out.push(v);
  out.push(neg ? 1 : 0);
  return true;
}

/** Encodes key = text as `type`; "" on success, else why not. */
export function encodePair(key: string, type: string, text: string, p: EncodedPair): string {
  const t = type.startsWith("ARRAY") ? 9 : TYPE_NAMES.indexOf(type);
  if (t < 0 || t == 9) return t == 9 ? "arrays cannot be set from the command line (\"" + key + "\" is " + type + ")" : "unknown value type \"" + type + "\" (one of UINT8..FLOAT64, BOOL, STRING)";
  str(p, key);
  le(p, <u64>t, 4);
  if (t == 8) { str(p, text); return ""; }
  if (t == 7) {
    if (text == "true" || text == "1") p.bytes.push(1);
    else if (text == "false" || text == "0") p.bytes.push(0);
    else return "\"" + text + "\" is not a BOOL (true, false, 1 or 0)";
    return "";
  }
  if (t == 6 || t == 12) {
    const f = parseFloat(text);
    if (isNaN(f) && text != "nan" && text != "NaN") return "\"" + text + "\" is not a number";
    if (t == 6) le(p, <u64>reinterpret<u32>(<f32>f), 4);
    else le(p, reinterpret<u64>(f), 8);
    return "";
  }
  const r = new Array<u64>();
  if (!isInt(text) || !parseDec(text, r)) return "\"" + text + "\" is not an integer of " + type;
  const v = r[0], neg = r[1] == 1;
  const bits: i32 = t <= 1 ? 8 : t <= 3 ? 16 : t <= 5 ? 32 : 64;
  const signed = t == 1 || t == 3 || t == 5 || t == 11;
  const limit: u64 = bits == 64 ? u64.MAX_VALUE : ((<u64>1 << <u64>bits) - 1);
  if (signed) {
    const half: u64 = <u64>1 << <u64>(bits - 1);
    if ((neg && v > half) || (!neg && v >= half)) return text + " is out of range for " + type;
  } else if (neg && v != 0 || v > limit) return text + " is out of range for " + type;
  le(p, neg ? <u64>(-(<i64>v)) : v, bits / 8);
  return "";
}

/** key = ARRAY of `type` (STRING, FLOAT32, INT32, UINT32): "" on success, else why not. */
function encodeArray(key: string, type: string, values: JArr, p: EncodedPair): string {
  const t = TYPE_NAMES.indexOf(type);
  if (t != 8 && t != 6 && t != 5 && t != 4) return "arrays of \"" + type + "\" cannot be set (STRING, FLOAT32, INT32 or UINT32)";
  str(p, key);
  le(p, 9, 4);
  le(p, <u64>t, 4);
  le(p, <u64>values.length, 8);
  for (let i = 0; i < values.length; i++) {
    const v = values.at(i);
    if (t == 8) {
      if (v.kind != JKind.STR) return "item " + i.toString() + " is not a string";
      str(p, (<JStr>v).value);
    } else if (t == 6) {
      if (!v.isNumber()) return "item " + i.toString() + " is not a number";
      le(p, <u64>reinterpret<u32>(<f32>v.asF64()), 4);
    } else {
      const signed = t == 5;
      let x: i64 = 0;
      if (v.kind == JKind.UINT) { const u = (<JUint>v).value; if (u > (signed ? <u64>i32.MAX_VALUE : <u64>u32.MAX_VALUE)) return "item " + i.toString() + " is out of range for " + type; x = <i64>u; }
      else if (v.kind == JKind.INT) { x = (<JInt>v).value; if (!signed || x < <i64>i32.MIN_VALUE) return "item " + i.toString() + " is out of range for " + type; }
      else return "item " + i.toString() + " is not an integer";
      le(p, <u64>x, 4);
    }
  }
  return "";
}

export function parseEdits(o: JObj, types: JObj | null): Edits {
  const e = new Edits();
  const set = o.get("set");
  if (set !== null && set.kind == JKind.ARR) {
    const a = <JArr>set;
    for (let i = 0; i < a.length; i++) {
      if (a.at(i).kind != JKind.OBJ) continue;
      const s = <JObj>a.at(i);
      const key = s.getStr("key"), value = s.getStr("value");
      if (key === null || value === null || key.length == 0) { e.error = "a set edit needs a key and a value"; return e; }
      let type = s.getStr("type");
      if (type === null && types !== null) type = types.getStr(key);
      if (type === null) type = "STRING";
      const p = new EncodedPair();
      const why = encodePair(key, type, value, p);
      if (why.length) { e.error = key + ": " + why; return e; }
      if (!e.set.has(key)) e.setOrder.push(key);
      e.set.set(key, p);
    }
  }
  const arrs = o.getArr("arrays");
  if (arrs !== null) {
    for (let i = 0; i < arrs.length; i++) {
      const s = arrs.at(i).asObj();
      const key = s !== null ? s.getStr("key") : null;
      const type = s !== null ? s.getStr("type") : null;
      const values = s !== null ? s.getArr("values") : null;
      if (key === null || key.length == 0 || type === null || values === null) { e.error = "an array edit needs a key, a type and values"; return e; }
      const p = new EncodedPair();
      const why = encodeArray(key, type, values, p);
      if (why.length) { e.error = key + ": " + why; return e; }
      if (!e.set.has(key)) e.setOrder.push(key);
      e.set.set(key, p);
    }
  }
  const rm = o.get("remove");
  if (rm !== null && rm.kind == JKind.ARR) {
    const a = <JArr>rm;
    for (let i = 0; i < a.length; i++) if (a.at(i).kind == JKind.STR) e.remove.add((<JStr>a.at(i)).value);
  }
  const kv = o.get("kv");
  if (kv !== null && kv.kind == JKind.BOOL) e.kv = (<JBool>kv).value;
  const ts = o.get("tensors");
  if (ts !== null && ts.kind == JKind.ARR && (<JArr>ts).length == 2) {
    e.first = <i32>uintOf((<JArr>ts).at(0));
    e.end = <i32>uintOf((<JArr>ts).at(1));
  }
  const sp = o.get("split");
  if (sp !== null && sp.kind == JKind.ARR && (<JArr>sp).length == 3) {
    const a = <JArr>sp;
    e.split = [uintOf(a.at(0)), uintOf(a.at(1)), uintOf(a.at(2))];
  }
  const al = o.get("alignment");
  if (al !== null) e.alignment = <u32>uintOf(al);
  const rn = o.getObj("rename");
  if (rn !== null) {
    for (let i = 0; i < rn.keys.length; i++) {
      const v = rn.vals[i];
      if (v.kind != JKind.STR || (<JStr>v).value.length == 0) { e.error = "rename: \"" + rn.keys[i] + "\" needs a non-empty new name"; return e; }
      e.rename.set(rn.keys[i], (<JStr>v).value);
    }
  }
  const pm = o.getObj("permute");
  if (pm !== null) {
    for (let i = 0; i < pm.keys.length; i++) {
      const g = uintOf(pm.vals[i]);
      if (g == 0) { e.error = "permute: \"" + pm.keys[i] + "\" needs a positive head count"; return e; }
      e.permute.set(pm.keys[i], <u32>g);
    }
  }
  return e;
}

function uintOf(v: JValue): u64 {
  if (v.kind == JKind.UINT) { const x = (<JUint>v).value; return x > 0x7fffffff ? 0x7fffffff : x; }
  return 0;
}

/** The split.* pairs llama.cpp's gguf-split writes: split.no u16, split.count u16, split.tensors.count i32. */
export function splitPairs(no: u64, count: u64, total: u64): EncodedPair[] {
  const a = new EncodedPair(), b = new EncodedPair(), c = new EncodedPair();
  encodePair("split.no", "UINT16", no.toString(), a);
  encodePair("split.count", "UINT16", count.toString(), b);
  encodePair("split.tensors.count", "INT32", total.toString(), c);
  return [a, b, c];
}
