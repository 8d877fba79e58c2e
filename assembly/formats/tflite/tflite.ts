// TFLite / LiteRT models (.tflite): a FlatBuffer whose file identifier at bytes 4..8 is "TFL3".
// The Model table lists operator codes, subgraphs (tensors, operators, inputs, outputs), buffers
// (the bytes of constant tensors, inline or at an offset/size past the FlatBuffer for models over
// 2 GB), metadata entries (named buffers) and signature defs. Constant tensors are the index's
// tensors; quantized ones dequantize when read as floats (tensors.ts). Custom and Flex operators
// need code that does not travel with the file and give findings.

import { Context, ST_DONE } from "../../core/context";
import { E_INVALID_HEADER, E_UNSUPPORTED } from "../../core/errors";
import { SEV_LOW, SEV_MEDIUM, Tensor } from "../../core/model";
import { FbReader, FbTable } from "../../containers/flatbuffers";
import { JArr, JInt, JObj, JStr } from "../../util/json";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NAME_ONLY, SNIFF_NO } from "../format";
import { KIND_CUSTOM, KIND_FLEX, nameList, OpCode, readOpCode, readOperator } from "./graph";
import {
  M_BUFFERS, M_DESCRIPTION, M_EXTERNAL_BUFFERS, M_METADATA, M_OPERATOR_CODES, M_SIGNATURE_DEFS, M_SUBGRAPHS, M_VERSION,
  MD_BUFFER, MD_NAME, SD_INPUTS, SD_KEY, SD_OUTPUTS, SD_SUBGRAPH, SG_INPUTS, SG_NAME, SG_OPERATORS, SG_OUTPUTS,
  SG_TENSORS, TM_NAME, TM_TENSOR,
} from "./schema";
import { BufferRef, readBuffer, readTensor } from "./tensors";

// Metadata buffers shown as text when they are this small and printable (min_runtime_version).
const META_TEXT: u64 = 256;

export class TfliteFormat extends FormatModule {
  get id(): string { return "tflite"; }

  sniff(s: Sniff): i32 {
    if (s.startsWith("TFL3", 4) && s.size >= 16) {
      const root = <u64>load<u32>(s.head);
      if (root >= 8 && root < s.size) return SNIFF_MAGIC;
    }
    return s.nameEndsWith(".tflite") || s.nameEndsWith(".lite") ? SNIFF_NAME_ONLY : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    const head = ctx.view(0, size < 8 ? size : 8);
    if (!head) return ctx.truncated("the TFLite header", 0);
    if (size < 8 || load<u32>(head + 4) != 0x334c4654) {
      return ctx.fail(E_INVALID_HEADER, "tflite: the file identifier at bytes 4..8 is not \"TFL3\"", 4);
    }
    ctx.index.format = "tflite";
    const r = new FbReader(ctx, 0, 0, size, "tflite");
    const model = r.root();
    if (model === null) return r.status();
    const version = r.u32f(model, M_VERSION, 0);
    const description = r.stringF(model, M_DESCRIPTION, 1 << 16);
    if (!r.ok) return r.status();
    if (r.has(model, M_EXTERNAL_BUFFERS)) {
      // Weights in separate files (external buffer groups) are listed per tensor as unreadable.
      ctx.index.addFinding(SEV_LOW, "tflite-external-buffers", "The model keeps some weights in external buffer files, which are not read.", "external_buffers");
    }

    // Operator codes.
    const codes = new Array<OpCode>();
    const cv = r.vectorF(model, M_OPERATOR_CODES, 4);
    if (cv !== null) for (let i: u32 = 0; i < cv.length && r.ok; i++) {
      const t = r.tableAt(cv, i);
      if (t === null) break;
      const c = readOpCode(r, t);
      if (c !== null) codes.push(c);
    }
    if (!r.ok) return r.status();

    // Buffers.
    const buffers = new Array<BufferRef>();
    const bv = r.vectorF(model, M_BUFFERS, 4);
    if (bv !== null) for (let i: u32 = 0; i < bv.length && r.ok; i++) {
      const t = r.tableAt(bv, i);
      if (t === null) break;
      const b = readBuffer(r, t, size);
      if (b !== null) buffers.push(b);
    }
    if (!r.ok) return r.status();

    // Subgraphs.
    const used = new Array<bool>(codes.length);
    for (let i = 0; i < codes.length; i++) used[i] = false;
    const subgraphs = new JArr();
    const tensorNames = new Array<string>(); // every index tensor's name, to keep them unique
    const sv = r.vectorF(model, M_SUBGRAPHS, 4);
    const nsg: u32 = sv === null ? 0 : sv.length;
    let nodeCount = 0;
    for (let g: u32 = 0; g < nsg; g++) {
      const sg = r.tableAt(sv!, g);
      if (sg === null) return r.status();
      const j = this.subgraph(ctx, r, sg, g, codes, buffers, used, tensorNames);
      if (j === null) return r.status();
      nodeCount += (<JArr>j.get("nodes")).items.length;
      subgraphs.push(j);
    }
    if (nsg == 0) return ctx.fail(E_UNSUPPORTED, "tflite: the model has no subgraph", model.pos);

    const meta = ctx.index.metadata;
    meta.setInt("schema_version", version);
    ctx.index.formatVersion = "schema " + version.toString();
    if (description.length) meta.setStr("description", description);
    meta.setInt("subgraph_count", nsg);
    meta.setInt("operator_count", nodeCount);
    meta.setInt("buffer_count", buffers.length);
    const ops = new Array<string>();
    for (let i = 0; i < codes.length; i++) if (used[i] && !ops.includes(codes[i].name)) ops.push(codes[i].name);
    ops.sort();
    const jops = new JArr();
    for (let i = 0; i < ops.length; i++) jops.push(new JStr(ops[i]));
    meta.set("op_types", jops);
    const first = <JObj>subgraphs.items[0];
    meta.set("inputs", first.get("inputs")!);
    meta.set("outputs", first.get("outputs")!);
    const md = this.metadata(r, model, buffers);
    if (md === null) return r.status();
    if (md.keys.length) meta.set("metadata", md);
    const sigs = this.signatures(r, model, subgraphs);
    if (sigs === null) return r.status();
    if (sigs.items.length) meta.set("signature_defs", sigs);

    const graph = new JObj();
    graph.setStr("name", first.getStr("name")!);
    graph.set("nodes", first.get("nodes")!);
    graph.set("inputs", first.get("inputs")!);
    graph.set("outputs", first.get("outputs")!);
    if (subgraphs.items.length > 1) graph.set("subgraphs", subgraphs);
    if (sigs.items.length) graph.set("signatures", sigs);
    ctx.index.graph = graph;
    this.opFindings(ctx, codes, used);
    return ST_DONE;
  }

