// One ONNX TensorProto -> one Tensor with a read plan: raw_data and external data are byte
// ranges; typed fields (float_data, int32_data, int64_data, ...) are protobuf-values segments the
// read job decodes. Every declared size is checked against the data before it is used.

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { DT_STR, shapeElements } from "../../core/dtype";
import { E_BAD_DTYPE, E_BAD_SHAPE, E_INVALID_OFFSET, E_OVERFLOW, E_SIZE_MISMATCH, E_CORRUPT } from "../../core/errors";
import { Finding, Plan, Segment, SEV_HIGH, SEV_MEDIUM, Tensor } from "../../core/model";
import { checkRelativePath } from "../../core/paths";
import { utf8ToString } from "../../util/bytes";
import { JArr, JObj, JStr } from "../../util/json";
import { collectRepeated, Repeated } from "../../protobuf/repeated";
import { PbError, PbField, PbMsg, parseMsg, readVarint, Varint, WT_LEN, WT_VARINT } from "../../protobuf/wire";
import {
  onnxByteLength, onnxToDtype, onnxTypeName, typedFieldFor, TP_DATA_LOCATION, TP_DATA_TYPE, TP_DIMS, TP_EXTERNAL_DATA,
  TP_NAME, TP_RAW_DATA, TP_SEGMENT, TP_STRING_DATA,
} from "./types";

const MAX_RANK: i32 = 64;
const MAX_LISTED_STRINGS: i32 = 64;
const FIELD_NAMES: string[] = ["", "dims", "data_type", "segment", "float_data", "int32_data", "string_data", "int64_data", "name", "raw_data", "double_data", "uint64_data"];

// The payload of a LEN field, viewed when the message was walked without viewing (0 = not there).
export function payload(ctx: Context, src: i32, f: PbField): usize {
  if (f.ptr) return f.ptr;
  return ctx.viewOf(src, f.offset, f.length);
}

export function payloadStr(ctx: Context, src: i32, f: PbField): string | null {
  const p = payload(ctx, src, f);
  if (!p) return null;
  return utf8ToString(p, <usize>f.length);
}

export class TensorBox {
  tensor: Tensor | null = null;
}

// Reads dims (repeated int64, packed or not). Returns null with ctx error/pending set.
export function readDims(ctx: Context, src: i32, m: PbMsg, num: i32, what: string): u64[] | null {
  const dims = new Array<u64>();
  const vi = new Varint();
  for (let i = 0; i < m.fields.length; i++) {
    const f = m.fields[i];
    if (f.num != num) continue;
    if (f.wt == WT_VARINT) {
      if (<i64>f.value < 0) { ctx.fail(E_BAD_SHAPE, what + " has a negative dimension " + (<i64>f.value).toString(), f.tagOffset); return null; }
      dims.push(f.value);
    } else if (f.wt == WT_LEN) {
      const p = payload(ctx, src, f);
      if (!p) { ctx.truncated(what + " dims", f.offset); return null; }
      let q = p;
      const end = p + <usize>f.length;
      while (q < end) {
        if (!readVarint(q, end, vi)) { ctx.fail(E_CORRUPT, what + ": the packed dims are cut inside a varint", f.offset); return null; }
        q = vi.next;
        if (<i64>vi.value < 0) { ctx.fail(E_BAD_SHAPE, what + " has a negative dimension " + (<i64>vi.value).toString(), f.offset); return null; }
        dims.push(vi.value);
        if (dims.length > MAX_RANK) break;
      }
    } else {
      ctx.fail(E_CORRUPT, what + ": dims have the wrong wire type", f.tagOffset);
      return null;
    }
    if (dims.length > MAX_RANK) { ctx.fail(E_BAD_SHAPE, what + " has more than " + MAX_RANK.toString() + " dimensions", f.tagOffset); return null; }
  }
  return dims;
}

// Parses a decimal string (external data offset/length). -1 when it is not one.
function parseDecimal(s: string): i64 {
  if (s.length == 0 || s.length > 18) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + <i64>(c - 48);
  }
  return v;
}

