// TensorFlow DataType (tensorflow/core/framework/types.proto) and TensorProto values
// (tensor.proto): tensor_content is a raw little-endian buffer; the typed fields follow the
// broadcast rule of tensor.cc FromProtoField (fewer values than the shape needs: the last value
// repeats, or zeros when there is none), applied lazily by the read plan and bounded.

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import {
  DT_BF16, DT_BOOL, DT_C128, DT_C64, DT_F16, DT_F32, DT_F64, DT_F8_E4M3, DT_F8_E4M3FNUZ, DT_F8_E5M2, DT_F8_E5M2FNUZ,
  DT_I16, DT_I32, DT_I64, DT_I8, DT_STR, DT_U16, DT_U32, DT_U64, DT_U8, dtypeBits, dtypeName, shapeElements,
} from "../../core/dtype";
import { E_BAD_SHAPE, E_CORRUPT, E_OVERFLOW, E_SIZE_MISMATCH } from "../../core/errors";
import { Finding, Plan, Segment, SEV_MEDIUM, Tensor } from "../../core/model";
import { JArr, JInt, JObj, JStr } from "../../util/json";
import { collectRepeated, fillRepeated, Repeated } from "../../protobuf/repeated";
import { pbCodec, PB_PACKED_FIXED } from "../../protobuf/values";
import { PbError, PbField, PbMsg, subMsg, WT_LEN } from "../../protobuf/wire";
import { payload, payloadStr } from "../onnx/tensor";

const TF_NAMES: string[] = [
  "DT_INVALID", "DT_FLOAT", "DT_DOUBLE", "DT_INT32", "DT_UINT8", "DT_INT16", "DT_INT8", "DT_STRING", "DT_COMPLEX64",
  "DT_INT64", "DT_BOOL", "DT_QINT8", "DT_QUINT8", "DT_QINT32", "DT_BFLOAT16", "DT_QINT16", "DT_QUINT16", "DT_UINT16",
  "DT_COMPLEX128", "DT_HALF", "DT_RESOURCE", "DT_VARIANT", "DT_UINT32", "DT_UINT64", "DT_FLOAT8_E5M2",
  "DT_FLOAT8_E4M3FN", "DT_FLOAT8_E4M3FNUZ", "DT_FLOAT8_E4M3B11FNUZ", "DT_FLOAT8_E5M2FNUZ", "DT_INT4", "DT_UINT4",
  "DT_INT2", "DT_UINT2", "DT_FLOAT4_E2M1FN",
];
// -1: no element type of ours (resource handles, variants, 4-bit/2-bit kept one per byte by TF).
const TO_DT: i32[] = [
  -1, DT_F32, DT_F64, DT_I32, DT_U8, DT_I16, DT_I8, DT_STR, DT_C64,
  DT_I64, DT_BOOL, DT_I8, DT_U8, DT_I32, DT_BF16, DT_I16, DT_U16, DT_U16,
  DT_C128, DT_F16, -1, -1, DT_U32, DT_U64, DT_F8_E5M2,
  DT_F8_E4M3, DT_F8_E4M3FNUZ, -1, DT_F8_E5M2FNUZ, -1, -1,
  -1, -1, -1,
];

export function tfTypeName(t: i32): string {
  const b = t >= 100 ? t - 100 : t;
  const n = b >= 0 && b < TF_NAMES.length ? TF_NAMES[b] : "DT_" + t.toString();
  return t >= 100 ? n + "_REF" : n;
}

// Our dtype for a TF DataType (reference types map to their value type); -1 when none.
export function tfToDtype(t: i32): i32 {
  const b = t >= 100 ? t - 100 : t;
  return b > 0 && b < TO_DT.length ? TO_DT[b] : -1;
}

// Short dtype name used in signatures (ours, or the TF name when we have none).
export function tfDtypeLabel(t: i32): string {
  const d = tfToDtype(t);
  if (d < 0) return tfTypeName(t);
  return dtypeLabel(d);
}

export function dtypeLabel(d: i32): string { return dtypeName(d); }

// TensorShapeProto {2 dim* {1 size, 2 name}, 3 unknown_rank} -> dims (-1 kept as unknown).
export class TfShape {
  dims: i64[] = [];
  unknownRank: bool = false;
  known(): bool {
    if (this.unknownRank) return false;
    for (let i = 0; i < this.dims.length; i++) if (this.dims[i] < 0) return false;
    return true;
  }
  toJson(): JArr {
    const a = new JArr();
    for (let i = 0; i < this.dims.length; i++) a.push(new JInt(this.dims[i]));
    return a;
  }
  u64(): u64[] {
    const r = new Array<u64>();
    for (let i = 0; i < this.dims.length; i++) r.push(<u64>this.dims[i]);
    return r;
  }
}

