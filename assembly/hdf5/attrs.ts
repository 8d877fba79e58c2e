// Attributes (compact messages 0x0C and dense storage through attribute info 0x15), shared
// (committed) datatypes, the global heap behind variable-length data, and attribute values as JSON.

import { E_CORRUPT, E_LIMIT, E_UNSUPPORTED } from "../core/errors";
import { JArr, JBool, JFloat, JInt, JNull, JObj, JStr, JUint, JValue } from "../util/json";
import { H5, UNDEF } from "./file";
import { Msg, MSG_ATTRIBUTE, MSG_ATTR_INFO, MSG_DATATYPE, ObjHeader, readObjectHeader } from "./objects";
import { Dataspace, DType, isBoolEnum, parseDataspace, parseDatatype, T_ARRAY, T_COMPOUND, T_ENUM, T_FIXED, T_FLOAT, T_OPAQUE, T_REFERENCE, T_STRING, T_VLEN, describeType, complexOf } from "./types";
import { heapObject, objLen, readBtree2, readFractalHeap } from "./heaps";
import { loadLE } from "../util/bytes";

const MAX_ATTR_VALUES: u64 = 4096;
const MAX_STRING: u64 = 16 * 1024 * 1024;

// A datatype message that may be shared (flag 0x02): then it points at a committed datatype.
export function datatypeOf(h: H5, m: Msg): DType | null {
  if ((m.flags & 2) == 0) return parseDatatype(h, m.ptr, m.size, m.addr);
  return sharedDatatype(h, m.ptr, m.size, m.addr);
}

function sharedDatatype(h: H5, p: usize, size: u32, at: u64): DType | null {
  if (size < 2) { h.fail(E_CORRUPT, "shared message too short", at); return null; }
  const ver = <i32>load<u8>(p);
  const type = <i32>load<u8>(p + 1);
  let addr: u64 = UNDEF;
  if (ver == 1) {
    if (size < 8 + <u32>h.so) { h.fail(E_CORRUPT, "shared message too short", at); return null; }
    addr = h.addr(p + 8);
  } else if (ver == 2 || (ver == 3 && type == 2)) {
    if (size < 2 + <u32>h.so) { h.fail(E_CORRUPT, "shared message too short", at); return null; }
    addr = h.addr(p + 2);
  } else {
    h.fail(E_UNSUPPORTED, "shared object header messages (SOHM) are not supported", at);
    return null;
  }
  const oh = readObjectHeader(h, addr);
  if (!oh) return null;
  const dm = oh.first(MSG_DATATYPE);
  if (!dm) { h.fail(E_CORRUPT, "shared datatype points at an object without a datatype", addr); return null; }
  if (dm.flags & 2) { h.fail(E_CORRUPT, "shared datatype points at another shared datatype", addr); return null; }
  return parseDatatype(h, dm.ptr, dm.size, dm.addr);
}

export class Attr {
  name: string = "";
  type: DType | null = null;
  space: Dataspace | null = null;
  data: usize = 0;
  dataLen: u64 = 0;
}

function pad(n: u32, v: i32): u32 { return v == 1 ? (n + 7) & ~7 : n; }

export function parseAttribute(h: H5, p: usize, size: u32, at: u64): Attr | null {
  if (size < 8) { h.fail(E_CORRUPT, "attribute message too short", at); return null; }
  const ver = <i32>load<u8>(p);
  const flags = <i32>load<u8>(p + 1);
  const nl = <u32>load<u16>(p + 2);
  const tl = <u32>load<u16>(p + 4);
  const sl = <u32>load<u16>(p + 6);
  let o: u32 = 8;
  if (ver == 3) o = 9;
  else if (ver != 1 && ver != 2) { h.fail(E_UNSUPPORTED, "attribute message version " + ver.toString(), at); return null; }
  const a = new Attr();
  if (o + pad(nl, ver) > size) { h.fail(E_CORRUPT, "attribute name runs past its message", at); return null; }
  let n = nl;
  while (n > 0 && load<u8>(p + o + n - 1) == 0) n--;
  a.name = String.UTF8.decodeUnsafe(p + o, n);
  o += pad(nl, ver);
  if (o + pad(tl, ver) > size) { h.fail(E_CORRUPT, "attribute datatype runs past its message", at); return null; }
  const t = (flags & 1) ? sharedDatatype(h, p + o, tl, at + o) : parseDatatype(h, p + o, tl, at + o);
  if (!t) return null;
  a.type = t;
  o += pad(tl, ver);
  if (o + pad(sl, ver) > size) { h.fail(E_CORRUPT, "attribute dataspace runs past its message", at); return null; }
  if (flags & 2) { h.fail(E_UNSUPPORTED, "shared dataspaces are not supported", at); return null; }
  const s = parseDataspace(h, p + o, sl, at + o);
  if (!s) return null;
  a.space = s;
  o += pad(sl, ver);
  a.data = p + o;
  a.dataLen = <u64>(size - o);
  return a;
}