// Builds the tensor described by TensorProto `m` (fields of source `src`). `fallbackName` names
// unnamed tensors. Returns ST_DONE (box.tensor set), ST_PENDING or ST_FAILED.
export function onnxTensor(ctx: Context, src: i32, m: PbMsg, fallbackName: string, findings: Finding[], box: TensorBox): i32 {
  let name = fallbackName;
  const nf = m.last(TP_NAME);
  if (nf !== null && nf.wt == WT_LEN) {
    const s = payloadStr(ctx, src, nf);
    if (s === null) return ctx.truncated("a tensor name", nf.offset);
    name = s;
  }
  const what = "ONNX tensor \"" + name + "\"";
  const dims = readDims(ctx, src, m, TP_DIMS, what);
  if (dims === null) return ctx.pending() ? ST_PENDING : ST_FAILED;
  const type = m.i32v(TP_DATA_TYPE, 0);
  const dt = onnxToDtype(type);
  if (dt < 0) return ctx.fail(E_BAD_DTYPE, what + " has data_type " + type.toString() + " (" + onnxTypeName(type) + "), which has no element type", m.base);
  const nelem = shapeElements(dims);
  if (nelem == u64.MAX_VALUE) return ctx.fail(E_OVERFLOW, what + ": the product of its dims overflows 64 bits", m.base);
  const info = new JObj();
  info.setStr("onnx_data_type", onnxTypeName(type));
  const t = new Tensor(name, dt, dims, 0);
  t.info = info;
  const plan = new Plan();
  plan.storage = dt;
  t.plan = plan;
  box.tensor = t;

  if (m.has(TP_SEGMENT)) {
    info.setStr("storage", "segment");
    plan.unreadable = "it is one segment of a larger tensor (TensorProto.segment), which ONNX itself does not load";
    return ST_DONE;
  }

  if (dt == DT_STR) {
    const items = m.all(TP_STRING_DATA);
    if (<u64>items.length != nelem) return ctx.fail(E_SIZE_MISMATCH, what + " holds " + items.length.toString() + " strings but its shape needs " + nelem.toString(), m.base);
    let total: u64 = 0;
    const vals = new JArr();
    for (let i = 0; i < items.length; i++) {
      const f = items[i];
      if (f.wt != WT_LEN) return ctx.fail(E_CORRUPT, what + ": string_data has the wrong wire type", f.tagOffset);
      total += f.length;
      if (i < MAX_LISTED_STRINGS) {
        const s = payloadStr(ctx, src, f);
        if (s === null) return ctx.truncated("a string value", f.offset);
        vals.push(new JStr(s));
      }
    }
    t.byteLength = total;
    info.setStr("storage", "string_data");
    info.set("values", vals);
    plan.unreadable = "it holds strings";
    return ST_DONE;
  }

  const expected = onnxByteLength(type, nelem);
  if (expected == u64.MAX_VALUE) return ctx.fail(E_OVERFLOW, what + ": its byte size overflows 64 bits", m.base);
  t.byteLength = expected;

  const location = m.i32v(TP_DATA_LOCATION, 0);
  if (location == 1 || m.has(TP_EXTERNAL_DATA)) {
    info.setStr("storage", "external");
    return externalPlan(ctx, src, m, t, expected, findings, what);
  }
  const raw = m.last(TP_RAW_DATA);
  if (raw !== null) {
    if (raw.wt != WT_LEN) return ctx.fail(E_CORRUPT, what + ": raw_data has the wrong wire type", raw.tagOffset);
    if (raw.length != expected) return ctx.fail(E_SIZE_MISMATCH, what + " has " + raw.length.toString() + " bytes of raw_data but " + onnxTypeName(type) + " " + shapeText(dims) + " needs " + expected.toString(), raw.offset);
    info.setStr("storage", "raw_data");
    plan.segments.push(Segment.raw(src, raw.offset, raw.length));
    return ST_DONE;
  }
  const tf = typedFieldFor(type);
  if (tf === null) {
    info.setStr("storage", "typed");
    plan.unreadable = onnxTypeName(type) + " values kept one per int32 cannot be repacked by a read plan";
    return ST_DONE;
  }
  const fields = m.all(tf.field);
  const rep = new Repeated();
  const st = collectRepeated(ctx, src, fields, tf.fixed, tf.outWidth, what, rep);
  if (st != ST_DONE) return st;
  const want: u64 = tf.perElement == 0 ? expected : nelem * <u64>tf.perElement;
  if (rep.count != want) {
    return ctx.fail(E_SIZE_MISMATCH, what + " holds " + rep.count.toString() + " values in " + FIELD_NAMES[tf.field] + " but " + onnxTypeName(type) + " " + shapeText(dims) + " needs " + want.toString(), m.base);
  }
  info.setStr("storage", FIELD_NAMES[tf.field]);
  plan.segments = rep.segments;
  return ST_DONE;
}

