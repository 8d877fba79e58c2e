// TensorFlow.js models: `model.json` {format, modelTopology, weightsManifest: [{paths, weights:
// [{name, shape, dtype, quantization?}]}]} plus weight shards (tfjs-core io/types.ts). Per group,
// the shards concatenate into one buffer and the weights follow back to back with no padding.
// Quantized weights (uint8/uint16 affine, float16) are dequantized by the read job.
// Shard paths go through the sibling resolver (relative, inside the model's directory).

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE } from "../../core/context";
import { DT_BOOL, DT_C64, DT_F16, DT_F32, DT_I32, DT_STR, DT_U16, DT_U8, dtypeBits, dtypeName, shapeElements } from "../../core/dtype";
import { E_BAD_DTYPE, E_BAD_SHAPE, E_DUPLICATE, E_INCOMPLETE_BUFFER, E_INVALID_JSON, E_LIMIT, E_OVERFLOW } from "../../core/errors";
import { Finding, Plan, Segment, SEV_CRITICAL, SEV_HIGH, SEV_MEDIUM, Tensor } from "../../core/model";
import { foreignCallables, ForeignCallable } from "../keras/keras-callables";
import { kerasLayerNodes, layerGraph } from "../keras/keras-config";
import { checkRelativePath } from "../../core/paths";
import { JArr, JKind, JObj, JsonParseLimits, JsonParser, JStr, JValue } from "../../util/json";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE } from "../format";

const MAX_JSON: u64 = 256 * 1024 * 1024;
const MAX_WEIGHTS: i32 = 1 << 20;

function headHas(s: Sniff, key: string): bool {
  const n = s.headLen;
  const k = key.length;
  for (let i: usize = 0; i + <usize>k <= n; i++) {
    let ok = true;
    for (let j = 0; j < k; j++) if (<i32>load<u8>(s.head + i + <usize>j) != key.charCodeAt(j)) { ok = false; break; }
    if (ok) return true;
  }
  return false;
}

function dtypeOf(name: string): i32 {
  if (name == "float32") return DT_F32;
  if (name == "int32") return DT_I32;
  if (name == "bool") return DT_BOOL;
  if (name == "complex64") return DT_C64;
  if (name == "string") return DT_STR;
  if (name == "uint8") return DT_U8;
  if (name == "uint16") return DT_U16;
  if (name == "float16") return DT_F16;
  return -1;
}

class Shard {
  constructor(public src: i32, public size: u64) {}
}

export class TfjsFormat extends FormatModule {
  get id(): string { return "tfjs"; }

