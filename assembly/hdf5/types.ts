// Message decoders for datasets: datatype (0x03), dataspace (0x01), layout (0x08), fill value
// (0x04/0x05) and filter pipeline (0x0B). Each checks its lengths against the message size.

import { E_CORRUPT, E_LIMIT, E_UNSUPPORTED } from "../core/errors";
import { DT_BF16, DT_BOOL, DT_C128, DT_C64, DT_F16, DT_F32, DT_F64, DT_I16, DT_I32, DT_I64, DT_I8, DT_OBJECT, DT_RAW, DT_STR, DT_U16, DT_U32, DT_U64, DT_U8, dtypeName } from "../core/dtype";
import { H5, UNDEF } from "./file";
import { Filter } from "./filters";
import { loadLE } from "../util/bytes";

export const T_FIXED: i32 = 0;
export const T_FLOAT: i32 = 1;
export const T_TIME: i32 = 2;
export const T_STRING: i32 = 3;
export const T_BITFIELD: i32 = 4;
export const T_OPAQUE: i32 = 5;
export const T_COMPOUND: i32 = 6;
export const T_REFERENCE: i32 = 7;
export const T_ENUM: i32 = 8;
export const T_VLEN: i32 = 9;
export const T_ARRAY: i32 = 10;
export const T_COMPLEX: i32 = 11;

const MAX_MEMBERS: i32 = 4096;
const MAX_TYPE_DEPTH: i32 = 16;
const MAX_RANK: i32 = 32;

export class Member {
  constructor(public name: string, public offset: u32, public type: DType) {}
}

export class DType {
  cls: i32 = 0;
  version: i32 = 0;
  bits: u32 = 0;
  size: u32 = 0;
  encLen: u32 = 0; // bytes the encoded type takes
  bigEndian: bool = false;
  signed: bool = false;
  bitOffset: u32 = 0;
  precision: u32 = 0;
  expSize: u32 = 0;
  mantSize: u32 = 0;
  bias: u32 = 0;
  members: Member[] = [];
  base: DType | null = null;
  dims: u64[] = [];
  enumNames: string[] = [];
  enumValues: u64[] = [];
  tag: string = "";

  isVlenString(): bool { return this.cls == T_VLEN && (this.bits & 0xf) == 1; }
}

function cstr(p: usize, max: usize): string {
  let n: usize = 0;
  while (n < max && load<u8>(p + n) != 0) n++;
  return String.UTF8.decodeUnsafe(p, n);
}

function strLen(p: usize, max: usize): usize {
  let n: usize = 0;
  while (n < max && load<u8>(p + n) != 0) n++;
  return n;
}

