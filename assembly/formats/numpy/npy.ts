// NumPy .npy: magic \x93NUMPY, version 1.0/2.0/3.0, a header that is a Python dict literal with
// exactly the keys descr, fortran_order and shape, then the raw data (or a pickle for object
// arrays). The header is parsed with a strict literal grammar, never evaluated.

import { Context, ST_DONE } from "../../core/context";
import {
  DT_BOOL, DT_C128, DT_C64, DT_F16, DT_F32, DT_F64, DT_I16, DT_I32, DT_I64, DT_I8, DT_OBJECT, DT_RAW, DT_STR,
  DT_U16, DT_U32, DT_U64, DT_U8, shapeElements,
} from "../../core/dtype";
import { E_BAD_DTYPE, E_BAD_SHAPE, E_HEADER_TOO_LARGE, E_INVALID_HEADER, E_OVERFLOW, E_TRUNCATED, E_UNSUPPORTED } from "../../core/errors";
import { LAYOUT_FORTRAN, Plan, Segment, SEV_INFO, STR_BYTES, STR_UCS4_BE, STR_UCS4_LE, Tensor } from "../../core/model";
import { JArr, JBool, JKind, JObj, JStr, JValue } from "../../util/json";
import { PyLiteralParser } from "../../util/pyliteral";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NO } from "../format";
import { onObjectArray } from "../pickle/npy-objects";

export const NPY_MAX_HEADER: u64 = 16 * 1024 * 1024;

export class NpyDescr {
  dtype: i32 = -1;
  bigEndian: bool = false;
  itemSize: u64 = 0;
  text: string = "";
  error: string = "";
}

export class NpyHeader {
  major: i32 = 0;
  minor: i32 = 0;
  headerLength: u64 = 0; // bytes before the data (magic + version + length field + header text)
  descr: NpyDescr = new NpyDescr();
  fortran: bool = false;
  shape: u64[] = [];
  elements: u64 = 0;
  dataLength: u64 = 0; // u64.MAX_VALUE for object arrays (a pickle up to the end)
  error: string = "";
  errorCode: i32 = 0;
}

export function isNpyMagic(p: usize, n: usize): bool {
  return n >= 6 && load<u8>(p) == 0x93 && load<u8>(p + 1) == 0x4e && load<u8>(p + 2) == 0x55 &&
    load<u8>(p + 3) == 0x4d && load<u8>(p + 4) == 0x50 && load<u8>(p + 5) == 0x59;
}

// Bytes needed to know the full header length: magic(6) + version(2) + length(2 or 4).
export function npyPreambleLength(p: usize, n: usize): u64 {
  if (n < 8) return 0;
  const major = load<u8>(p + 6);
  return major == 1 ? 10 : 12;
}