  sniff(s: Sniff): i32 {
    let i: usize = 0;
    while (i < s.headLen && (load<u8>(s.head + i) == 0x20 || load<u8>(s.head + i) == 0x0a || load<u8>(s.head + i) == 0x0d || load<u8>(s.head + i) == 0x09)) i++;
    if (i >= s.headLen || load<u8>(s.head + i) != 0x7b) return SNIFF_NO;
    if (headHas(s, "\"weightsManifest\"")) return SNIFF_STRUCTURE + 20;
    if (headHas(s, "\"modelTopology\"") && (headHas(s, "\"layers-model\"") || headHas(s, "\"graph-model\"") || s.name == "model.json")) return SNIFF_STRUCTURE + 15;
    return SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    if (size > MAX_JSON) return ctx.fail(E_LIMIT, "tfjs: model.json over 256 MiB", 0);
    const p = ctx.view(0, size);
    if (!p) return ctx.truncated("model.json", 0);
    const limits = new JsonParseLimits();
    limits.maxDepth = 256;
    const parser = new JsonParser(limits);
    const root = parser.parse(p, <usize>size);
    if (!root || root.kind != JKind.OBJ) return ctx.fail(E_INVALID_JSON, "tfjs: model.json is not a JSON object" + (root ? "" : ": " + parser.error), <u64>parser.errorOffset);
    const o = <JObj>root;
    const idx = ctx.index;
    idx.format = "tfjs";
    const meta = idx.metadata;
    const fmt = o.getStr("format");
    if (fmt !== null) meta.setStr("format", fmt);
    const gb = o.get("generatedBy");
    if (gb !== null) meta.set("generatedBy", gb);
    const cb = o.get("convertedBy");
    if (cb !== null) meta.set("convertedBy", cb);
    const topo = o.get("modelTopology");
    if (topo !== null) idx.graph = summarizeTopology(topo, meta, idx.findings);
    const udm = o.get("userDefinedMetadata");
    if (udm !== null) meta.set("userDefinedMetadata", udm);
    const sig = o.get("signature");
    if (sig !== null) meta.set("signature", sig);
    const wm = o.getArr("weightsManifest");
    if (wm === null) {
      if (o.has("weightsManifest")) return ctx.fail(E_INVALID_JSON, "tfjs: weightsManifest is not an array", 0);
      return ST_DONE;
    }
    const names = new Set<string>(); // a set: manifests may list a million weights
    const files = new JObj();
    for (let g = 0; g < wm.length; g++) {
      const gv = wm.at(g).asObj();
      if (gv === null) return ctx.fail(E_INVALID_JSON, "tfjs: weightsManifest[" + g.toString() + "] is not an object", 0);
      const paths = gv.getArr("paths");
      const weights = gv.getArr("weights");
      if (paths === null || weights === null) return ctx.fail(E_INVALID_JSON, "tfjs: weightsManifest[" + g.toString() + "] needs paths and weights arrays", 0);
      // The group's buffer: its shards in order.
      const shards = new Array<Shard>();
      let total: u64 = 0;
      let missing: string | null = null;
      for (let i = 0; i < paths.length; i++) {
        const ps = paths.at(i).asStr();
        if (ps === null) return ctx.fail(E_INVALID_JSON, "tfjs: a shard path is not a string", 0);
        const rule = checkRelativePath(ps);
        if (rule.length) {
          idx.findings.push(new Finding(SEV_HIGH, "path-escape", "weight shard \"" + ps + "\" " + rule + "; loading it would read outside the model's directory", ps));
          missing = "its shard path \"" + ps + "\" " + rule;
          continue;
        }
        const id = ctx.sibling(ps, "TF.js weight shard");
        if (id == SOURCE_PENDING) return ST_PENDING_;
        if (id == SOURCE_FAILED) {
          const msg = ctx.errorMessage;
          ctx.errorCode = 0;
          ctx.errorMessage = "";
          idx.findings.push(new Finding(SEV_MEDIUM, "weight-shard-missing", msg, ps));
          missing = msg;
          continue;
        }
        const sz = ctx.sourceSize(id);
        shards.push(new Shard(id, sz));
        files.setU64(ps, sz);
        total += sz;
      }
      let pos: u64 = 0;
      for (let w = 0; w < weights.length; w++) {
        if (names.size >= MAX_WEIGHTS) return ctx.fail(E_LIMIT, "tfjs: more than " + MAX_WEIGHTS.toString() + " weights", 0);
        const wv = weights.at(w).asObj();
        if (wv === null) return ctx.fail(E_INVALID_JSON, "tfjs: a weight entry is not an object", 0);
        const name = wv.getStr("name");
        if (name === null) return ctx.fail(E_INVALID_JSON, "tfjs: a weight has no name", 0);
        if (names.has(name)) return ctx.fail(E_DUPLICATE, "tfjs: weight \"" + name + "\" appears twice", 0);
        names.add(name);
        const dtName = wv.getStr("dtype");
        const dt = dtName === null ? -1 : dtypeOf(dtName);
        if (dt != DT_F32 && dt != DT_I32 && dt != DT_BOOL && dt != DT_C64 && dt != DT_STR) return ctx.fail(E_BAD_DTYPE, "tfjs: weight \"" + name + "\" has dtype \"" + (dtName !== null ? dtName : "") + "\"", 0);
        const sa = wv.getArr("shape");
        if (sa === null || sa.length > 64) return ctx.fail(E_BAD_SHAPE, "tfjs: weight \"" + name + "\" needs a shape array (at most 64 dims)", 0);
        const shape = new Array<u64>();
        for (let k = 0; k < sa.length; k++) {
          if (!sa.at(k).isNonNegInt()) return ctx.fail(E_BAD_SHAPE, "tfjs: weight \"" + name + "\" has a shape entry that is not a non-negative integer", 0);
          shape.push(sa.at(k).asU64());
        }
        const nelem = shapeElements(shape);
        if (nelem == u64.MAX_VALUE) return ctx.fail(E_OVERFLOW, "tfjs: weight \"" + name + "\" has a shape whose size overflows", 0);
        let storage = dt;
        const info = new JObj();
        info.setInt("group", g);
        info.setU64("byte_offset_in_group", pos);
        const q = wv.getObj("quantization");
        const t = new Tensor(name, dt, shape, 0);
        const plan = new Plan();
        t.plan = plan;
        t.info = info;
        if (q !== null) {
          info.set("quantization", q);
          const qn = q.getStr("dtype");
          const qd = qn === null ? -1 : dtypeOf(qn);
          if (qd != DT_U8 && qd != DT_U16 && qd != DT_F16) return ctx.fail(E_BAD_DTYPE, "tfjs: weight \"" + name + "\" has quantization dtype \"" + (qn !== null ? qn : "") + "\"", 0);
          storage = qd;
          plan.logical = dt;
          if (qd == DT_F16) {
            if (dt != DT_F32) plan.unreadable = "float16 quantization of a " + dtypeName(dt) + " weight";
          } else {
            const sc = q.get("scale");
            const mn = q.get("min");
            if (sc === null || mn === null || !sc.isNumber() || !mn.isNumber()) return ctx.fail(E_INVALID_JSON, "tfjs: weight \"" + name + "\" is affine-quantized without numeric scale and min", 0);
            plan.affine = true;
            plan.scale = sc.asF64();
            plan.bias = mn.asF64();
            if (dt != DT_F32) plan.unreadable = "affine quantization of a " + dtypeName(dt) + " weight (rounded to integers by TF.js)";
          }
        }
        plan.storage = storage;
        let bytes: u64;
        if (dt == DT_STR && q === null) {
          // Strings: per element u32 length + bytes; the size is known only by walking them.
          const sb = stringBytes(ctx, shards, pos, nelem, total);
          if (sb == u64.MAX_VALUE - 1) return ST_PENDING_;
          if (sb == u64.MAX_VALUE) return ctx.fail(E_INCOMPLETE_BUFFER, "tfjs: string weight \"" + name + "\" runs past its group's shards", 0);
          bytes = sb;
          plan.unreadable = "it holds strings";
        } else {
          const width = <u64>(dtypeBits(storage) / 8);
          if (nelem != 0 && width > u64.MAX_VALUE / nelem) return ctx.fail(E_OVERFLOW, "tfjs: weight \"" + name + "\" is too large", 0);
          bytes = nelem * width;
        }
        t.byteLength = bytes;
        if (missing === null && (bytes > total || pos > total - bytes)) return ctx.fail(E_INCOMPLETE_BUFFER, "tfjs: weight \"" + name + "\" needs bytes up to " + (pos + bytes).toString() + " of group " + g.toString() + ", whose shards hold " + total.toString(), 0);
        if (missing !== null) plan.unreadable = missing;
        else if (plan.unreadable === null) addSegments(plan, shards, pos, bytes);
        pos += bytes;
        idx.addTensor(t);
      }
      if (missing === null && pos != total) {
        return ctx.fail(E_INCOMPLETE_BUFFER, "tfjs: group " + g.toString() + "'s shards hold " + total.toString() + " bytes but its weights use " + pos.toString(), 0);
      }
    }
    meta.set("weight_files", files);
    return ST_DONE;
  }
}