// Parses a datatype at p (at most `avail` bytes).
export function parseDatatype(h: H5, p: usize, avail: u32, at: u64, depth: i32 = 0): DType | null {
  if (depth > MAX_TYPE_DEPTH) { h.fail(E_LIMIT, "datatype nesting deeper than " + MAX_TYPE_DEPTH.toString(), at); return null; }
  if (avail < 8) { h.fail(E_CORRUPT, "datatype message too short", at); return null; }
  if (!h.spend(1)) return null;
  const t = new DType();
  const b0 = <u32>load<u8>(p);
  t.cls = <i32>(b0 & 0xf);
  t.version = <i32>(b0 >> 4);
  t.bits = <u32>load<u8>(p + 1) | (<u32>load<u8>(p + 2) << 8) | (<u32>load<u8>(p + 3) << 16);
  t.size = load<u32>(p + 4);
  let o: u32 = 8;
  switch (t.cls) {
    case T_FIXED:
    case T_BITFIELD: {
      if (avail < 12) return short(h, at);
      t.bigEndian = (t.bits & 1) != 0;
      t.signed = (t.bits & 8) != 0;
      t.bitOffset = <u32>load<u16>(p + 8);
      t.precision = <u32>load<u16>(p + 10);
      o = 12;
      break;
    }
    case T_FLOAT: {
      if (avail < 20) return short(h, at);
      t.bigEndian = (t.bits & 1) != 0;
      if ((t.bits & 0x40) != 0) t.bigEndian = true; // VAX order: reported unsupported by dtypeOf
      t.bitOffset = <u32>load<u16>(p + 8);
      t.precision = <u32>load<u16>(p + 10);
      t.expSize = <u32>load<u8>(p + 13);
      t.mantSize = <u32>load<u8>(p + 15);
      t.bias = load<u32>(p + 16);
      o = 20;
      break;
    }
    case T_TIME: {
      o = avail >= 10 ? 10 : 8;
      break;
    }
    case T_STRING: {
      break;
    }
    case T_OPAQUE: {
      const tl = t.bits & 0xff;
      if (<u32>8 + tl > avail) return short(h, at);
      t.tag = cstr(p + 8, tl);
      o = 8 + tl;
      break;
    }
    case T_COMPOUND: {
      const n = <i32>(t.bits & 0xffff);
      if (n > MAX_MEMBERS) { h.fail(E_LIMIT, "compound type with " + n.toString() + " members", at); return null; }
      for (let i = 0; i < n; i++) {
        if (o >= avail) return short(h, at);
        const nl = <u32>strLen(p + o, avail - o);
        if (o + nl >= avail) return short(h, at);
        const name = String.UTF8.decodeUnsafe(p + o, nl);
        if (t.version < 3) o += (nl + 8) & ~7; // padded to 8 including the terminator
        else o += nl + 1;
        let off: u32 = 0;
        let arrDims: u64[] = [];
        if (t.version == 1) {
          // offset, rank, 3 reserved, permutation, 4 reserved, 4 dimension sizes
          if (o + 32 > avail) return short(h, at);
          off = load<u32>(p + o);
          const nd = <i32>load<u8>(p + o + 4);
          for (let d = 0; d < nd && d < 4; d++) arrDims.push(<u64>load<u32>(p + o + 16 + <u32>d * 4));
          o += 32;
        } else if (t.version == 2) {
          if (o + 4 > avail) return short(h, at);
          off = load<u32>(p + o);
          o += 4;
        } else {
          const w: u32 = t.size < 256 ? 1 : t.size < 65536 ? 2 : t.size < 16777216 ? 3 : 4;
          if (o + w > avail) return short(h, at);
          off = <u32>loadLE(p + o, <i32>w);
          o += w;
        }
        const mt = parseDatatype(h, p + o, avail - o, at + o, depth + 1);
        if (!mt) return null;
        o += mt.encLen;
        if (arrDims.length) {
          // Version-1 array members: wrap the member type as an array type.
          const at2 = new DType();
          at2.cls = T_ARRAY;
          at2.base = mt;
          at2.dims = arrDims;
          let n2: u64 = 1;
          for (let d = 0; d < arrDims.length; d++) n2 *= arrDims[d];
          at2.size = <u32>(n2 * <u64>mt.size);
          t.members.push(new Member(name, off, at2));
        } else {
          t.members.push(new Member(name, off, mt));
        }
      }
      break;
    }
    case T_REFERENCE: {
      if (t.version >= 4) {
        // Revised references: a type byte and version byte follow.
        o = avail >= 10 ? 10 : 8;
      }
      break;
    }
    case T_ENUM: {
      const n = <i32>(t.bits & 0xffff);
      if (n > MAX_MEMBERS) { h.fail(E_LIMIT, "enum with " + n.toString() + " members", at); return null; }
      const bt = parseDatatype(h, p + o, avail - o, at + o, depth + 1);
      if (!bt) return null;
      t.base = bt;
      o += bt.encLen;
      for (let i = 0; i < n; i++) {
        if (o >= avail) return short(h, at);
        const nl = <u32>strLen(p + o, avail - o);
        if (o + nl >= avail) return short(h, at);
        t.enumNames.push(String.UTF8.decodeUnsafe(p + o, nl));
        if (t.version < 3) o += (nl + 8) & ~7;
        else o += nl + 1;
      }
      const vs = bt.size;
      if (vs == 0 || vs > 8 || o + vs * <u32>n > avail) return short(h, at);
      for (let i = 0; i < n; i++) {
        let v = loadLE(p + o, <i32>vs);
        if (bt.bigEndian) v = bswapN(v, vs);
        t.enumValues.push(v);
        o += vs;
      }
      break;
    }
    case T_VLEN: {
      const bt = parseDatatype(h, p + o, avail - o, at + o, depth + 1);
      if (!bt) return null;
      t.base = bt;
      o += bt.encLen;
      break;
    }
    case T_ARRAY: {
      if (o + 4 > avail) return short(h, at);
      const nd = <i32>load<u8>(p + o);
      if (nd > MAX_RANK) { h.fail(E_LIMIT, "array type of rank " + nd.toString(), at); return null; }
      o += t.version < 3 ? 4 : 1;
      if (o + <u32>nd * (t.version < 3 ? 8 : 4) > avail) return short(h, at);
      for (let d = 0; d < nd; d++) t.dims.push(<u64>load<u32>(p + o + <u32>d * 4));
      o += <u32>nd * 4;
      if (t.version < 3) o += <u32>nd * 4; // permutation indices
      const bt = parseDatatype(h, p + o, avail - o, at + o, depth + 1);
      if (!bt) return null;
      t.base = bt;
      o += bt.encLen;
      break;
    }
    case T_COMPLEX: {
      const bt = parseDatatype(h, p + o, avail - o, at + o, depth + 1);
      if (!bt) return null;
      t.base = bt;
      o += bt.encLen;
      break;
    }
    default:
      h.fail(E_UNSUPPORTED, "datatype class " + t.cls.toString() + " is not known", at);
      return null;
  }
  t.encLen = o;
  return t;
}

