// Core ML ML programs (MIL): functions with typed inputs, each a block of operations; a "const"
// operation's value is immediate (bytes inside the protobuf) or a blob in a weights file
// (BlobFileValue: file name and the offset of its 64-byte metadata record, which gives the data
// type, size and data offset). Constants are the index's tensors; other operations are nodes.

import { DT_I4, DT_STR, DT_U2, DT_U4, dtypeBits, dtypeByteLength, dtypeName, shapeElements } from "../../core/dtype";
import { E_BAD_SHAPE, E_CORRUPT, E_INVALID_OFFSET, E_LIMIT, E_PATH_VIOLATION, E_SIZE_MISMATCH, E_TRUNCATED } from "../../core/errors";
import { SOURCE_FAILED, SOURCE_PENDING } from "../../core/context";
import { Plan, SEV_MEDIUM, Tensor } from "../../core/model";
import { WT_LEN, WT_VARINT } from "../../protobuf/wire";
import { JArr, JInt, JObj, JStr } from "../../util/json";
import { ModelFiles } from "./coreml";
import { blobMilType, milDtype, milTypeName } from "./schema";
import { Field, PbReader, PbRegion, PbWalk } from "./walk";

const MAX_OPS: i32 = 1 << 20;
const MAX_DEPTH: i32 = 16;
const BLOB_SENTINEL: u32 = 0xdeadbeef;

class TypeInfo {
  dtype: i32 = 0; // MIL DataType
  shape: u64[] = [];
  dynamic: bool = false;
  json: JObj = new JObj();
}

class Files {
  names: string[] = [];
  srcs: i32[] = [];
  missing: string[] = [];
}

class Walker {
  nodes: JArr = new JArr();
  ops: string[] = [];
  taken: string[] = [];
  files: Files = new Files();
  count: i32 = 0;
  constructor(public r: PbReader, public mf: ModelFiles, public prefix: string) {}
}

export function readProgram(r: PbReader, reg: PbRegion, prefix: string, mf: ModelFiles, meta: JObj): JObj | null {
  const w = new PbWalk(r, reg, 1 << 16);
  const f = new Field();
  const wk = new Walker(r, mf, prefix);
  const functions = new JArr();
  let g: JObj | null = null;
  while (w.next(f)) {
    if (f.num == 1 && f.wt == WT_VARINT) meta.setInt("program_version", <i64>f.value);
    if (f.num != 2 || f.wt != WT_LEN) continue;
    // map<string, Function> entry: key 1, value 2
    const ew = new PbWalk(r, new PbRegion(reg.src, f.pos, f.len), 8);
    const ef = new Field();
    let fname = "";
    let fval: PbRegion | null = null;
    while (ew.next(ef)) { if (ef.wt != WT_LEN) continue; if (ef.num == 1) fname = r.text(reg.src, ef, 4096); else if (ef.num == 2) fval = new PbRegion(reg.src, ef.pos, ef.len); }
    if (!r.ok) return null;
    if (fval === null) continue;
    const fj = fn(wk, fval!, fname);
    if (fj === null) return null;
    functions.push(fj);
    if (g === null || fname == "main") g = fj;
  }
  if (!r.ok) return null;
  const names = new JArr();
  for (let i = 0; i < functions.items.length; i++) names.push(new JStr((<JObj>functions.items[i]).getStr("name")!));
  meta.set("functions", names);
  wk.ops.sort();
  const jo = new JArr();
  for (let i = 0; i < wk.ops.length; i++) jo.push(new JStr(wk.ops[i]));
  meta.set("op_types", jo);
  const out = g === null ? new JObj() : g!;
  out.set("nodes", wk.nodes);
  if (functions.items.length > 1) out.set("functions", names);
  return out;
}

