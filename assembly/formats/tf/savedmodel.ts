// TensorFlow SavedModel directories: `saved_model.pb` (SavedModel {1 schema version,
// 2 meta_graphs*}) is the entry file; the variables bundle (`variables/variables.index` + data
// shards) gives the tensors; `fingerprint.pb` and `keras_metadata.pb` are read when present.
// Op findings cover the graph and every library function (TF2 keeps computation in functions).

import { Context, SOURCE_PENDING, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { E_CORRUPT, E_INVALID_HEADER } from "../../core/errors";
import { Finding, SEV_HIGH } from "../../core/model";
import { JArr, JObj, JStr, JUint } from "../../util/json";
import { bytesEqualAscii } from "../../util/bytes";
import { ScanResult, scanFields } from "../../protobuf/scan";
import { headFields, fieldsAllowed } from "../../protobuf/sniff";
import { PbError, PbField, parseMsg, subMsg, WT_LEN } from "../../protobuf/wire";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE } from "../format";
import { BundleResult, readBundle } from "./bundle";
import { TfSink } from "./graph";
import { GraphWalk, metaGraphSummaryAt } from "./meta";
import { optionalSibling } from "./checkpoint";

export function savedModelScore(head: usize, len: usize, size: u64, name: string): i32 {
  const fs = headFields(head, len, size, 8);
  if (fs === null || fs.length < 2 || !fieldsAllowed(fs, "1:0,2:2")) return 0;
  if (fs[0].num != 1 || fs[0].value != 1 || fs[1].num != 2) return 0;
  // meta_graphs[0] starts with one of MetaGraphDef's fields 1..7, all length-delimited.
  const mg = fs[1];
  if (mg.length == 0) return 0;
  if (<usize>mg.ptr < head + len) {
    const t = load<u8>(mg.ptr);
    if ((t & 7) != 2 || (t >> 3) < 1 || (t >> 3) > 7) return 0;
  }
  return SNIFF_STRUCTURE + 10 + (name == "saved_model.pb" ? 10 : 0);
}

class MgState {
  walk: GraphWalk = new GraphWalk();
  sink: TfSink = new TfSink();
  info: JObj | null = null;
}

class SmState {
  mgs: MgState[] = [];
  bundleDone: bool = false;
  bundle: BundleResult | null = null;
  fingerprintDone: bool = false;
  fingerprint: JObj | null = null;
  kerasDone: bool = false;
  kerasFindings: Finding[] = [];
  kerasNodes: i32 = -1;
}

export class TfSavedModelFormat extends FormatModule {
  get id(): string { return "tf-savedmodel"; }

  sniff(s: Sniff): i32 {
    const k = savedModelScore(s.head, s.headLen, s.size, s.name);
    return k > 0 ? k : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    let st: SmState;
    if (ctx.memo.has("sm")) st = <SmState>ctx.memo.get("sm");
    else { st = new SmState(); ctx.memo.set("sm", st); }
    const res = new ScanResult();
    let s = scanFields(ctx, "sm:top", 0, 0, ctx.size, "SavedModel", 1 << 16, res);
    if (s != ST_DONE) return s;
    const fields = res.scan!.fields;
    let schema: u64 = 0;
    const mgFields = new Array<PbField>();
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.num == 1) schema = f.value;
      else if (f.num == 2) {
        if (f.wt != WT_LEN) return ctx.fail(E_CORRUPT, "SavedModel: meta_graphs has the wrong wire type", f.tagOffset);
        mgFields.push(f);
      }
    }
    if (mgFields.length == 0) return ctx.fail(E_INVALID_HEADER, "SavedModel: no meta graph", 0);
    while (st.mgs.length < mgFields.length) st.mgs.push(new MgState());
    const mgs = new JArr();
    for (let i = 0; i < mgFields.length; i++) {
      const m = st.mgs[i];
      if (m.info === null) {
        const out = new JObj();
        const sub = new MetaSource(ctx, mgFields[i]);
        s = sub.summary("sm:mg:" + i.toString(), m, out);
        if (s != ST_DONE) return s;
        m.info = out;
      }
      mgs.push(m.info!);
    }
    if (!st.bundleDone) {
      const id = optionalSibling(ctx, "variables/variables.index", "SavedModel variables index");
      if (id == SOURCE_PENDING) return ST_PENDING;
      if (id >= 0) {
        const b = new BundleResult();
        s = readBundle(ctx, id, "variables/variables", b);
        if (s != ST_DONE) return s;
        st.bundle = b;
      }
      st.bundleDone = true;
    }
    if (!st.fingerprintDone) {
      const id = optionalSibling(ctx, "fingerprint.pb", "SavedModel fingerprint");
      if (id == SOURCE_PENDING) return ST_PENDING;
      if (id >= 0) {
        s = readFingerprint(ctx, id, st);
        if (s != ST_DONE) return s;
      }
      st.fingerprintDone = true;
    }
    if (!st.kerasDone) {
      const id = optionalSibling(ctx, "keras_metadata.pb", "Keras metadata");
      if (id == SOURCE_PENDING) return ST_PENDING;
      if (id >= 0) {
        s = readKerasMetadata(ctx, id, st);
        if (s != ST_DONE) return s;
      }
      st.kerasDone = true;
    }
    const idx = ctx.index;
    idx.format = "tf-savedmodel";
    const meta = idx.metadata;
    meta.set("saved_model_schema_version", new JUint(schema));
    meta.set("meta_graphs", mgs);
    for (let i = 0; i < st.mgs.length; i++) {
      const f = st.mgs[i].sink.findings;
      for (let k = 0; k < f.length; k++) idx.findings.push(f[k]);
    }
    const b = st.bundle;
    if (b !== null) {
      for (let i = 0; i < b.tensors.length; i++) idx.tensors.push(b.tensors[i]);
      for (let i = 0; i < b.findings.length; i++) idx.findings.push(b.findings[i]);
      meta.set("checkpoint", b.meta);
      if (b.objectGraphKeys !== null) meta.set("object_graph", b.objectGraphKeys!);
    }
    if (st.fingerprint !== null) meta.set("fingerprint", st.fingerprint!);
    if (st.kerasNodes >= 0) meta.setInt("keras_metadata_nodes", st.kerasNodes);
    for (let i = 0; i < st.kerasFindings.length; i++) idx.findings.push(st.kerasFindings[i]);
    const listing = ctx.listing;
    if (listing !== null) {
      const assets = new JArr();
      for (let i = 0; i < listing.length; i++) if (listing[i].startsWith("assets/") || listing[i].startsWith("assets.extra/")) assets.push(new JStr(listing[i]));
      if (assets.length) meta.set("asset_files", assets);
    }
    const g = new JObj();
    const graphs = new JArr();
    for (let i = 0; i < st.mgs.length; i++) {
      const o = new JObj();
      o.set("nodes", st.mgs[i].walk.nodes);
      o.set("functions", st.mgs[i].walk.functions);
      graphs.push(o);
    }
    g.set("meta_graphs", graphs);
    idx.graph = g;
    return ST_DONE;
  }
}

