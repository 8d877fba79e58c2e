// Where an ExecuTorch program keeps tensor and delegate bytes, and one tensor EValue -> its facts.
//
// Bytes live in the program's segments (past the FlatBuffer, at offsets relative to the extended
// header's segment base), or in the FlatBuffer itself (the legacy constant_buffer, inline delegate
// data). A constant tensor names a slot (data_buffer_idx) of the constant storage; a mutable one
// with an initial state names a slot of a mutable data segment. Slot 0 is reserved.

import { dtypeByteLength, dtypeName, shapeElements } from "../../core/dtype";
import { E_BAD_SHAPE, E_CORRUPT, E_INVALID_OFFSET, E_SIZE_MISMATCH } from "../../core/errors";
import { DT_STR } from "../../core/dtype";
import { Plan, Tensor } from "../../core/model";
import { FbReader, FbTable, FbVec } from "../../containers/flatbuffers";
import { JArr, JInt, JObj } from "../../util/json";
import {
  BUF_STORAGE, DS_OFFSET, DS_SIZE, LOCATION_EXTERNAL, SS_OFFSETS, SS_SEGMENT_INDEX, T_ALLOCATION, T_DATA_BUFFER_IDX,
  T_DIM_ORDER, T_DYNAMISM, T_EXTRA, T_SCALAR_TYPE, T_SIZES, T_STORAGE_OFFSET, X_FQN, X_LOCATION, X_MUTABLE_IDX,
  scalarDtype, scalarTypeName,
} from "./schema";

const MAX_RANK: u32 = 64;

// A segment: `size` bytes at absolute file offset `offset`.
export class SegmentRef {
  constructor(public offset: u64, public size: u64) {}
}

// Slot offsets into one segment (the constant segment or a mutable data segment).
export class Subsegments {
  constructor(public segment: i32, public offsets: FbVec | null) {}
}

// Everything a tensor's bytes can be found through.
export class Storage {
  segments: SegmentRef[] = [];
  constantBuffer: FbVec | null = null; // legacy: [Buffer] tables in the FlatBuffer
  constant: Subsegments | null = null;
  mutable: Subsegments[] = [];
}

export function readSegments(r: FbReader, v: FbVec | null, base: u64, fileSize: u64): SegmentRef[] | null {
  const out = new Array<SegmentRef>();
  if (v === null) return out;
  for (let i: u32 = 0; i < v.length; i++) {
    const t = r.tableAt(v, i);
    if (t === null) return null;
    const off = r.u64f(t, DS_OFFSET, 0);
    const size = r.u64f(t, DS_SIZE, 0);
    if (!r.ok) return null;
    // u64 wrap: compare against what is left of the file.
    if (base > fileSize || off > fileSize - base || size > fileSize - base - off) {
      r.fail(E_INVALID_OFFSET, "segment " + i.toString() + " (" + off.toString() + "+" + size.toString() + " past the segment base " + base.toString() + ") runs past the end of the file (" + fileSize.toString() + " bytes)", t.pos);
      return null;
    }
    out.push(new SegmentRef(base + off, size));
  }
  return out;
}

export function readSubsegments(r: FbReader, t: FbTable | null, segments: SegmentRef[], what: string): Subsegments | null {
  if (t === null) return null;
  const si = r.u32f(t, SS_SEGMENT_INDEX, 0);
  const offs = r.vectorF(t, SS_OFFSETS, 8);
  if (!r.ok) return null;
  if (offs !== null && offs.length > 0 && si >= <u32>segments.length) {
    r.fail(E_INVALID_OFFSET, what + " names segment " + si.toString() + " of " + segments.length.toString(), t.pos);
    return null;
  }
  return new Subsegments(<i32>si, offs);
}

export class TensorFacts {
  json: JObj = new JObj(); // what the plan says about the value
  tensor: Tensor | null = null; // set when the value has bytes in the file
  constant: bool = false; // its bytes are given at load time (a constant or an initial state)
}

// The bytes of slot `idx` of `sub`, which must hold `n` bytes: [offset, n) absolute.
function slotRange(r: FbReader, st: Storage, sub: Subsegments, idx: u32, n: u64, name: string, pos: u64): u64 {
  const offs = sub.offsets;
  if (offs === null || idx >= offs.length) {
    r.fail(E_INVALID_OFFSET, "tensor \"" + name + "\" names data slot " + idx.toString() + " of " + (offs === null ? 0 : offs.length).toString(), pos);
    return 0;
  }
  const seg = st.segments[sub.segment];
  const off = r.u64At(offs, idx);
  if (!r.ok) return 0;
  if (off > seg.size || n > seg.size - off) {
    r.fail(E_SIZE_MISMATCH, "tensor \"" + name + "\" needs " + n.toString() + " bytes at " + off.toString() + " of its segment, which holds " + seg.size.toString(), pos);
    return 0;
  }
  return seg.offset + off;
}

