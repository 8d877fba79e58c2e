// TensorFlow GraphDef files (frozen graphs, `.pb`) and bare MetaGraphDef files (TF1 `.meta`).
// Frozen graphs keep their weights in Const nodes: those become tensors (tensor_content, or the
// typed fields with TensorFlow's repeat-last rule). No magic number: detection checks that the
// first node looks like a NodeDef (name, then an op name).

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { E_INVALID_HEADER } from "../../core/errors";
import { JObj, JArr, JInt } from "../../util/json";
import { ScanResult, scanFields } from "../../protobuf/scan";
import { headFields, printable, fieldsAllowed, HeadField } from "../../protobuf/sniff";
import { PbError, PbField, PbMsg, parseMsg, WT_LEN } from "../../protobuf/wire";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE, SNIFF_NAME_ONLY } from "../format";
import { TfParser, TfSink, sortedOps } from "./graph";
import { GraphWalk, metaGraphInfo, viewField, walkGraphDef } from "./meta";

export const TF_GRAPHDEF: i32 = 1;
export const TF_METAGRAPH: i32 = 2;

const GRAPH_FIELDS = "1:2,2:2,3:0,4:2,5:2";
const META_FIELDS = "1:2,2:2,3:2,4:2,5:2,6:2,7:2";
const META_INFO_FIELDS = "1:2,2:2,3:2,4:2,5:2,6:2,7:0,8:2";

function isIdentifier(f: HeadField): bool {
  if (f.wt != 2 || !f.complete || f.length == 0 || f.length > 200) return false;
  for (let i: u64 = 0; i < f.length; i++) {
    const c = load<u8>(f.ptr + <usize>i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x3e || c == 0x2e;
    if (!ok) return false;
  }
  return true;
}

export function tfGraphKind(head: usize, len: usize, size: u64): i32 {
  const fs = headFields(head, len, size, 16);
  if (fs === null || fs.length == 0) return 0;
  const first = fs[0];
  if (first.num != 1 || first.wt != 2) return 0;
  const avail = first.complete ? first.length : <u64>(head + len - first.ptr);
  const sub = headFields(first.ptr, <usize>avail, first.length, 8);
  if (sub === null || sub.length < 1) return 0;
  if (fieldsAllowed(fs, GRAPH_FIELDS) && sub.length >= 2 && sub[0].num == 1 && sub[0].wt == 2 && sub[0].complete &&
      printable(sub[0].ptr, sub[0].length) && sub[1].num == 2 && isIdentifier(sub[1])) return TF_GRAPHDEF;
  if (fieldsAllowed(fs, META_FIELDS) && fieldsAllowed(sub, META_INFO_FIELDS)) {
    // MetaInfoDef: its op list (2) and tags (4) are what distinguish it from a NodeDef.
    for (let i = 0; i < sub.length; i++) if (sub[i].num == 2 && !isIdentifier(sub[i])) return TF_METAGRAPH;
    for (let i = 0; i < sub.length; i++) if (sub[i].num == 4 || sub[i].num == 5) return TF_METAGRAPH;
  }
  return 0;
}

class GraphState {
  kind: i32 = 0;
  walk: GraphWalk = new GraphWalk();
  sink: TfSink = new TfSink();
  meta: JObj | null = null;
}

export class TfGraphDefFormat extends FormatModule {
  get id(): string { return "tf-graphdef"; }

  sniff(s: Sniff): i32 {
    const k = tfGraphKind(s.head, s.headLen, s.size);
    if (k == TF_GRAPHDEF) return SNIFF_STRUCTURE - 5 + (s.nameEndsWith(".pb") ? 5 : 0);
    if (k == TF_METAGRAPH) return SNIFF_STRUCTURE - 5 + (s.nameEndsWith(".meta") ? 10 : 0);
    return s.nameEndsWith(".meta") ? SNIFF_NAME_ONLY : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    let st: GraphState;
    if (ctx.memo.has("tfg")) st = <GraphState>ctx.memo.get("tfg");
    else {
      st = new GraphState();
      const n = ctx.size < 4096 ? ctx.size : 4096;
      const head = ctx.view(0, n);
      if (!head) return ctx.truncated("the first bytes", 0);
      st.kind = tfGraphKind(head, <usize>n, ctx.size);
      if (st.kind == 0) return ctx.fail(E_INVALID_HEADER, "tf-graphdef: the file does not start like a GraphDef (a NodeDef with a name and an op) or a MetaGraphDef", 0);
      ctx.memo.set("tfg", st);
    }
    const parser = new TfParser(ctx, 0, st.sink);
    const meta = new JObj();
    let s: i32;
    if (st.kind == TF_GRAPHDEF) {
      s = walkGraphDef(ctx, "tfg:graph", 0, 0, ctx.size, parser, st.walk, true);
      if (s != ST_DONE) return s;
      meta.setStr("message", "GraphDef");
    } else {
      const res = new ScanResult();
      s = scanFields(ctx, "tfg:meta", 0, 0, ctx.size, "TensorFlow MetaGraphDef", 1 << 20, res);
      if (s != ST_DONE) return s;
      const fields = res.scan!.fields;
      let graph = -1;
      for (let i = 0; i < fields.length; i++) if (fields[i].num == 2 && fields[i].wt == WT_LEN) graph = i;
      if (graph >= 0) {
        const g = fields[graph];
        s = walkGraphDef(ctx, "tfg:meta:graph", 0, g.offset, g.offset + g.length, parser, st.walk, true);
        if (s != ST_DONE) return s;
      }
      if (st.meta === null) {
        const small = new PbError();
        const mi = new JObj();
        const viewed = new Array<PbField>();
        for (let i = 0; i < fields.length; i++) {
          if (i == graph) continue;
          const v = viewField(ctx, 0, fields[i]);
          if (v === null) return ctx.pending() ? ST_PENDING : ST_FAILED;
          viewed.push(v);
        }
        const m = new PbMsg();
        m.fields = viewed;
        if (metaGraphInfo(ctx, parser, m, mi) != ST_DONE) return ctx.pending() ? ST_PENDING : ST_FAILED;
        st.meta = mi;
        small.code = 0;
      }
      meta.setStr("message", "MetaGraphDef");
      const mi = st.meta!;
      for (let i = 0; i < mi.keys.length; i++) meta.set(mi.keys[i], mi.vals[i]);
    }
    const idx = ctx.index;
    idx.format = "tf-graphdef";
    for (let i = 0; i < st.sink.tensors.length; i++) idx.tensors.push(st.sink.tensors[i]);
    for (let i = 0; i < st.sink.findings.length; i++) idx.findings.push(st.sink.findings[i]);
    const w = st.walk;
    meta.setInt("node_count", w.nodes.length);
    meta.set("ops", sortedOps(st.sink.ops));
    if (w.producer >= 0) meta.setInt("producer", w.producer);
    meta.setInt("function_count", w.functions.length);
    for (let i = 0; i < meta.keys.length; i++) idx.metadata.set(meta.keys[i], meta.vals[i]);
    const g = new JObj();
    g.set("nodes", w.nodes);
    g.set("functions", w.functions);
    idx.graph = g;
    return ST_DONE;
  }
}

export { JArr, JInt, parseMsg };