const ST_PENDING_: i32 = 1;

// Segments covering [pos, pos+len) of the concatenation of `shards`.
function addSegments(plan: Plan, shards: Shard[], pos: u64, len: u64): void {
  let base: u64 = 0;
  let left = len;
  let at = pos;
  for (let i = 0; i < shards.length && left > 0; i++) {
    const s = shards[i];
    if (at < base + s.size) {
      const off = at - base;
      const n = s.size - off < left ? s.size - off : left;
      plan.segments.push(Segment.raw(s.src, off, n));
      left -= n;
      at += n;
    }
    base += s.size;
  }
}

// Bytes used by nelem strings starting at pos of the group; MAX-1 when bytes are pending, MAX when
// they run past the end.
function stringBytes(ctx: Context, shards: Shard[], pos: u64, nelem: u64, total: u64): u64 {
  let at = pos;
  for (let i: u64 = 0; i < nelem; i++) {
    if (at + 4 > total) return u64.MAX_VALUE;
    let len: u64 = 0;
    for (let k: u64 = 0; k < 4; k++) {
      const b = byteAt(ctx, shards, at + k);
      if (b < 0) return u64.MAX_VALUE - 1;
      len |= (<u64>b) << (k * 8);
    }
    at += 4 + len;
    if (at > total) return u64.MAX_VALUE;
  }
  return at - pos;
}