// Every attribute of an object: compact messages and dense storage.
export function readAttributes(h: H5, oh: ObjHeader, out: Attr[]): bool {
  const ms = oh.all(MSG_ATTRIBUTE);
  for (let i = 0; i < ms.length; i++) {
    const a = parseAttribute(h, ms[i].ptr, ms[i].size, ms[i].addr);
    if (!a) return false;
    out.push(a);
  }
  const ai = oh.first(MSG_ATTR_INFO);
  if (!ai) return true;
  const p = ai.ptr;
  const flags = <i32>load<u8>(p + 1);
  let o: u32 = 2;
  if (flags & 1) o += 2;
  if (o + 2 * <u32>h.so > ai.size) { h.fail(E_CORRUPT, "attribute info message too short", ai.addr); return false; }
  const heap = h.addr(p + o);
  const nameBt = h.addr(p + o + <u32>h.so);
  let orderBt: u64 = UNDEF;
  if ((flags & 2) && o + 3 * <u32>h.so <= ai.size) orderBt = h.addr(p + o + 2 * <u32>h.so);
  if (heap == UNDEF) return true;
  const f = readFractalHeap(h, heap);
  if (!f) return false;
  const bt = readBtree2(h, orderBt != UNDEF ? orderBt : nameBt);
  if (!bt) return false;
  if (bt.type != 8 && bt.type != 9) { h.fail(E_CORRUPT, "attribute index B-tree of record type " + bt.type.toString(), nameBt); return false; }
  for (let i = 0; i < bt.recs.length; i++) {
    const obj = heapObject(h, f, bt.recs[i]);
    if (!obj) return false;
    const a = parseAttribute(h, obj, <u32>objLen, heap);
    if (!a) return false;
    out.push(a);
  }
  return true;
}

// The bytes of global heap object `index` in the collection at `coll` (length in gLen).
export let gLen: u64 = 0;

export function globalObject(h: H5, coll: u64, index: u32): usize {
  const sl = <u64>h.sl;
  const p = h.view(coll, 8 + sl, "global heap");
  if (!p) return 0;
  if (load<u32>(p) != 0x4c4f4347) return h.fail(E_CORRUPT, "global heap collection without GCOL signature", coll); // "GCOL"
  const size = h.len(p + 8);
  if (size < 8 + sl || size > 1024 * 1024 * 1024) return h.fail(E_CORRUPT, "global heap collection of " + size.toString() + " bytes", coll);
  const q = h.view(coll, size, "global heap");
  if (!q) return 0;
  let o = 8 + sl;
  while (o + 8 + sl <= size) {
    if (!h.spend(1)) return 0;
    const idx = <u32>load<u16>(q + <usize>o);
    const n = h.len(q + <usize>o + 8);
    if (idx == 0) break;
    const data = o + 8 + sl;
    if (n > size - data) return h.fail(E_CORRUPT, "global heap object runs past its collection", coll + o);
    if (idx == index) {
      gLen = n;
      return q + <usize>data;
    }
    o = data + ((n + 7) & ~7);
  }
  return h.fail(E_CORRUPT, "global heap object " + index.toString() + " not found", coll);
}

// A vlen string element (length, collection address, index) as text, or null on failure.
export function vlenString(h: H5, e: usize): string | null {
  const n = <u64>load<u32>(e);
  if (n == 0) return "";
  const coll = h.addr(e + 4);
  const idx = load<u32>(e + 4 + <usize>h.so);
  if (coll == UNDEF || coll == 0) return "";
  const p = globalObject(h, coll, idx);
  if (!p) return null;
  const len = n < gLen ? n : gLen;
  if (len > MAX_STRING) { h.fail(E_LIMIT, "a string of " + len.toString() + " bytes", coll); return null; }
  return String.UTF8.decodeUnsafe(p, <usize>len);
}

export function fixedString(p: usize, n: u64): string {
  let k = n;
  while (k > 0 && (load<u8>(p + <usize>k - 1) == 0 || load<u8>(p + <usize>k - 1) == 0x20)) k--;
  let z: u64 = 0;
  while (z < k && load<u8>(p + <usize>z) != 0) z++;
  return String.UTF8.decodeUnsafe(p, <usize>z);
}