export function readShape(m: PbMsg, err: PbError): TfShape | null {
  const s = new TfShape();
  s.unknownRank = m.u64v(3, 0) != 0;
  const dims = m.all(2);
  if (dims.length > 64) { err.set(E_BAD_SHAPE, "TensorShapeProto with more than 64 dimensions", m.base); return null; }
  for (let i = 0; i < dims.length; i++) {
    const dm = subMsg(dims[i], err, "TensorShapeProto.Dim");
    if (dm === null) return null;
    s.dims.push(dm.i64v(1, 0));
  }
  return s;
}

// Typed value fields: (field number, wire width or 0 for varint, element width, stored values per element).
class ValField {
  constructor(public field: i32, public fixed: i32, public width: i32, public per: i32) {}
}
function valFieldFor(t: i32): ValField | null {
  const b = t >= 100 ? t - 100 : t;
  switch (b) {
    case 1: return new ValField(5, 4, 4, 1);
    case 2: return new ValField(6, 8, 8, 1);
    case 3: case 13: return new ValField(7, 0, 4, 1);
    case 5: case 15: case 16: return new ValField(7, 0, 2, 1);
    case 4: case 6: case 11: case 12: return new ValField(7, 0, 1, 1);
    case 8: return new ValField(9, 4, 4, 2);
    case 9: return new ValField(10, 0, 8, 1);
    case 10: return new ValField(11, 0, 1, 1);
    case 18: return new ValField(12, 8, 8, 2);
    case 14: case 19: return new ValField(13, 0, 2, 1);
    case 17: return new ValField(7, 0, 2, 1);
    case 22: return new ValField(16, 0, 4, 1);
    case 23: return new ValField(17, 0, 8, 1);
  }
  return null;
}

// Expansion by the broadcast rule above this many bytes is refused (a one-value Const may declare
// any shape).
export const MAX_BROADCAST: u64 = 1 << 30;
const MAX_LISTED: i32 = 64;