function fn(wk: Walker, reg: PbRegion, name: string): JObj | null {
  const r = wk.r;
  const w = new PbWalk(r, reg, 1 << 16);
  const f = new Field();
  const ins = new JArr();
  let opset = "";
  const blocks = new Array<PbRegion>();
  const keys = new Array<string>();
  while (w.next(f)) {
    if (f.wt != WT_LEN) continue;
    if (f.num == 1) { const nv = namedType(r, new PbRegion(reg.src, f.pos, f.len)); if (nv === null) return null; ins.push(nv); }
    else if (f.num == 2) opset = r.text(reg.src, f, 4096);
    else if (f.num == 3) {
      const ew = new PbWalk(r, new PbRegion(reg.src, f.pos, f.len), 8);
      const ef = new Field();
      let k = "";
      let b: PbRegion | null = null;
      while (ew.next(ef)) { if (ef.wt != WT_LEN) continue; if (ef.num == 1) k = r.text(reg.src, ef, 4096); else if (ef.num == 2) b = new PbRegion(reg.src, ef.pos, ef.len); }
      if (!r.ok) return null;
      if (b !== null) { blocks.push(b!); keys.push(k); }
    }
  }
  if (!r.ok) return null;
  const o = new JObj();
  o.setStr("name", name);
  o.setStr("opset", opset);
  o.set("inputs", ins);
  // The block for the function's opset (the one the runtime runs); the first if none matches.
  let bi = keys.indexOf(opset);
  if (bi < 0 && blocks.length) bi = 0;
  const outs = new JArr();
  if (bi >= 0) {
    const fp = name == "main" || !name.length ? wk.prefix : wk.prefix + name + "/";
    if (!block(wk, blocks[bi], 0, fp, outs)) return null;
  }
  o.set("outputs", outs);
  return o;
}

function block(wk: Walker, reg: PbRegion, depth: i32, fp: string, outs: JArr | null): bool {
  const r = wk.r;
  if (depth > MAX_DEPTH) { r.fail(E_LIMIT, "blocks nested deeper than " + MAX_DEPTH.toString(), reg.pos); return false; }
  const w = new PbWalk(r, reg, 1 << 24);
  const f = new Field();
  while (w.next(f)) {
    if (f.wt != WT_LEN) continue;
    if (f.num == 2 && outs !== null) outs.push(new JStr(r.text(reg.src, f, 4096)));
    else if (f.num == 3) {
      if (++wk.count > MAX_OPS) { r.fail(E_LIMIT, "more than " + MAX_OPS.toString() + " operations", f.pos); return false; }
      if (!operation(wk, new PbRegion(reg.src, f.pos, f.len), depth, fp)) return false;
    }
  }
  return r.ok;
}

function operation(wk: Walker, reg: PbRegion, depth: i32, fp: string): bool {
  const r = wk.r;
  const src = reg.src;
  const w = new PbWalk(r, reg, 1 << 16);
  const f = new Field();
  let type = "";
  const ins = new JArr();
  const outs = new JArr();
  const outTypes = new Array<TypeInfo>();
  let val: PbRegion | null = null;
  let opName = "";
  const nested = new Array<PbRegion>();
  while (w.next(f)) {
    if (f.wt != WT_LEN) continue;
    if (f.num == 1) type = r.text(src, f, 4096);
    else if (f.num == 2) {
      // map<string, Argument>: each binding names a value (or holds one inline).
      const ew = new PbWalk(r, new PbRegion(src, f.pos, f.len), 8);
      const ef = new Field();
      while (ew.next(ef)) {
        if (ef.num != 2 || ef.wt != WT_LEN) continue;
        const aw = new PbWalk(r, new PbRegion(src, ef.pos, ef.len), 1 << 12);
        const af = new Field();
        while (aw.next(af)) {
          if (af.num != 1 || af.wt != WT_LEN) continue;
          const bw = new PbWalk(r, new PbRegion(src, af.pos, af.len), 8);
          const bf = new Field();
          while (bw.next(bf)) if (bf.num == 1 && bf.wt == WT_LEN) ins.push(new JStr(r.text(src, bf, 4096)));
        }
      }
    } else if (f.num == 3) {
      const t = new TypeInfo();
      const nv = namedTypeInto(r, new PbRegion(src, f.pos, f.len), t);
      if (nv === null) return false;
      outs.push(new JStr(nv.getStr("name")!));
      outTypes.push(t);
    } else if (f.num == 4) nested.push(new PbRegion(src, f.pos, f.len));
    else if (f.num == 5) {
      const ew = new PbWalk(r, new PbRegion(src, f.pos, f.len), 8);
      const ef = new Field();
      let k = "";
      let v: PbRegion | null = null;
      while (ew.next(ef)) { if (ef.wt != WT_LEN) continue; if (ef.num == 1) k = r.text(src, ef, 4096); else if (ef.num == 2) v = new PbRegion(src, ef.pos, ef.len); }
      if (!r.ok) return false;
      if (v !== null && k == "val") val = v;
      else if (v !== null && k == "name") opName = immediateString(r, v!);
    }
  }
  if (!r.ok) return false;
  for (let i = 0; i < nested.length; i++) if (!block(wk, nested[i], depth + 1, fp, null)) return false;
  if (type == "const") {
    if (val === null || outs.items.length != 1) return true;
    return constant(wk, val!, fp + (<JStr>outs.items[0]).value, outTypes[0]);
  }
  if (!wk.ops.includes(type)) wk.ops.push(type);
  if (depth > 0) return true;
  const n = new JObj();
  n.setStr("name", opName.length ? opName : outs.items.length ? (<JStr>outs.items[0]).value : type);
  n.setStr("op_type", type);
  n.set("inputs", ins);
  n.set("outputs", outs);
  if (nested.length) n.setInt("blocks", nested.length);
  wk.nodes.push(n);
  return true;
}

