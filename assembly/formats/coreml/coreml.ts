// Core ML: a .mlmodel is a protobuf Model (specificationVersion, a description of inputs, outputs
// and metadata, and one model type: a neural network, an ML program, a pipeline of models, tree
// ensembles and the other classic kinds). A .mlpackage is a folder whose Manifest.json names the
// root item (Data/com.apple.CoreML/model.mlmodel); ML program weights live in blob files next to
// it (weights/weight.bin). The Manifest is the entry; the model and the blob file are siblings the
// core asks the host for. Neural network weights are read in place (packed floats, fp16 or int8
// bytes inside the protobuf); ML program constants from their immediate bytes or the blob file.
// Custom layers and custom models need code the app supplies and give findings.

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { E_CORRUPT, E_INVALID_HEADER, E_INVALID_JSON, E_SOURCE_MISSING, E_UNSUPPORTED } from "../../core/errors";
import { SEV_MEDIUM } from "../../core/model";
import { WT_LEN, WT_VARINT } from "../../protobuf/wire";
import { headFields, hasField } from "../../protobuf/sniff";
import { JArr, JInt, JObj, JsonParser, JStr } from "../../util/json";
import { FormatModule, Sniff, SNIFF_NAME_ONLY, SNIFF_NO, SNIFF_STRUCTURE } from "../format";
import { readNeuralNetwork } from "./neuralnet";
import { readProgram } from "./program";
import { M_DESCRIPTION, M_IS_UPDATABLE, M_SPEC_VERSION, modelTypeName, T_CUSTOM_MODEL, T_ML_PROGRAM, T_NN, T_NN_CLASSIFIER, T_NN_REGRESSOR, T_PIPELINE, T_PIPELINE_CLASSIFIER, T_PIPELINE_REGRESSOR, arrayTypeName } from "./schema";
import { Field, packedVarints, PbReader, PbRegion, PbWalk } from "./walk";

const SNIFF_MANIFEST: i32 = 75; // a JSON document with the package manifest's keys: above plain JSON
const MAX_MANIFEST: u64 = 1 << 20;
const MAX_DEPTH: i32 = 8; // pipelines of pipelines

// Where the model's relative references (blob files) start: the model file's folder.
export class ModelFiles {
  constructor(public ctx: Context, public dir: string) {}
  // Source id of a file the model names (@model_path/... or relative), or SOURCE_PENDING /
  // SOURCE_FAILED (then `missing` says why, unless the context holds a path error).
  missing: string = "";
  open(ref: string, what: string): i32 {
    let rel = ref;
    if (rel.startsWith("@model_path/")) rel = rel.substring(12);
    return this.ctx.sibling(this.dir + rel, what);
  }
}

export class CoreMLFormat extends FormatModule {
  get id(): string { return "coreml"; }

  sniff(s: Sniff): i32 {
    if (s.byte(0) == 0x7b && s.nameEndsWith(".json") || s.byte(0) == 0x7b) {
      if (headHas(s, "\"itemInfoEntries\"") && headHas(s, "\"rootModelIdentifier\"")) return SNIFF_MANIFEST;
      return SNIFF_NO;
    }
    const fs = headFields(s.head, s.headLen, s.size, 16);
    if (fs !== null && fs.length >= 2 && fs[0].num == M_SPEC_VERSION && fs[0].wt == WT_VARINT && fs[0].value >= 1 && fs[0].value <= 32) {
      const d = hasField(fs, M_DESCRIPTION);
      // The description is a message whose first field is an input (1), an output (10) or metadata (100).
      const descOk = d !== null && d.wt == WT_LEN && (d.length == 0 || load<u8>(d.ptr) == 0x0a || load<u8>(d.ptr) == 0x52 || load<u8>(d.ptr) == 0xa2);
      for (let i = 1; i < fs.length; i++) {
        if (fs[i].wt == WT_LEN && modelTypeName(fs[i].num).length && descOk) return SNIFF_STRUCTURE + 15;
      }
      if (descOk && !d!.complete) return s.nameEndsWith(".mlmodel") ? SNIFF_STRUCTURE + 5 : SNIFF_STRUCTURE - 15;
    }
    return s.nameEndsWith(".mlmodel") ? SNIFF_NAME_ONLY : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const n = ctx.size < 16 ? ctx.size : 16;
    const head = ctx.view(0, n);
    if (!head && n > 0) return ctx.truncated("the first bytes", 0);
    if (n > 0 && load<u8>(head) == 0x7b) return this.manifest(ctx);
    ctx.index.format = "coreml";
    const files = new ModelFiles(ctx, "");
    return this.model(ctx, new PbRegion(0, 0, ctx.size), files, "", ctx.index.metadata, 0);
  }

