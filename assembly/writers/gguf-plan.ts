// Converting a model to GGUF (v3, little-endian): which tensors go in, as which ggml type, the
// metadata pairs, the tensor infos and the aligned offsets. Lives in the core so every host writes
// identical files. The header is a list of parts: literal bytes (in `header`, in order) or ranges
// of the source file to copy (a GGUF source's metadata pairs, byte for byte, so every value keeps
// its type). Tensors are then written in order, each padded to the alignment; a tensor is either
// copied as stored (`readAs` 0) or read as F32 and quantized by the host through quantize_rows.

import { DT_F32, DT_F64, DT_GGML_BASE, DT_I16, DT_I32, DT_I64, DT_I8, DT_OBJECT, DT_RAW, DT_STR, DT_F16, DT_BF16, isFloatType, isGGML, dtypeName } from "../core/dtype";
import { Index, Tensor } from "../core/model";
import { GGML_TYPE_F16, GGML_TYPE_F32, ggmlBlockElements, ggmlRowBytes, ggmlTypeName } from "../kernels/ggml-types";
import { canQuantize } from "../kernels/quantize/index";
import { ByteBuf } from "../util/bytes";
import { JArr, JKind, JObj, JStr, JUint, writeJson } from "../util/json";
import { EncodedPair, Edits, splitPairs } from "./gguf-edits";

export const GGUF_KEEP: i32 = -1; // --keep-types: every tensor as stored (or F32 if GGUF has no such type)

const MAX_NAME = 63; // GGML_MAX_NAME - 1: llama.cpp refuses longer tensor names

// llama_ftype of a file whose large tensors are all `type` (general.file_type).
function fileType(type: i32): i32 {
  switch (type) {
    case 0: return 0; case 1: return 1; case 2: return 2; case 3: return 3; case 8: return 7;
    case 6: return 8; case 7: return 9; case 10: return 10; case 11: return 11; case 12: return 14;
    case 13: return 16; case 14: return 18; case 20: return 25; case 23: return 30; case 30: return 32;
    case 34: return 36; case 35: return 37; case 39: return 38;
  }
  return -1;
}

// The ggml type a tensor is stored as, or -1 if GGUF has none for it.
function storedGgmlType(t: Tensor): i32 {
  const dt = t.dtype;
  if (isGGML(dt)) return dt - DT_GGML_BASE;
  if (dt == DT_F32) return 0;
  if (dt == DT_F16) return 1;
  if (dt == DT_BF16) return 30;
  if (dt == DT_I8) return 24;
  if (dt == DT_I16) return 25;
  if (dt == DT_I32) return 26;
  if (dt == DT_I64) return 27;
  if (dt == DT_F64) return 28;
  return -1;
}

class Out {
  lit: ByteBuf = new ByteBuf();
  parts: JArr = new JArr();
  litStart: usize = 0;
  total: u64 = 0;
  flush(): void {
    const n = this.lit.len - this.litStart;
    if (n == 0) return;
    const p = new JObj();
    p.setU64("literal", <u64>n);
    this.parts.push(p);
    this.total += <u64>n;
    this.litStart = this.lit.len;
  }
  copy(offset: u64, length: u64): void {
    this.flush();
    const p = new JObj();
    p.setU64("offset", offset);
    p.setU64("length", length);
    this.parts.push(p);
    this.total += length;
  }
  u32(v: u32): void { for (let i = 0; i < 4; i++) this.lit.byte(<u8>(v >> (<u32>i * 8))); }
  u64(v: u64): void { for (let i = 0; i < 8; i++) this.lit.byte(<u8>(v >> (<u64>i * 8))); }
  str(s: string): void {
    const b = String.UTF8.encode(s);
    this.u64(<u64>b.byteLength);
    this.lit.raw(changetype<usize>(b), <usize>b.byteLength);
  }
}

class Entry {
  tensor: i32 = 0;
  name: string = "";
  type: i32 = 0;
  quantize: bool = false;
  byteLength: u64 = 0;
  offset: u64 = 0;
  dims: u64[] = [];
  rowElements: u64 = 1;
  permute: u32 = 0;
  permuteRow: u64 = 0;
}

export class GGUFPlan {
  header: ByteBuf = new ByteBuf();
  description: ByteBuf = new ByteBuf();
  error: string = "";
}

function note(arr: JArr, name: string, text: string): void {
  const o = new JObj();
  o.setStr("name", name);
  o.setStr("note", text);
  arr.push(o);
}