// One element as JSON (null with the error set on failure).
function elementValue(h: H5, t: DType, p: usize): JValue | null {
  switch (t.cls) {
    case T_FIXED: {
      if (t.size > 8) return new JStr("<" + t.size.toString() + "-byte integer>");
      let v = loadLE(p, <i32>t.size);
      if (t.bigEndian) v = swapN(v, t.size);
      if (t.signed && t.size < 8) {
        const sh = <u64>(64 - t.size * 8);
        return new JInt((<i64>(v << sh)) >> sh);
      }
      return t.signed ? <JValue>new JInt(<i64>v) : <JValue>new JUint(v);
    }
    case T_FLOAT: {
      if (t.size == 4) {
        let v = <u64>load<u32>(p);
        if (t.bigEndian) v = swapN(v, 4);
        return new JFloat(<f64>reinterpret<f32>(<u32>v));
      }
      if (t.size == 8) {
        let v = load<u64>(p);
        if (t.bigEndian) v = swapN(v, 8);
        return new JFloat(reinterpret<f64>(v));
      }
      if (t.size == 2 && t.expSize == 5) {
        let v = <u32>load<u16>(p);
        if (t.bigEndian) v = <u32>swapN(<u64>v, 2);
        return new JFloat(halfToF64(v));
      }
      return new JStr("<" + describeType(t) + ">");
    }
    case T_STRING: {
      return new JStr(fixedString(p, <u64>t.size));
    }
    case T_VLEN: {
      if (t.isVlenString()) {
        const s = vlenString(h, p);
        if (s === null) return null;
        return new JStr(s);
      }
      return new JStr("<vlen sequence of " + (<u64>load<u32>(p)).toString() + " " + describeType(t.base!) + ">");
    }
    case T_ENUM: {
      if (isBoolEnum(t)) return new JBool(load<u8>(p) != 0);
      const b = t.base!;
      let v = loadLE(p, <i32>(b.size > 8 ? 8 : b.size));
      if (b.bigEndian) v = swapN(v, b.size);
      for (let i = 0; i < t.enumValues.length; i++) if (t.enumValues[i] == v) return new JStr(t.enumNames[i]);
      return new JUint(v);
    }
    case T_REFERENCE: return new JStr((t.bits & 0xf) == 1 ? "<HDF5 region reference>" : "<HDF5 object reference>");
    case T_OPAQUE: return new JStr("<opaque " + t.size.toString() + " bytes>");
    case T_ARRAY: {
      const b = t.base!;
      let n: u64 = 1;
      for (let i = 0; i < t.dims.length; i++) n *= t.dims[i];
      // The element type must fit the array type's declared size, or reads leave the value.
      if (n > MAX_ATTR_VALUES || n * <u64>b.size > <u64>t.size) return new JStr("<" + describeType(t) + ">");
      const a = new JArr();
      for (let i: u64 = 0; i < n; i++) {
        const v = elementValue(h, b, p + <usize>(i * <u64>b.size));
        if (v === null) return null;
        a.push(v);
      }
      return a;
    }
    case T_COMPOUND: {
      for (let i = 0; i < t.members.length; i++) {
        const m = t.members[i];
        if (<u64>m.offset + <u64>m.type.size > <u64>t.size) return new JStr("<" + describeType(t) + ">");
      }
      if (complexOf(t) != 0 && t.members.length == 2) {
        const re = elementValue(h, t.members[0].type, p);
        const im = elementValue(h, t.members[1].type, p + <usize>t.members[1].offset);
        if (re === null || im === null) return null;
        const o = new JObj();
        o.set("real", re);
        o.set("imag", im);
        return o;
      }
      const o = new JObj();
      for (let i = 0; i < t.members.length; i++) {
        const m = t.members[i];
        if (<u64>m.offset + <u64>m.type.size > <u64>t.size) return new JStr("<" + describeType(t) + ">");
        const v = elementValue(h, m.type, p + <usize>m.offset);
        if (v === null) return null;
        o.set(m.name, v);
      }
      return o;
    }
  }
  return new JStr("<" + describeType(t) + ">");
}

export function attrValue(h: H5, a: Attr): JValue | null {
  const t = a.type!;
  const s = a.space!;
  if (s.isNull) return new JNull();
  let n: u64 = 1;
  for (let i = 0; i < s.dims.length; i++) {
    if (s.dims[i] != 0 && n > u64.MAX_VALUE / s.dims[i]) return new JStr("<too many values>");
    n *= s.dims[i];
  }
  const es = <u64>t.size;
  if (es == 0 || n > a.dataLen / es) {
    if (n == 0) return new JArr();
    h.fail(E_CORRUPT, "attribute \"" + a.name + "\" holds fewer bytes than its shape needs", 0);
    return null;
  }
  if (s.dims.length == 0) return elementValue(h, t, a.data);
  if (n > MAX_ATTR_VALUES) return new JStr("<" + n.toString() + " values of " + describeType(t) + ">");
  const arr = new JArr();
  for (let i: u64 = 0; i < n; i++) {
    const v = elementValue(h, t, a.data + <usize>(i * es));
    if (v === null) return null;
    arr.push(v);
  }
  return arr;
}

function swapN(v: u64, n: u32): u64 {
  let r: u64 = 0;
  for (let i: u32 = 0; i < n; i++) r = (r << 8) | ((v >> (<u64>i * 8)) & 0xff);
  return r;
}

function halfToF64(h: u32): f64 {
  const s = (h >> 15) & 1;
  const e = <i32>((h >> 10) & 0x1f);
  const m = <f64>(h & 0x3ff);
  let v: f64;
  if (e == 0) v = m * Math.pow(2, -24);
  else if (e == 31) v = m == 0 ? Infinity : NaN;
  else v = (1 + m / 1024) * Math.pow(2, <f64>(e - 15));
  return s ? -v : v;
}
