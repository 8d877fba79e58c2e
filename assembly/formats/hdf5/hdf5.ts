// HDF5 (.h5, .hdf5, Keras .h5 / .weights.h5): our own reader in assembly/hdf5/. Datasets become
// tensors named by path without the leading "/"; attributes and groups go to metadata. A file
// that Keras wrote is indexed as "keras" (layer graph, versions, weights per layer).

import { Context, ST_DONE } from "../../core/context";
import { JArr, JObj, JStr, JUint } from "../../util/json";
import { strArray } from "../../core/model";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NO } from "../format";
import { H5 } from "../../hdf5/file";
import { walkFile, Walk } from "../../hdf5/walk";
import { applyKeras2, isKeras2 } from "../keras/keras-h5";

const SIG: u8[] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export class Hdf5Format extends FormatModule {
  get id(): string { return "hdf5"; }

  sniff(s: Sniff): i32 {
    if (s.startsWithBytes(SIG, 0)) return SNIFF_MAGIC;
    // A user block moves the superblock to 512, 1024, 2048 (within the sniffed head).
    for (let at: usize = 512; at + 8 <= s.headLen; at *= 2) if (s.startsWithBytes(SIG, at)) return SNIFF_MAGIC - 10;
    return SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const h = new H5(ctx, 0, 0, ctx.size);
    const w = walkFile(ctx, h, "");
    if (!w) return h.status;
    ctx.index.format = "hdf5";
    hdf5Metadata(ctx.index.metadata, h, w);
    if (isKeras2(w)) return applyKeras2(ctx, h, w);
    if (isKeras3Weights(w)) {
      // Keras 3 .weights.h5 (H5IOStore): layers/<name>/vars/<i>, vars, optimizer/vars.
      ctx.index.format = "keras";
      ctx.index.formatVersion = "keras3-weights-h5";
    }
    return ST_DONE;
  }
}

function isKeras3Weights(w: Walk): bool {
  let store = false;
  for (let i = 0; i < w.groups.length; i++) {
    const g = w.groups[i];
    if (g.indexOf("/") >= 0) continue;
    if (g == "layers" || g == "vars" || g == "_layer_checkpoint_dependencies") store = true;
    else if (g != "optimizer") return false;
  }
  return store;
}

// Superblock facts, group list and attributes of every object.
export function hdf5Metadata(m: JObj, h: H5, w: Walk): void {
  m.set("superblock_version", new JUint(<u64>h.sbVersion));
  m.set("superblock_offset", new JUint(h.sbOffset));
  m.set("groups", strArray(w.groups));
  m.set("group_count", new JUint(<u64>w.groups.length));
  const root = w.attrs.has("") ? w.attrs.get("") : new JObj();
  m.set("root_attributes", root);
  const all = new JObj();
  for (let i = 0; i < w.attrPaths.length; i++) {
    const p = w.attrPaths[i];
    if (p.length) all.set(p, w.attrs.get(p));
  }
  m.set("attributes", all);
}
