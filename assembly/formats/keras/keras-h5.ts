// Keras 2 (tf.keras / tf-keras) and Keras 3 legacy .h5: full models (model_config,
// training_config, model_weights/<layer>/...) and weights-only files (layer_names at the root).

import { Context, ST_DONE } from "../../core/context";
import { JObj, JStr, JValue, parseJson } from "../../util/json";
import { H5 } from "../../hdf5/file";
import { Walk } from "../../hdf5/walk";
import { kerasConfig, KerasInfo, mapWeights } from "./keras-config";

export function isKeras2(w: Walk): bool {
  if (!w.attrs.has("")) return false;
  const r = w.attrs.get("");
  return r.get("model_config") !== null || r.get("keras_version") !== null || r.get("layer_names") !== null || r.get("layer_names0") !== null || r.get("nb_layers") !== null;
}

export function jsonAttr(o: JObj, key: string): JValue | null {
  const v = o.get(key);
  if (v === null || v.kind != 5) return null;
  const s = (<JStr>v).value;
  const b = String.UTF8.encode(s);
  return parseJson(changetype<usize>(b), <usize>b.byteLength);
}

export function applyKeras2(ctx: Context, h: H5, w: Walk): i32 {
  const idx = ctx.index;
  idx.format = "keras";
  const root = w.attrs.get("");
  const m = idx.metadata;
  const kv = root.get("keras_version");
  if (kv !== null) m.set("keras_version", kv);
  const be = root.get("backend");
  if (be !== null) m.set("backend", be);
  const cfg = jsonAttr(root, "model_config");
  const tc = jsonAttr(root, "training_config");
  if (tc !== null) m.set("training_config", tc);
  const weightsRoot = cfg !== null || w.attrs.has("model_weights") ? "model_weights" : "";
  idx.formatVersion = cfg !== null ? "keras2-h5" : "keras2-weights-h5";
  const info = new KerasInfo();
  if (cfg !== null && cfg.kind == 7) kerasConfig(ctx, <JObj>cfg, info, "model_config");
  else if (cfg === null) m.set("weights_only", new JStr("true"));
  mapWeights(ctx, w, weightsRoot, info);
  return ST_DONE;
}