function short(h: H5, at: u64): DType | null {
  h.fail(E_CORRUPT, "datatype message is shorter than its fields", at);
  return null;
}

function bswapN(v: u64, n: u32): u64 {
  let r: u64 = 0;
  for (let i: u32 = 0; i < n; i++) r = (r << 8) | ((v >> (<u64>i * 8)) & 0xff);
  return r;
}

// The omnimodel dtype for values of this type (DT_RAW/DT_STR/DT_OBJECT when not numeric).
export function dtypeOf(t: DType): i32 {
  switch (t.cls) {
    case T_FIXED: {
      if (t.bitOffset != 0 || t.precision != t.size * 8) return DT_RAW;
      if (t.size == 1) return t.signed ? DT_I8 : DT_U8;
      if (t.size == 2) return t.signed ? DT_I16 : DT_U16;
      if (t.size == 4) return t.signed ? DT_I32 : DT_U32;
      if (t.size == 8) return t.signed ? DT_I64 : DT_U64;
      return DT_RAW;
    }
    case T_FLOAT: {
      if ((t.bits & 0x40) != 0) return DT_RAW;
      if (t.size == 2 && t.expSize == 5 && t.mantSize == 10) return DT_F16;
      if (t.size == 2 && t.expSize == 8 && t.mantSize == 7) return DT_BF16;
      if (t.size == 4 && t.expSize == 8 && t.mantSize == 23) return DT_F32;
      if (t.size == 8 && t.expSize == 11 && t.mantSize == 52) return DT_F64;
      return DT_RAW;
    }
    case T_STRING: return DT_STR;
    case T_VLEN: return t.isVlenString() ? DT_STR : DT_OBJECT;
    case T_ENUM: {
      const b = t.base!;
      if (isBoolEnum(t)) return DT_BOOL;
      return dtypeOf(b);
    }
    case T_ARRAY: {
      const b = t.base!;
      return dtypeOf(b);
    }
    case T_COMPOUND: {
      const c = complexOf(t);
      return c;
    }
    case T_COMPLEX: {
      if (t.size == 8) return DT_C64;
      if (t.size == 16) return DT_C128;
      return DT_RAW;
    }
  }
  return DT_RAW;
}

