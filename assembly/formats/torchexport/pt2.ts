// torch.export programs (.pt2): a zip under one folder with `archive_format` ("pt2"),
// `models/<name>.json` (the serialized ExportedProgram: graph nodes with their targets, the
// signature's input and output specs), and `data/weights/` and `data/constants/`, where a
// `<name>_weights_config.json` maps each parameter or buffer to a raw member (`path_name`) with
// its tensor_meta (dtype, sizes, strides, storage_offset). Raw members become tensors read in
// place; entries stored as pickles (use_pickle), sample inputs (a torch.save zip) and any other
// pickle are scanned like every pickle, never run.

import { Context, ST_DONE } from "../../core/context";
import { DT_BF16, DT_BOOL, DT_C128, DT_C64, DT_F16, DT_F32, DT_F64, DT_F8_E4M3, DT_F8_E4M3FNUZ, DT_F8_E5M2, DT_F8_E5M2FNUZ, DT_F8_E8M0, DT_I16, DT_I32, DT_I64, DT_I8, DT_U16, DT_U32, DT_U64, DT_U8, dtypeByteLength, shapeElements } from "../../core/dtype";
import { E_BAD_DTYPE, E_BAD_SHAPE, E_INVALID_JSON, E_INVALID_OFFSET, E_NOT_FOUND } from "../../core/errors";
import { Plan, Segment, Tensor } from "../../core/model";
import { resolveMember, ZipArchive, ZipEntry } from "../../containers/zip";
import { JArr, JBool, JKind, JObj, JStr, JValue, parseJson } from "../../util/json";
import { ZipFlavor } from "../archive/zipflavor";
import { memberBytes } from "../pickle/pytorch";
import { scanZipMember } from "../pickle/pickle";
import { zipChild } from "../archive/children";

const MAX_RANK: i32 = 64;
// torch._export.serde.schema.ScalarType -> core dtype (-1: no equivalent).
const SCALAR: i32[] = [-1, DT_U8, DT_I8, DT_I16, DT_I32, DT_I64, DT_F16, DT_F32, DT_F64, -1, DT_C64, DT_C128, DT_BOOL, DT_BF16];
function scalarDtype(code: i64): i32 {
  if (code >= 0 && code < SCALAR.length) return SCALAR[<i32>code];
  if (code == 28) return DT_U16;
  if (code == 29) return DT_F8_E4M3;
  if (code == 30) return DT_F8_E5M2;
  if (code == 31) return DT_F8_E4M3FNUZ;
  if (code == 32) return DT_F8_E5M2FNUZ;
  if (code == 33) return DT_F8_E8M0;
  if (code == 34) return DT_U32;
  if (code == 35) return DT_U64;
  return -1;
}

// The archive folder ("<name>/") holding archive_format, or null.
function pt2Prefix(a: ZipArchive): string | null {
  for (let i = 0; i < a.entries.length; i++) {
    const n = a.entries[i].name;
    if (n == "archive_format") return "";
    if (n.endsWith("/archive_format") && n.indexOf("/") == n.length - 15) return n.substring(0, n.length - 14);
  }
  return null;
}

export class Pt2Flavor extends ZipFlavor {
  get id(): string { return "torch-export"; }

  matches(a: ZipArchive): i32 {
    const pre = pt2Prefix(a);
    if (pre === null) return 0;
    for (let i = 0; i < a.entries.length; i++) {
      const n = a.entries[i].name;
      if (n.startsWith(pre + "models/") && n.endsWith(".json")) return 140;
    }
    return 0;
  }