function byteAt(ctx: Context, shards: Shard[], at: u64): i32 {
  let base: u64 = 0;
  for (let i = 0; i < shards.length; i++) {
    const s = shards[i];
    if (at < base + s.size) {
      const p = ctx.viewOf(s.src, at - base, 1);
      return p ? <i32>load<u8>(p) : -1;
    }
    base += s.size;
  }
  return -1;
}

// Layers models: Keras JSON (class names; Lambda layers are code). Graph models: a GraphDef as
// JSON (op names), returned as the index graph in the GraphDef vocabulary ({nodes: [{name, op,
// inputs, attrs}]}) so it is drawn like a TensorFlow graph.
function summarizeTopology(topo: JValue, meta: JObj, findings: Finding[]): JValue | null {
  const o = topo.asObj();
  if (o === null) return null;
  const nodes = o.getArr("node");
  if (nodes !== null) {
    meta.setStr("topology_kind", "graph (GraphDef as JSON)");
    const ops = new Array<string>();
    const gn = new JArr();
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes.at(i).asObj();
      if (n === null) continue;
      const op = n.getStr("op");
      if (op !== null && !ops.includes(op)) ops.push(op);
      const g = new JObj();
      const name = n.getStr("name");
      g.setStr("name", name !== null ? name : "");
      g.setStr("op", op !== null ? op : "");
      const ins = n.getArr("input");
      g.set("inputs", ins !== null ? ins : new JArr());
      const attr = n.get("attr");
      g.set("attrs", attr !== null ? attr : new JObj());
      gn.push(g);
    }
    ops.sort();
    const a = new JArr();
    for (let i = 0; i < ops.length; i++) a.push(new JStr(ops[i]));
    meta.set("ops", a);
    meta.setInt("node_count", nodes.length);
    const graph = new JObj();
    graph.set("nodes", gn);
    return graph;
  }
  // objects outside Keras that tf.keras would import when this topology is converted back
  const foreign = new Array<ForeignCallable>();
  foreignCallables(topo, foreign, "", 0);
  for (let i = 0; i < foreign.length; i++) {
    const f = foreign[i];
    findings.push(new Finding(f.severity, f.severity == SEV_CRITICAL ? "keras-dangerous-callable" : "keras-foreign-object", f.message, "modelTopology:" + f.path));
  }
  // the converter's form wraps the Keras config: {keras_version, backend, model_config, training_config}
  const wrapped = o.getObj("model_config");
  const model = wrapped !== null && wrapped.getStr("class_name") !== null ? wrapped : o;
  const cls = model.getStr("class_name");
  if (cls !== null) {
    meta.setStr("topology_kind", "layers (Keras JSON)");
    meta.setStr("class_name", cls);
    const kv = o.getStr("keras_version");
    if (kv !== null) meta.setStr("keras_version", kv);
    // Lambda findings from anywhere in the topology; the classes from its layers (not from every
    // {class_name, config} object: initializers and dtype policies have that shape too)
    collectLayers(topo, new Array<string>(), 0, findings);
    const g = layersOf(model);
    const layers = new Array<string>();
    layers.push(cls);
    const nodes = g.getArr("nodes")!;
    for (let i = 0; i < nodes.length; i++) {
      const c = nodes.at(i).asObj()!.getStr("class");
      if (c !== null && c.length && !layers.includes(c)) layers.push(c);
    }
    const a = new JArr();
    for (let i = 0; i < layers.length; i++) a.push(new JStr(layers[i]));
    meta.set("layer_classes", a);
    return g;
  }
  return null;
}

// The layers as a graph, as Keras files list them ({name, class, inputs, config}).
function layersOf(model: JObj): JObj {
  const nodes = new JArr();
  kerasLayerNodes(model, nodes);
  return layerGraph(model, nodes);
}

function collectLayers(v: JValue, out: string[], depth: i32, findings: Finding[]): void {
  if (depth > 64) return;
  const o = v.asObj();
  if (o !== null) {
    const cls = o.getStr("class_name");
    if (cls !== null && o.has("config")) {
      if (!out.includes(cls)) out.push(cls);
      if (cls == "Lambda" || cls == "TFOpLambda") findings.push(new Finding(SEV_MEDIUM, "keras-lambda", "The topology has a " + cls + " layer: its function is code (TF.js cannot load it without a registered implementation).", cls));
    }
    for (let i = 0; i < o.vals.length; i++) collectLayers(o.vals[i], out, depth + 1, findings);
    return;
  }
  const a = v.asArr();
  if (a !== null) for (let i = 0; i < a.length; i++) collectLayers(a.at(i), out, depth + 1, findings);
}

export { ST_DONE };
