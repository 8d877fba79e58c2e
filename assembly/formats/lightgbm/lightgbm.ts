// LightGBM text models (LightGBM src/boosting/gbdt_model_text.cpp, GBDT::SaveModelToString /
// LoadModelFromString):
//   "tree" (the sub-model name), "version=v4", num_class=, num_tree_per_iteration=, label_index=,
//   max_feature_idx=, objective=, [average_output], feature_names=, feature_infos=, tree_sizes=,
//   a blank line, "Tree=0" ... blocks, "end of trees", "feature_importances:",
//   "parameters:" ... "end of parameters", the Python package's "pandas_categorical:<json>".
// A model is trees, not tensors: header, tree count, parameters and feature names are metadata.

import { Context, ST_DONE } from "../../core/context";
import { E_CORRUPT, E_INVALID_HEADER } from "../../core/errors";
import { SEV_LOW, strArray } from "../../core/model";
import { JObj, JStr, parseJson } from "../../util/json";
import { Cursor } from "../cursor";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE } from "../format";

const MAX_LINE: u64 = 64 * 1024 * 1024;
const MAX_NAMES: i32 = 1_000_000;
const MAX_SECTION_KEYS: i32 = 10000;
const HEADER_INTS: string[] = ["num_class", "num_tree_per_iteration", "label_index", "max_feature_idx"];

class LgbState {
  pos: u64 = 0;
  line: i32 = 0;
  section: i32 = 0; // 0 header, 1 trees, 2 importances, 3 parameters, 4 after
  trees: i32 = 0;
  categorical: bool = false;
  endOfTrees: bool = false;
  paramsSeen: bool = false;
  meta: JObj = new JObj();
  importances: JObj = new JObj();
  params: JObj = new JObj();
}

function lgbState(ctx: Context): LgbState {
  const key = "lightgbm:state";
  if (ctx.memo.has(key)) return changetype<LgbState>(ctx.memo.get(key));
  const st = new LgbState();
  ctx.memo.set(key, st);
  return st;
}

export class LightGBMFormat extends FormatModule {
  get id(): string { return "lightgbm"; }

  sniff(s: Sniff): i32 {
    if (!s.startsWith("tree\n") && !s.startsWith("tree\r\n")) return SNIFF_NO;
    const at: usize = s.startsWith("tree\n") ? 5 : 6;
    return s.startsWith("version=", at) ? SNIFF_STRUCTURE + 30 : SNIFF_STRUCTURE;
  }