function immediateString(r: PbReader, v: PbRegion): string {
  // Value.immediateValue(3).tensor(1).strings(4).values(1)
  const path: i32[] = [3, 1, 4, 1];
  let reg = v;
  for (let i = 0; i < path.length; i++) {
    const w = new PbWalk(r, reg, 64);
    const f = new Field();
    let found = false;
    while (w.next(f)) if (f.num == path[i] && f.wt == WT_LEN) { reg = new PbRegion(v.src, f.pos, f.len); found = true; break; }
    if (!found) return "";
  }
  const f = new Field();
  f.pos = reg.pos;
  f.len = reg.len;
  return r.text(v.src, f, 4096);
}

function namedType(r: PbReader, reg: PbRegion): JObj | null {
  return namedTypeInto(r, reg, new TypeInfo());
}

// NamedValueType {name 1, type 2} -> {name, dtype, shape}
function namedTypeInto(r: PbReader, reg: PbRegion, t: TypeInfo): JObj | null {
  const w = new PbWalk(r, reg, 64);
  const f = new Field();
  const o = new JObj();
  o.setStr("name", "");
  while (w.next(f)) {
    if (f.wt != WT_LEN) continue;
    if (f.num == 1) o.setStr("name", r.text(reg.src, f, 4096));
    else if (f.num == 2) { if (!valueType(r, new PbRegion(reg.src, f.pos, f.len), t)) return null; }
  }
  if (!r.ok) return null;
  o.setStr("dtype", milTypeName(t.dtype));
  o.set("shape", t.json.getArr("shape") !== null ? t.json.getArr("shape")! : new JArr());
  return o;
}

// ValueType: tensorType(1) {dataType 1, rank 2, dimensions 3 {constant 1 {size 1} | unknown 2}}
function valueType(r: PbReader, reg: PbRegion, t: TypeInfo): bool {
  const w = new PbWalk(r, reg, 64);
  const f = new Field();
  while (w.next(f)) {
    if (f.num != 1 || f.wt != WT_LEN) continue;
    const tw = new PbWalk(r, new PbRegion(reg.src, f.pos, f.len), 1 << 12);
    const tf = new Field();
    const shape = new JArr();
    while (tw.next(tf)) {
      if (tf.num == 1 && tf.wt == WT_VARINT) t.dtype = <i32>tf.value;
      else if (tf.num == 3 && tf.wt == WT_LEN) {
        if (t.shape.length + (t.dynamic ? 1 : 0) >= 64) { r.fail(E_BAD_SHAPE, "a tensor type of more than 64 dimensions", tf.pos); return false; }
        const dw = new PbWalk(r, new PbRegion(reg.src, tf.pos, tf.len), 8);
        const df = new Field();
        let known = false;
        while (dw.next(df)) {
          if (df.num == 1 && df.wt == WT_LEN) {
            const cw = new PbWalk(r, new PbRegion(reg.src, df.pos, df.len), 8);
            const cf = new Field();
            let size: u64 = 0;
            while (cw.next(cf)) if (cf.num == 1 && cf.wt == WT_VARINT) size = cf.value;
            t.shape.push(size);
            shape.push(new JInt(<i64>size));
            known = true;
          }
        }
        if (!known) { t.dynamic = true; shape.push(new JStr("?")); }
      }
    }
    t.json.set("shape", shape);
  }
  return r.ok;
}

