// gensim models saved with SaveLoad.save (gensim/utils.py): a pickle, with large numpy arrays
// stored beside it as "<file>.<attribute path>.npy" and listed in each saved object's
// "__numpys" attribute (sparse matrices in "__scipys" as .data/.indices/.indptr .npy files).
// The pickle itself is read by the pickle module (never executed); this module then opens the
// side arrays through the sibling resolver and adds them as tensors named by attribute path.

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE, ST_PENDING } from "../../core/context";
import { E_UNSUPPORTED } from "../../core/errors";
import { Segment, SEV_HIGH, SEV_INFO, SEV_MEDIUM, strArray } from "../../core/model";
import { JArr, JKind, JObj, JValue } from "../../util/json";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE, formatWithId } from "../format";
import { npyTensor, parseNpyHeader, NPY_MAX_HEADER } from "../numpy/npy";

const MAX_SIDE_FILES: i32 = 10000;
const MAX_DEPTH: i32 = 32;

function hasText(p: usize, n: usize, s: string): bool {
  const m = <usize>s.length;
  for (let i: usize = 0; i + m <= n; i++) {
    let ok = true;
    for (let k: usize = 0; k < m; k++) if (<i32>load<u8>(p + i + k) != s.charCodeAt(<i32>k)) { ok = false; break; }
    if (ok) return true;
  }
  return false;
}

class SideArray {
  constructor(public path: string, public attr: string) {}
}

export class GensimFormat extends FormatModule {
  get id(): string { return "gensim"; }

  // A binary pickle (protocol 2-5) that imports from gensim within its first bytes.
  sniff(s: Sniff): i32 {
    if (s.headLen < 16 || s.byte(0) != 0x80 || s.byte(1) < 2 || s.byte(1) > 5) return SNIFF_NO;
    return hasText(s.head, s.headLen < 512 ? s.headLen : 512, "gensim.") ? SNIFF_STRUCTURE + 5 : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const pickle = formatWithId("pickle");
    if (!pickle) return ctx.fail(E_UNSUPPORTED, "gensim: the pickle reader is not available", 0);
    const st = pickle.index(ctx);
    if (st != ST_DONE || ctx.errorCode != 0) return st;
    const objects = ctx.index.metadata.get("objects");
    if (!objects) return ST_DONE;
    const sides = new Array<SideArray>();
    collect(objects, "", sides, 0);
    const files = new Array<string>();
    for (let i = 0; i < sides.length && i < MAX_SIDE_FILES; i++) {
      const sa = sides[i];
      const name = sa.path.length ? sa.path + "." + sa.attr : sa.attr;
      if (!ctx.name.length) {
        ctx.index.addFinding(SEV_INFO, "gensim-side-array", "array \"" + name + "\" is stored in a side file named after the model file, whose name is not known here.", name);
        continue;
      }
      const rel = ctx.name + "." + name + ".npy";
      files.push(rel);
      const r = this.side(ctx, rel, name);
      if (r != ST_DONE) return r;
    }
    const g = new JObj();
    g.set("side_files", strArray(files));
    ctx.index.metadata.set("gensim", g);
    return ST_DONE;
  }

  private side(ctx: Context, rel: string, name: string): i32 {
    const src = ctx.sibling(rel, "gensim array file");
    if (src == SOURCE_PENDING) return ST_PENDING;
    if (src == SOURCE_FAILED) {
      // A missing side file is a finding, not a failure: the pickle itself was read.
      const why = ctx.errorMessage;
      ctx.errorCode = 0;
      ctx.errorMessage = "";
      ctx.index.addFinding(why.indexOf("outside") >= 0 || why.indexOf("absolute") >= 0 || why.indexOf("..") >= 0 ? SEV_HIGH : SEV_MEDIUM,
        "gensim-missing-array", "gensim would load array \"" + name + "\" from \"" + rel + "\": " + why, rel);
      return ST_DONE;
    }
    const size = ctx.sourceSize(src);
    const n = size < NPY_MAX_HEADER ? size : NPY_MAX_HEADER;
    const pre = ctx.viewOf(src, 0, n < 16 ? n : 16);
    if (!pre) return ctx.truncated("gensim array file \"" + rel + "\"", 0);
    let h = parseNpyHeader(pre, <usize>(n < 16 ? n : 16));
    if (h.errorCode == -1 && h.headerLength <= size) {
      const full = ctx.viewOf(src, 0, h.headerLength);
      if (!full) return ctx.truncated("gensim array file \"" + rel + "\"", 0);
      h = parseNpyHeader(full, <usize>h.headerLength);
    }
    if (h.errorCode != 0) {
      ctx.index.addFinding(SEV_MEDIUM, "gensim-bad-array", "gensim array file \"" + rel + "\" is not a valid .npy: " + h.error, rel);
      return ST_DONE;
    }
    const avail = size - h.headerLength;
    const seg = Segment.raw(src, h.headerLength, h.dataLength <= avail ? h.dataLength : avail);
    ctx.index.addTensor(npyTensor(name, h, seg));
    if (h.dataLength != u64.MAX_VALUE && h.dataLength > avail) ctx.index.addFinding(SEV_MEDIUM, "gensim-bad-array", "gensim array file \"" + rel + "\" is shorter than its header declares.", rel);
    return ST_DONE;
  }
}

// Objects of the folded pickle that list "__numpys": their attribute path (the "state" and
// "$class" levels of the folded tree are not part of gensim's names).
function collect(v: JValue, path: string, out: Array<SideArray>, depth: i32): void {
  if (depth > MAX_DEPTH || out.length >= MAX_SIDE_FILES) return;
  if (v.kind == JKind.ARR) {
    const a = <JArr>v;
    for (let i = 0; i < a.length; i++) collect(a.at(i), join(path, i.toString()), out, depth + 1);
    return;
  }
  if (v.kind != JKind.OBJ) return;
  const o = <JObj>v;
  const np = o.getArr("__numpys");
  if (np) {
    for (let i = 0; i < np.length; i++) {
      const s = np.at(i).asStr();
      if (s !== null) out.push(new SideArray(path, s));
    }
  }
  for (let i = 0; i < o.keys.length; i++) {
    const k = o.keys[i];
    if (k == "__numpys" || k == "__scipys" || k == "__ignoreds" || k == "__recursive_saveloads") continue;
    collect(o.vals[i], k == "state" || k == "$class" ? path : join(path, k), out, depth + 1);
  }
}

function join(a: string, b: string): string { return a.length ? a + "." + b : b; }