// The ggml type a tensor is written as, or -1 (skipped, reason in `why`).
function chooseType(t: Tensor, want: i32, notes: JArr, why: string[]): i32 {
  const st = storedGgmlType(t);
  const plan = t.plan;
  if (plan === null || plan.unreadable !== null || t.dtypeText !== null || t.dtype == DT_STR || t.dtype == DT_RAW || t.dtype == DT_OBJECT) {
    why.push(plan !== null && plan.unreadable !== null ? plan.unreadable! : "not a numeric tensor");
    return -1;
  }
  const float = isFloatType(t.dtype) || isGGML(t.dtype);
  if (want == GGUF_KEEP || !float) {
    if (st >= 0 && st != 28) return st;
    if (float) return GGML_TYPE_F32; // F64 and other floats: F32
    why.push(dtypeName(t.dtype) + " has no GGUF type");
    return -1;
  }
  // Vectors (norms, biases) stay F32, as llama.cpp's converters keep them.
  if (t.shape.length < 2) return GGML_TYPE_F32;
  const row = t.shape.length ? t.shape[t.shape.length - 1] : 1;
  const be = <u64>ggmlBlockElements(want);
  if (row % be != 0) {
    note(notes, t.name, "rows of " + row.toString() + " values do not fill " + ggmlTypeName(want) + " blocks of " + be.toString() + ": written as F16");
    return GGML_TYPE_F16;
  }
  return want;
}