// h5py's bool: enum over a 1-byte integer {FALSE: 0, TRUE: 1}.
export function isBoolEnum(t: DType): bool {
  if (t.cls != T_ENUM || t.size != 1 || t.enumNames.length != 2) return false;
  return t.enumNames[0] == "FALSE" && t.enumValues[0] == 0 && t.enumNames[1] == "TRUE" && t.enumValues[1] == 1;
}

// h5py's complex numbers: compound {r, i} of two equal IEEE floats, r at 0 and i right after.
export function complexOf(t: DType): i32 {
  if (t.members.length != 2) return DT_RAW;
  const r = t.members[0];
  const i = t.members[1];
  if (r.name != "r" || i.name != "i" || r.offset != 0) return DT_RAW;
  const rt = dtypeOf(r.type);
  const it = dtypeOf(i.type);
  if (rt != it || r.type.bigEndian != i.type.bigEndian) return DT_RAW;
  if (rt == DT_F32 && i.offset == 4 && t.size == 8) return DT_C64;
  if (rt == DT_F64 && i.offset == 8 && t.size == 16) return DT_C128;
  return DT_RAW;
}

// Whether the stored values are big-endian (for the numeric types dtypeOf maps).
export function isBigEndian(t: DType): bool {
  if (t.cls == T_ENUM || t.cls == T_ARRAY || t.cls == T_COMPLEX) return t.base!.bigEndian;
  if (t.cls == T_COMPOUND) return t.members.length ? t.members[0].type.bigEndian : false;
  return t.bigEndian;
}

// A short text for types without a dtype of their own (compound, references, vlen sequences).
export function describeType(t: DType): string {
  switch (t.cls) {
    case T_FIXED: {
      const d = dtypeOf(t);
      return d != DT_RAW ? dtypeName(d) : (t.signed ? "int" : "uint") + t.precision.toString() + "@" + t.bitOffset.toString();
    }
    case T_FLOAT: {
      const d = dtypeOf(t);
      return d != DT_RAW ? dtypeName(d) : "float" + (t.size * 8).toString() + "(e" + t.expSize.toString() + "m" + t.mantSize.toString() + ")";
    }
    case T_STRING: return "S" + t.size.toString();
    case T_OPAQUE: return t.tag.length ? "opaque(" + t.size.toString() + ", " + t.tag + ")" : "opaque(" + t.size.toString() + ")";
    case T_REFERENCE: return (t.bits & 0xf) == 1 ? "REF_REGION" : "REF_OBJECT";
    case T_ENUM: return isBoolEnum(t) ? "BOOL" : "enum<" + describeType(t.base!) + ">";
    case T_VLEN: return t.isVlenString() ? "STR" : "vlen<" + describeType(t.base!) + ">";
    case T_ARRAY: {
      let s = describeType(t.base!) + "[";
      for (let i = 0; i < t.dims.length; i++) s += (i ? "," : "") + t.dims[i].toString();
      return s + "]";
    }
    case T_COMPOUND: {
      const c = complexOf(t);
      if (c != DT_RAW) return dtypeName(c);
      let s = "{";
      for (let i = 0; i < t.members.length; i++) {
        if (i) s += ", ";
        s += t.members[i].name + ": " + describeType(t.members[i].type);
      }
      return s + "}";
    }
    case T_COMPLEX: return dtypeName(dtypeOf(t));
    case T_TIME: return "time";
    case T_BITFIELD: return "bitfield" + (t.size * 8).toString();
  }
  return "unknown";
}

