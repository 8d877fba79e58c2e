// ONNX graph structure as index JSON: nodes (op type, domain, inputs, outputs, attributes),
// typed inputs/outputs, subgraphs of If/Loop/Scan attributes, and functions. Messages here are
// small and viewed whole; only the top-level graph is walked in pieces (onnx.ts).

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { E_CORRUPT, E_LIMIT } from "../../core/errors";
import { dtypeName } from "../../core/dtype";
import { Finding, Tensor, shapeArray } from "../../core/model";
import { JArr, JFloat, JInt, JNull, JObj, JStr, JUint, JValue } from "../../util/json";
import { utf8ToString } from "../../util/bytes";
import { PbError, PbField, PbMsg, subMsg, WT_I32, WT_LEN, WT_VARINT, MAX_DEPTH, readVarint, Varint } from "../../protobuf/wire";
import { onnxTensor, TensorBox } from "./tensor";
import { onnxTypeName } from "./types";

const MAX_LIST: i32 = 1024;

// What parsing a graph collects besides its JSON; kept across runs by the caller.
export class GraphSink {
  tensors: Tensor[] = [];
  findings: Finding[] = [];
  attributeTensors: JArr = new JArr();
  opTypes: string[] = [];
  domains: string[] = [];
  nodeCount: i32 = 0;
  private marks: i32[] = [0, 0, 0, 0, 0];

  mark(): void {
    this.marks = [this.tensors.length, this.findings.length, this.attributeTensors.items.length, this.opTypes.length, this.domains.length];
  }
  rollback(): void {
    this.tensors.length = this.marks[0];
    this.findings.length = this.marks[1];
    this.attributeTensors.items.length = this.marks[2];
    this.opTypes.length = this.marks[3];
    this.domains.length = this.marks[4];
  }
  addOp(op: string, domain: string): void {
    const key = domain.length && domain != "ai.onnx" ? domain + "::" + op : op;
    if (!this.opTypes.includes(key)) this.opTypes.push(key);
    const d = domain.length ? domain : "ai.onnx";
    if (!this.domains.includes(d)) this.domains.push(d);
  }
}

export class OnnxParser {
  err: PbError = new PbError();
  constructor(public ctx: Context, public src: i32, public sink: GraphSink) {}

  fail(): JValue | null {
    this.ctx.fail(this.err.code, this.err.message, this.err.offset);
    return null;
  }

  sub(f: PbField, what: string): PbMsg | null {
    const m = subMsg(f, this.err, what);
    if (m === null) this.ctx.fail(this.err.code, this.err.message, this.err.offset);
    return m;
  }

  // TypeProto -> {type, elem_type, shape} (shape entries: number, dim_param string, or null).
  typeJson(m: PbMsg, depth: i32): JObj | null {
    if (depth > MAX_DEPTH) { this.ctx.fail(E_LIMIT, "ONNX type nested deeper than " + MAX_DEPTH.toString(), m.base); return null; }
    const o = new JObj();
    const tt = m.last(1);
    const st = m.last(8);
    if (tt !== null || st !== null) {
      const tm = this.sub(tt !== null ? tt : st!, "ONNX TypeProto.tensor_type");
      if (tm === null) return null;
      o.setStr("type", tt !== null ? "tensor" : "sparse_tensor");
      o.setStr("elem_type", onnxTypeName(tm.i32v(1, 0)));
      const sf = tm.last(2);
      if (sf !== null) {
        const sm = this.sub(sf, "ONNX TensorShapeProto");
        if (sm === null) return null;
        const shape = new JArr();
        const dims = sm.all(1);
        for (let i = 0; i < dims.length; i++) {
          const dm = this.sub(dims[i], "ONNX TensorShapeProto.Dimension");
          if (dm === null) return null;
          if (dm.has(1)) shape.push(new JInt(dm.i64v(1, 0)));
          else if (dm.has(2)) shape.push(new JStr(dm.str(2)));
          else shape.push(new JNull());
        }
        o.set("shape", shape);
      }
      return o;
    }
    const seq = m.last(4);
    const opt = m.last(9);
    if (seq !== null || opt !== null) {
      const sm = this.sub(seq !== null ? seq : opt!, "ONNX TypeProto.sequence_type");
      if (sm === null) return null;
      o.setStr("type", seq !== null ? "sequence" : "optional");
      const ef = sm.last(1);
      if (ef !== null) {
        const em = this.sub(ef, "ONNX TypeProto");
        if (em === null) return null;
        const inner = this.typeJson(em, depth + 1);
        if (inner === null) return null;
        o.set("elem", inner);
      }
      return o;
    }
    const mp = m.last(5);
    if (mp !== null) {
      const mm = this.sub(mp, "ONNX TypeProto.map_type");
      if (mm === null) return null;
      o.setStr("type", "map");
      o.setStr("key_type", onnxTypeName(mm.i32v(1, 0)));
      const vf = mm.last(2);
      if (vf !== null) {
        const vm = this.sub(vf, "ONNX TypeProto");
        if (vm === null) return null;
        const inner = this.typeJson(vm, depth + 1);
        if (inner === null) return null;
        o.set("value", inner);
      }
      return o;
    }
    const op = m.last(7);
    if (op !== null) {
      const om = this.sub(op, "ONNX TypeProto.opaque_type");
      if (om === null) return null;
      o.setStr("type", "opaque");
      o.setStr("domain", om.str(1));
      o.setStr("name", om.str(2));
      return o;
    }
    o.setStr("type", "unknown");
    return o;
  }

