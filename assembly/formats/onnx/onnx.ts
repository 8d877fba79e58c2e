// ONNX: a ModelProto (.onnx), or a bare TensorProto / SequenceProto / OptionalProto (.pb test
// data). The model is walked field by field: the graph's fields are listed without viewing their
// payloads, then each node and initializer is read on its own, so a 2 GB model is indexed through
// small windows. Progress (the field lists, the items done) lives in ctx.memo: after a cache miss
// the next run continues instead of starting over.
//
// Tensors are the graph's initializers (and those of subgraphs); Constant and attribute tensors are
// described in metadata.attribute_tensors. Field numbers: onnx/onnx.in.proto, onnx-data.proto.

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { E_CORRUPT, E_INVALID_HEADER, E_LIMIT } from "../../core/errors";
import { Finding, SEV_INFO, SEV_MEDIUM, Tensor } from "../../core/model";
import { JArr, JInt, JObj, JRawArr, JStr } from "../../util/json";
import { FieldScan, ScanResult, scanFields } from "../../protobuf/scan";
import { headFields, HeadField, printable, fieldsAllowed, hasField } from "../../protobuf/sniff";
import { PbError, PbField, PbMsg, parseMsg, WT_LEN, MAX_DEPTH } from "../../protobuf/wire";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE, SNIFF_NAME_ONLY } from "../format";
import { GraphSink, OnnxParser, strList } from "./graph";
import { NODE_FAILED, NODE_WRITTEN, writeNode } from "./node-json";
import { onnxTensor, TensorBox } from "./tensor";

const KIND_MODEL: i32 = 1;
const KIND_TENSOR: i32 = 2;
const KIND_CONTAINER: i32 = 3; // SequenceProto / OptionalProto (identical wire layout)

// Items larger than this are walked field by field instead of viewed whole.
const VIEW_WHOLE: u64 = 16 * 1024 * 1024;
// Initializers larger than this are walked (their payload is never viewed): a tensor's header is
// a few hundred bytes before or after megabytes of raw_data.
const WALK_TENSOR: u64 = 64 * 1024;
const WALK_CACHE: u64 = 16 * 1024 * 1024;
const MAX_TOP_FIELDS: i32 = 1 << 20;
const MAX_GRAPH_FIELDS: i32 = 1 << 24;

const MODEL_FIELDS = "1:0,2:2,3:2,4:2,5:0,6:2,7:2,8:2,14:2,20:2,25:2,26:2";
// proto2 writers never pack dims (field 1), and a packed run would be indistinguishable from a name.
const TENSOR_FIELDS = "1:0,2:0,3:2,4:2,4:5,5:2,5:0,6:2,7:2,7:0,8:2,9:2,10:2,10:1,11:2,11:0,12:2,13:2,14:0,16:2";
const CONTAINER_FIELDS = "1:2,2:0,3:2,4:2,5:2,6:2,7:2";

// Standard domains, and those of widely deployed runtimes' contributed operators.
const STANDARD_DOMAINS: string[] = ["ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training", "ai.onnx.preview"];
const RUNTIME_DOMAINS: string[] = ["com.microsoft", "com.microsoft.nchwc", "com.microsoft.experimental", "com.microsoft.dml", "com.ms.internal.nhwc", "org.pytorch.aten", "ai.onnx.contrib", "com.microsoft.extensions"];