export class Dataspace {
  isNull: bool = false;
  dims: u64[] = [];
  maxDims: u64[] | null = null;
}

export function parseDataspace(h: H5, p: usize, size: u32, at: u64): Dataspace | null {
  if (size < 4) { h.fail(E_CORRUPT, "dataspace message too short", at); return null; }
  const s = new Dataspace();
  const ver = <i32>load<u8>(p);
  const rank = <i32>load<u8>(p + 1);
  const flags = <i32>load<u8>(p + 2);
  if (rank > MAX_RANK) { h.fail(E_LIMIT, "dataspace of rank " + rank.toString(), at); return null; }
  let o: u32;
  if (ver == 1) {
    o = 8;
    if (rank == 0) {
      // Version 1 has no type byte; rank 0 is a scalar (null dataspaces need version 2).
    }
  } else if (ver == 2) {
    const type = <i32>load<u8>(p + 3);
    if (type == 2) s.isNull = true;
    o = 4;
  } else {
    h.fail(E_UNSUPPORTED, "dataspace version " + ver.toString(), at);
    return null;
  }
  const sl = <u32>h.sl;
  const need = o + <u32>rank * sl * ((flags & 1) ? 2 : 1);
  if (need > size) { h.fail(E_CORRUPT, "dataspace message shorter than its dimensions", at); return null; }
  for (let i = 0; i < rank; i++) s.dims.push(h.len(p + o + <u32>i * sl));
  if (flags & 1) {
    const m = new Array<u64>();
    for (let i = 0; i < rank; i++) {
      let v = h.len(p + o + <u32>(rank + i) * sl);
      if (sl < 8 && v == ((<u64>1 << (<u64>sl * 8)) - 1)) v = UNDEF;
      m.push(v);
    }
    s.maxDims = m;
  }
  return s;
}

export const LAYOUT_COMPACT: i32 = 0;
export const LAYOUT_CONTIGUOUS: i32 = 1;
export const LAYOUT_CHUNKED: i32 = 2;
export const LAYOUT_VIRTUAL: i32 = 3;

export const IDX_BTREE1: i32 = 0; // layout v1-v3
export const IDX_SINGLE: i32 = 1;
export const IDX_IMPLICIT: i32 = 2;
export const IDX_FARRAY: i32 = 3;
export const IDX_EARRAY: i32 = 4;
export const IDX_BTREE2: i32 = 5;

export class Layout {
  version: i32 = 0;
  cls: i32 = 0;
  addr: u64 = UNDEF;
  size: u64 = 0;
  compactAt: u64 = 0; // file address of compact data
  chunk: u64[] = []; // chunk dims without the element-size entry
  chunkElem: u64 = 0;
  index: i32 = IDX_BTREE1;
  flags: i32 = 0;
  singleSize: u64 = 0;
  singleMask: u32 = 0;
  params: u8[] = []; // index-specific creation parameters
}