// Tensor EValue `t` of plan value `vi`, named `name`. Returns null on error (r.ok false).
export function readTensorValue(r: FbReader, t: FbTable, st: Storage, name: string, vi: u32): TensorFacts | null {
  const f = new TensorFacts();
  const type = <i32>r.i8f(t, T_SCALAR_TYPE, 0);
  const storageOffset = r.i32f(t, T_STORAGE_OFFSET, 0);
  const sv = r.vectorF(t, T_SIZES, 4);
  const dv = r.vectorF(t, T_DIM_ORDER, 1);
  const idx = r.u32f(t, T_DATA_BUFFER_IDX, 0);
  const mutable = r.has(t, T_ALLOCATION);
  const dynamism = r.u8f(t, T_DYNAMISM, 0);
  const extra = r.tableF(t, T_EXTRA);
  if (!r.ok) return null;
  const shape = new Array<u64>();
  const js = new JArr();
  if (sv !== null) {
    if (sv.length > MAX_RANK) { r.fail(E_BAD_SHAPE, "tensor \"" + name + "\" has rank " + sv.length.toString(), sv.pos); return null; }
    for (let i: u32 = 0; i < sv.length; i++) {
      const d = r.i32At(sv, i);
      if (d < 0) { r.fail(E_BAD_SHAPE, "tensor \"" + name + "\" has a negative size " + d.toString(), sv.pos); return null; }
      shape.push(<u64>d);
      js.push(new JInt(d));
    }
  }
  let permuted = false;
  const jd = new JArr();
  if (dv !== null) {
    if (dv.length != <u32>shape.length) { r.fail(E_CORRUPT, "tensor \"" + name + "\" has " + dv.length.toString() + " dim_order entries for rank " + shape.length.toString(), dv.pos); return null; }
    for (let i: u32 = 0; i < dv.length; i++) {
      const d = r.u8At(dv, i);
      if (<u32>d != i) permuted = true;
      jd.push(new JInt(d));
    }
  }
  let fqn = "";
  let location = 0;
  let mutableIdx: u64 = 0;
  if (extra !== null) {
    fqn = r.stringF(extra, X_FQN, 1 << 16);
    location = <i32>r.u8f(extra, X_LOCATION, 0);
    mutableIdx = r.u64f(extra, X_MUTABLE_IDX, 0);
    if (!r.ok) return null;
  }
  const o = f.json;
  o.setStr("name", name);
  o.setStr("dtype", scalarTypeName(type));
  o.set("shape", js);
  if (permuted) o.set("dim_order", jd);
  if (dynamism != 0) o.setStr("shape_dynamism", dynamism == 1 ? "dynamic_bound" : "dynamic_unbound");
  if (fqn.length) o.setStr("fully_qualified_name", fqn);
  // Slot 0: an activation or an input, whose bytes arrive at run time; external tensors are
  // found by name in a data file, whatever their slot.
  if (idx == 0 && location != LOCATION_EXTERNAL) return f;
  f.constant = true;
  o.setBool(location == LOCATION_EXTERNAL ? "external" : mutable ? "initial_state" : "constant", true);

  const dt = scalarDtype(type);
  const n = shapeElements(shape);
  const bytes: u64 = dt < 0 ? 0 : dtypeByteLength(dt, n);
  const info = new JObj();
  info.setStr("scalar_type", scalarTypeName(type));
  info.setInt("value", vi);
  info.setInt("data_buffer_idx", idx);
  if (fqn.length) info.setStr("fully_qualified_name", fqn);
  if (permuted) info.set("dim_order", jd);
  const tensor = new Tensor(name, dt < 0 ? DT_STR : dt, shape, bytes);
  if (dt < 0) tensor.dtypeText = scalarTypeName(type);
  tensor.info = info;
  f.tensor = tensor;
  let offset: u64 = 0;
  let unreadable: string | null = null;
  if (location == LOCATION_EXTERNAL) {
    info.setStr("storage", "external");
    unreadable = "its bytes are in an external data file (.ptd) under the key \"" + fqn + "\"";
  } else if (dt < 0) {
    info.setStr("storage", "none");
    unreadable = "it is a " + scalarTypeName(type) + " tensor, which has no plain array type";
  } else if (mutable) {
    info.setStr("storage", "mutable_segment");
    if (mutableIdx >= <u64>st.mutable.length) { r.fail(E_INVALID_OFFSET, "tensor \"" + name + "\" names mutable data segment " + mutableIdx.toString() + " of " + st.mutable.length.toString(), t.pos); return null; }
    offset = slotRange(r, st, st.mutable[<i32>mutableIdx], idx, bytes, name, t.pos);
  } else if (st.constantBuffer !== null && st.constantBuffer!.length > 0) {
    info.setStr("storage", "constant_buffer");
    const cb = st.constantBuffer!;
    if (idx >= cb.length) { r.fail(E_INVALID_OFFSET, "tensor \"" + name + "\" names constant buffer " + idx.toString() + " of " + cb.length.toString(), t.pos); return null; }
    const bt = r.tableAt(cb, idx);
    if (bt === null) return null;
    const data = r.vectorF(bt, BUF_STORAGE, 1);
    if (!r.ok) return null;
    const have: u64 = data === null ? 0 : <u64>data.length;
    if (have < bytes) { r.fail(E_SIZE_MISMATCH, "tensor \"" + name + "\" is " + dtypeName(dt) + " of " + n.toString() + " elements (" + bytes.toString() + " bytes) but its constant buffer holds " + have.toString(), t.pos); return null; }
    offset = data === null ? 0 : data.pos;
  } else if (st.constant !== null) {
    info.setStr("storage", "constant_segment");
    offset = slotRange(r, st, st.constant!, idx, bytes, name, t.pos);
  } else {
    r.fail(E_INVALID_OFFSET, "tensor \"" + name + "\" is a constant but the program has no constant storage", t.pos);
    return null;
  }
  if (!r.ok) return null;
  if (unreadable === null && storageOffset != 0) unreadable = "it starts at storage offset " + storageOffset.toString() + ", which the runtime does not support";
  if (unreadable === null && permuted) unreadable = "its bytes are in a permuted dim order, not the C order of its sizes";
  const plan = Plan.single(0, offset, bytes, tensor.dtype);
  plan.unreadable = unreadable;
  tensor.plan = plan;
  return f;
}