  // ValueInfoProto -> {name, type...}
  valueInfo(f: PbField): JObj | null {
    const m = this.sub(f, "ONNX ValueInfoProto");
    if (m === null) return null;
    const o = new JObj();
    o.setStr("name", m.str(1));
    const tf = m.last(2);
    if (tf !== null) {
      const tm = this.sub(tf, "ONNX TypeProto");
      if (tm === null) return null;
      const t = this.typeJson(tm, 0);
      if (t === null) return null;
      for (let i = 0; i < t.keys.length; i++) o.set(t.keys[i], t.vals[i]);
    }
    return o;
  }

  // TensorProto in an attribute: described, listed in attribute_tensors, not a model tensor.
  attrTensor(f: PbField, node: string, attr: string): JObj | null {
    const m = this.sub(f, "ONNX attribute tensor");
    if (m === null) return null;
    const box = new TensorBox();
    const st = onnxTensor(this.ctx, this.src, m, "", this.sink.findings, box);
    if (st != ST_DONE) return null;
    const t = box.tensor!;
    const o = new JObj();
    o.setStr("node", node);
    o.setStr("attribute", attr);
    o.setStr("name", t.name);
    o.setStr("dtype", dtypeName(t.dtype));
    o.set("shape", shapeArray(t.shape));
    o.setU64("byteLength", t.byteLength);
    this.sink.attributeTensors.push(o);
    const d = new JObj();
    d.setStr("dtype", dtypeName(t.dtype));
    d.set("shape", shapeArray(t.shape));
    return d;
  }

  attribute(f: PbField, node: string, depth: i32): JValue | null {
    const m = this.sub(f, "ONNX AttributeProto");
    if (m === null) return null;
    const name = m.str(1);
    const ref = m.str(21);
    if (ref.length) { const o = new JObj(); o.setStr("ref_attr_name", ref); return o; }
    let type = m.i32v(20, 0);
    if (type == 0) {
      // Old files omit `type`: infer it from the field present.
      if (m.has(2)) type = 1; else if (m.has(3)) type = 2; else if (m.has(4)) type = 3; else if (m.has(5)) type = 4;
      else if (m.has(6)) type = 5; else if (m.has(7)) type = 6; else if (m.has(8)) type = 7; else if (m.has(9)) type = 8;
      else if (m.has(10)) type = 9; else if (m.has(11)) type = 10; else if (m.has(22)) type = 11; else if (m.has(14)) type = 13;
    }
    switch (type) {
      case 1: { const v = m.last(2); return new JFloat(v !== null ? <f64>v.f32v : 0.0); }
      case 2: return new JInt(m.i64v(3, 0));
      case 3: return new JStr(m.str(4));
      case 4: { const v = m.last(5); return v === null ? new JNull() : this.attrTensor(v, node, name); }
      case 5: { const v = m.last(6); return v === null ? new JNull() : this.subgraph(v, depth + 1); }
      case 6: return this.floats(m, 7);
      case 7: return this.ints(m, 8);
      case 8: {
        const a = new JArr();
        const s = m.strs(9);
        for (let i = 0; i < s.length && i < MAX_LIST; i++) a.push(new JStr(s[i]));
        return a;
      }
      case 9: {
        const a = new JArr();
        const items = m.all(10);
        for (let i = 0; i < items.length; i++) {
          const t = this.attrTensor(items[i], node, name);
          if (t === null) return null;
          if (i < MAX_LIST) a.push(t);
        }
        return a;
      }
      case 10: {
        const a = new JArr();
        const items = m.all(11);
        for (let i = 0; i < items.length; i++) {
          const g = this.subgraph(items[i], depth + 1);
          if (g === null) return null;
          a.push(g);
        }
        return a;
      }
      case 11: case 12: { const o = new JObj(); o.setStr("sparse_tensor", "present"); return o; }
      case 13: case 14: {
        const tf = m.last(14);
        if (tf === null) return new JNull();
        const tm = this.sub(tf, "ONNX TypeProto");
        if (tm === null) return null;
        return this.typeJson(tm, 0);
      }
    }
    return new JNull();
  }

  floats(m: PbMsg, num: i32): JArr {
    const a = new JArr();
    for (let i = 0; i < m.fields.length && a.length < MAX_LIST; i++) {
      const f = m.fields[i];
      if (f.num != num) continue;
      if (f.wt == WT_I32) a.push(new JFloat(<f64>f.f32v));
      else if (f.wt == WT_LEN) {
        for (let k: u64 = 0; k + 4 <= f.length && a.length < MAX_LIST; k += 4) a.push(new JFloat(<f64>load<f32>(f.ptr + <usize>k)));
      }
    }
    return a;
  }