export function parseLayout(h: H5, p: usize, size: u32, at: u64): Layout | null {
  const L = new Layout();
  if (size < 2) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
  const ver = <i32>load<u8>(p);
  L.version = ver;
  const so = <u32>h.so;
  const sl = <u32>h.sl;
  if (ver == 1 || ver == 2) {
    if (size < 8) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
    const nd = <u32>load<u8>(p + 1);
    L.cls = <i32>load<u8>(p + 2);
    let o: u32 = 8;
    if (L.cls != LAYOUT_COMPACT) {
      if (o + so > size) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
      L.addr = h.addr(p + o);
      o += so;
    }
    if (nd > <u32>MAX_RANK + 1 || o + nd * 4 > size) { h.fail(E_CORRUPT, "layout message dimensions run past the message", at); return null; }
    const dims = new Array<u64>();
    for (let i: u32 = 0; i < nd; i++) dims.push(<u64>load<u32>(p + o + i * 4));
    o += nd * 4;
    if (L.cls == LAYOUT_CHUNKED) {
      if (o + 4 <= size) L.chunkElem = <u64>load<u32>(p + o);
      for (let i: u32 = 0; i + 1 < nd; i++) L.chunk.push(dims[i]);
      if (L.chunkElem == 0 && nd > 0) L.chunkElem = dims[nd - 1];
    } else if (L.cls == LAYOUT_COMPACT) {
      if (o + 4 > size) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
      L.size = <u64>load<u32>(p + o);
      L.compactAt = at + o + 4;
      // o + 4 <= size here; o + 4 + L.size would wrap at 2^32
      if (L.size > <u64>(size - (o + 4))) { h.fail(E_CORRUPT, "compact data runs past its message", at); return null; }
    } else {
      let n: u64 = 1;
      for (let i: u32 = 0; i < nd; i++) n *= dims[i];
      L.size = n; // elements x element size is fixed up by the caller
    }
    return L;
  }
  if (ver < 3 || ver > 5) { h.fail(E_UNSUPPORTED, "layout message version " + ver.toString(), at); return null; }
  L.cls = <i32>load<u8>(p + 1);
  if (L.cls == LAYOUT_COMPACT) {
    if (size < 4) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
    L.size = <u64>load<u16>(p + 2);
    L.compactAt = at + 4;
    if (4 + L.size > <u64>size) { h.fail(E_CORRUPT, "compact data runs past its message", at); return null; }
    return L;
  }
  if (L.cls == LAYOUT_CONTIGUOUS) {
    if (<u32>2 + so + sl > size) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
    L.addr = h.addr(p + 2);
    L.size = h.len(p + 2 + so);
    return L;
  }
  if (L.cls == LAYOUT_VIRTUAL) return L;
  if (L.cls != LAYOUT_CHUNKED) { h.fail(E_UNSUPPORTED, "layout class " + L.cls.toString(), at); return null; }
  if (ver == 3) {
    const nd = <u32>load<u8>(p + 2);
    if (nd < 1 || nd > <u32>MAX_RANK + 1 || <u32>3 + so + nd * 4 > size) { h.fail(E_CORRUPT, "chunked layout with bad rank", at); return null; }
    L.addr = h.addr(p + 3);
    const o = 3 + so;
    for (let i: u32 = 0; i + 1 < nd; i++) L.chunk.push(<u64>load<u32>(p + o + i * 4));
    L.chunkElem = <u64>load<u32>(p + o + (nd - 1) * 4);
    L.index = IDX_BTREE1;
    return L;
  }
  // Versions 4 and 5.
  if (size < 6) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
  L.flags = <i32>load<u8>(p + 2);
  const nd = <u32>load<u8>(p + 3);
  const w = <u32>load<u8>(p + 4);
  if (nd < 1 || nd > <u32>MAX_RANK + 1 || w < 1 || w > 8 || <u32>6 + nd * w > size) { h.fail(E_CORRUPT, "chunked layout with bad dimensions", at); return null; }
  let o: u32 = 5;
  for (let i: u32 = 0; i < nd; i++) {
    const v = loadLE(p + o, <i32>w);
    if (i + 1 < nd) L.chunk.push(v);
    else L.chunkElem = v;
    o += w;
  }
  L.index = <i32>load<u8>(p + o);
  o += 1;
  if (L.index == IDX_SINGLE) {
    if (L.flags & 2) {
      if (o + sl + 4 > size) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
      L.singleSize = h.len(p + o);
      L.singleMask = load<u32>(p + o + sl);
      o += sl + 4;
    }
  } else if (L.index == IDX_IMPLICIT) {
  } else if (L.index == IDX_FARRAY || L.index == IDX_EARRAY || L.index == IDX_BTREE2) {
    const n: u32 = L.index == IDX_FARRAY ? 1 : L.index == IDX_EARRAY ? 5 : 6;
    if (o + n > size) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
    for (let i: u32 = 0; i < n; i++) L.params.push(load<u8>(p + o + i));
    o += n;
  } else {
    h.fail(E_UNSUPPORTED, "chunk index type " + L.index.toString(), at);
    return null;
  }
  if (o + so > size) { h.fail(E_CORRUPT, "layout message too short", at); return null; }
  L.addr = h.addr(p + o);
  return L;
}

