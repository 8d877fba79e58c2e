// XGBoost boosters in their three saved forms (xgboost src/learner.cc, c_api.cc
// XGBoosterLoadModel):
//   JSON   {"learner": {...}, "version": [maj, min, patch]}
//   UBJSON the same document in Universal Binary JSON (the default since 2.1)
//   legacy [optional 4-byte prefix: "binf", or xgboost4j-spark's length word]
//          136-byte LearnerModelParamLegacy (f32 base_score, u32 num_feature, i32 num_class,
//          i32 contain_extra_attrs, i32 contain_eval_metrics, u32 major, u32 minor, ...),
//          dmlc strings (u64 length + bytes) objective and booster name, booster payload
//          (gbtree: GBTreeModelParam, whose first i32 is num_trees). Removed in XGBoost 3.1.
// A booster is trees, not tensors: the index carries its parameters as metadata.

import { Context, ST_DONE } from "../../core/context";
import { E_INVALID_HEADER, E_INVALID_JSON, E_LIMIT } from "../../core/errors";
import { JArr, JKind, JObj, JsonParseLimits, JsonParser, JStr, JValue } from "../../util/json";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE } from "../format";
import { UbjsonParser } from "./ubjson";

const LEGACY_PARAM_BYTES: u64 = 136;
const MAX_DOC: u64 = 256 * 1024 * 1024;
const BOOSTERS: string[] = ["gbtree", "gblinear", "dart"];

// Offset of a legacy parameter block (0 or 4), or -1: the two dmlc strings after it must be a
// printable objective name and a known booster name.
export function legacyOffset(p: usize, n: usize): i32 {
  for (let off: usize = 0; off <= 4; off += 4) {
    const s1 = off + <usize>LEGACY_PARAM_BYTES;
    if (s1 + 8 > n) return -1;
    const l1 = load<u64>(p + s1);
    if (l1 == 0 || l1 > 128 || s1 + 8 + <usize>l1 + 8 > n) continue;
    let printable = true;
    for (let i: usize = 0; i < <usize>l1; i++) {
      const c = load<u8>(p + s1 + 8 + i);
      if (c <= 0x20 || c >= 0x7f) { printable = false; break; }
    }
    if (!printable) continue;
    const s2 = s1 + 8 + <usize>l1;
    const l2 = load<u64>(p + s2);
    if (l2 < 4 || l2 > 8 || s2 + 8 + <usize>l2 > n) continue;
    const name = String.UTF8.decodeUnsafe(p + s2 + 8, <usize>l2, false);
    if (BOOSTERS.includes(name)) return <i32>off;
  }
  return -1;
}

// The first key of a UBJSON object ("{", a length marker i/U/I/l/L, the length, the key), or "".
function ubjsonFirstKey(s: Sniff): string {
  if (s.headLen < 4 || s.byte(0) != 0x7b) return "";
  const m = s.byte(1);
  const w: usize = m == 0x69 || m == 0x55 ? 1 : m == 0x49 ? 2 : m == 0x6c ? 4 : m == 0x4c ? 8 : 0;
  if (!w || <usize>2 + w > s.headLen) return "";
  let n: u64 = 0;
  for (let i: usize = 0; i < w; i++) n = (n << 8) | <u64>load<u8>(s.head + 2 + i);
  if (m == 0x69 && n > 127) return "";
  if (n == 0 || n > 32 || <usize>2 + w + <usize>n > s.headLen) return "";
  return String.UTF8.decodeUnsafe(s.head + 2 + w, <usize>n, false);
}

function firstNonSpace(s: Sniff): usize {
  let i: usize = 0;
  while (i < s.headLen) {
    const c = load<u8>(s.head + i);
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
    i++;
  }
  return i;
}

export class XGBoostFormat extends FormatModule {
  get id(): string { return "xgboost"; }

  sniff(s: Sniff): i32 {
    if (s.startsWith("binf") && legacyOffset(s.head, s.headLen) == 4) return SNIFF_STRUCTURE + 30;
    if (ubjsonFirstKey(s) == "learner" || ubjsonFirstKey(s) == "Model" || ubjsonFirstKey(s) == "Config") return SNIFF_STRUCTURE + 30;
    const i = firstNonSpace(s);
    if (i < s.headLen && load<u8>(s.head + i) == 0x7b && this.jsonHasLearner(s)) return SNIFF_STRUCTURE + 30;
    if (legacyOffset(s.head, s.headLen) >= 0) return SNIFF_STRUCTURE + 20;
    return SNIFF_NO;
  }

  private jsonHasLearner(s: Sniff): bool {
    const text = String.UTF8.decodeUnsafe(s.head, s.headLen, false);
    return text.indexOf("\"learner\":{") >= 0 || text.indexOf("\"learner\": {") >= 0;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    const hn = size < 4096 ? size : 4096;
    const head = ctx.view(0, hn);
    if (!head) return ctx.truncated("the XGBoost header", 0);
    const c0 = hn > 0 ? load<u8>(head) : 0;
    if (c0 == 0x7b && hn > 1 && load<u8>(head + 1) != 0x22 && load<u8>(head + 1) > 0x40) return this.document(ctx, true);
    let i: u64 = 0;
    while (i < hn && (load<u8>(head + <usize>i) == 0x20 || load<u8>(head + <usize>i) == 0x0a || load<u8>(head + <usize>i) == 0x0d || load<u8>(head + <usize>i) == 0x09)) i++;
    if (i < hn && load<u8>(head + <usize>i) == 0x7b) return this.document(ctx, false);
    return this.legacy(ctx, head, <usize>hn);
  }