  // An .mlpackage: the Manifest names the root model file, relative to Data/.
  private manifest(ctx: Context): i32 {
    if (ctx.size > MAX_MANIFEST) return ctx.fail(E_UNSUPPORTED, "coreml: a package manifest of " + ctx.size.toString() + " bytes", 0);
    const p = ctx.view(0, ctx.size);
    if (!p) return ctx.truncated("the package manifest", 0);
    const parser = new JsonParser();
    const v = parser.parse(p, <usize>ctx.size);
    if (v === null || v.asObj() === null) return ctx.fail(E_INVALID_JSON, "coreml: Manifest.json is not a JSON object", 0);
    const o = v.asObj()!;
    const root = o.getStr("rootModelIdentifier");
    const items = o.getObj("itemInfoEntries");
    if (root === null || items === null) return ctx.fail(E_INVALID_HEADER, "coreml: Manifest.json has no rootModelIdentifier / itemInfoEntries", 0);
    const item = items.getObj(root!);
    if (item === null) return ctx.fail(E_INVALID_JSON, "coreml: the manifest's root item \"" + root! + "\" is not among its itemInfoEntries", 0);
    const path = item.getStr("path");
    if (path === null || !path.length) return ctx.fail(E_INVALID_JSON, "coreml: the manifest's root item has no path", 0);
    ctx.index.format = "coreml";
    const meta = ctx.index.metadata;
    meta.setStr("package", "mlpackage");
    const fv = o.getStr("fileFormatVersion");
    if (fv !== null) meta.setStr("package_format_version", fv);
    const list = new JArr();
    for (let i = 0; i < items.keys.length && i < 64; i++) {
      const it = items.vals[i].asObj();
      if (it === null) continue;
      const e = new JObj();
      const ip = it.getStr("path"), ia = it.getStr("author"), id = it.getStr("description");
      if (ip !== null) e.setStr("path", ip);
      if (ia !== null) e.setStr("author", ia);
      if (id !== null) e.setStr("description", id);
      list.push(e);
    }
    meta.set("package_items", list);
    const rel = "Data/" + path!;
    const src = ctx.sibling(rel, "the package's model");
    if (src == SOURCE_PENDING) return ST_PENDING;
    if (src == SOURCE_FAILED) return ST_FAILED;
    const slash = rel.lastIndexOf("/");
    const files = new ModelFiles(ctx, rel.substring(0, slash + 1));
    return this.model(ctx, new PbRegion(src, 0, ctx.sourceSize(src)), files, "", meta, 0);
  }

