// Core ML neural networks (NeuralNetwork, ...Classifier, ...Regressor): layers in order, each with
// named inputs and outputs and one kind of parameters; the kinds that carry weights hold
// WeightParams (packed floats, fp16 bytes, int8 bytes, or quantized raw bytes with their
// quantization). Weights are tensors read in place from the protobuf.

import { DT_F16, DT_F32, DT_I8, DT_U8 } from "../../core/dtype";
import { E_CORRUPT, E_LIMIT } from "../../core/errors";
import { Plan, SEV_MEDIUM, Tensor } from "../../core/model";
import { WT_LEN, WT_VARINT } from "../../protobuf/wire";
import { JArr, JObj, JStr } from "../../util/json";
import { L_CUSTOM, layerKind, LayerKind } from "./schema";
import { Field, packedVarints, PbReader, PbRegion, PbWalk } from "./walk";

const MAX_LAYERS: i32 = 1 << 20;

export function readNeuralNetwork(r: PbReader, reg: PbRegion, prefix: string): JObj | null {
  const w = new PbWalk(r, reg, 1 << 24);
  const f = new Field();
  const nodes = new JArr();
  const custom = new Array<string>();
  let preprocessing = 0;
  while (w.next(f)) {
    if (f.num == 2 && f.wt == WT_LEN) preprocessing++;
    if (f.num != 1 || f.wt != WT_LEN) continue;
    if (nodes.items.length >= MAX_LAYERS) { r.fail(E_LIMIT, "more than " + MAX_LAYERS.toString() + " layers", f.pos); return null; }
    const n = layer(r, new PbRegion(reg.src, f.pos, f.len), prefix, nodes.items.length, custom);
    if (n === null) return null;
    nodes.push(n);
  }
  if (!r.ok) return null;
  const g = new JObj();
  g.set("nodes", nodes);
  if (preprocessing) g.setInt("preprocessing_count", preprocessing);
  return g;
}

function layer(r: PbReader, reg: PbRegion, prefix: string, index: i32, custom: string[]): JObj | null {
  const src = reg.src;
  const w = new PbWalk(r, reg, 1 << 16);
  const f = new Field();
  let name = "";
  const ins = new JArr();
  const outs = new JArr();
  let kind: LayerKind | null = null;
  let kindNum = 0;
  let params: PbRegion | null = null;
  while (w.next(f)) {
    if (f.wt != WT_LEN) continue;
    if (f.num == 1) name = r.text(src, f, 4096);
    else if (f.num == 2) ins.push(new JStr(r.text(src, f, 4096)));
    else if (f.num == 3) outs.push(new JStr(r.text(src, f, 4096)));
    else if (f.num >= 100) {
      if (params !== null) { r.fail(E_CORRUPT, "layer \"" + name + "\" has two kinds of parameters", f.pos); return null; }
      kindNum = f.num;
      kind = layerKind(f.num);
      params = new PbRegion(src, f.pos, f.len);
    }
  }
  if (!r.ok) return null;
  if (!name.length) name = "layer_" + index.toString();
  const o = new JObj();
  o.setStr("name", name);
  o.setStr("op_type", kind === null ? (params === null ? "none" : "layer_" + kindNum.toString()) : kind!.name);
  o.set("inputs", ins);
  o.set("outputs", outs);
  if (params === null || kind === null) return o;
  const k = kind!;
  const p = params!;
  // Shapes the weights have where the layer says them (inner product, convolution).
  let outC: u64 = 0, inC: u64 = 0;
  let ks: u64[] = [];
  let className = "";
  const pw = new PbWalk(r, p, 1 << 16);
  const pf = new Field();
  while (pw.next(pf)) {
    if (k.name == "innerProduct" && pf.wt == WT_VARINT) { if (pf.num == 1) inC = pf.value; else if (pf.num == 2) outC = pf.value; }
    else if (k.name == "convolution" && pf.wt == WT_VARINT) { if (pf.num == 1) outC = pf.value; else if (pf.num == 2) inC = pf.value; }
    else if (k.name == "convolution" && pf.num == 20) { const v = packedVarints(r, src, pf, 8); if (v === null) return null; ks = v; }
    else if (kindNum == L_CUSTOM && pf.num == 10 && pf.wt == WT_LEN) className = r.text(src, pf, 4096);
    // Weight fields, one level deep or nested once ("weightParams.inputGateWeightMatrix").
    for (let i = 0; i < k.weightFields.length; i++) {
      if (k.weightFields[i] != pf.num || pf.wt != WT_LEN) continue;
      if (k.nestedFields[i] == 0) {
        let shape: u64[] = [];
        if (k.name == "innerProduct" && k.weightNames[i] == "weights") shape = [outC, inC];
        if (k.name == "convolution" && k.weightNames[i] == "weights" && ks.length == 2) shape = [outC, inC, ks[0], ks[1]];
        if (!weight(r, new PbRegion(src, pf.pos, pf.len), prefix + name + "/" + k.weightNames[i], shape, name)) return null;
      } else {
        const nw = new PbWalk(r, new PbRegion(src, pf.pos, pf.len), 256);
        const nf = new Field();
        while (nw.next(nf)) {
          if (nf.num != k.nestedFields[i] || nf.wt != WT_LEN) continue;
          if (!weight(r, new PbRegion(src, nf.pos, nf.len), prefix + name + "/" + k.weightNames[i], [], name)) return null;
        }
        if (!r.ok) return null;
      }
    }
    if (!r.ok) return null;
  }
  if (!r.ok) return null;
  if (kindNum == L_CUSTOM) {
    o.setStr("custom_class", className);
    if (!custom.includes(className)) {
      custom.push(className);
      r.ctx.index.addFinding(SEV_MEDIUM, "coreml-custom-layer", "Layer \"" + name + "\" is a custom layer implemented by the class \"" + className + "\": Core ML runs it only through code the application supplies (native code).", prefix + name);
    }
  }
  return o;
}

