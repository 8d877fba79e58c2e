// TensorFlow GraphDef / NodeDef / FunctionDefLibrary (graph.proto, node_def.proto,
// attr_value.proto, function.proto) as index JSON; Const nodes' `value` tensors become tensors.
// Ops that touch files, the network or Python are findings (tensorflow.md §7); the saver ops every
// SavedModel carries (SaveV2, RestoreV2, MergeV2Checkpoints...) are not.

import { Context, ST_DONE } from "../../core/context";
import { E_LIMIT } from "../../core/errors";
import { Finding, SEV_HIGH, SEV_INFO, SEV_MEDIUM, Tensor, shapeArray } from "../../core/model";
import { JArr, JBool, JFloat, JInt, JNull, JObj, JStr, JValue } from "../../util/json";
import { PbError, PbField, PbMsg, subMsg, WT_LEN, WT_VARINT, WT_I32, readVarint, Varint, MAX_DEPTH } from "../../protobuf/wire";
import { readShape, tfDtypeLabel, tfTensor, TensorOut } from "./types";

const MAX_LIST: i32 = 256;

const PYTHON_OPS: string[] = ["PyFunc", "PyFuncStateless", "EagerPyFunc", "PyCall"];
const FILE_OPS: string[] = [
  "ReadFile", "WriteFile", "ImmutableConst", "MatchingFiles", "MatchingFilesDataset", "ExperimentalMatchingFilesDataset",
  "InitializeTableFromTextFile", "InitializeTableFromTextFileV2", "Save", "SaveSlices", "DistributedSave",
];
const NETWORK_OPS: string[] = [
  "DebugIdentity", "DebugIdentityV2", "DebugIdentityV3", "RpcCall", "RpcClient", "RpcServer", "RpcServerRegister",
  "RegisterDataset", "RegisterDatasetV2", "DataServiceDataset", "DataServiceDatasetV2", "DataServiceDatasetV3", "DataServiceDatasetV4",
];
const DATASET_FILE_OPS: string[] = [
  "FixedLengthRecordDataset", "FixedLengthRecordDatasetV2", "CSVDataset", "CSVDatasetV2", "ExperimentalCSVDataset",
  "TextLineDataset", "TFRecordDataset", "TFRecordDatasetV2",
];

export class TfSink {
  tensors: Tensor[] = [];
  findings: Finding[] = [];
  ops: string[] = [];
  flagged: string[] = []; // op@where already reported
  private marks: i32[] = [0, 0, 0, 0];
  mark(): void { this.marks = [this.tensors.length, this.findings.length, this.ops.length, this.flagged.length]; }
  rollback(): void {
    this.tensors.length = this.marks[0];
    this.findings.length = this.marks[1];
    this.ops.length = this.marks[2];
    this.flagged.length = this.marks[3];
  }
}

export class TfParser {
  err: PbError = new PbError();
  // Const nodes become tensors only in the top-level graph of a frozen GraphDef.
  constTensors: bool = true;
  constructor(public ctx: Context, public src: i32, public sink: TfSink) {}

  sub(f: PbField, what: string): PbMsg | null {
    const m = subMsg(f, this.err, what);
    if (m === null) this.ctx.fail(this.err.code, this.err.message, this.err.offset);
    return m;
  }

  attrValue(m: PbMsg, depth: i32): JValue | null {
    if (depth > 8) { this.ctx.fail(E_LIMIT, "TensorFlow AttrValue nested too deeply", m.base); return null; }
    for (let i = m.fields.length - 1; i >= 0; i--) {
      const f = m.fields[i];
      switch (f.num) {
        case 2: return new JStr(f.str());
        case 3: return new JInt(<i64>f.value);
        case 4: return new JFloat(<f64>f.f32v);
        case 5: return new JBool(f.value != 0);
        case 6: return new JStr(tfDtypeLabel(<i32>f.value));
        case 7: {
          const sm = this.sub(f, "TensorShapeProto");
          if (sm === null) return null;
          const s = readShape(sm, this.err);
          if (s === null) { this.ctx.fail(this.err.code, this.err.message, this.err.offset); return null; }
          const o = new JObj();
          if (s.unknownRank) o.setBool("unknown_rank", true);
          o.set("shape", s.toJson());
          return o;
        }
        case 8: {
          const tm = this.sub(f, "TensorProto");
          if (tm === null) return null;
          const o = new JObj();
          o.setStr("dtype", tfDtypeLabel(tm.i32v(1, 0)));
          const sf = tm.last(2);
          if (sf !== null) {
            const sm = this.sub(sf, "TensorShapeProto");
            if (sm === null) return null;
            const s = readShape(sm, this.err);
            if (s !== null) o.set("shape", s.toJson());
          }
          return o;
        }
        case 9: { const o = new JObj(); o.setStr("placeholder", f.str()); return o; }
        case 10: {
          const fm = this.sub(f, "NameAttrList");
          if (fm === null) return null;
          const o = new JObj();
          o.setStr("func", fm.str(1));
          return o;
        }
        case 1: {
          const lm = this.sub(f, "AttrValue.ListValue");
          if (lm === null) return null;
          return this.list(lm);
        }
      }
    }
    return new JNull();
  }