  // One Model message (the file's, or a pipeline member's); `prefix` names its tensors.
  model(ctx: Context, reg: PbRegion, files: ModelFiles, prefix: string, meta: JObj, depth: i32): i32 {
    const r = new PbReader(ctx, "coreml");
    const w = new PbWalk(r, reg, 1 << 16);
    const f = new Field();
    let typeNum = 0;
    let typeField: Field | null = null;
    let spec: i64 = -1;
    while (w.next(f)) {
      if (f.num == M_SPEC_VERSION && f.wt == WT_VARINT) spec = <i64>f.value;
      else if (f.num == M_DESCRIPTION && f.wt == WT_LEN) { if (!this.description(r, reg.src, f, meta)) break; }
      else if (f.num == M_IS_UPDATABLE && f.wt == WT_VARINT) meta.setBool("is_updatable", f.value != 0);
      else if (f.wt == WT_LEN && modelTypeName(f.num).length) {
        if (typeField !== null) { r.fail(E_CORRUPT, "the model has two types (" + modelTypeName(typeNum) + ", " + modelTypeName(f.num) + ")", f.pos); break; }
        typeNum = f.num;
        typeField = new Field();
        typeField!.num = f.num; typeField!.wt = f.wt; typeField!.pos = f.pos; typeField!.len = f.len;
      }
    }
    if (!r.ok) return ctx.pending() ? ST_PENDING : ST_FAILED;
    if (spec < 0) return ctx.fail(E_INVALID_HEADER, "coreml: the model has no specificationVersion", reg.pos);
    meta.setInt("specification_version", spec);
    if (depth == 0) ctx.index.formatVersion = "spec " + spec.toString();
    if (typeField === null) return ctx.fail(E_UNSUPPORTED, "coreml: the model has no type", reg.pos);
    const tf = typeField!;
    const tname = modelTypeName(typeNum);
    meta.setStr("model_type", tname);
    const sub = new PbRegion(reg.src, tf.pos, tf.len);
    if (typeNum == T_NN || typeNum == T_NN_CLASSIFIER || typeNum == T_NN_REGRESSOR) {
      const g = readNeuralNetwork(r, sub, prefix);
      if (g === null) return ctx.pending() ? ST_PENDING : ST_FAILED;
      if (depth == 0) ctx.index.graph = g;
      else meta.set("graph", g);
      meta.setInt("layer_count", (<JArr>g.get("nodes")!).items.length);
    } else if (typeNum == T_ML_PROGRAM) {
      const g = readProgram(r, sub, prefix, files, meta);
      if (g === null) return ctx.pending() ? ST_PENDING : r.ok ? ST_FAILED : ST_FAILED;
      if (depth == 0) ctx.index.graph = g;
      else meta.set("graph", g);
    } else if (typeNum == T_PIPELINE || typeNum == T_PIPELINE_CLASSIFIER || typeNum == T_PIPELINE_REGRESSOR) {
      if (depth >= MAX_DEPTH) return ctx.fail(E_CORRUPT, "coreml: pipelines nested deeper than " + MAX_DEPTH.toString(), tf.pos);
      let preg = sub;
      if (typeNum != T_PIPELINE) {
        // PipelineClassifier / PipelineRegressor wrap a Pipeline in field 1.
        const pw = new PbWalk(r, sub, 64);
        const pf = new Field();
        let found = false;
        while (pw.next(pf)) if (pf.num == 1 && pf.wt == WT_LEN) { preg = new PbRegion(sub.src, pf.pos, pf.len); found = true; }
        if (!r.ok) return ctx.pending() ? ST_PENDING : ST_FAILED;
        if (!found) preg = new PbRegion(sub.src, sub.pos, 0);
      }
      const members = new JArr();
      const mw = new PbWalk(r, preg, 1 << 12);
      const mf = new Field();
      let k = 0;
      while (mw.next(mf)) {
        if (mf.num != 1 || mf.wt != WT_LEN) continue;
        const mm = new JObj();
        const st = this.model(ctx, new PbRegion(preg.src, mf.pos, mf.len), files, prefix + "model_" + k.toString() + "/", mm, depth + 1);
        if (st != ST_DONE) return st;
        members.push(mm);
        k++;
      }
      if (!r.ok) return ctx.pending() ? ST_PENDING : ST_FAILED;
      meta.set("models", members);
      if (depth == 0) {
        const g = new JObj();
        const nodes = new JArr();
        for (let i = 0; i < members.items.length; i++) {
          const mm = <JObj>members.items[i];
          const n = new JObj();
          n.setStr("name", "model_" + i.toString());
          n.setStr("op_type", mm.getStr("model_type")!);
          n.set("inputs", names(mm.getArr("inputs")));
          n.set("outputs", names(mm.getArr("outputs")));
          nodes.push(n);
        }
        g.set("nodes", nodes);
        g.set("inputs", meta.getArr("inputs") !== null ? meta.getArr("inputs")! : new JArr());
        g.set("outputs", meta.getArr("outputs") !== null ? meta.getArr("outputs")! : new JArr());
        ctx.index.graph = g;
      }
    } else if (typeNum == T_CUSTOM_MODEL) {
      const cw = new PbWalk(r, sub, 1 << 12);
      const cf = new Field();
      let cls = "";
      while (cw.next(cf)) if (cf.num == 10 && cf.wt == WT_LEN) cls = r.text(sub.src, cf, 4096);
      if (!r.ok) return ctx.pending() ? ST_PENDING : ST_FAILED;
      meta.setStr("custom_class", cls);
      ctx.index.addFinding(SEV_MEDIUM, "coreml-custom-model", "The model is a custom model implemented by the class \"" + cls + "\": Core ML runs it only through code the application supplies (native code).", prefix.length ? prefix : cls);
    }
    return ST_DONE;
  }