  index(ctx: Context): i32 {
    const idx = ctx.index;
    idx.format = "lightgbm";
    // Lines are walked once: the state lives in ctx.memo and advances line by line, so a re-run
    // after a cache miss resumes at the line it stopped at.
    const st = lgbState(ctx);
    const meta = st.meta;
    idx.metadata = meta;
    const importances = st.importances;
    const params = st.params;
    const c = new Cursor(ctx, 0, st.pos);
    while (c.remaining > 0) {
      const at = c.pos;
      const n = c.until(0x0a, MAX_LINE);
      let text: string;
      if (n == -2) return ctx.fail(E_CORRUPT, "lightgbm: line " + (st.line + 1).toString() + " is longer than 64 MiB", at);
      if (n < 0) {
        if (!c.ended) return ctx.truncated("the LightGBM model text", at);
        // Last line without a newline.
        const rest = c.remaining;
        const p = c.take(rest);
        if (!p) return ctx.truncated("the LightGBM model text", at);
        text = String.UTF8.decodeUnsafe(p, <usize>rest, false);
      } else {
        text = String.UTF8.decodeUnsafe(c.lastPtr, <usize>n, false);
      }
      st.pos = c.pos;
      if (text.endsWith("\r")) text = text.substring(0, text.length - 1);
      st.line++;
      if (st.line == 1) {
        if (text != "tree") return ctx.fail(E_INVALID_HEADER, "lightgbm: the first line must be \"tree\" (the sub-model name), not \"" + clip(text) + "\"", 0);
        meta.setStr("first_line", text);
        continue;
      }
      if (text.startsWith("Tree=")) { st.section = 1; st.trees++; continue; }
      if (st.section == 0) {
        if (!text.length) continue;
        const eq = text.indexOf("=");
        if (eq < 0) { meta.setBool(text, true); continue; }
        const key = text.substring(0, eq);
        const val = text.substring(eq + 1);
        if (key == "feature_names" || key == "feature_infos") {
          // Count before splitting: a 64 MiB line must not become millions of strings.
          const count = countWords(val);
          if (count > MAX_NAMES) meta.setStr(key, count.toString() + " entries");
          else meta.set(key, strArray(val.split(" ")));
        } else if (key == "tree_sizes") {
          meta.setInt("tree_sizes_count", countWords(val));
        } else if (HEADER_INTS.includes(key)) {
          const v = I64.parseInt(val);
          meta.setInt(key, v);
        } else {
          meta.setStr(key, val);
        }
        continue;
      }
      if (text == "end of trees") { st.endOfTrees = true; st.section = 4; continue; }
      // Older files (v2) have no "end of trees": the next section header ends the trees.
      if (text == "feature_importances:" || text == "feature importances:") { st.endOfTrees = true; st.section = 2; continue; }
      if (text == "parameters:") { st.endOfTrees = true; st.section = 3; st.paramsSeen = true; continue; }
      if (st.section == 1) {
        if (text.startsWith("num_cat=") && text != "num_cat=0") st.categorical = true;
        if (!text.startsWith("pandas_categorical:")) continue;
      }
      if (text == "end of parameters") { st.section = 4; continue; }
      if (text.startsWith("pandas_categorical:")) {
        const raw = text.substring(19);
        const buf = String.UTF8.encode(raw);
        const v = parseJson(changetype<usize>(buf), <usize>buf.byteLength);
        meta.set("pandas_categorical", v ? v : new JStr(raw));
        continue;
      }
      if (st.section == 2 && text.length && importances.size < MAX_SECTION_KEYS) {
        const eq = text.lastIndexOf("=");
        if (eq > 0) importances.set(text.substring(0, eq), new JStr(text.substring(eq + 1)));
        continue;
      }
      if (st.section == 3 && text.startsWith("[") && params.size < MAX_SECTION_KEYS) {
        const colon = text.indexOf(": ");
        if (colon > 1 && text.endsWith("]")) params.set(text.substring(1, colon), new JStr(text.substring(colon + 2, text.length - 1)));
      }
    }
    if (!meta.has("version")) return ctx.fail(E_INVALID_HEADER, "lightgbm: the header has no version= line", 0);
    if (!meta.has("max_feature_idx")) return ctx.fail(E_INVALID_HEADER, "lightgbm: the header has no max_feature_idx= line (LightGBM refuses such models)", 0);
    const vs = meta.getStr("version");
    if (vs !== null) idx.formatVersion = vs;
    const mfi = meta.get("max_feature_idx");
    if (mfi) meta.setInt("num_feature", <i64>mfi.asF64() + 1);
    const names = meta.getArr("feature_names");
    if (names && mfi && <i64>names.length != <i64>mfi.asF64() + 1) {
      idx.addFinding(SEV_LOW, "feature-count", "lightgbm: feature_names lists " + names.length.toString() + " names but max_feature_idx declares " + (<i64>mfi.asF64() + 1).toString() + " features; LightGBM refuses the model.", "feature_names");
    }
    meta.setInt("num_trees", st.trees);
    meta.setBool("has_categorical_splits", st.categorical);
    meta.setBool("has_parameters_section", st.paramsSeen);
    meta.setBool("has_pandas_categorical", meta.has("pandas_categorical"));
    if (!st.endOfTrees && st.trees > 0) idx.addFinding(SEV_LOW, "truncated-model", "lightgbm: the tree section has no \"end of trees\" line; the file may be cut short.", "");
    if (importances.size) meta.set("feature_importances", importances);
    if (params.size) meta.set("parameters", params);
    return ST_DONE;
  }
}

function countWords(s: string): i32 {
  if (!s.length) return 0;
  let n = 1;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) == 0x20) n++;
  return n;
}

function clip(s: string): string { return s.length > 40 ? s.substring(0, 40) + "..." : s; }