// Parses the preamble and header at p (n bytes available). On success headerLength tells where
// the data starts. When n is too short, error is "" and headerLength is the bytes still needed.
export function parseNpyHeader(p: usize, n: usize): NpyHeader {
  const h = new NpyHeader();
  if (!isNpyMagic(p, n)) return bad(h, E_INVALID_HEADER, "npy: the magic string \\x93NUMPY is missing");
  if (n < 8) return need(h, 10);
  h.major = load<u8>(p + 6);
  h.minor = load<u8>(p + 7);
  if (!((h.major == 1 || h.major == 2 || h.major == 3) && h.minor == 0)) {
    return bad(h, E_UNSUPPORTED, "npy: format version " + h.major.toString() + "." + h.minor.toString() + " is not 1.0, 2.0 or 3.0");
  }
  const lenBytes: u64 = h.major == 1 ? 2 : 4;
  if (<u64>n < 8 + lenBytes) return need(h, 8 + lenBytes);
  const hl: u64 = h.major == 1 ? <u64>load<u16>(p + 8) : <u64>load<u32>(p + 8);
  if (hl > NPY_MAX_HEADER) return bad(h, E_HEADER_TOO_LARGE, "npy: the header length " + hl.toString() + " exceeds the 16 MiB limit");
  const total = 8 + lenBytes + hl;
  if (<u64>n < total) return need(h, total);
  h.headerLength = total;
  if (hl < 2) return bad(h, E_INVALID_HEADER, "npy: the header is shorter than 2 bytes");
  const parser = new PyLiteralParser();
  const lit = parser.parse(p + <usize>(8 + lenBytes), <usize>hl);
  if (!lit) return bad(h, E_INVALID_HEADER, "npy: the header is not a valid Python literal: " + parser.error);
  if (lit.kind != JKind.OBJ) return bad(h, E_INVALID_HEADER, "npy: the header is not a dict");
  const d = <JObj>lit;
  for (let i = 0; i < d.keys.length; i++) {
    const k = d.keys[i];
    if (k != "descr" && k != "fortran_order" && k != "shape") return bad(h, E_INVALID_HEADER, "npy: the header has an unexpected key '" + k + "'");
  }
  const descr = d.get("descr");
  const fo = d.get("fortran_order");
  const shape = d.get("shape");
  if (!descr || !fo || !shape) return bad(h, E_INVALID_HEADER, "npy: the header must have the keys descr, fortran_order and shape");
  if (fo.kind != JKind.BOOL) return bad(h, E_INVALID_HEADER, "npy: fortran_order is not a bool");
  h.fortran = (<JBool>fo).value;
  if (shape.kind != JKind.ARR) return bad(h, E_BAD_SHAPE, "npy: shape is not a tuple");
  const sa = <JArr>shape;
  if (sa.length > 64) return bad(h, E_BAD_SHAPE, "npy: shape has more than 64 dimensions");
  for (let i = 0; i < sa.length; i++) {
    const dim = sa.at(i);
    if (!dim.isNonNegInt()) return bad(h, E_BAD_SHAPE, "npy: shape entries must be non-negative integers");
    h.shape.push(dim.asU64());
  }
  h.elements = shapeElements(h.shape);
  if (h.elements == u64.MAX_VALUE) return bad(h, E_OVERFLOW, "npy: the shape's element count overflows 64 bits");
  h.descr = decodeDescr(descr, 0);
  if (h.descr.error.length) return bad(h, E_BAD_DTYPE, "npy: " + h.descr.error);
  if (h.descr.dtype == DT_OBJECT) {
    h.dataLength = u64.MAX_VALUE;
  } else {
    if (h.elements != 0 && h.descr.itemSize > u64.MAX_VALUE / h.elements) return bad(h, E_OVERFLOW, "npy: the data size overflows 64 bits");
    h.dataLength = h.elements * h.descr.itemSize;
  }
  return h;
}

function bad(h: NpyHeader, code: i32, msg: string): NpyHeader {
  h.errorCode = code;
  h.error = msg;
  return h;
}

function need(h: NpyHeader, n: u64): NpyHeader {
  h.headerLength = n;
  h.errorCode = -1;
  return h;
}

// Maps a numpy descr (simple string, or a structured list) to a dtype code and item size.
export function decodeDescr(v: JValue, depth: i32): NpyDescr {
  const r = new NpyDescr();
  if (depth > 16) { r.error = "descr nested too deeply"; return r; }
  if (v.kind == JKind.STR) return decodeSimple((<JStr>v).value);
  if (v.kind == JKind.ARR) {
    // Structured: [(name, descr) | (name, descr, shape), ...]; shown as its text, read as records.
    const a = <JArr>v;
    let size: u64 = 0;
    const parts = new Array<string>();
    for (let i = 0; i < a.length; i++) {
      const f = a.at(i);
      if (f.kind != JKind.ARR || (<JArr>f).length < 2 || (<JArr>f).length > 3) { r.error = "structured descr field is not (name, descr[, shape])"; return r; }
      const fa = <JArr>f;
      const nameV = fa.at(0);
      let name = "";
      if (nameV.kind == JKind.STR) name = (<JStr>nameV).value;
      else if (nameV.kind == JKind.ARR && (<JArr>nameV).length == 2 && (<JArr>nameV).at(1).kind == JKind.STR) name = (<JStr>(<JArr>nameV).at(1)).value;
      else { r.error = "structured descr field name is not a string"; return r; }
      const sub = decodeDescr(fa.at(1), depth + 1);
      if (sub.error.length) return sub;
      let count: u64 = 1;
      if (fa.length == 3) {
        const shp = fa.at(2);
        if (shp.kind == JKind.ARR) {
          for (let k = 0; k < (<JArr>shp).length; k++) {
            const dv = (<JArr>shp).at(k);
            if (!dv.isNonNegInt()) { r.error = "structured descr field shape is invalid"; return r; }
            const dd = dv.asU64();
            if (dd != 0 && count > u64.MAX_VALUE / dd) { r.error = "structured descr size overflows"; return r; }
            count *= dd;
          }
        } else if (shp.isNonNegInt()) count = shp.asU64();
        else { r.error = "structured descr field shape is invalid"; return r; }
      }
      if (count != 0 && sub.itemSize > (u64.MAX_VALUE - size) / count) { r.error = "structured descr size overflows"; return r; }
      size += sub.itemSize * count;
      if (sub.dtype == DT_OBJECT) r.dtype = DT_OBJECT;
      parts.push("('" + name + "', " + (sub.text.startsWith("[") ? sub.text : "'" + sub.text + "'") + (fa.length == 3 ? ", ...)" : ")"));
    }
    if (r.dtype != DT_OBJECT) r.dtype = DT_RAW;
    r.itemSize = size;
    r.text = "[" + parts.join(", ") + "]";
    return r;
  }
  if (v.kind == JKind.ARR) { r.error = "unsupported descr"; return r; }
  r.error = "descr is neither a string nor a list of fields";
  return r;
}