export function onnxKind(head: usize, len: usize, size: u64, name: string = ""): i32 {
  const fs = headFields(head, len, size, 64);
  if (fs === null || fs.length == 0) return 0;
  const first = fs[0];
  // Writers other than protobuf's own may order fields freely: with an .onnx name, a head made
  // only of ModelProto fields that include the graph or an opset is enough.
  if (name.toLowerCase().endsWith(".onnx") && first.num != 1 && fieldsAllowed(fs, MODEL_FIELDS) && (hasField(fs, 7) !== null || hasField(fs, 8) !== null)) {
    const ir = hasField(fs, 1);
    if (ir === null || (ir.value >= 1 && ir.value <= 64)) return KIND_MODEL;
  }
  // ModelProto: ir_version first, a printable producer name when present.
  if (first.num == 1 && first.wt == 0 && first.value >= 1 && first.value <= 64 && fs.length >= 2 && fieldsAllowed(fs, MODEL_FIELDS)) {
    const pn = hasField(fs, 2);
    if (pn === null || (pn.complete && pn.length < 256 && printable(pn.ptr, pn.length))) {
      if (hasField(fs, 7) !== null || hasField(fs, 8) !== null || pn !== null) return KIND_MODEL;
    }
  }
  // TensorProto: data_type is a varint among the known types.
  const dt = hasField(fs, 2);
  if (dt !== null && dt.wt == 0 && dt.value <= 28 && fieldsAllowed(fs, TENSOR_FIELDS)) {
    const nm = hasField(fs, 8);
    if (nm === null || !nm.complete || printable(nm.ptr, nm.length)) return KIND_TENSOR;
  }
  // SequenceProto / OptionalProto: a printable name, elem_type 0..5, elements.
  if (dt !== null && dt.wt == 0 && dt.value <= 5 && fieldsAllowed(fs, CONTAINER_FIELDS)) {
    const nm = hasField(fs, 1);
    if (nm !== null && nm.complete && printable(nm.ptr, nm.length)) return KIND_CONTAINER;
  }
  return 0;
}

class OnnxState {
  kind: i32 = 0;
  metaDone: bool = false;
  meta: JObj = new JObj();
  functions: JArr = new JArr();
  functionDomains: string[] = [];
  graphName: string = "";
  gi: i32 = 0; // next graph field to process
  sink: GraphSink = new GraphSink();
  nodes: JRawArr = new JRawArr();
  inputs: JArr = new JArr();
  outputs: JArr = new JArr();
  initNames: JArr = new JArr();
  valueInfoCount: i32 = 0;
  graphMeta: JObj = new JObj();
  irVersion: i64 = 0;
}

export class OnnxFormat extends FormatModule {
  get id(): string { return "onnx"; }

  sniff(s: Sniff): i32 {
    const byName = s.nameEndsWith(".onnx") ? SNIFF_NAME_ONLY : SNIFF_NO;
    const k = onnxKind(s.head, s.headLen, s.size, s.name);
    if (k == KIND_MODEL) return SNIFF_STRUCTURE + (s.nameEndsWith(".onnx") ? 10 : 0);
    if (k == KIND_TENSOR || k == KIND_CONTAINER) return SNIFF_STRUCTURE - 10 + (s.nameEndsWith(".pb") ? 2 : 0);
    return byName;
  }

  index(ctx: Context): i32 {
    let st: OnnxState;
    if (ctx.memo.has("onnx")) st = <OnnxState>ctx.memo.get("onnx");
    else {
      st = new OnnxState();
      const n = ctx.size < 4096 ? ctx.size : 4096;
      const head = ctx.view(0, n);
      if (!head) return ctx.truncated("the first bytes", 0);
      st.kind = onnxKind(head, <usize>n, ctx.size, ctx.name);
      if (st.kind == 0) return ctx.fail(E_INVALID_HEADER, "onnx: the file does not start like a ModelProto or TensorProto (no ir_version / data_type fields)", 0);
      ctx.memo.set("onnx", st);
    }
    ctx.index.format = "onnx";
    if (st.kind == KIND_TENSOR) return this.bareTensor(ctx, st);
    if (st.kind == KIND_CONTAINER) return this.container(ctx, st);
    return this.model(ctx, st);
  }

  private bareTensor(ctx: Context, st: OnnxState): i32 {
    const res = new ScanResult();
    const s = scanFields(ctx, "onnx:file", 0, 0, ctx.size, "ONNX TensorProto", MAX_GRAPH_FIELDS, res);
    if (s != ST_DONE) return s;
    const box = new TensorBox();
    const r = onnxTensor(ctx, 0, res.scan!.asMsg(), "", st.sink.findings, box);
    if (r != ST_DONE) return r;
    ctx.index.tensors.push(box.tensor!);
    ctx.index.metadata.setStr("message", "TensorProto");
    pushFindings(ctx, st.sink.findings);
    return ST_DONE;
  }