  index(ctx: Context, a: ZipArchive): i32 {
    const pre = pt2Prefix(a)!;
    const idx = ctx.index;
    idx.format = "torch-export";
    const fmt = smallText(ctx, a, pre + "archive_format");
    const ver = smallText(ctx, a, pre + "archive_version");
    const bo = smallText(ctx, a, pre + "byteorder");
    if (ctx.pending()) return ctx.fail(0, "", 0);
    idx.formatVersion = "pt2" + (ver !== null ? " archive " + ver : "");
    const meta = idx.metadata;
    if (fmt !== null) meta.setStr("archive_format", fmt);
    if (bo !== null) meta.setStr("byteorder", bo);
    meta.setStr("archive", pre.length ? pre.substring(0, pre.length - 1) : "");
    const programs = new JObj();
    let first: JObj | null = null;
    const consumed = new Array<string>();
    for (let i = 0; i < a.entries.length; i++) {
      const e = a.entries[i];
      const n = e.name;
      if (!n.startsWith(pre + "models/") || !n.endsWith(".json") || n.substring(pre.length + 7).indexOf("/") >= 0) continue;
      const model = n.substring(pre.length + 7, n.length - 5);
      const j = readJson(ctx, a, e);
      if (j === null) return ctx.pending() ? ctx.fail(0, "", 0) : -1;
      const g = program(j);
      programs.set(model, g.summary);
      if (first === null) { first = g.graph; meta.set("inputs", g.inputs); meta.set("outputs", g.outputs); }
      consumed.push(n);
      for (let k = 0; k < 2; k++) {
        const dir = pre + (k == 0 ? "data/weights/" : "data/constants/");
        const cfg = a.find(dir + model + (k == 0 ? "_weights_config.json" : "_constants_config.json"));
        if (cfg === null) continue;
        consumed.push(cfg.name);
        const s = this.tensors(ctx, a, cfg, dir, consumed);
        if (s != ST_DONE) return s;
      }
    }
    meta.set("programs", programs);
    if (first !== null) idx.graph = first;
    // Everything else a loader could unpickle is scanned; nested zips (torch.save sample inputs)
    // are children, scanned as archives of their own.
    for (let i = 0; i < a.entries.length; i++) {
      const e = a.entries[i];
      if (e.isDir() || consumed.includes(e.name)) continue;
      const s = scanZipMember(ctx, a, e);
      if (s != ST_DONE) return s;
      if (e.name.endsWith(".pt") || e.name.endsWith(".pt2")) {
        const c = zipChild(ctx, a, e);
        if (c != ST_DONE) return c;
      }
    }
    return ST_DONE;
  }

