// Keras 3 .keras archives: a zip (members stored, so they can be range-read in place) holding
// config.json, metadata.json and model.weights.h5 (or .npz). The weights file is read as an HDF5
// file lying inside the archive: a sub-range of the zip source, never copied or inflated.

import { Context, ST_DONE } from "../../core/context";
import { decodePrefix } from "../../containers/prefix";
import { resolveMember, ZipArchive, ZipEntry } from "../../containers/zip";
import { E_INVALID_JSON, E_LIMIT } from "../../core/errors";
import { SEV_INFO, SEV_MEDIUM } from "../../core/model";
import { JObj, JStr, JValue, parseJson } from "../../util/json";
import { H5 } from "../../hdf5/file";
import { walkFile } from "../../hdf5/walk";
import { hdf5Metadata } from "../hdf5/hdf5";
import { kerasConfig, KerasInfo, mapWeights } from "./keras-config";
import { ZipFlavor } from "../archive/zipflavor";
import { zipChild } from "../archive/children";

const MAX_JSON: u64 = 64 * 1024 * 1024;

export class KerasZipFlavor extends ZipFlavor {
  get id(): string { return "keras"; }

  matches(a: ZipArchive): i32 {
    if (a.find("config.json") === null) return 0;
    if (a.find("model.weights.h5") !== null || a.find("model.weights.npz") !== null || a.find("metadata.json") !== null) return 300;
    return 0;
  }

  index(ctx: Context, a: ZipArchive): i32 {
    const idx = ctx.index;
    idx.format = "keras";
    idx.formatVersion = "keras3";
    const m = idx.metadata;
    const meta = a.find("metadata.json");
    if (meta !== null) {
      const st = readJson(ctx, a, meta);
      if (st.status != ST_DONE) return st.status;
      if (st.value !== null) {
        m.set("metadata.json", st.value!);
        if (st.value!.kind == 7) {
          const kv = (<JObj>st.value!).get("keras_version");
          if (kv !== null) m.set("keras_version", kv);
        }
      }
    }
    const info = new KerasInfo();
    const cfgE = a.find("config.json")!;
    const cs = readJson(ctx, a, cfgE);
    if (cs.status != ST_DONE) return cs.status;
    if (cs.value !== null && cs.value!.kind == 7) {
      const cfg = <JObj>cs.value!;
      const cn = cfg.get("class_name");
      if (cn !== null) m.set("config_class_name", cn);
      const mod = cfg.get("module");
      if (mod !== null) m.set("config_module", mod);
      kerasConfig(ctx, cfg, info, "config.json");
    }
    const wh = a.find("model.weights.h5");
    for (let i = 0; i < a.entries.length; i++) {
      const e = a.entries[i];
      if (e.isDir() || e.name == "config.json" || e.name == "metadata.json") continue;
      if (wh !== null && e === wh && e.method == 0 && !e.encrypted) continue;
      const st = zipChild(ctx, a, e);
      if (st != ST_DONE) return st;
    }
    if (wh === null) {
      if (a.find("model.weights.npz") !== null) {
        idx.addFinding(SEV_INFO, "keras-npz-weights", "weights are in model.weights.npz (listed as a child; open it to read them)", "model.weights.npz");
      }
      return ST_DONE;
    }
    const e = wh;
    if (e.method != 0 || e.encrypted) {
      idx.addFinding(SEV_MEDIUM, "keras-compressed-weights", "model.weights.h5 is compressed inside the archive, so it cannot be read in place (listed as a child)", e.name);
      return ST_DONE;
    }
    const rs = resolveMember(ctx, a, e);
    if (rs != ST_DONE) return rs;
    const h = new H5(ctx, a.source, e.dataOffset, e.usize);
    const w = walkFile(ctx, h, "");
    if (!w) return h.status;
    const wm = new JObj();
    hdf5Metadata(wm, h, w);
    m.set("weights_file", new JStr("model.weights.h5"));
    m.set("weights_hdf5", wm);
    mapWeights(ctx, w, "", info);
    return ST_DONE;
  }
}

class JsonRead {
  status: i32 = ST_DONE;
  value: JValue | null = null;
}

function readJson(ctx: Context, a: ZipArchive, e: ZipEntry): JsonRead {
  const r = new JsonRead();
  if (e.usize > MAX_JSON) { r.status = ctx.fail(E_LIMIT, "keras: " + e.name + " is larger than " + MAX_JSON.toString() + " bytes", e.localOffset); return r; }
  const st = resolveMember(ctx, a, e);
  if (st != ST_DONE) { r.status = st; return r; }
  const p = decodePrefix(ctx, a.source, e.dataOffset, e.csize, e.codec(), e.usize);
  if (p.status != ST_DONE) { r.status = p.status; return r; }
  const v = parseJson(p.ptr, p.len);
  if (v === null) { r.status = ctx.fail(E_INVALID_JSON, "keras: " + e.name + " is not valid JSON", e.dataOffset); return r; }
  r.value = v;
  return r;
}