  list(m: PbMsg): JArr {
    const a = new JArr();
    const vi = new Varint();
    for (let i = 0; i < m.fields.length && a.length < MAX_LIST; i++) {
      const f = m.fields[i];
      if (f.num == 2 && f.wt == WT_LEN) a.push(new JStr(f.str()));
      else if (f.num == 4 && f.wt == WT_I32) a.push(new JFloat(<f64>f.f32v));
      else if (f.num == 4 && f.wt == WT_LEN) { for (let k: u64 = 0; k + 4 <= f.length && a.length < MAX_LIST; k += 4) a.push(new JFloat(<f64>load<f32>(f.ptr + <usize>k))); }
      else if ((f.num == 3 || f.num == 5 || f.num == 6) && f.wt == WT_VARINT) a.push(f.num == 3 ? <JValue>new JInt(<i64>f.value) : f.num == 5 ? <JValue>new JBool(f.value != 0) : <JValue>new JStr(tfDtypeLabel(<i32>f.value)));
      else if ((f.num == 3 || f.num == 5 || f.num == 6) && f.wt == WT_LEN) {
        let p = f.ptr;
        const end = p + <usize>f.length;
        while (p < end && a.length < MAX_LIST && readVarint(p, end, vi)) {
          p = vi.next;
          a.push(f.num == 3 ? <JValue>new JInt(<i64>vi.value) : f.num == 5 ? <JValue>new JBool(vi.value != 0) : <JValue>new JStr(tfDtypeLabel(<i32>vi.value)));
        }
      } else if (f.num == 7) {
        const sm = subMsg(f, this.err, "TensorShapeProto");
        if (sm !== null) { const s = readShape(sm, this.err); if (s !== null) a.push(s.toJson()); }
      } else if (f.num == 9 && f.wt == WT_LEN) {
        const fm = subMsg(f, this.err, "NameAttrList");
        if (fm !== null) { const o = new JObj(); o.setStr("func", fm.str(1)); a.push(o); }
      }
    }
    return a;
  }

  // NodeDef -> {name, op, inputs, device, attrs}; Const values become tensors when asked.
  node(f: PbField, where: string, asTensor: bool): JObj | null {
    const m = this.sub(f, "TensorFlow NodeDef");
    if (m === null) return null;
    const name = m.str(1);
    const op = m.str(2);
    const o = new JObj();
    o.setStr("name", name);
    o.setStr("op", op);
    const ins = new JArr();
    const il = m.strs(3);
    for (let i = 0; i < il.length; i++) ins.push(new JStr(il[i]));
    o.set("inputs", ins);
    const dev = m.str(4);
    if (dev.length) o.setStr("device", dev);
    const attrs = new JObj();
    const al = m.all(5);
    let valueField: PbField | null = null;
    for (let i = 0; i < al.length; i++) {
      const em = this.sub(al[i], "NodeDef.attr entry");
      if (em === null) return null;
      const key = em.str(1);
      const vf = em.last(2);
      if (vf === null) continue;
      const vm = this.sub(vf, "AttrValue");
      if (vm === null) return null;
      if (key == "value" && (op == "Const" || op == "HostConst")) {
        const tf = vm.last(8);
        if (tf !== null) valueField = tf;
      }
      const v = this.attrValue(vm, 0);
      if (v === null) return null;
      attrs.set(key, v);
    }
    o.set("attrs", attrs);
    if (!this.sink.ops.includes(op)) this.sink.ops.push(op);
    this.checkOp(op, name, where, attrs);
    if (asTensor && valueField !== null) {
      const tm = this.sub(valueField, "TensorProto");
      if (tm === null) return null;
      const out = new TensorOut();
      if (tfTensor(this.ctx, this.src, tm, name, this.sink.findings, out) != ST_DONE) return null;
      this.sink.tensors.push(out.tensor!);
    }
    return o;
  }