// One WeightParams message -> a tensor (unless empty). `shape` is used when it matches the count.
function weight(r: PbReader, reg: PbRegion, name: string, shape: u64[], layerName: string): bool {
  const src = reg.src;
  const w = new PbWalk(r, reg, 64);
  const f = new Field();
  let dt = 0;
  let pos: u64 = 0, len: u64 = 0;
  let bits: u64 = 0;
  let kinds = 0;
  let form = "";
  while (w.next(f)) {
    if (f.num == 1 && f.wt == WT_LEN) { dt = DT_F32; pos = f.pos; len = f.len; kinds++; form = "floatValue"; }
    else if (f.num == 1) { r.fail(E_CORRUPT, "weights \"" + name + "\" store floats unpacked", f.pos); return false; }
    else if (f.num == 2 && f.wt == WT_LEN) { dt = DT_F16; pos = f.pos; len = f.len; kinds++; form = "float16Value"; }
    else if (f.num == 30 && f.wt == WT_LEN) { dt = DT_U8; pos = f.pos; len = f.len; kinds++; form = "rawValue"; }
    else if (f.num == 31 && f.wt == WT_LEN) { dt = DT_I8; pos = f.pos; len = f.len; kinds++; form = "int8RawValue"; }
    else if (f.num == 40 && f.wt == WT_LEN) {
      const qw = new PbWalk(r, new PbRegion(src, f.pos, f.len), 64);
      const qf = new Field();
      while (qw.next(qf)) if (qf.num == 1 && qf.wt == WT_VARINT) bits = qf.value;
      if (!r.ok) return false;
    }
  }
  if (!r.ok) return false;
  if (kinds > 1) { r.fail(E_CORRUPT, "weights \"" + name + "\" hold values in " + kinds.toString() + " forms at once", reg.pos); return false; }
  if (kinds == 0 || len == 0) return true;
  const elem: u64 = dt == DT_F32 ? 4 : dt == DT_F16 ? 2 : 1;
  if (len % elem != 0) { r.fail(E_CORRUPT, "weights \"" + name + "\" are " + len.toString() + " bytes, not whole " + (dt == DT_F32 ? "floats" : "halves"), pos); return false; }
  const count = len / elem;
  let sh: u64[] = [count];
  if (shape.length) {
    let prod: u64 = 1;
    for (let i = 0; i < shape.length; i++) prod *= shape[i];
    if (prod == count) sh = shape;
  }
  const t = new Tensor(name, dt, sh, len);
  const info = new JObj();
  info.setStr("layer", layerName);
  info.setStr("form", form);
  if (bits != 0) info.setInt("quantization_bits", <i64>bits);
  t.info = info;
  const plan = Plan.single(src, pos, len, dt);
  // Quantized rawValue bytes (1-8 bit codes with a linear or lookup-table map) read as stored.
  t.plan = plan;
  r.ctx.index.tensors.push(t);
  return true;
}