function decodeSimple(s: string): NpyDescr {
  const r = new NpyDescr();
  r.text = s;
  let i = 0;
  let order = "=";
  if (s.length > 0) {
    const c = s.charAt(0);
    if (c == "<" || c == ">" || c == "|" || c == "=") { order = c; i = 1; }
  }
  if (i >= s.length) { r.error = "empty descr '" + s + "'"; return r; }
  const kind = s.charAt(i);
  let j = i + 1;
  let size: u64 = 0;
  let digits = 0;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c < 0x30 || c > 0x39) break;
    size = size * 10 + <u64>(c - 0x30);
    if (size > 1_000_000_000) { r.error = "descr '" + s + "' has an absurd item size"; return r; }
    j++;
    digits++;
  }
  const rest = s.substring(j);
  r.bigEndian = order == ">";
  if (kind == "O") { r.dtype = DT_OBJECT; r.itemSize = 8; return r; }
  if (!digits && kind != "?") { r.error = "descr '" + s + "' has no item size"; return r; }
  if (kind == "?") { r.dtype = DT_BOOL; r.itemSize = 1; return r; }
  if (rest.length && !(kind == "M" || kind == "m")) { r.error = "descr '" + s + "' is not understood"; return r; }
  r.itemSize = size;
  if (kind == "f") {
    if (size == 2) r.dtype = DT_F16;
    else if (size == 4) r.dtype = DT_F32;
    else if (size == 8) r.dtype = DT_F64;
    else r.dtype = DT_RAW; // long double: listed, read as raw records
  } else if (kind == "i") {
    r.dtype = size == 1 ? DT_I8 : size == 2 ? DT_I16 : size == 4 ? DT_I32 : size == 8 ? DT_I64 : -1;
  } else if (kind == "u") {
    r.dtype = size == 1 ? DT_U8 : size == 2 ? DT_U16 : size == 4 ? DT_U32 : size == 8 ? DT_U64 : -1;
  } else if (kind == "b") {
    r.dtype = size == 1 ? DT_BOOL : -1;
  } else if (kind == "c") {
    r.dtype = size == 8 ? DT_C64 : size == 16 ? DT_C128 : size == 32 ? DT_RAW : -1;
  } else if (kind == "S" || kind == "a") {
    r.dtype = DT_STR;
  } else if (kind == "U") {
    r.dtype = DT_STR;
    r.itemSize = size * 4;
  } else if (kind == "V" || kind == "M" || kind == "m") {
    r.dtype = DT_RAW;
  }
  if (r.dtype < 0) { r.error = "descr '" + s + "' is not a NumPy type"; return r; }
  return r;
}

