// Converting a model to safetensors: which tensors go in, as which dtype, under which unique name,
// and the header bytes. Lives in the core so every host writes identical files: a host only
// writes the header and then streams each listed tensor's read (with the given dtype code).

import { DT_F32, DT_KEEP, DT_OBJECT, DT_RAW, DT_STR, dtypeName, isFloatType, isGGML } from "../core/dtype";
import { Index } from "../core/model";
import { ReadJob } from "../jobs/read-job";
import { canConvert } from "../kernels/convert";
import { ByteBuf } from "../util/bytes";
import { JArr, JObj, JStr, JUint, writeJson, JKind } from "../util/json";

// Metadata values longer than this are left out of __metadata__ (tokenizer vocabularies...).
const MAX_META_VALUE = 65536;

export class SafetensorsPlan {
  header: ByteBuf = new ByteBuf();
  description: ByteBuf = new ByteBuf();
}

// dtypes a safetensors file holds as they are. C128 is not in the spec; it is written under that
// name so complex128 data survives a round trip through omnimodel.
function storable(dt: i32): bool {
  return dt >= 1 && dt <= 23 && dt != DT_STR && dt != DT_RAW;
}

// want: DT_KEEP, DT_F32, DT_F16 or DT_BF16.
export function planSafetensors(index: Index, want: i32): SafetensorsPlan {
  const out = new SafetensorsPlan();
  const entries = new JArr();
  const skipped = new JArr();
  const header = new JObj();
  const meta = new JObj();
  meta.setStr("format", index.format);
  const fv = index.formatVersion;
  if (fv !== null) meta.setStr("format_version", fv);
  const m = index.metadata;
  for (let i = 0; i < m.keys.length; i++) {
    const v = m.vals[i];
    let s: string;
    if (v.kind == JKind.STR) s = (<JStr>v).value;
    else {
      const b = new ByteBuf();
      writeJson(b, v);
      s = b.failed ? "" : String.UTF8.decodeUnsafe(b.ptr, b.len, false);
      b.dispose();
    }
    if (s.length > 0 && s.length <= MAX_META_VALUE && m.keys[i] != "__metadata__") meta.setStr(m.keys[i], s);
  }
  header.set("__metadata__", meta);
  const used = new Set<string>();
  used.add("__metadata__");
  let offset: u64 = 0;
  for (let i = 0; i < index.tensors.length; i++) {
    const t = index.tensors[i];
    const plan = t.plan;
    const dt = t.dtype;
    let reason = "";
    if (plan === null || plan.unreadable !== null || dt == DT_STR || dt == DT_RAW || dt == DT_OBJECT || t.dtypeText !== null) {
      reason = plan !== null && plan.unreadable !== null ? plan.unreadable! : "not a numeric tensor";
    }
    let outDt = dt;
    // Sub-byte integers (I4, U4, I2, U2) have no safetensors dtype and rarely fill whole bytes:
    // they are written packed, as the U8 bytes they are stored in, and described in __metadata__.
    const packed = dt >= 26 && dt <= 29 && plan !== null && plan!.unreadable === null && t.dtypeText === null;
    if (packed) reason = "";
    if (!reason.length && !packed) {
      if (want == DT_KEEP) outDt = storable(dt) ? dt : DT_F32; // quantized types become F32
      else if (isFloatType(dt) || isGGML(dt)) outDt = want;
      if (!storable(outDt)) reason = dtypeName(dt) + " has no safetensors dtype";
      else if (!canConvert(plan!.storage, outDt)) reason = "no conversion from " + dtypeName(plan!.storage) + " to " + dtypeName(outDt);
    }
    if (reason.length) {
      const s = new JObj();
      s.setStr("name", t.name);
      s.setStr("dtype", t.dtypeText !== null ? t.dtypeText! : dtypeName(dt));
      s.setStr("reason", reason);
      skipped.push(s);
      continue;
    }
    const readAs = packed || outDt == plan!.storage ? DT_KEEP : outDt;
    const len = new ReadJob(t, plan!, readAs).outputLength();
    let name = t.name;
    for (let k = 1; used.has(name); k++) name = t.name + "." + k.toString();
    used.add(name);
    const h = new JObj();
    h.setStr("dtype", packed ? "U8" : dtypeName(outDt));
    const shape = new JArr();
    if (packed) {
      shape.push(new JUint(len));
      const dims = new Array<string>();
      for (let d = 0; d < t.shape.length; d++) dims.push(t.shape[d].toString());
      meta.setStr(name + ".packed", dtypeName(dt) + " [" + dims.join(", ") + "], packed little-endian in U8 bytes");
    } else for (let d = 0; d < t.shape.length; d++) shape.push(new JUint(t.shape[d]));
    h.set("shape", shape);
    const offs = new JArr();
    offs.push(new JUint(offset));
    offs.push(new JUint(offset + len));
    h.set("data_offsets", offs);
    header.set(name, h);
    const e = new JObj();
    e.setU64("tensor", <u64>i);
    e.setStr("name", name);
    e.setStr("dtype", packed ? "U8" : dtypeName(outDt));
    e.setU64("readAs", <u64>readAs);
    e.setU64("byteLength", len);
    entries.push(e);
    offset += len;
  }
  // Header: u64 length, JSON padded with spaces to a multiple of 8 (as the reference writer does).
  const json = new ByteBuf();
  writeJson(json, header);
  const pad: usize = (8 - (json.len & 7)) & 7;
  for (let i: usize = 0; i < pad; i++) json.byte(0x20);
  out.header.reserve(8 + json.len);
  const n = <u64>json.len;
  for (let i = 0; i < 8; i++) out.header.byte(<u8>(n >> (<u64>(i * 8))));
  out.header.raw(json.ptr, json.len);
  json.dispose();
  const d = new JObj();
  d.set("tensors", entries);
  d.set("skipped", skipped);
  d.setU64("headerLength", <u64>out.header.len);
  d.setU64("totalLength", <u64>out.header.len + offset);
  writeJson(out.description, d);
  return out;
}