function constant(wk: Walker, v: PbRegion, name: string, outType: TypeInfo): bool {
  const r = wk.r;
  const src = v.src;
  const w = new PbWalk(r, v, 64);
  const f = new Field();
  const t = new TypeInfo();
  let imm: PbRegion | null = null;
  let blob: PbRegion | null = null;
  while (w.next(f)) {
    if (f.wt != WT_LEN) continue;
    if (f.num == 2) { if (!valueType(r, new PbRegion(src, f.pos, f.len), t)) return false; }
    else if (f.num == 3) imm = new PbRegion(src, f.pos, f.len);
    else if (f.num == 5) blob = new PbRegion(src, f.pos, f.len);
  }
  if (!r.ok) return false;
  if (t.dtype == 0) { t.dtype = outType.dtype; t.shape = outType.shape; t.dynamic = outType.dynamic; }
  const dt = milDtype(t.dtype);
  if (t.dynamic || dt < 0 || dt == DT_STR) return true; // strings and scalars of no array type: attributes
  const n = shapeElements(t.shape);
  const bits = dtypeBits(dt);
  const want: u64 = bits > 0 && bits < 8 ? (n * <u64>bits + 7) / 8 : dtypeByteLength(dt, n);
  let nm = name;
  if (wk.taken.includes(nm)) nm = nm + "#" + wk.taken.length.toString();
  wk.taken.push(nm);
  const info = new JObj();
  info.setStr("mil_type", milTypeName(t.dtype));
  let source = src;
  let off: u64 = 0;
  if (blob !== null) {
    const bw = new PbWalk(r, blob!, 16);
    const bf = new Field();
    let file = "";
    let at: u64 = 0;
    while (bw.next(bf)) { if (bf.num == 1 && bf.wt == WT_LEN) file = r.text(src, bf, 4096); else if (bf.num == 2 && bf.wt == WT_VARINT) at = bf.value; }
    if (!r.ok) return false;
    info.setStr("storage", "blob");
    info.setStr("blob_file", file);
    info.setU64("blob_offset", at);
    const id = blobFile(wk, file);
    if (id == SOURCE_PENDING) { r.stop(); return false; }
    const tensor = new Tensor(nm, dt, t.shape, want);
    tensor.info = info;
    r.ctx.index.tensors.push(tensor);
    if (id == SOURCE_FAILED) {
      if (!r.ok) return false;
      const p = Plan.single(0, 0, want, dt);
      p.unreadable = "its blob file \"" + file + "\" is not available";
      tensor.plan = p;
      return true;
    }
    // The 64-byte metadata record: sentinel, data type, size, data offset.
    const fsz = r.ctx.sourceSize(id);
    if (at > fsz || <u64>64 > fsz - at) { r.fail(E_INVALID_OFFSET, "constant \"" + nm + "\" has its blob record at " + at.toString() + " of a " + fsz.toString() + "-byte weights file", v.pos); return false; }
    const m = r.ctx.viewOf(id, at, 64);
    if (!m) { if (r.ctx.pending()) r.stop(); else r.fail(E_TRUNCATED, "the weights file ends inside a blob record", at); return false; }
    if (load<u32>(m) != BLOB_SENTINEL) { r.fail(E_CORRUPT, "constant \"" + nm + "\": the blob record at " + at.toString() + " does not start with the sentinel 0xDEADBEEF", at); return false; }
    const code = load<u32>(m + 4);
    const size = load<u64>(m + 8);
    const doff = load<u64>(m + 16);
    const mt = blobMilType(code);
    if (mt != t.dtype) { r.fail(E_CORRUPT, "constant \"" + nm + "\" is " + milTypeName(t.dtype) + " but its blob holds data type " + code.toString() + (mt >= 0 ? " (" + milTypeName(mt) + ")" : ""), at); return false; }
    if (size != want) { r.fail(E_SIZE_MISMATCH, "constant \"" + nm + "\" is " + dtypeName(dt) + " of " + n.toString() + " elements (" + want.toString() + " bytes) but its blob holds " + size.toString(), at); return false; }
    if (doff > fsz || size > fsz - doff) { r.fail(E_INVALID_OFFSET, "constant \"" + nm + "\": blob data at " + doff.toString() + "+" + size.toString() + " runs past the weights file (" + fsz.toString() + " bytes)", at); return false; }
    source = id;
    off = doff;
    const plan = Plan.single(source, off, want, dt);
    if (dt == DT_I4 || dt == DT_U4 || dt == DT_U2) plan.elements = n;
    tensor.plan = plan;
    return true;
  }
  if (imm === null) return true;
  // ImmediateValue.tensor(1) -> TensorValue: floats(1).values(1) packed, or bytes(7).values(1).
  const iw = new PbWalk(r, imm!, 8);
  const inf = new Field();
  let tv: PbRegion | null = null;
  while (iw.next(inf)) if (inf.num == 1 && inf.wt == WT_LEN) tv = new PbRegion(src, inf.pos, inf.len);
  if (!r.ok) return false;
  if (tv === null) return true;
  const tw = new PbWalk(r, tv!, 8);
  const tf = new Field();
  let kind = 0;
  let data: PbRegion | null = null;
  while (tw.next(tf)) {
    if (tf.wt != WT_LEN) continue;
    kind = tf.num;
    const vw = new PbWalk(r, new PbRegion(src, tf.pos, tf.len), 1 << 20);
    const vf = new Field();
    while (vw.next(vf)) if (vf.num == 1 && vf.wt == WT_LEN) data = new PbRegion(src, vf.pos, vf.len);
  }
  if (!r.ok) return false;
  // Only raw forms are tensors: floats (f32) and bytes (any fixed-width type); ints, bools and
  // strings are varints or text (attributes such as axes).
  if (data === null || !(kind == 1 || kind == 7)) return true;
  info.setStr("storage", "immediate");
  const d = data!;
  const got = d.len;
  if (got != want) { r.fail(E_SIZE_MISMATCH, "constant \"" + nm + "\" is " + dtypeName(dt) + " of " + n.toString() + " elements (" + want.toString() + " bytes) but holds " + got.toString() + " immediate bytes", d.pos); return false; }
  const tensor = new Tensor(nm, dt, t.shape, want);
  tensor.info = info;
  const plan = Plan.single(src, d.pos, want, dt);
  if (dt == DT_I4 || dt == DT_U4 || dt == DT_U2) plan.elements = n;
  tensor.plan = plan;
  r.ctx.index.tensors.push(tensor);
  return true;
}

// The source of a weights file the program names, opened once; SOURCE_FAILED when missing
// (with a finding) or refused (r failed).
function blobFile(wk: Walker, file: string): i32 {
  const fl = wk.files;
  const k = fl.names.indexOf(file);
  if (k >= 0) return fl.srcs[k];
  const ctx = wk.r.ctx;
  const id = wk.mf.open(file, "the weights blob file");
  if (id == SOURCE_PENDING) return id;
  if (id == SOURCE_FAILED) {
    if (ctx.errorCode == E_PATH_VIOLATION) { wk.r.ok = false; return id; }
    const msg = ctx.errorMessage;
    ctx.errorCode = 0;
    ctx.errorMessage = "";
    ctx.index.addFinding(SEV_MEDIUM, "coreml-weights-missing", "The ML program keeps constants in \"" + file + "\", which is not available: " + msg + ".", file);
  }
  fl.names.push(file);
  fl.srcs.push(id);
  return id;
}
