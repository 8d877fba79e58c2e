// TensorFlow checkpoints (V2 tensor bundles): the `.index` SSTable is the entry file; values are
// in `<prefix>.data-NNNNN-of-NNNNN`. A TF1 `<prefix>.meta` MetaGraphDef and the `checkpoint`
// state file, when present beside it, are summarised in metadata. TF2 object-based checkpoints
// list the object graph's checkpoint keys.

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { JObj, JStr } from "../../util/json";
import { utf8ToString } from "../../util/bytes";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NO } from "../format";
import { readBundle, BundleResult } from "./bundle";
import { TfSink } from "./graph";
import { GraphWalk, metaGraphSummaryAt } from "./meta";
import { hasSstMagic } from "./sstable";

class CkptState {
  bundle: BundleResult | null = null;
  metaDone: bool = false;
  metaGraph: JObj | null = null;
  walk: GraphWalk = new GraphWalk();
  sink: TfSink = new TfSink();
  stateDone: bool = false;
  stateText: string | null = null;
}

export function checkpointPrefix(name: string): string {
  const n = name.length ? name : "model.index";
  return n.endsWith(".index") ? n.substring(0, n.length - 6) : n;
}

// An optional sibling: its source id, -1 pending, or -2 absent (error cleared).
export function optionalSibling(ctx: Context, rel: string, what: string): i32 {
  const id = ctx.sibling(rel, what);
  if (id == SOURCE_FAILED) {
    ctx.errorCode = 0;
    ctx.errorMessage = "";
  }
  return id;
}

// Summary of a whole-file MetaGraphDef (a TF1 `.meta`).
export function metaGraphSummary(ctx: Context, src: i32, key: string, w: GraphWalk, sink: TfSink, out: JObj): i32 {
  return metaGraphSummaryAt(ctx, src, 0, ctx.sourceSize(src), key, w, sink, out);
}

export class TfCheckpointFormat extends FormatModule {
  get id(): string { return "tf-checkpoint"; }

  sniff(s: Sniff): i32 {
    return hasSstMagic(s.tail, s.tailLen) ? SNIFF_MAGIC : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    let st: CkptState;
    if (ctx.memo.has("ckpt")) st = <CkptState>ctx.memo.get("ckpt");
    else { st = new CkptState(); ctx.memo.set("ckpt", st); }
    const prefix = checkpointPrefix(ctx.name);
    if (st.bundle === null) {
      const b = new BundleResult();
      const s = readBundle(ctx, 0, prefix, b);
      if (s != ST_DONE) return s;
      st.bundle = b;
    }
    // TF1 Saver checkpoints: the MetaGraphDef beside the index.
    if (!st.metaDone) {
      const id = optionalSibling(ctx, prefix + ".meta", "checkpoint meta graph");
      if (id == SOURCE_PENDING) return ST_PENDING;
      if (id >= 0) {
        const mg = new JObj();
        const s = metaGraphSummary(ctx, id, "ckpt:meta", st.walk, st.sink, mg);
        if (s == ST_PENDING) return s;
        if (s == ST_FAILED) {
          // A broken .meta does not make the checkpoint unreadable.
          mg.setStr("error", ctx.errorMessage);
          ctx.errorCode = 0;
          ctx.errorMessage = "";
        }
        st.metaGraph = mg;
      }
      st.metaDone = true;
    }
    if (!st.stateDone) {
      const id = optionalSibling(ctx, "checkpoint", "checkpoint state file");
      if (id == SOURCE_PENDING) return ST_PENDING;
      if (id >= 0) {
        const n = ctx.sourceSize(id);
        if (n <= 65536) {
          const p = ctx.viewOf(id, 0, n);
          if (!p && n) return ctx.pending() ? ST_PENDING : ST_DONE;
          st.stateText = utf8ToString(p, <usize>n);
        }
      }
      st.stateDone = true;
    }
    const idx = ctx.index;
    idx.format = "tf-checkpoint";
    const b = st.bundle!;
    for (let i = 0; i < b.tensors.length; i++) idx.tensors.push(b.tensors[i]);
    for (let i = 0; i < b.findings.length; i++) idx.findings.push(b.findings[i]);
    for (let i = 0; i < st.sink.findings.length; i++) idx.findings.push(st.sink.findings[i]);
    idx.metadata.set("checkpoint", b.meta);
    if (b.objectGraphKeys !== null) idx.metadata.set("object_graph", b.objectGraphKeys!);
    if (st.metaGraph !== null) idx.metadata.set("meta_graph", st.metaGraph!);
    if (st.stateText !== null) idx.metadata.set("checkpoint_state_file", new JStr(st.stateText!));
    return ST_DONE;
  }
}