  private tensors(ctx: Context, a: ZipArchive, cfgEntry: ZipEntry, dir: string, consumed: string[]): i32 {
    const j = readJson(ctx, a, cfgEntry);
    if (j === null) return ctx.pending() ? ctx.fail(0, "", 0) : -1;
    const root = j.asObj();
    const cfg: JObj | null = root === null ? null : root.getObj("config");
    if (cfg === null) return ctx.fail(E_INVALID_JSON, "pt2: \"" + cfgEntry.name + "\" has no \"config\" object", 0);
    for (let i = 0; i < cfg.keys.length; i++) {
      const name = cfg.keys[i];
      const o = cfg.vals[i].asObj();
      if (o === null) return ctx.fail(E_INVALID_JSON, "pt2: weight \"" + name + "\" is not an object", 0);
      const path = o.getStr("path_name");
      const tm = o.getObj("tensor_meta");
      if (path === null || tm === null) return ctx.fail(E_INVALID_JSON, "pt2: weight \"" + name + "\" has no path_name or tensor_meta", 0);
      const e = a.find(dir + path);
      if (e === null) return ctx.fail(E_NOT_FOUND, "pt2: weight \"" + name + "\" is in member \"" + dir + path + "\", which the archive does not have", 0);
      if (isTrue(o.get("use_pickle"))) {
        // A torch.save pickle: scanned with the other members, listed here.
        continue;
      }
      consumed.push(e.name);
      const code = tm.get("dtype");
      const dt = code === null || !code.isNonNegInt() ? -1 : scalarDtype(<i64>code.asU64());
      if (dt < 0) return ctx.fail(E_BAD_DTYPE, "pt2: weight \"" + name + "\" has dtype code " + (code === null ? "none" : code.asF64().toString()) + ", which has no equivalent", 0);
      const sizes = symInts(tm.getArr("sizes"));
      const strides = symInts(tm.getArr("strides"));
      const so = tm.getObj("storage_offset");
      const offset = so === null ? 0 : symInt(so);
      if (sizes === null || offset == u64.MAX_VALUE) return ctx.fail(E_BAD_SHAPE, "pt2: weight \"" + name + "\" has sizes or a storage offset that are not plain non-negative integers", 0);
      const n = shapeElements(sizes);
      const bytes = dtypeByteLength(dt, n);
      const es = dtypeByteLength(dt, 1);
      if (bytes == u64.MAX_VALUE || es == u64.MAX_VALUE || offset > u64.MAX_VALUE / es) return ctx.fail(E_BAD_SHAPE, "pt2: weight \"" + name + "\" is too large", 0);
      const start = offset * es;
      if (start > e.usize || bytes > e.usize - start) return ctx.fail(E_INVALID_OFFSET, "pt2: weight \"" + name + "\" needs " + bytes.toString() + " bytes from " + start.toString() + " of member \"" + e.name + "\", which holds " + e.usize.toString(), 0);
      const t = new Tensor(name, dt, sizes, bytes);
      const info = new JObj();
      info.setStr("member", e.name);
      info.setBool("is_param", isTrue(o.get("is_param")));
      t.info = info;
      const r = resolveMember(ctx, a, e);
      if (r != ST_DONE) return r;
      const plan = new Plan();
      plan.storage = dt;
      plan.segments.push(e.method == 0 ? Segment.raw(a.source, e.dataOffset + start, bytes) : Segment.coded(a.source, e.dataOffset, e.csize, e.codec(), start, bytes));
      if (e.method != 0 && e.method != 8) plan.unreadable = "its member is stored with zip method " + e.method.toString();
      if (strides === null || !contiguous(sizes, strides)) plan.unreadable = "it is a strided view of its storage (not C-contiguous)";
      t.plan = plan;
      ctx.index.tensors.push(t);
    }
    return ST_DONE;
  }
}

function isTrue(v: JValue | null): bool { return v !== null && v.kind == JKind.BOOL && (<JBool>v).value; }

function contiguous(sizes: u64[], strides: u64[]): bool {
  if (strides.length != sizes.length) return false;
  let want: u64 = 1;
  for (let d = sizes.length - 1; d >= 0; d--) {
    if (sizes[d] != 1 && strides[d] != want) return false;
    want *= sizes[d];
  }
  return true;
}

// {"as_int": n} -> n, MAX for symbolic or malformed values.
function symInt(o: JObj): u64 {
  const v = o.get("as_int");
  return v !== null && v.isNonNegInt() ? v.asU64() : u64.MAX_VALUE;
}

function symInts(a: JArr | null): u64[] | null {
  if (a === null || a.items.length > MAX_RANK) return null;
  const out = new Array<u64>();
  for (let i = 0; i < a.items.length; i++) {
    const o = a.items[i].asObj();
    if (o === null) return null;
    const v = symInt(o);
    if (v == u64.MAX_VALUE) return null;
    out.push(v);
  }
  return out;
}

function smallText(ctx: Context, a: ZipArchive, name: string): string | null {
  const e = a.find(name);
  if (!e || e.usize > 4096) return null;
  const mb = memberBytes(ctx, a, e);
  if (mb.status != ST_DONE) return null;
  return String.UTF8.decodeUnsafe(mb.ptr, mb.len, false).trim();
}

function readJson(ctx: Context, a: ZipArchive, e: ZipEntry): JValue | null {
  const mb = memberBytes(ctx, a, e);
  if (mb.status != ST_DONE) return null;
  const v = parseJson(mb.ptr, mb.len);
  if (v === null) { ctx.fail(E_INVALID_JSON, "pt2: member \"" + e.name + "\" is not valid JSON", 0); return null; }
  return v;
}