  private subgraph(ctx: Context, r: FbReader, sg: FbTable, g: u32, codes: OpCode[], buffers: BufferRef[], used: bool[], taken: string[]): JObj | null {
    const name = r.stringF(sg, SG_NAME, 1 << 16);
    const tv = r.vectorF(sg, SG_TENSORS, 4);
    if (!r.ok) return null;
    const names = new Array<string>();
    const tensors = new JArr();
    const nt: u32 = tv === null ? 0 : tv.length;
    for (let i: u32 = 0; i < nt; i++) {
      const t = r.tableAt(tv!, i);
      if (t === null) return null;
      // Names are the writer's; the index needs them unique across subgraphs.
      const raw = r.stringF(t, 3, 1 << 16);
      let nm = raw.length ? raw : "tensor_" + i.toString();
      if (g > 0) nm = (name.length ? name : "subgraph_" + g.toString()) + "/" + nm;
      const facts = readTensor(r, t, buffers, nm);
      if (facts === null) return null;
      names.push(nm);
      tensors.push(facts.json);
      const ten = facts.tensor;
      if (ten !== null) {
        if (taken.includes(ten.name)) ten.name = ten.name + "#" + i.toString();
        taken.push(ten.name);
        (<JObj>ten.info!).setInt("subgraph", g);
        (<JObj>ten.info!).setInt("tensor_index", i);
        ctx.index.tensors.push(<Tensor>ten);
      }
    }
    const nodes = new JArr();
    const ov = r.vectorF(sg, SG_OPERATORS, 4);
    if (!r.ok) return null;
    if (ov !== null) for (let i: u32 = 0; i < ov.length; i++) {
      const t = r.tableAt(ov, i);
      if (t === null) return null;
      const n = readOperator(r, t, codes, names, used);
      if (n === null) return null;
      nodes.push(n);
    }
    const ins = nameList(names, r.vectorF(sg, SG_INPUTS, 4), r, "a subgraph input", sg.pos);
    if (ins === null) return null;
    const outs = nameList(names, r.vectorF(sg, SG_OUTPUTS, 4), r, "a subgraph output", sg.pos);
    if (outs === null) return null;
    const o = new JObj();
    o.setStr("name", name);
    o.set("nodes", nodes);
    o.set("inputs", this.described(<JArr>ins, tensors, names));
    o.set("outputs", this.described(<JArr>outs, tensors, names));
    o.setInt("tensor_count", nt);
    return o;
  }