  private document(ctx: Context, binary: bool): i32 {
    const idx = ctx.index;
    idx.format = "xgboost";
    idx.formatVersion = binary ? "ubjson" : "json";
    const size = ctx.size;
    if (size > MAX_DOC) return ctx.fail(E_LIMIT, "xgboost: a " + size.toString() + "-byte model document exceeds the 256 MiB limit", 0);
    const p = ctx.view(0, size);
    if (!p) return ctx.truncated("the XGBoost model document", 0);
    let root: JValue | null = null;
    if (binary) {
      const u = new UbjsonParser();
      root = u.parse(p, <usize>size);
      if (!root) return ctx.fail(E_INVALID_JSON, "xgboost: the UBJSON document is invalid: " + u.error + " (at byte " + u.errorOffset.toString() + ")", <u64>u.errorOffset);
    } else {
      const limits = new JsonParseLimits();
      limits.maxItems = 8_000_000;
      const j = new JsonParser(limits);
      root = j.parse(p, <usize>size);
      if (!root) return ctx.fail(E_INVALID_JSON, "xgboost: the JSON document is invalid: " + j.error + " (at byte " + j.errorOffset.toString() + ")", <u64>j.errorOffset);
    }
    const o = root.asObj();
    if (!o) return ctx.fail(E_INVALID_JSON, "xgboost: the model document is not an object", 0);
    return describeDocument(ctx, o);
  }

  private legacy(ctx: Context, head: usize, hn: usize): i32 {
    const idx = ctx.index;
    idx.format = "xgboost";
    idx.formatVersion = "legacy-binary";
    const off = legacyOffset(head, hn);
    if (off < 0) return ctx.fail(E_INVALID_HEADER, "xgboost: no legacy parameter block followed by an objective and a booster name (gbtree, gblinear, dart)", 0);
    const p = head + <usize>off;
    const meta = idx.metadata;
    meta.setBool("binf_prefix", off == 4 && load<u32>(head) == 0x666e6962);
    meta.setInt("prefix_bytes", off);
    meta.setF64("base_score", <f64>load<f32>(p));
    meta.setU64("num_feature", <u64>load<u32>(p + 4));
    meta.setInt("num_class", load<i32>(p + 8));
    meta.setBool("contain_extra_attrs", load<i32>(p + 12) != 0);
    meta.setBool("contain_eval_metrics", load<i32>(p + 16) != 0);
    const major = load<u32>(p + 20);
    const minor = load<u32>(p + 24);
    if (major != 0 || minor != 0) meta.setStr("saved_by_version", major.toString() + "." + minor.toString());
    const s1 = <usize>off + <usize>LEGACY_PARAM_BYTES;
    const l1 = <usize>load<u64>(head + s1);
    const objective = String.UTF8.decodeUnsafe(head + s1 + 8, l1, false);
    const s2 = s1 + 8 + l1;
    const l2 = <usize>load<u64>(head + s2);
    const booster = String.UTF8.decodeUnsafe(head + s2 + 8, l2, false);
    meta.setStr("objective", objective);
    meta.setStr("booster", booster);
    const b = s2 + 8 + l2;
    if ((booster == "gbtree" || booster == "dart") && b + 4 <= hn) meta.setInt("num_trees", load<i32>(head + b));
    return ST_DONE;
  }
}

// Metadata of a JSON/UBJSON booster document (also used when a .json file is classified as one).
export function describeDocument(ctx: Context, o: JObj): i32 {
  const idx = ctx.index;
  idx.format = "xgboost";
  // save_raw / pickled boosters: {"Config": {...}, "Model": {the model document}}
  const inner = o.getObj("Model");
  if (inner && inner.getObj("learner")) {
    const cfg = o.getObj("Config");
    if (cfg) idx.metadata.set("config", cfg);
    idx.metadata.setStr("document", "in-memory (Config + Model)");
    o = inner;
  }
  const learner = o.getObj("learner");
  if (!learner) return ctx.fail(E_INVALID_JSON, "xgboost: the document has no \"learner\" object", 0);
  const meta = idx.metadata;
  const ver = o.getArr("version");
  if (ver) meta.set("version", ver);
  const lmp = learner.getObj("learner_model_param");
  if (lmp) meta.set("learner_model_param", lmp);
  const obj = learner.getObj("objective");
  if (obj) {
    const name = obj.getStr("name");
    if (name !== null) meta.setStr("objective", name);
  }
  const gb = learner.getObj("gradient_booster");
  if (gb) {
    const name = gb.getStr("name");
    if (name !== null) meta.setStr("booster", name);
    const model = gb.getObj("model");
    const inner = model ? model : gbModelOfDart(gb);
    if (inner) {
      const gp = inner.getObj("gbtree_model_param");
      if (gp) {
        const nt = gp.get("num_trees");
        if (nt) meta.set("num_trees", nt);
      }
    }
  }
  copyIfSmall(meta, learner, "feature_names");
  copyIfSmall(meta, learner, "feature_types");
  const attrs = learner.getObj("attributes");
  if (attrs && attrs.size) meta.set("attributes", attrs);
  return ST_DONE;
}

function gbModelOfDart(gb: JObj): JObj | null {
  const g = gb.getObj("gbtree");
  return g ? g.getObj("model") : null;
}

function copyIfSmall(meta: JObj, from: JObj, key: string): void {
  const v = from.get(key);
  if (!v) return;
  if (v.kind == JKind.ARR && (<JArr>v).length > 10000) {
    meta.set(key, new JStr((<JArr>v).length.toString() + " entries"));
    return;
  }
  meta.set(key, v);
}
