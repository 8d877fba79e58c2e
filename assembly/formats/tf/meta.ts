// Walking a GraphDef field by field (frozen graphs reach the 2 GB protobuf cap) and reading
// MetaGraphDef's small parts: tags, versions, signatures, saver, collections, assets
// (meta_graph.proto, saved_model.proto). Progress is kept in ctx.memo like ONNX's (protobuf/scan.ts).

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { E_CORRUPT, E_LIMIT } from "../../core/errors";
import { JArr, JInt, JObj, JStr } from "../../util/json";
import { FieldScan, ScanResult, scanFields } from "../../protobuf/scan";
import { PbError, PbField, PbMsg, parseMsg, subMsg, WT_LEN } from "../../protobuf/wire";
import { TfParser, TfSink, sortedOps } from "./graph";
import { readShape, tfDtypeLabel } from "./types";

export const MAX_ITEM: u64 = 256 * 1024 * 1024;
const WALK_CACHE: u64 = 32 * 1024 * 1024;
const MAX_FIELDS: i32 = 1 << 24;

export class GraphWalk {
  gi: i32 = 0;
  nodes: JArr = new JArr();
  functions: JArr = new JArr();
  producer: i64 = -1;
  minConsumer: i64 = -1;
  done: bool = false;
}

export function viewField(ctx: Context, src: i32, f: PbField): PbField | null {
  if (f.ptr || f.length == 0) return f;
  if (f.length > MAX_ITEM) { ctx.fail(E_LIMIT, "a protobuf field of " + f.length.toString() + " bytes (over 256 MiB) in one piece", f.offset); return null; }
  const p = ctx.viewOf(src, f.offset, f.length);
  if (!p) { ctx.truncated("a protobuf field", f.offset); return null; }
  const v = new PbField();
  v.num = f.num; v.wt = f.wt; v.offset = f.offset; v.length = f.length; v.tagOffset = f.tagOffset; v.end = f.end; v.ptr = p;
  return v;
}

// Walks the GraphDef at [start, end): nodes (1), library (2), versions (4).
export function walkGraphDef(ctx: Context, key: string, src: i32, start: u64, end: u64, parser: TfParser, w: GraphWalk, asTensors: bool): i32 {
  if (w.done) return ST_DONE;
  // A forward walk: nodes found so far are read before the walk goes on (their window is fresh),
  // so a small reader cache is enough even for graphs near protobuf's 2 GB cap.
  if (ctx.reader.cacheCap > WALK_CACHE) ctx.reader.cacheCap = WALK_CACHE;
  if (ctx.memo.has(key)) {
    const st0 = graphItems(ctx, src, parser, w, asTensors, (<FieldScan>ctx.memo.get(key)).fields);
    if (st0 != ST_DONE) return st0;
  }
  const res = new ScanResult();
  const s = scanFields(ctx, key, src, start, end, "TensorFlow GraphDef", MAX_FIELDS, res);
  if (s != ST_DONE) return s;
  const s2 = graphItems(ctx, src, parser, w, asTensors, res.scan!.fields);
  if (s2 != ST_DONE) return s2;
  ctx.memo.delete(key);
  w.done = true;
  return ST_DONE;
}

function graphItems(ctx: Context, src: i32, parser: TfParser, w: GraphWalk, asTensors: bool, fields: PbField[]): i32 {
  while (w.gi < fields.length) {
    const f = fields[w.gi];
    if (f.num == 1 || f.num == 2 || f.num == 4) {
      if (f.wt != WT_LEN) return ctx.fail(E_CORRUPT, "TensorFlow GraphDef: field " + f.num.toString() + " has the wrong wire type", f.tagOffset);
      const v = viewField(ctx, src, f);
      if (v === null) return ctx.pending() ? ST_PENDING : ST_FAILED;
      parser.sink.mark();
      if (f.num == 1) {
        const n = parser.node(v, "", asTensors);
        if (n === null) { parser.sink.rollback(); return ctx.pending() ? ST_PENDING : ST_FAILED; }
        w.nodes.push(n);
      } else if (f.num == 2) {
        const lib = parser.library(v);
        if (lib === null) { parser.sink.rollback(); return ctx.pending() ? ST_PENDING : ST_FAILED; }
        for (let i = 0; i < lib.length; i++) w.functions.push(lib.at(i));
      } else {
        const err = new PbError();
        const vm = subMsg(v, err, "VersionDef");
        if (vm === null) return ctx.fail(err.code, err.message, err.offset);
        w.producer = vm.i64v(1, 0);
        w.minConsumer = vm.i64v(2, 0);
      }
    }
    w.gi++;
  }
  return ST_DONE;
}

// TensorInfo {1 name, 2 dtype, 3 tensor_shape} -> {name, dtype, shape?}
function tensorInfo(p: TfParser, f: PbField): JObj | null {
  const m = p.sub(f, "TensorInfo");
  if (m === null) return null;
  const o = new JObj();
  o.setStr("name", m.str(1));
  const dt = m.i32v(2, 0);
  if (dt == 0) o.setInt("dtype", 0);
  else o.setStr("dtype", tfDtypeLabel(dt));
  const sf = m.last(3);
  if (sf !== null) {
    const sm = p.sub(sf, "TensorShapeProto");
    if (sm === null) return null;
    const s = readShape(sm, p.err);
    if (s !== null && !s.unknownRank) o.set("shape", s.toJson());
  }
  return o;
}