  private container(ctx: Context, st: OnnxState): i32 {
    if (ctx.size > VIEW_WHOLE * 16) return ctx.fail(E_LIMIT, "onnx: a SequenceProto/OptionalProto file over 256 MiB", 0);
    const p = ctx.view(0, ctx.size);
    if (!p) return ctx.truncated("the message", 0);
    const err = new PbError();
    const m = parseMsg(p, <usize>ctx.size, 0, err, "ONNX SequenceProto/OptionalProto");
    if (m === null) return ctx.fail(err.code, err.message, err.offset);
    const meta = ctx.index.metadata;
    // Both messages share field numbers; repeated elements mean a sequence.
    let repeated = false;
    for (let n = 3; n <= 7; n++) if (m.count(n) > 1) repeated = true;
    meta.setStr("message", repeated ? "SequenceProto" : "OptionalProto or SequenceProto");
    meta.setStr("name", m.str(1));
    meta.setStr("elem_type", containerType(m.i32v(2, 0)));
    const tensors = new Array<Tensor>();
    const st2 = collectContainer(ctx, m, m.str(1), 0, tensors, st.sink.findings);
    if (st2 != ST_DONE) return st2;
    for (let i = 0; i < tensors.length; i++) ctx.index.tensors.push(tensors[i]);
    pushFindings(ctx, st.sink.findings);
    return ST_DONE;
  }

  private model(ctx: Context, st: OnnxState): i32 {
    // The walk moves forward and keeps its progress in ctx.memo: windows behind it are not needed
    // again, so a small cache bounds memory on multi-GB models (one window per initializer).
    if (ctx.reader.cacheCap > WALK_CACHE) ctx.reader.cacheCap = WALK_CACHE;
    const res = new ScanResult();
    let s = scanFields(ctx, "onnx:top", 0, 0, ctx.size, "ONNX ModelProto", MAX_TOP_FIELDS, res);
    if (s != ST_DONE) return s;
    const top = res.scan!;
    const parser = new OnnxParser(ctx, 0, st.sink);
    if (!st.metaDone) {
      s = this.modelMeta(ctx, st, top, parser);
      if (s != ST_DONE) return s;
      st.metaDone = true;
    }
    // The graph (the last one wins, as in protobuf).
    let graph: PbField | null = null;
    for (let i = 0; i < top.fields.length; i++) if (top.fields[i].num == 7) graph = top.fields[i];
    if (graph !== null) {
      if (graph.wt != WT_LEN) return ctx.fail(E_CORRUPT, "ONNX ModelProto: graph has the wrong wire type", graph.tagOffset);
      // Items found so far are processed before the walk goes on, while their window is fresh.
      if (ctx.memo.has("onnx:graph")) {
        s = this.graphItems(ctx, st, parser, (<FieldScan>ctx.memo.get("onnx:graph")).fields);
        if (s != ST_DONE) return s;
      }
      const gres = new ScanResult();
      s = scanFields(ctx, "onnx:graph", 0, graph.offset, graph.offset + graph.length, "ONNX GraphProto", MAX_GRAPH_FIELDS, gres);
      if (s != ST_DONE) return s;
      s = this.graphItems(ctx, st, parser, gres.scan!.fields);
      if (s != ST_DONE) return s;
    }
    this.finish(ctx, st, graph !== null);
    return ST_DONE;
  }

  private graphItems(ctx: Context, st: OnnxState, parser: OnnxParser, gf: PbField[]): i32 {
    while (st.gi < gf.length) {
      st.sink.mark();
      const s = this.graphItem(ctx, st, parser, gf[st.gi]);
      if (s != ST_DONE) { st.sink.rollback(); return s; }
      st.gi++;
    }
    return ST_DONE;
  }