// TensorProto (fields of source src; payloads may be unviewed) -> tensor named `name`.
// `shapeOverride`: the shape declared elsewhere (TF1 V1 checkpoint slices carry no tensor_shape).
export function tfTensor(ctx: Context, src: i32, m: PbMsg, name: string, findings: Finding[], out: TensorOut, shapeOverride: TfShape | null = null, typeOverride: i32 = 0): i32 {
  const err = new PbError();
  const what = "TensorFlow tensor \"" + name + "\"";
  const type = typeOverride != 0 ? typeOverride : m.i32v(1, 0);
  let shape = new TfShape();
  const sf = m.last(2);
  if (shapeOverride !== null) shape = shapeOverride;
  else if (sf !== null) {
    if (sf.wt != WT_LEN) return ctx.fail(E_CORRUPT, what + ": tensor_shape has the wrong wire type", sf.tagOffset);
    const p = payload(ctx, src, sf);
    if (!p) return ctx.truncated(what, sf.offset);
    const v = new PbField();
    v.num = sf.num; v.wt = sf.wt; v.offset = sf.offset; v.length = sf.length; v.ptr = p;
    const sm = subMsg(v, err, what + " shape");
    if (sm === null) return ctx.fail(err.code, err.message, err.offset);
    const s = readShape(sm, err);
    if (s === null) return ctx.fail(err.code, err.message, err.offset);
    shape = s;
  }
  if (!shape.known()) return ctx.fail(E_BAD_SHAPE, what + " has an unknown or negative dimension", m.base);
  const dims = shape.u64();
  const nelem = shapeElements(dims);
  if (nelem == u64.MAX_VALUE) return ctx.fail(E_OVERFLOW, what + ": the product of its dims overflows 64 bits", m.base);
  const dt = tfToDtype(type);
  const info = new JObj();
  info.setStr("tf_dtype", tfTypeName(type));
  const t = new Tensor(name, dt < 0 ? 25 : dt, dims, 0);
  if (dt < 0) t.dtypeText = tfTypeName(type);
  t.info = info;
  const plan = new Plan();
  plan.storage = t.dtype;
  t.plan = plan;
  out.tensor = t;
  if (dt < 0) { plan.unreadable = tfTypeName(type) + " values have no element type"; return ST_DONE; }

  if (dt == DT_STR) {
    const items = m.all(8);
    if (<u64>items.length > nelem) return ctx.fail(E_SIZE_MISMATCH, what + " holds " + items.length.toString() + " strings but its shape needs " + nelem.toString(), m.base);
    const vals = new JArr();
    let total: u64 = 0;
    for (let i = 0; i < items.length; i++) {
      total += items[i].length;
      if (i < MAX_LISTED) {
        const s = payloadStr(ctx, src, items[i]);
        if (s === null) return ctx.truncated("a string value", items[i].offset);
        vals.push(new JStr(s));
      }
    }
    t.byteLength = total;
    info.set("values", vals);
    info.setStr("storage", "string_val");
    plan.unreadable = "it holds strings";
    return ST_DONE;
  }
  const width = <u64>(dtypeBits(dt) / 8);
  if (nelem != 0 && width > u64.MAX_VALUE / nelem) return ctx.fail(E_OVERFLOW, what + ": its byte size overflows 64 bits", m.base);
  const bytes = nelem * width;
  t.byteLength = bytes;
  const content = m.last(4);
  if (content !== null) {
    if (content.wt != WT_LEN) return ctx.fail(E_CORRUPT, what + ": tensor_content has the wrong wire type", content.tagOffset);
    if (content.length != bytes) return ctx.fail(E_SIZE_MISMATCH, what + " has " + content.length.toString() + " bytes of tensor_content but " + tfTypeName(type) + " " + shapeText(dims) + " needs " + bytes.toString(), content.offset);
    info.setStr("storage", "tensor_content");
    plan.segments.push(Segment.raw(src, content.offset, content.length));
    return ST_DONE;
  }
  const b = type >= 100 ? type - 100 : type;
  if (b >= 24 && b <= 28) {
    // float8_val: one bytes field holding the elements.
    const f8 = m.last(18);
    info.setStr("storage", "float8_val");
    if (f8 === null) { if (nelem > 0) plan.segments.push(Segment.coded(src, 0, 0, pbCodec(PB_PACKED_FIXED, 1), 0, bytes)); return ST_DONE; }
    if (f8.length > bytes) return ctx.fail(E_SIZE_MISMATCH, what + " holds more float8 values than its shape", f8.offset);
    const r = new Repeated();
    r.segments.push(Segment.raw(src, f8.offset, f8.length));
    r.count = f8.length;
    if (r.count < nelem && bytes > MAX_BROADCAST) return broadcastRefused(t, findings, bytes);
    fillRepeated(src, r, nelem, 1, 1);
    plan.segments = r.segments;
    return ST_DONE;
  }
  const vf = valFieldFor(type);
  if (vf === null) { plan.unreadable = tfTypeName(type) + " values cannot be decoded"; return ST_DONE; }
  const rep = new Repeated();
  const st = collectRepeated(ctx, src, m.all(vf.field), vf.fixed, vf.width, what, rep);
  if (st != ST_DONE) return st;
  info.setStr("storage", "typed");
  const want = nelem * <u64>vf.per;
  if (rep.count > want) return ctx.fail(E_SIZE_MISMATCH, what + " holds " + rep.count.toString() + " values but its shape needs " + want.toString(), m.base);
  if (rep.count < want) {
    if (bytes > MAX_BROADCAST) return broadcastRefused(t, findings, bytes);
    if (vf.per != 1 && rep.count != 0) { plan.unreadable = "complex values that repeat by TensorFlow's broadcast rule"; return ST_DONE; }
    fillRepeated(src, rep, want, vf.fixed, vf.width);
    info.setStr("storage", "typed (last value repeated)");
  }
  plan.segments = rep.segments;
  return ST_DONE;
}

function broadcastRefused(t: Tensor, findings: Finding[], bytes: u64): i32 {
  t.plan!.unreadable = "its few stored values would expand to " + bytes.toString() + " bytes by TensorFlow's broadcast rule (limit " + MAX_BROADCAST.toString() + ")";
  findings.push(new Finding(SEV_MEDIUM, "broadcast-expansion", "Tensor \"" + t.name + "\" declares " + bytes.toString() + " bytes filled from a few stored values: a decompression-bomb pattern.", t.name));
  return ST_DONE;
}

export class TensorOut {
  tensor: Tensor | null = null;
}

export function shapeText(shape: u64[]): string {
  const parts = new Array<string>();
  for (let i = 0; i < shape.length; i++) parts.push(shape[i].toString());
  return "[" + parts.join(", ") + "]";
}

export { ST_DONE, ST_FAILED, ST_PENDING };