// Fills a tensor for an npy payload found at (src, offset) with the header already parsed.
// `segment` describes where the data bytes come from (raw or inside a compressed member).
export function npyTensor(name: string, h: NpyHeader, segment: Segment | null): Tensor {
  const d = h.descr;
  const t = new Tensor(name, d.dtype, h.shape, d.dtype == DT_OBJECT ? 0 : h.dataLength);
  if (d.dtype == DT_RAW) t.dtypeText = d.text;
  const plan = new Plan();
  plan.storage = d.dtype;
  plan.bigEndian = d.bigEndian && d.itemSize > 1;
  if (h.fortran && h.shape.length > 1) plan.layout = LAYOUT_FORTRAN;
  if (segment) plan.segments.push(segment);
  if (d.dtype == DT_OBJECT) plan.unreadable = "an object array is a pickle; its values are Python objects";
  else if (d.dtype == DT_STR) {
    // Read with strings_open: UCS-4 ('U', in the array's byte order) or bytes ('S').
    plan.unreadable = "string arrays are not numeric (read them as strings)";
    plan.stringEncoding = d.text.indexOf("U") >= 0 ? (d.bigEndian ? STR_UCS4_BE : STR_UCS4_LE) : STR_BYTES;
    plan.stringItem = d.itemSize;
  }
  t.plan = plan;
  if (d.dtype == DT_RAW || d.dtype == DT_STR) {
    const info = new JObj();
    info.setStr("descr", d.text);
    info.setU64("itemSize", d.itemSize);
    t.info = info;
  }
  return t;
}

export class NpyFormat extends FormatModule {
  get id(): string { return "npy"; }

  sniff(s: Sniff): i32 {
    return isNpyMagic(s.head, s.headLen) ? SNIFF_MAGIC : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    const pre = ctx.view(0, size < 12 ? size : 12);
    if (!pre) return ctx.truncated("the npy preamble", 0);
    let h = parseNpyHeader(pre, <usize>(size < 12 ? size : 12));
    if (h.errorCode == -1) {
      if (h.headerLength > size) return ctx.fail(E_TRUNCATED, "npy: the header declares " + h.headerLength.toString() + " bytes but the file has " + size.toString(), 8);
      const full = ctx.view(0, h.headerLength);
      if (!full) return ctx.truncated("the npy header", 0);
      h = parseNpyHeader(full, <usize>h.headerLength);
    }
    if (h.errorCode == -1) return ctx.fail(E_TRUNCATED, "npy: the file ends inside the header", 0);
    if (h.errorCode) return ctx.fail(h.errorCode, h.error, 8);
    const idx = ctx.index;
    idx.format = "npy";
    idx.formatVersion = h.major.toString() + "." + h.minor.toString();
    const dataStart = h.headerLength;
    if (h.descr.dtype == DT_OBJECT) {
      const len = size - dataStart;
      const t = npyTensor(arrayName(ctx.name), h, Segment.raw(0, dataStart, len));
      idx.addTensor(t);
      const st = onObjectArray(ctx, 0, dataStart, len, "");
      if (st != ST_DONE) return st;
      return ST_DONE;
    }
    if (h.dataLength > size - dataStart) {
      return ctx.fail(E_TRUNCATED, "npy: " + h.descr.text + " " + shapeText(h.shape) + " needs " + h.dataLength.toString() + " data bytes but only " + (size - dataStart).toString() + " follow the header", dataStart);
    }
    idx.addTensor(npyTensor(arrayName(ctx.name), h, Segment.raw(0, dataStart, h.dataLength)));
    if (h.fortran && h.shape.length > 1) idx.metadata.setBool("fortran_order", true);
    idx.metadata.setStr("descr", h.descr.text);
    if (dataStart + h.dataLength < size) {
      idx.addFinding(SEV_INFO, "trailing-bytes", "npy: " + (size - dataStart - h.dataLength).toString() + " bytes follow the array data; numpy ignores them.", "offset " + (dataStart + h.dataLength).toString());
    }
    return ST_DONE;
  }
}

export function shapeText(shape: u64[]): string {
  const parts = new Array<string>();
  for (let i = 0; i < shape.length; i++) parts.push(shape[i].toString());
  return "(" + parts.join(", ") + ")";
}

// The one array of a .npy file is named after the file, as npz members are: "weights.npy" ->
// "weights"; bytes opened without a name -> "array". numpy.load returns it unnamed; this gives
// `dump`, `convert` and tensor(name) a name a user can type.
export function arrayName(fileName: string): string {
  let n = fileName;
  const slash = n.lastIndexOf("/");
  if (slash >= 0) n = n.substring(slash + 1);
  if (n.length > 4 && n.toLowerCase().endsWith(".npy")) n = n.substring(0, n.length - 4);
  return n.length ? n : "array";
}