  private modelMeta(ctx: Context, st: OnnxState, top: FieldScan, parser: OnnxParser): i32 {
    const meta = new JObj();
    const opsets = new JObj();
    const props = new JObj();
    const funcs = new JArr();
    const funcDomains = new Array<string>();
    let training = 0;
    const err = new PbError();
    for (let i = 0; i < top.fields.length; i++) {
      const f = top.fields[i];
      if (f.num == 7) continue;
      if (f.num == 1 || f.num == 5) {
        if (f.wt != 0) return ctx.fail(E_CORRUPT, "ONNX ModelProto: field " + f.num.toString() + " has the wrong wire type", f.tagOffset);
        if (f.num == 1) { meta.setInt("ir_version", <i64>f.value); st.irVersion = <i64>f.value; }
        else meta.setInt("model_version", <i64>f.value);
        continue;
      }
      if (f.wt != WT_LEN) continue;
      if (f.length > VIEW_WHOLE * 16) return ctx.fail(E_LIMIT, "ONNX ModelProto: field " + f.num.toString() + " is larger than 256 MiB", f.offset);
      const p = ctx.view(f.offset, f.length);
      if (!p) return ctx.truncated("ONNX ModelProto field " + f.num.toString(), f.offset);
      const vf = viewed(f, p);
      if (f.num == 2) meta.setStr("producer_name", vf.str());
      else if (f.num == 3) meta.setStr("producer_version", vf.str());
      else if (f.num == 4) meta.setStr("domain", vf.str());
      else if (f.num == 6) meta.setStr("doc_string", vf.str());
      else if (f.num == 8) {
        const m = parseMsg(p, <usize>f.length, f.offset, err, "ONNX OperatorSetIdProto");
        if (m === null) return ctx.fail(err.code, err.message, err.offset);
        const d = m.str(1);
        opsets.setInt(d.length ? d : "ai.onnx", m.i64v(2, 0));
      } else if (f.num == 14) {
        const m = parseMsg(p, <usize>f.length, f.offset, err, "ONNX StringStringEntryProto");
        if (m === null) return ctx.fail(err.code, err.message, err.offset);
        props.setStr(m.str(1), m.str(2));
      } else if (f.num == 20) training++;
      else if (f.num == 25) {
        const fn = parser.func(vf);
        if (fn === null) return ctx.pending() ? ST_PENDING : ST_FAILED;
        funcs.push(fn);
        const d = fn.getStr("domain");
        if (d !== null && !funcDomains.includes(d)) funcDomains.push(d);
      }
    }
    meta.set("opset_import", opsets);
    if (props.size) meta.set("metadata_props", props);
    if (training) meta.setInt("training_info_count", training);
    st.meta = meta;
    st.functions = funcs;
    st.functionDomains = funcDomains;
    return ST_DONE;
  }

  private graphItem(ctx: Context, st: OnnxState, parser: OnnxParser, f: PbField): i32 {
    const num = f.num;
    if (num == 5) return this.initializer(ctx, st, f);
    if (num != 1 && num != 2 && num != 10 && num != 11 && num != 12 && num != 13 && num != 15 && num != 16) return ST_DONE;
    if (num == 13) { st.valueInfoCount++; return ST_DONE; }
    if (f.wt != WT_LEN) return ctx.fail(E_CORRUPT, "ONNX GraphProto: field " + num.toString() + " has the wrong wire type", f.tagOffset);
    if (f.length > VIEW_WHOLE * 16) return ctx.fail(E_LIMIT, "ONNX GraphProto: one " + (num == 1 ? "node" : "entry") + " is larger than 256 MiB", f.offset);
    const p = ctx.view(f.offset, f.length);
    if (!p) return ctx.truncated("an ONNX graph entry", f.offset);
    const vf = viewed(f, p);
    if (num == 1) {
      const w = writeNode(parser, st.nodes, p, <usize>f.length, f.offset);
      if (w == NODE_WRITTEN) return ST_DONE;
      if (w == NODE_FAILED) return ctx.pending() ? ST_PENDING : ST_FAILED;
      const n = parser.node(vf, 0);
      if (n === null) return ctx.pending() ? ST_PENDING : ST_FAILED;
      if (!st.nodes.push(n)) return ctx.fail(E_LIMIT, "ONNX GraphProto: the nodes' description is larger than 2 GiB", f.offset);
    } else if (num == 2) st.graphName = vf.str();
    else if (num == 10) st.graphMeta.setStr("doc_string", vf.str());
    else if (num == 11 || num == 12) {
      const v = parser.valueInfo(vf);
      if (v === null) return ctx.pending() ? ST_PENDING : ST_FAILED;
      (num == 11 ? st.inputs : st.outputs).push(v);
    } else if (num == 15) {
      return this.sparse(ctx, st, vf);
    } else if (num == 16) {
      const err = new PbError();
      const m = parseMsg(p, <usize>f.length, f.offset, err, "ONNX StringStringEntryProto");
      if (m === null) return ctx.fail(err.code, err.message, err.offset);
      let props = st.graphMeta.getObj("metadata_props");
      if (props === null) { props = new JObj(); st.graphMeta.set("metadata_props", props); }
      props.setStr(m.str(1), m.str(2));
    }
    return ST_DONE;
  }