  // Input/output names -> their tensor descriptions {name, dtype, shape, ...}.
  private described(list: JArr, tensors: JArr, names: string[]): JArr {
    const a = new JArr();
    for (let i = 0; i < list.items.length; i++) {
      const n = (<JStr>list.items[i]).value;
      const k = names.indexOf(n);
      a.push(k >= 0 ? tensors.items[k] : list.items[i]);
    }
    return a;
  }

  private metadata(r: FbReader, model: FbTable, buffers: BufferRef[]): JObj | null {
    const o = new JObj();
    const v = r.vectorF(model, M_METADATA, 4);
    if (v === null) return r.ok ? o : null;
    for (let i: u32 = 0; i < v.length; i++) {
      const t = r.tableAt(v, i);
      if (t === null) return null;
      const name = r.stringF(t, MD_NAME, 4096);
      const bi = r.u32f(t, MD_BUFFER, 0);
      if (!r.ok) return null;
      const e = new JObj();
      e.setInt("buffer", bi);
      if (bi < <u32>buffers.length) {
        const b = buffers[bi];
        e.setU64("size", b.size);
        if (b.size > 0 && b.size <= META_TEXT) {
          const s = r.text(b.offset, <u32>b.size);
          if (!r.ok) return null;
          const text = trimNul(s);
          if (printable(text)) e.setStr("text", text);
        }
      } else e.setStr("error", "no such buffer");
      o.set(name.length ? name : "metadata_" + i.toString(), e);
    }
    return o;
  }

  private signatures(r: FbReader, model: FbTable, subgraphs: JArr): JArr | null {
    const a = new JArr();
    const v = r.vectorF(model, M_SIGNATURE_DEFS, 4);
    if (v === null) return r.ok ? a : null;
    for (let i: u32 = 0; i < v.length; i++) {
      const t = r.tableAt(v, i);
      if (t === null) return null;
      const o = new JObj();
      o.setStr("key", r.stringF(t, SD_KEY, 4096));
      const sgi = r.u32f(t, SD_SUBGRAPH, 0);
      o.setInt("subgraph", sgi);
      const ins = this.tensorMap(r, t, SD_INPUTS);
      const outs = this.tensorMap(r, t, SD_OUTPUTS);
      if (ins === null || outs === null || !r.ok) return null;
      o.set("inputs", ins);
      o.set("outputs", outs);
      if (sgi >= <u32>subgraphs.items.length) o.setStr("error", "no such subgraph");
      a.push(o);
    }
    return a;
  }

  private tensorMap(r: FbReader, t: FbTable, id: i32): JObj | null {
    const o = new JObj();
    const v = r.vectorF(t, id, 4);
    if (v === null) return r.ok ? o : null;
    for (let i: u32 = 0; i < v.length; i++) {
      const m = r.tableAt(v, i);
      if (m === null) return null;
      const name = r.stringF(m, TM_NAME, 4096);
      const ti = r.u32f(m, TM_TENSOR, 0);
      if (!r.ok) return null;
      o.set(name, new JInt(ti));
    }
    return o;
  }

  private opFindings(ctx: Context, codes: OpCode[], used: bool[]): void {
    for (let i = 0; i < codes.length; i++) {
      if (!used[i]) continue;
      const c = codes[i];
      if (c.kind == KIND_FLEX) {
        ctx.index.addFinding(SEV_LOW, "tflite-flex-op", "The graph uses \"" + c.name + "\", a TensorFlow operator run by the select-TF-ops (Flex) delegate: the runtime must link TensorFlow's own kernels.", c.name);
      } else if (c.kind == KIND_CUSTOM) {
        ctx.index.addFinding(SEV_MEDIUM, "tflite-custom-op", "The graph uses the custom operator \"" + c.name + "\", which no standard runtime provides: running it needs a kernel registered by the application (native code).", c.name);
      }
    }
  }
}

function trimNul(s: string): string {
  let n = s.length;
  while (n > 0 && s.charCodeAt(n - 1) == 0) n--;
  return s.substring(0, n);
}

function printable(s: string): bool {
  if (!s.length) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c == 0xfffd) return false;
  }
  return true;
}