  ints(m: PbMsg, num: i32): JArr {
    const a = new JArr();
    const vi = new Varint();
    for (let i = 0; i < m.fields.length && a.length < MAX_LIST; i++) {
      const f = m.fields[i];
      if (f.num != num) continue;
      if (f.wt == WT_VARINT) a.push(new JInt(<i64>f.value));
      else if (f.wt == WT_LEN) {
        let p = f.ptr;
        const end = p + <usize>f.length;
        while (p < end && a.length < MAX_LIST) {
          if (!readVarint(p, end, vi)) break;
          a.push(new JInt(<i64>vi.value));
          p = vi.next;
        }
      }
    }
    return a;
  }

  // NodeProto -> {name, op_type, domain, inputs, outputs, attributes}
  node(f: PbField, depth: i32): JObj | null {
    const m = this.sub(f, "ONNX NodeProto");
    if (m === null) return null;
    const o = new JObj();
    const name = m.str(3);
    const op = m.str(4);
    const domain = m.str(7);
    o.setStr("name", name);
    o.setStr("op_type", op);
    o.setStr("domain", domain);
    const ov = m.str(8);
    if (ov.length) o.setStr("overload", ov);
    const ins = new JArr();
    const inl = m.strs(1);
    for (let i = 0; i < inl.length; i++) ins.push(new JStr(inl[i]));
    o.set("inputs", ins);
    const outs = new JArr();
    const outl = m.strs(2);
    for (let i = 0; i < outl.length; i++) outs.push(new JStr(outl[i]));
    o.set("outputs", outs);
    const attrs = new JObj();
    const al = m.all(5);
    for (let i = 0; i < al.length; i++) {
      const am = this.sub(al[i], "ONNX AttributeProto");
      if (am === null) return null;
      const v = this.attribute(al[i], name, depth);
      if (v === null) return null;
      attrs.set(am.str(1), v);
    }
    o.set("attributes", attrs);
    this.sink.addOp(op, domain);
    this.sink.nodeCount++;
    return o;
  }

  // A graph held in an attribute (If/Loop/Scan bodies): parsed whole.
  subgraph(f: PbField, depth: i32): JObj | null {
    if (depth > MAX_DEPTH) { this.ctx.fail(E_LIMIT, "ONNX subgraphs nested deeper than " + MAX_DEPTH.toString(), f.offset); return null; }
    const m = this.sub(f, "ONNX GraphProto");
    if (m === null) return null;
    return this.graph(m, depth);
  }

  graph(m: PbMsg, depth: i32): JObj | null {
    const g = new JObj();
    g.setStr("name", m.str(2));
    const nodes = new JArr();
    const inputs = new JArr();
    const outputs = new JArr();
    const inits = new JArr();
    for (let i = 0; i < m.fields.length; i++) {
      const f = m.fields[i];
      if (f.num == 1) { const n = this.node(f, depth); if (n === null) return null; nodes.push(n); }
      else if (f.num == 11 || f.num == 12) { const v = this.valueInfo(f); if (v === null) return null; (f.num == 11 ? inputs : outputs).push(v); }
      else if (f.num == 5) {
        const tm = this.sub(f, "ONNX initializer");
        if (tm === null) return null;
        const box = new TensorBox();
        if (onnxTensor(this.ctx, this.src, tm, "", this.sink.findings, box) != ST_DONE) return null;
        this.sink.tensors.push(box.tensor!);
        inits.push(new JStr(box.tensor!.name));
      }
    }
    g.set("nodes", nodes);
    g.set("inputs", inputs);
    g.set("outputs", outputs);
    g.set("initializers", inits);
    return g;
  }

  // FunctionProto -> {name, domain, inputs, outputs, attributes, nodes}
  func(f: PbField): JObj | null {
    const m = this.sub(f, "ONNX FunctionProto");
    if (m === null) return null;
    const o = new JObj();
    o.setStr("name", m.str(1));
    o.setStr("domain", m.str(10));
    const ov = m.str(13);
    if (ov.length) o.setStr("overload", ov);
    o.set("inputs", strList(m.strs(4)));
    o.set("outputs", strList(m.strs(5)));
    o.set("attributes", strList(m.strs(6)));
    const nodes = new JArr();
    const nl = m.all(7);
    for (let i = 0; i < nl.length; i++) {
      const n = this.node(nl[i], 1);
      if (n === null) return null;
      nodes.push(n);
    }
    o.set("nodes", nodes);
    const ops = new JObj();
    const ol = m.all(9);
    for (let i = 0; i < ol.length; i++) {
      const om = this.sub(ol[i], "ONNX OperatorSetIdProto");
      if (om === null) return null;
      const d = om.str(1);
      ops.setInt(d.length ? d : "ai.onnx", om.i64v(2, 0));
    }
    o.set("opset_import", ops);
    return o;
  }
}

export function strList(items: string[]): JArr {
  const a = new JArr();
  for (let i = 0; i < items.length; i++) a.push(new JStr(items[i]));
  return a;
}

export { ST_DONE, ST_FAILED, ST_PENDING, JUint, utf8ToString, E_CORRUPT };