class Program {
  graph: JObj = new JObj();
  summary: JObj = new JObj();
  inputs: JArr = new JArr();
  outputs: JArr = new JArr();
}

// The serialized ExportedProgram -> graph JSON: nodes {op_type: target, inputs, outputs}, and the
// signature's specs as {kind, name, target}.
function program(j: JValue): Program {
  const p = new Program();
  const root = j.asObj();
  const gm: JObj | null = root === null ? null : root.getObj("graph_module");
  const g: JObj | null = gm === null ? null : gm.getObj("graph");
  const nodes = new JArr();
  const targets = new Array<string>();
  const ns: JArr | null = g === null ? null : g.getArr("nodes");
  if (ns !== null) for (let i = 0; i < ns.items.length; i++) {
    const n = ns.items[i].asObj();
    if (n === null) continue;
    const o = new JObj();
    const target = n.getStr("target");
    const op = target === null ? "?" : target;
    o.setStr("op_type", op);
    if (!targets.includes(op)) targets.push(op);
    o.set("inputs", argNames(n.getArr("inputs"), true));
    o.set("outputs", argNames(n.getArr("outputs"), false));
    nodes.push(o);
  }
  const sig: JObj | null = gm === null ? null : gm.getObj("signature");
  specs(sig === null ? null : sig.getArr("input_specs"), p.inputs);
  specs(sig === null ? null : sig.getArr("output_specs"), p.outputs);
  p.graph.set("nodes", nodes);
  p.graph.set("inputs", p.inputs);
  p.graph.set("outputs", p.outputs);
  p.summary.setInt("node_count", nodes.items.length);
  targets.sort();
  const jt = new JArr();
  for (let i = 0; i < targets.length; i++) jt.push(new JStr(targets[i]));
  p.summary.set("op_types", jt);
  if (root !== null) {
    const sv = root.getObj("schema_version");
    if (sv !== null) p.summary.set("schema_version", sv);
    const tv = root.getStr("torch_version");
    if (tv !== null) p.summary.setStr("torch_version", tv);
    const os = root.getObj("opset_version");
    if (os !== null) p.summary.set("opset_version", os);
  }
  return p;
}

// Tensor names an argument list refers to (as_tensor / as_tensors), "" for other arguments.
function argNames(a: JArr | null, named: bool): JArr {
  const out = new JArr();
  if (a === null) return out;
  for (let i = 0; i < a.items.length; i++) {
    let v = a.items[i].asObj();
    if (v === null) continue;
    if (named) { const arg = v.getObj("arg"); if (arg === null) continue; v = arg; }
    const t = v.getObj("as_tensor");
    if (t !== null) { const nm = t.getStr("name"); out.push(new JStr(nm === null ? "" : nm)); continue; }
    const ts = v.getArr("as_tensors");
    if (ts !== null) {
      for (let k = 0; k < ts.items.length; k++) { const x = ts.items[k].asObj(); const nm: string | null = x === null ? null : x.getStr("name"); out.push(new JStr(nm === null ? "" : nm)); }
    }
  }
  return out;
}

function specs(a: JArr | null, out: JArr): void {
  if (a === null) return;
  for (let i = 0; i < a.items.length; i++) {
    const s = a.items[i].asObj();
    if (s === null || s.keys.length == 0) continue;
    const kind = s.keys[0];
    const body = s.vals[0].asObj();
    const o = new JObj();
    o.setStr("kind", kind);
    if (body !== null) {
      const arg = body.getObj("arg");
      if (arg !== null) {
        let nm = arg.getStr("name");
        if (nm === null) { const t = arg.getObj("as_tensor"); if (t !== null) nm = t.getStr("name"); }
        if (nm !== null) o.setStr("name", nm);
      }
      for (let k = 0; k < body.keys.length; k++) {
        const key = body.keys[k];
        if (key.endsWith("_name")) { const v = body.vals[k].asStr(); if (v !== null) o.setStr("target", v); }
      }
    }
    out.push(o);
  }
}