  private initializer(ctx: Context, st: OnnxState, f: PbField): i32 {
    if (f.wt != WT_LEN) return ctx.fail(E_CORRUPT, "ONNX GraphProto: initializer has the wrong wire type", f.tagOffset);
    let m: PbMsg;
    const key = "onnx:t:" + f.offset.toString();
    if (f.length <= WALK_TENSOR) {
      const p = ctx.view(f.offset, f.length);
      if (!p) return ctx.truncated("an ONNX initializer", f.offset);
      const err = new PbError();
      const pm = parseMsg(p, <usize>f.length, f.offset, err, "ONNX TensorProto");
      if (pm === null) return ctx.fail(err.code, err.message, err.offset);
      m = pm;
    } else {
      const res = new ScanResult();
      const s = scanFields(ctx, key, 0, f.offset, f.offset + f.length, "ONNX TensorProto", MAX_GRAPH_FIELDS, res, 4096);
      if (s != ST_DONE) return s;
      m = res.scan!.asMsg();
    }
    const box = new TensorBox();
    const s = onnxTensor(ctx, 0, m, "", st.sink.findings, box);
    if (s != ST_DONE) return s;
    ctx.memo.delete(key);
    st.sink.tensors.push(box.tensor!);
    st.initNames.push(new JStr(box.tensor!.name));
    return ST_DONE;
  }

  // SparseTensorProto: the values and indices tensors, described by the dense shape.
  private sparse(ctx: Context, st: OnnxState, f: PbField): i32 {
    const err = new PbError();
    const m = parseMsg(f.ptr, <usize>f.length, f.offset, err, "ONNX SparseTensorProto");
    if (m === null) return ctx.fail(err.code, err.message, err.offset);
    const dense = new JArr();
    const dl = m.all(3);
    for (let i = 0; i < dl.length; i++) if (dl[i].wt == 0) dense.push(new JInt(<i64>dl[i].value));
    const vf = m.last(1);
    if (vf === null || vf.wt != WT_LEN) return ctx.fail(E_CORRUPT, "ONNX SparseTensorProto without values", f.offset);
    const vm = parseMsg(vf.ptr, <usize>vf.length, vf.offset, err, "ONNX sparse values");
    if (vm === null) return ctx.fail(err.code, err.message, err.offset);
    const vb = new TensorBox();
    let s = onnxTensor(ctx, 0, vm, "", st.sink.findings, vb);
    if (s != ST_DONE) return s;
    const vt = vb.tensor!;
    const info = vt.info!;
    info.set("sparse_dims", dense);
    info.setStr("sparse_part", "values");
    st.sink.tensors.push(vt);
    st.initNames.push(new JStr(vt.name));
    const xf = m.last(2);
    if (xf !== null && xf.wt == WT_LEN) {
      const xm = parseMsg(xf.ptr, <usize>xf.length, xf.offset, err, "ONNX sparse indices");
      if (xm === null) return ctx.fail(err.code, err.message, err.offset);
      const xb = new TensorBox();
      s = onnxTensor(ctx, 0, xm, vt.name + ".indices", st.sink.findings, xb);
      if (s != ST_DONE) return s;
      const xt = xb.tensor!;
      if (xt.name == vt.name || xt.name.length == 0) xt.name = vt.name + ".indices";
      xt.info!.setStr("sparse_part", "indices");
      xt.info!.set("sparse_dims", dense);
      info.setStr("sparse_indices", xt.name);
      st.sink.tensors.push(xt);
    }
    return ST_DONE;
  }