  private description(r: PbReader, src: i32, d: Field, meta: JObj): bool {
    const w = new PbWalk(r, new PbRegion(src, d.pos, d.len), 1 << 16);
    const f = new Field();
    const ins = new JArr();
    const outs = new JArr();
    while (w.next(f)) {
      if ((f.num == 1 || f.num == 10) && f.wt == WT_LEN) {
        const fd = this.feature(r, src, f);
        if (fd === null) return false;
        (f.num == 1 ? ins : outs).push(fd);
      } else if (f.num == 11 && f.wt == WT_LEN) meta.setStr("predicted_feature", r.text(src, f, 4096));
      else if (f.num == 100 && f.wt == WT_LEN) {
        const mw = new PbWalk(r, new PbRegion(src, f.pos, f.len), 1 << 12);
        const mf = new Field();
        const md = new JObj();
        const user = new JObj();
        while (mw.next(mf)) {
          if (mf.wt != WT_LEN) continue;
          if (mf.num == 1) md.setStr("short_description", r.text(src, mf));
          else if (mf.num == 2) md.setStr("version", r.text(src, mf, 4096));
          else if (mf.num == 3) md.setStr("author", r.text(src, mf, 4096));
          else if (mf.num == 4) md.setStr("license", r.text(src, mf, 4096));
          else if (mf.num == 100) {
            const ew = new PbWalk(r, new PbRegion(src, mf.pos, mf.len), 8);
            const ef = new Field();
            let k = "", v = "";
            while (ew.next(ef)) { if (ef.wt != WT_LEN) continue; if (ef.num == 1) k = r.text(src, ef, 4096); else if (ef.num == 2) v = r.text(src, ef); }
            if (user.keys.length < 1024) user.setStr(k, v);
          }
        }
        if (user.keys.length) md.set("user_defined", user);
        if (md.keys.length) meta.set("metadata", md);
      }
    }
    if (!r.ok) return false;
    meta.set("inputs", ins);
    meta.set("outputs", outs);
    return true;
  }

  private feature(r: PbReader, src: i32, d: Field): JObj | null {
    const w = new PbWalk(r, new PbRegion(src, d.pos, d.len), 64);
    const f = new Field();
    const o = new JObj();
    while (w.next(f)) {
      if (f.num == 1 && f.wt == WT_LEN) o.setStr("name", r.text(src, f, 4096));
      else if (f.num == 3 && f.wt == WT_LEN) {
        const tw = new PbWalk(r, new PbRegion(src, f.pos, f.len), 64);
        const tf = new Field();
        while (tw.next(tf)) {
          if (tf.num == 1000) { o.setBool("optional", tf.value != 0); continue; }
          if (tf.wt != WT_LEN) continue;
          const kinds = ["", "int64", "double", "string", "image", "multiArray", "dictionary", "sequence", "state"];
          if (tf.num >= 1 && tf.num <= 8) o.setStr("type", kinds[tf.num]);
          if (tf.num == 5) {
            const aw = new PbWalk(r, new PbRegion(src, tf.pos, tf.len), 1 << 12);
            const af = new Field();
            const shape = new JArr();
            while (aw.next(af)) {
              if (af.num == 1) { const v = packedVarints(r, src, af, 64); if (v === null) return null; for (let i = 0; i < v.length; i++) shape.push(new JInt(<i64>v[i])); }
              else if (af.num == 2 && af.wt == WT_VARINT) o.setStr("dtype", arrayTypeName(<i32>af.value));
            }
            o.set("shape", shape);
          } else if (tf.num == 4) {
            const iw = new PbWalk(r, new PbRegion(src, tf.pos, tf.len), 64);
            const imf = new Field();
            while (iw.next(imf)) {
              if (imf.num == 1 && imf.wt == WT_VARINT) o.setInt("width", <i64>imf.value);
              else if (imf.num == 2 && imf.wt == WT_VARINT) o.setInt("height", <i64>imf.value);
            }
          }
        }
      }
    }
    return r.ok ? o : null;
  }
}

function names(a: JArr | null): JArr {
  const out = new JArr();
  if (a === null) return out;
  for (let i = 0; i < a.items.length; i++) {
    const o = a.items[i].asObj();
    let n = "";
    if (o !== null) { const s = o.getStr("name"); if (s !== null) n = s; }
    out.push(new JStr(n));
  }
  return out;
}

function headHas(s: Sniff, text: string): bool {
  const n = s.headLen;
  for (let i: usize = 0; i + <usize>text.length <= n; i++) if (s.startsWith(text, i)) return true;
  return false;
}

export { E_SOURCE_MISSING };