// map<string, TensorInfo> entries -> object
function tensorMap(p: TfParser, entries: PbField[]): JObj | null {
  const o = new JObj();
  for (let i = 0; i < entries.length; i++) {
    const em = p.sub(entries[i], "map entry");
    if (em === null) return null;
    const vf = em.last(2);
    if (vf === null) continue;
    const ti = tensorInfo(p, vf);
    if (ti === null) return null;
    o.set(em.str(1), ti);
  }
  return o;
}

// The non-graph parts of a MetaGraphDef (fields already viewed) into `out`.
export function metaGraphInfo(ctx: Context, p: TfParser, m: PbMsg, out: JObj): i32 {
  const mi = m.last(1);
  if (mi !== null) {
    const mm = p.sub(mi, "MetaInfoDef");
    if (mm === null) return ST_FAILED;
    const tags = new JArr();
    const tl = mm.strs(4);
    for (let i = 0; i < tl.length; i++) tags.push(new JStr(tl[i]));
    out.set("tags", tags);
    const v = mm.str(5);
    if (v.length) out.setStr("tensorflow_version", v);
    const gv = mm.str(6);
    if (gv.length) out.setStr("tensorflow_git_version", gv);
    const mgv = mm.str(1);
    if (mgv.length) out.setStr("meta_graph_version", mgv);
  }
  const sd = m.last(3);
  if (sd !== null) {
    const sm = p.sub(sd, "SaverDef");
    if (sm === null) return ST_FAILED;
    const o = new JObj();
    o.setStr("filename_tensor_name", sm.str(1));
    o.setStr("save_tensor_name", sm.str(2));
    o.setStr("restore_op_name", sm.str(3));
    o.setInt("version", sm.i64v(7, 0));
    out.set("saver_def", o);
  }
  const cols = m.all(4);
  if (cols.length) {
    const names = new Array<string>();
    for (let i = 0; i < cols.length; i++) {
      const cm = p.sub(cols[i], "collection_def entry");
      if (cm === null) return ST_FAILED;
      names.push(cm.str(1));
    }
    names.sort();
    const a = new JArr();
    for (let i = 0; i < names.length; i++) a.push(new JStr(names[i]));
    out.set("collections", a);
  }
  const sigs = m.all(5);
  const so = new JObj();
  for (let i = 0; i < sigs.length; i++) {
    const em = p.sub(sigs[i], "signature_def entry");
    if (em === null) return ST_FAILED;
    const vf = em.last(2);
    const o = new JObj();
    if (vf !== null) {
      const sm = p.sub(vf, "SignatureDef");
      if (sm === null) return ST_FAILED;
      const ins = tensorMap(p, sm.all(1));
      const outs = tensorMap(p, sm.all(2));
      if (ins === null || outs === null) return ST_FAILED;
      o.set("inputs", ins);
      o.set("outputs", outs);
      o.setStr("method_name", sm.str(3));
    }
    so.set(em.str(1), o);
  }
  if (sigs.length) out.set("signatures", so);
  const assets = m.all(6);
  if (assets.length) {
    const a = new JArr();
    for (let i = 0; i < assets.length; i++) {
      const am = p.sub(assets[i], "AssetFileDef");
      if (am === null) return ST_FAILED;
      a.push(new JStr(am.str(2)));
    }
    out.set("assets", a);
  }
  out.setBool("has_object_graph", m.has(7));
  const og = m.last(7);
  if (og !== null) {
    const om = p.sub(og, "SavedObjectGraph");
    if (om === null) return ST_FAILED;
    out.setInt("object_graph_nodes", om.count(1));
    out.setInt("concrete_functions", om.count(2));
  }
  return ST_DONE;
}

// Summary of the MetaGraphDef at [start, start+len) of source src: tags, versions, signatures,
// saver, collections, assets, ops (graph and functions).
export function metaGraphSummaryAt(ctx: Context, src: i32, start: u64, len: u64, key: string, w: GraphWalk, sink: TfSink, out: JObj): i32 {
  const parser = new TfParser(ctx, src, sink);
  const res = new ScanResult();
  let s = scanFields(ctx, key, src, start, start + len, "TensorFlow MetaGraphDef", 1 << 20, res);
  if (s != ST_DONE) return s;
  const fields = res.scan!.fields;
  const small = new Array<PbField>();
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.num == 2 && f.wt == WT_LEN) {
      s = walkGraphDef(ctx, key + ":graph", src, f.offset, f.offset + f.length, parser, w, false);
      if (s != ST_DONE) return s;
      continue;
    }
    const v = viewField(ctx, src, f);
    if (v === null) return ctx.pending() ? ST_PENDING : ST_FAILED;
    small.push(v);
  }
  const m = new PbMsg();
  m.fields = small;
  if (metaGraphInfo(ctx, parser, m, out) != ST_DONE) return ctx.pending() ? ST_PENDING : ST_FAILED;
  out.set("ops", sortedOps(sink.ops));
  out.setInt("node_count", w.nodes.length);
  out.setInt("function_count", w.functions.length);
  return ST_DONE;
}


export { FieldScan, JInt, parseMsg };