  private finish(ctx: Context, st: OnnxState, hasGraph: bool): void {
    const idx = ctx.index;
    idx.format = "onnx";
    idx.formatVersion = st.irVersion > 0 ? "IR " + st.irVersion.toString() : null;
    for (let i = 0; i < st.sink.tensors.length; i++) idx.tensors.push(st.sink.tensors[i]);
    const meta = idx.metadata;
    for (let i = 0; i < st.meta.keys.length; i++) meta.set(st.meta.keys[i], st.meta.vals[i]);
    meta.setStr("graph_name", st.graphName);
    meta.setInt("node_count", st.nodes.count);
    const ops = st.sink.opTypes.slice(0);
    ops.sort();
    meta.set("op_types", strList(ops));
    meta.set("inputs", st.inputs);
    meta.set("outputs", st.outputs);
    meta.setInt("initializer_count", st.initNames.length);
    if (st.valueInfoCount) meta.setInt("value_info_count", st.valueInfoCount);
    if (st.sink.attributeTensors.length) meta.set("attribute_tensors", st.sink.attributeTensors);
    if (st.functions.length) meta.set("functions", st.functions);
    for (let i = 0; i < st.graphMeta.keys.length; i++) meta.set("graph_" + st.graphMeta.keys[i], st.graphMeta.vals[i]);
    if (hasGraph) {
      const g = new JObj();
      g.setStr("name", st.graphName);
      g.set("nodes", st.nodes);
      g.set("inputs", st.inputs);
      g.set("outputs", st.outputs);
      g.set("initializers", st.initNames);
      if (st.functions.length) g.set("functions", st.functions);
      idx.graph = g;
    }
    pushFindings(ctx, st.sink.findings);
    // Operators outside the standard domains need code that does not travel with the file.
    for (let i = 0; i < st.sink.domains.length; i++) {
      const d = st.sink.domains[i];
      if (STANDARD_DOMAINS.includes(d)) continue;
      if (st.functionDomains.includes(d)) {
        idx.addFinding(SEV_INFO, "local-functions", "Operators of domain \"" + d + "\" are functions defined inside the model.", d);
      } else if (RUNTIME_DOMAINS.includes(d)) {
        idx.addFinding(SEV_INFO, "runtime-contrib-ops", "The graph uses operators of domain \"" + d + "\", contributed operators of a specific runtime (not standard ONNX).", d);
      } else {
        idx.addFinding(SEV_MEDIUM, "custom-op-domain", "The graph uses operators of domain \"" + d + "\", which no standard runtime provides: running it needs a custom operator library (native code loaded by the runtime).", d);
      }
    }
  }
}

function viewed(f: PbField, p: usize): PbField {
  const v = new PbField();
  v.num = f.num;
  v.wt = f.wt;
  v.offset = f.offset;
  v.length = f.length;
  v.tagOffset = f.tagOffset;
  v.end = f.end;
  v.ptr = p;
  return v;
}

function pushFindings(ctx: Context, fs: Finding[]): void {
  for (let i = 0; i < fs.length; i++) ctx.index.findings.push(fs[i]);
}

const CONTAINER_TYPES: string[] = ["UNDEFINED", "TENSOR", "SPARSE_TENSOR", "SEQUENCE", "MAP", "OPTIONAL"];
function containerType(t: i32): string { return t >= 0 && t < CONTAINER_TYPES.length ? CONTAINER_TYPES[t] : t.toString(); }

// Tensors held by a SequenceProto / OptionalProto, named "<container>[i]" unless they have names.
function collectContainer(ctx: Context, m: PbMsg, prefix: string, depth: i32, out: Array<Tensor>, findings: Finding[]): i32 {
  if (depth > MAX_DEPTH) return ctx.fail(E_LIMIT, "onnx: sequences nested deeper than " + MAX_DEPTH.toString(), m.base);
  const err = new PbError();
  let k = 0;
  for (let i = 0; i < m.fields.length; i++) {
    const f = m.fields[i];
    if (f.wt != WT_LEN) continue;
    if (f.num == 3) {
      const tm = parseMsg(f.ptr, <usize>f.length, f.offset, err, "ONNX TensorProto");
      if (tm === null) return ctx.fail(err.code, err.message, err.offset);
      const box = new TensorBox();
      const s = onnxTensor(ctx, 0, tm, prefix + "[" + k.toString() + "]", findings, box);
      if (s != ST_DONE) return s;
      out.push(box.tensor!);
      k++;
    } else if (f.num == 5 || f.num == 7) {
      const sm = parseMsg(f.ptr, <usize>f.length, f.offset, err, "ONNX SequenceProto/OptionalProto");
      if (sm === null) return ctx.fail(err.code, err.message, err.offset);
      const s = collectContainer(ctx, sm, prefix + "[" + k.toString() + "]", depth + 1, out, findings);
      if (s != ST_DONE) return s;
      k++;
    }
  }
  return ST_DONE;
}

export { HeadField, JStr };