  checkOp(op: string, node: string, where: string, attrs: JObj): void {
    let sev = 0;
    let code = "";
    let why = "";
    if (PYTHON_OPS.includes(op)) { sev = SEV_HIGH; code = "python-op"; why = "calls a Python function registered in the loading process (custom code outside the file)"; }
    else if (FILE_OPS.includes(op)) { sev = SEV_HIGH; code = "file-op"; why = "reads or writes files when the graph runs"; }
    else if (NETWORK_OPS.includes(op)) { sev = SEV_HIGH; code = "network-op"; why = "talks to other processes or hosts when the graph runs"; }
    else if (DATASET_FILE_OPS.includes(op)) { sev = SEV_MEDIUM; code = "file-dataset-op"; why = "reads files named at run time"; }
    else if (op == "PrintV2") {
      const os = attrs.getStr("output_stream");
      if (os !== null && os.startsWith("file://")) { sev = SEV_HIGH; code = "file-op"; why = "prints into the file " + os; }
      else { sev = SEV_INFO; code = "print-op"; why = "prints when the graph runs"; }
    }
    if (sev == 0) return;
    const key = op + "@" + where;
    if (this.sink.flagged.includes(key)) return;
    this.sink.flagged.push(key);
    this.sink.findings.push(new Finding(sev, code, "Op " + op + " (node \"" + node + "\"" + (where.length ? " in " + where : "") + ") " + why + ".", where.length ? where + "/" + node : node));
  }

  // FunctionDefLibrary -> [{name, inputs, outputs, node_count, ops}]
  library(f: PbField): JArr | null {
    const lm = this.sub(f, "FunctionDefLibrary");
    if (lm === null) return null;
    const out = new JArr();
    const fl = lm.all(1);
    for (let i = 0; i < fl.length; i++) {
      const fm = this.sub(fl[i], "FunctionDef");
      if (fm === null) return null;
      const o = new JObj();
      let fname = "";
      const sig = fm.last(1);
      if (sig !== null) {
        const sm = this.sub(sig, "OpDef");
        if (sm === null) return null;
        fname = sm.str(1);
        o.setStr("name", fname);
        o.set("inputs", argNames(this, sm.all(2)));
        o.set("outputs", argNames(this, sm.all(3)));
      }
      const nodes = fm.all(3);
      const ops = new Array<string>();
      const body = new JArr();
      for (let k = 0; k < nodes.length; k++) {
        const n = this.node(nodes[k], "function " + fname, false);
        if (n === null) return null;
        const op = n.getStr("op")!;
        if (!ops.includes(op)) ops.push(op);
        body.push(n);
      }
      ops.sort();
      o.setInt("node_count", nodes.length);
      const oa = new JArr();
      for (let k = 0; k < ops.length; k++) oa.push(new JStr(ops[k]));
      o.set("ops", oa);
      // The body, so the function can be drawn: its nodes and which node output each output
      // argument returns (FunctionDef.ret, "node:arg:index").
      o.set("nodes", body);
      const ret = new JObj();
      const rl = fm.all(4);
      for (let k = 0; k < rl.length; k++) {
        const em = this.sub(rl[k], "FunctionDef.ret entry");
        if (em === null) return null;
        ret.setStr(em.str(1), em.str(2));
      }
      o.set("ret", ret);
      out.push(o);
    }
    return out;
  }
}

function argNames(p: TfParser, args: PbField[]): JArr {
  const a = new JArr();
  for (let i = 0; i < args.length; i++) {
    const am = subMsg(args[i], p.err, "OpDef.ArgDef");
    if (am !== null) a.push(new JStr(am.str(1)));
  }
  return a;
}

export function sortedOps(ops: string[]): JArr {
  const s = ops.slice(0);
  s.sort();
  const a = new JArr();
  for (let i = 0; i < s.length; i++) a.push(new JStr(s[i]));
  return a;
}

export { shapeArray, MAX_DEPTH, Context };