// A meta graph embedded in saved_model.pb, summarised like a standalone MetaGraphDef.
class MetaSource {
  constructor(public ctx: Context, public f: PbField) {}
  summary(key: string, m: MgState, out: JObj): i32 {
    // The meta graph occupies [f.offset, f.offset + f.length) of the main file: walk it in place.
    return metaGraphSummaryAt(this.ctx, 0, this.f.offset, this.f.length, key, m.walk, m.sink, out);
  }
}

// FingerprintDef: 1..5 uint64 hashes, 6 version, 7 uuid.
function readFingerprint(ctx: Context, id: i32, st: SmState): i32 {
  const n = ctx.sourceSize(id);
  if (n > 65536) return ST_DONE;
  const p = ctx.viewOf(id, 0, n);
  if (!p && n) return ctx.truncated("fingerprint.pb", 0);
  const err = new PbError();
  const m = parseMsg(p, <usize>n, 0, err, "FingerprintDef");
  if (m === null) return ctx.fail(err.code, err.message, err.offset);
  const o = new JObj();
  const names = ["", "saved_model_checksum", "graph_def_program_hash", "signature_def_hash", "saved_object_graph_hash", "checkpoint_hash"];
  for (let k = 1; k <= 5; k++) if (m.has(k)) o.set(names[k], new JUint(m.u64v(k, 0)));
  const uuid = m.str(7);
  if (uuid.length) o.setStr("uuid", uuid);
  st.fingerprint = o;
  return ST_DONE;
}

// SavedMetadata {1 nodes* {5 metadata JSON}}: Lambda layers carry Python bytecode.
function readKerasMetadata(ctx: Context, id: i32, st: SmState): i32 {
  const n = ctx.sourceSize(id);
  if (n > 64 * 1024 * 1024) return ST_DONE;
  const p = ctx.viewOf(id, 0, n);
  if (!p && n) return ctx.truncated("keras_metadata.pb", 0);
  const err = new PbError();
  const m = parseMsg(p, <usize>n, 0, err, "SavedMetadata");
  if (m === null) return ctx.fail(err.code, err.message, err.offset);
  const nodes = m.all(1);
  st.kerasNodes = nodes.length;
  for (let i = 0; i < nodes.length; i++) {
    const nm = subMsg(nodes[i], err, "SavedObject metadata");
    if (nm === null) continue;
    const js = nm.str(5);
    if (js.indexOf("\"class_name\": \"Lambda\"") >= 0 || js.indexOf("\"class_name\":\"Lambda\"") >= 0) {
      st.kerasFindings.push(new Finding(SEV_HIGH, "keras-lambda", "Keras metadata describes a Lambda layer (node " + nm.str(3) + "): its Python function is stored as code that Keras runs when it rebuilds the model.", nm.str(3)));
    }
  }
  return ST_DONE;
}

export { bytesEqualAscii };