// Fill value bytes (null = undefined or default zeros).
export function parseFill(h: H5, p: usize, size: u32, type: i32): u8[] | null {
  if (type == 0x04) {
    if (size < 4) return null;
    const n = load<u32>(p);
    return n > 0 && n <= size - 4 ? bytesOf(p + 4, n) : null; // size >= 4 checked above; 4 + n would wrap
  }
  if (size < 2) return null;
  const ver = <i32>load<u8>(p);
  if (ver == 1 || ver == 2) {
    if (size < 4) return null;
    const defined = load<u8>(p + 3);
    if (ver == 2 && defined == 0) return null;
    if (size < 8) return null;
    const n = load<u32>(p + 4);
    return n > 0 && n <= size - 8 ? bytesOf(p + 8, n) : null; // size >= 8 checked above; 8 + n would wrap
  }
  if (ver == 3) {
    const flags = <i32>load<u8>(p + 1);
    if ((flags & 0x20) == 0 || size < 6) return null;
    const n = load<u32>(p + 2);
    return n > 0 && n <= size - 6 ? bytesOf(p + 6, n) : null; // size >= 6 checked above; 6 + n would wrap
  }
  return null;
}

function bytesOf(p: usize, n: u32): u8[] {
  const out = new Array<u8>(<i32>n);
  for (let i: u32 = 0; i < n; i++) out[i] = load<u8>(p + i);
  return out;
}

export function parseFilters(h: H5, p: usize, size: u32, at: u64): Filter[] | null {
  if (size < 2) { h.fail(E_CORRUPT, "filter pipeline message too short", at); return null; }
  const ver = <i32>load<u8>(p);
  const n = <i32>load<u8>(p + 1);
  if (n > 32) { h.fail(E_LIMIT, "filter pipeline with " + n.toString() + " filters", at); return null; }
  let o: u32 = ver == 1 ? 8 : 2;
  if (ver != 1 && ver != 2) { h.fail(E_UNSUPPORTED, "filter pipeline version " + ver.toString(), at); return null; }
  const out = new Array<Filter>();
  for (let i = 0; i < n; i++) {
    if (o + 2 > size) { h.fail(E_CORRUPT, "filter pipeline message runs short", at); return null; }
    const f = new Filter();
    f.id = <i32>load<u16>(p + o);
    o += 2;
    let nameLen: u32 = 0;
    if (ver == 1 || f.id >= 256) {
      if (o + 2 > size) { h.fail(E_CORRUPT, "filter pipeline message runs short", at); return null; }
      nameLen = <u32>load<u16>(p + o);
      o += 2;
    }
    if (o + 4 > size) { h.fail(E_CORRUPT, "filter pipeline message runs short", at); return null; }
    f.flags = <i32>load<u16>(p + o);
    const nv = <u32>load<u16>(p + o + 2);
    o += 4;
    if (nameLen) {
      if (o + nameLen > size) { h.fail(E_CORRUPT, "filter name runs past the message", at); return null; }
      f.name = cstr(p + o, nameLen);
      o += ver == 1 ? (nameLen + 7) & ~7 : nameLen;
    }
    if (nv > 256 || o + nv * 4 > size) { h.fail(E_CORRUPT, "filter client data runs past the message", at); return null; }
    for (let j: u32 = 0; j < nv; j++) f.values.push(load<u32>(p + o + j * 4));
    o += nv * 4;
    if (ver == 1 && (nv & 1)) o += 4;
    out.push(f);
  }
  return out;
}