function externalPlan(ctx: Context, src: i32, m: PbMsg, t: Tensor, expected: u64, findings: Finding[], what: string): i32 {
  const err = new PbError();
  let loc = "";
  let offStr = "";
  let lenStr = "";
  let hasLen = false;
  const ext = new JObj();
  const entries = m.all(TP_EXTERNAL_DATA);
  for (let i = 0; i < entries.length; i++) {
    const f = entries[i];
    if (f.wt != WT_LEN) return ctx.fail(E_CORRUPT, what + ": external_data has the wrong wire type", f.tagOffset);
    const p = payload(ctx, src, f);
    if (!p) return ctx.truncated("external_data", f.offset);
    const e = parseMsg(p, <usize>f.length, f.offset, err, what + " external_data");
    if (e === null) return ctx.fail(err.code, err.message, err.offset);
    const k = e.str(1);
    const v = e.str(2);
    ext.setStr(k, v);
    if (k == "location") loc = v;
    else if (k == "offset") offStr = v;
    else if (k == "length") { lenStr = v; hasLen = true; }
  }
  const info = t.info!;
  info.set("external_data", ext);
  const plan = t.plan!;
  if (loc.length == 0) return ctx.fail(E_INVALID_OFFSET, what + " is marked external but names no location", m.base);
  const off = offStr.length ? parseDecimal(offStr) : 0;
  if (off < 0) return ctx.fail(E_INVALID_OFFSET, what + ": external offset \"" + offStr + "\" is not a non-negative integer", m.base);
  let len: i64 = <i64>expected;
  if (hasLen) {
    len = parseDecimal(lenStr);
    if (len < 0) return ctx.fail(E_INVALID_OFFSET, what + ": external length \"" + lenStr + "\" is not a non-negative integer", m.base);
    if (<u64>len != expected) return ctx.fail(E_SIZE_MISMATCH, what + " declares " + lenStr + " bytes of external data but its type and shape need " + expected.toString(), m.base);
  }
  const rule = checkRelativePath(loc);
  if (rule.length) {
    const fd = new Finding(SEV_HIGH, "path-escape", what + " keeps its data in \"" + loc + "\", which " + rule + "; loading it would read a file outside the model's directory", t.name);
    findings.push(fd);
    plan.unreadable = "its external data location \"" + loc + "\" " + rule;
    return ST_DONE;
  }
  const id = ctx.sibling(loc, "external data of " + what);
  if (id == SOURCE_PENDING) return ST_PENDING;
  if (id == SOURCE_FAILED) {
    // A missing data file leaves the tensor listed but unreadable, not the model unreadable.
    const msg = ctx.errorMessage;
    ctx.errorCode = 0;
    ctx.errorMessage = "";
    findings.push(new Finding(SEV_MEDIUM, "external-data-missing", msg, t.name));
    plan.unreadable = msg;
    return ST_DONE;
  }
  const size = ctx.sourceSize(id);
  if (<u64>off > size || <u64>len > size - <u64>off) {
    return ctx.fail(E_INVALID_OFFSET, what + ": external bytes [" + off.toString() + ", " + (off + len).toString() + ") run past the end of \"" + loc + "\" (" + size.toString() + " bytes)", m.base);
  }
  plan.segments.push(Segment.raw(id, <u64>off, <u64>len));
  return ST_DONE;
}

export function shapeText(shape: u64[]): string {
  const parts = new Array<string>();
  for (let i = 0; i < shape.length; i++) parts.push(shape[i].toString());
  return "[" + parts.join(", ") + "]";
}

export { ST_DONE, ST_FAILED, ST_PENDING };