/** want: a ggml type id quantize_rows can write, or GGUF_KEEP. */
export function planGGUF(index: Index, want: i32, setFileType: bool, edits: Edits): GGUFPlan {
  const out = new GGUFPlan();
  if (edits.error.length) { out.error = edits.error; return out; }
  if (want != GGUF_KEEP && !canQuantize(want)) { out.error = "cannot write ggml type " + want.toString(); return out; }
  const alignment: u64 = edits.alignment > 0 ? <u64>edits.alignment : index.format == "gguf" ? <u64>index.ggufAlignment : 32;
  if ((alignment & (alignment - 1)) != 0) { out.error = "the alignment must be a power of two"; return out; }
  let planned = 0; // tensors planned so far, for the [first, end) selection of a shard
  const notes = new JArr();
  const skipped = new JArr();
  const entries = new Array<Entry>();
  const used = new Set<string>();
  let offset: u64 = 0;
  for (let i = 0; i < index.tensors.length; i++) {
    const t = index.tensors[i];
    const why = new Array<string>();
    const type = chooseType(t, want, notes, why);
    if (type < 0) {
      const s = new JObj();
      s.setStr("name", t.name);
      s.setStr("dtype", t.dtypeText !== null ? t.dtypeText! : dtypeName(t.dtype));
      s.setStr("reason", why.length ? why[0] : "");
      skipped.push(s);
      continue;
    }
    const k = planned++;
    if (k < edits.first || k >= edits.end) continue;
    const e = new Entry();
    e.tensor = i;
    const base = edits.rename.has(t.name) ? edits.rename.get(t.name) : t.name;
    let name = base;
    for (let k = 1; used.has(name); k++) name = base + "." + k.toString();
    used.add(name);
    if (String.UTF8.byteLength(name) > MAX_NAME) note(notes, name, "a name longer than 63 bytes: llama.cpp refuses to load it");
    e.name = name;
    e.type = type;
    let n: u64 = 1;
    for (let d = t.shape.length - 1; d >= 0; d--) { e.dims.push(t.shape[d]); n *= t.shape[d]; }
    if (e.dims.length == 0) e.dims.push(1);
    e.rowElements = e.dims[0];
    // stored bytes are copied when nothing changes and the plan is little-endian as stored
    const plan = t.plan!;
    e.quantize = !(type == storedGgmlType(t) && plan.storage == t.dtype && !plan.bigEndian);
    if (edits.permute.has(t.name)) {
      // rows reordered per head: read as F32 and re-encoded (quantize_rows writes F32/F16/BF16 too)
      const g = <u64>edits.permute.get(t.name);
      // a vector (a bias) is permuted value by value, as numpy's reshape of a 1-D array does
      const rowLen: u64 = e.dims.length == 1 ? 1 : e.rowElements;
      const rows = n / rowLen;
      if (rows % (2 * g) != 0) { out.error = "tensor \"" + t.name + "\": " + rows.toString() + " rows do not split into " + g.toString() + " heads of two rotary halves"; return out; }
      e.permute = <u32>g;
      e.permuteRow = rowLen;
      e.quantize = true;
    }
    if (e.quantize && !canQuantize(type)) {
      // a quantized type we cannot re-encode (big-endian source...): dequantize to F32
      e.type = GGML_TYPE_F32;
      note(notes, name, ggmlTypeName(type) + " cannot be written from this source: written as F32");
    }
    e.byteLength = ggmlRowBytes(e.type, n);
    if (e.byteLength == u64.MAX_VALUE) { out.error = "tensor \"" + name + "\" has a size GGUF cannot hold"; return out; }
    const pad = (alignment - offset % alignment) % alignment;
    offset += pad;
    e.offset = offset;
    if (offset > u64.MAX_VALUE - e.byteLength) { out.error = "the tensors are larger than a file can hold"; return out; }
    offset += e.byteLength;
    entries.push(e);
  }
  // every tensor's data is padded to the alignment, the last one too (ggml's and gguf-py's writers)
  offset += (alignment - offset % alignment) % alignment;

  // header: magic, version 3, counts, pairs, tensor infos, padding
  const o = new Out();
  o.lit.str("GGUF");
  o.u32(3);
  o.u64(<u64>entries.length);
  const countAt = o.lit.len;
  o.u64(0); // pair count, patched below
  let pairs: u64 = 0;
  const ft = setFileType ? fileType(want) : -1;
  const ranges = index.ggufKvRanges;
  const m = index.metadata;
  const done = new Set<string>();
  if (!edits.kv) {
    // no source pairs (a shard after the first)
  } else if (ranges !== null) {
    for (let i = 0; i < m.keys.length; i++) {
      const key = m.keys[i];
      if (key.startsWith("split.")) continue; // the written file is whole (or gets its own split.*)
      if (ft >= 0 && key == "general.file_type") continue;
      if (edits.remove.has(key)) continue;
      if (edits.set.has(key)) { pair(o, edits.set.get(key)); done.add(key); pairs++; continue; }
      const r = ranges.get(key);
      if (r === null || r.kind != JKind.ARR) continue;
      const a = <JArr>r;
      o.copy((<JUint>a.at(0)).value, (<JUint>a.at(1)).value);
      pairs++;
    }
  } else {
    // other formats: string metadata as STRING pairs (nested objects one level down, by key)
    for (let i = 0; i < m.keys.length; i++) {
      const v = m.vals[i];
      if (edits.remove.has(m.keys[i])) continue;
      if (v.kind == JKind.STR) { stringPair(o, m.keys[i], (<JStr>v).value); pairs++; }
      else if (v.kind == JKind.OBJ) {
        const inner = <JObj>v;
        for (let k = 0; k < inner.keys.length; k++) {
          if (inner.vals[k].kind != JKind.STR || inner.keys[k].length == 0) continue;
          stringPair(o, inner.keys[k], (<JStr>inner.vals[k]).value); pairs++;
        }
      }
    }
  }
  for (let i = 0; i < edits.setOrder.length; i++) {
    const key = edits.setOrder[i];
    if (done.has(key)) continue;
    pair(o, edits.set.get(key));
    pairs++;
  }
  if (ft >= 0) {
    o.str("general.file_type");
    o.u32(4); // UINT32
    o.u32(<u32>ft);
    pairs++;
  }
  const sp = edits.split;
  if (sp !== null) {
    const ps = splitPairs(sp[0], sp[1], sp[2]);
    for (let i = 0; i < ps.length; i++) { pair(o, ps[i]); pairs++; }
  }
  for (let i = 0; i < 8; i++) store<u8>(o.lit.ptr + countAt + <usize>i, <u8>(pairs >> (<u64>i * 8)));
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    o.str(e.name);
    o.u32(<u32>e.dims.length);
    for (let d = 0; d < e.dims.length; d++) o.u64(e.dims[d]);
    o.u32(<u32>e.type);
    o.u64(e.offset);
  }
  o.flush();
  const pad = (alignment - o.total % alignment) % alignment;
  for (let i: u64 = 0; i < pad; i++) o.lit.byte(0);
  o.flush();
  const dataStart = o.total;

  const list = new JArr();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const j = new JObj();
    j.setU64("tensor", <u64>e.tensor);
    j.setStr("name", e.name);
    j.setStr("type", ggmlTypeName(e.type));
    j.setU64("typeId", <u64>e.type);
    j.set("quantize", e.quantize ? new JUint(1) : new JUint(0));
    j.setU64("rowElements", e.rowElements);
    j.setU64("permute", <u64>e.permute);
    j.setU64("permuteRow", e.permuteRow);
    j.setU64("byteLength", e.byteLength);
    j.setU64("offset", dataStart + e.offset);
    list.push(j);
  }
  const d = new JObj();
  d.set("parts", o.parts);
  d.set("tensors", list);
  d.set("skipped", skipped);
  d.set("notes", notes);
  d.setU64("alignment", alignment);
  d.setU64("dataStart", dataStart);
  d.setU64("totalLength", dataStart + offset);
  writeJson(out.description, d);
  out.header = o.lit;
  return out;
}

function pair(o: Out, p: EncodedPair): void {
  for (let i = 0; i < p.bytes.length; i++) o.lit.byte(p.bytes[i]);
}

function stringPair(o: Out, key: string, value: string): void {
  o.str(key);
  o.u32(8); // STRING
  o.str(value);
}

