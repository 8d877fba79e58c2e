// Keras model configs (Keras 2 `model_config`, Keras 3 `config.json`): the layer graph with its
// connections, findings for code-carrying layers (Lambda: marshal-ed bytecode) and classes that
// are not Keras's own, and the mapping of stored weights back to layer names.

import { Context } from "../../core/context";
import { JArr, JBool, JObj, JStr, JUint, JValue } from "../../util/json";
import { SEV_CRITICAL, SEV_HIGH, SEV_MEDIUM, strArray } from "../../core/model";
import { foreignCallables, ForeignCallable } from "./keras-callables";
import { Walk } from "../../hdf5/walk";

const MAX_NESTING: i32 = 16;
const MAX_FINDINGS: i32 = 64;

// Layer and model classes Keras 2/3 ship (anything else is custom code the loader must import).
const KNOWN: string[] = [
  "Model", "Functional", "Sequential", "InputLayer", "Dense", "EinsumDense", "Activation", "Dropout", "SpatialDropout1D",
  "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise", "AlphaDropout", "Flatten", "Reshape",
  "Permute", "RepeatVector", "Masking", "Embedding", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
  "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D", "Convolution1D",
  "Convolution2D", "Convolution3D", "Deconvolution2D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
  "AveragePooling2D", "AveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
  "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
  "GlobalAveragePooling3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "ZeroPadding1D",
  "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D",
  "UpSampling3D", "LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "TimeDistributed", "ConvLSTM1D", "ConvLSTM2D",
  "ConvLSTM3D", "LSTMCell", "GRUCell", "SimpleRNNCell", "StackedRNNCells", "CuDNNLSTM", "CuDNNGRU", "BatchNormalization",
  "LayerNormalization", "GroupNormalization", "UnitNormalization", "SyncBatchNormalization", "RMSNormalization",
  "Normalization", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "ReLU", "LeakyReLU",
  "PReLU", "ELU", "ThresholdedReLU", "Softmax", "MultiHeadAttention", "Attention", "AdditiveAttention",
  "GroupQueryAttention", "Rescaling", "Resizing", "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom",
  "RandomTranslation", "RandomContrast", "RandomCrop", "RandomBrightness", "RandomHeight", "RandomWidth",
  "CategoryEncoding", "Hashing", "HashedCrossing", "Discretization", "StringLookup", "IntegerLookup", "TextVectorization",
  "ActivityRegularization", "Identity", "Wrapper", "Functional", "Cropping", "Bidirectional", "Lambda", "__lambda__",
  "TFSMLayer", // a Keras layer, reported on its own (keras-tfsm-layer): what it loads is outside the file
];

export class KerasInfo {
  classes: string[] = [];
  lambda: bool = false;
  // Keras 3 weight-store names (snake_case class name with a counter) -> layer names.
  storeNames: Map<string, string> = new Map<string, string>();
  storeCounts: Map<string, i32> = new Map<string, i32>();
  findings: i32 = 0;
}

function str(o: JObj, key: string): string | null {
  const v = o.get(key);
  return v !== null && v.kind == 5 ? (<JStr>v).value : null;
}

// Keras's to_snake_case for store paths.
export function snakeCase(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    if (upper && i > 0) {
      const prev = name.charCodeAt(i - 1);
      const next = i + 1 < name.length ? name.charCodeAt(i + 1) : 0;
      const prevLowerOrDigit = (prev >= 97 && prev <= 122) || (prev >= 48 && prev <= 57);
      const nextLower = next >= 97 && next <= 122;
      if (prevLowerOrDigit || ((prev >= 65 && prev <= 90) && nextLower)) out += "_";
    }
    out += upper ? String.fromCharCode(c + 32) : String.fromCharCode(c);
  }
  return out;
}

// Parses a model config into ctx.index.graph and metadata; adds findings.
export function kerasConfig(ctx: Context, cfg: JObj, info: KerasInfo, where: string): void {
  const m = ctx.index.metadata;
  const cls = str(cfg, "class_name");
  if (cls !== null) m.set("model_class", new JStr(cls));
  const mod = str(cfg, "module");
  if (mod !== null) m.set("model_module", new JStr(mod));
  const nodes = new JArr();
  checkClass(ctx, cfg, info, cls !== null ? cls : "model", where);
  walkModel(ctx, cfg, info, nodes, "", 0, where);
  const foreign = new Array<ForeignCallable>();
  foreignCallables(cfg, foreign, "", 0);
  for (let i = 0; i < foreign.length; i++) {
    const f = foreign[i];
    ctx.index.addFinding(f.severity, f.severity == SEV_CRITICAL ? "keras-dangerous-callable" : "keras-foreign-object", f.message, where + ":" + f.path);
  }
  ctx.index.graph = layerGraph(cfg, nodes);
  m.set("layers", strArray(info.classes));
  m.set("has_lambda_layer", new JBool(info.lambda));
}

function checkClass(ctx: Context, o: JObj, info: KerasInfo, path: string, where: string): void {
  const cls = str(o, "class_name");
  if (cls === null) return;
  const mod = str(o, "module");
  const c = o.getObj("config");
  const isLambda = cls == "Lambda" || cls == "__lambda__" || (c !== null && str(c, "function_type") == "lambda");
  if (isLambda) {
    info.lambda = true;
    let code = "";
    if (c !== null) {
      const f = c.get("function");
      if (f !== null && f.kind == 6 && (<JArr>f).items.length && (<JArr>f).items[0].kind == 5) code = (<JStr>(<JArr>f).items[0]).value;
      else if (f !== null && f.kind == 5) code = (<JStr>f).value;
      else if (f !== null && f.kind == 7) {
        // Keras 3: {"class_name": "__lambda__", "config": {"code": base64 marshal, ...}}
        const fc = (<JObj>f).getObj("config");
        if (fc !== null) {
          const k = fc.get("code");
          if (k !== null && k.kind == 5) code = (<JStr>k).value;
        }
      }
      else {
        const k = c.get("code");
        if (k !== null && k.kind == 5) code = (<JStr>k).value;
      }
    }
    if (info.findings++ < MAX_FINDINGS) {
      const fd = ctx.index.addFinding(SEV_HIGH, "keras-lambda", "Lambda layer \"" + path + "\" carries " + (code.length ? "marshal-ed Python bytecode (" + code.length.toString() + " base64 chars)" : "a Python function") + " that Keras runs when the model is loaded or called", where + ":" + path);
      if (code.length) {
        const d = new JObj();
        d.set("base64Length", new JUint(<u64>code.length));
        d.set("head", new JStr(code.substring(0, 64)));
        fd.detail = d;
      }
    }
    return;
  }
  const keras = mod === null ? true : (mod.startsWith("keras") || mod.startsWith("tf_keras") || mod.startsWith("tensorflow.keras"));
  // classes outside Keras' packages are reported by foreignCallables (keras-callables.ts)
  if (mod !== null && !keras) return;
  if (!keras || !KNOWN.includes(cls)) {
    if (info.findings++ < MAX_FINDINGS) {
      ctx.index.addFinding(SEV_MEDIUM, "keras-custom-class", "layer \"" + path + "\" is of class " + (mod !== null ? mod + "." : "") + cls + ", which is not part of Keras: loading it imports and runs that code", where + ":" + path);
    }
  }
  // TFSMLayer loads the SavedModel its config names even under safe_mode (CVE-2026-1462), and
  // a SavedModel's graph can read and write files or run ops the model file never shows
  if (cls == "TFSMLayer" && info.findings++ < MAX_FINDINGS) {
    const fp = c !== null ? str(c, "filepath") : null;
    ctx.index.addFinding(SEV_HIGH, "keras-tfsm-layer", "layer \"" + path + "\" loads the external SavedModel " + (fp !== null ? "\"" + fp + "\"" : "its config names") + " (even with safe_mode=True) and runs its graph", where + ":" + path);
  }
}

// A layer's config as a node's attributes: without the layers of a nested model (they are
// nodes of their own). Configs past this size are left out (a layer with an embedded table).
const MAX_CONFIG_KEYS: i32 = 256;

function layerConfig(lc: JObj): JObj {
  const out = new JObj();
  for (let i = 0; i < lc.keys.length && i < MAX_CONFIG_KEYS; i++) {
    if (lc.keys[i] == "layers") continue;
    out.set(lc.keys[i], lc.vals[i]);
  }
  return out;
}

// The index's graph of a model config: its layer nodes and the model's input and output layers.
export function layerGraph(cfg: JObj, nodes: JArr): JObj {
  const g = new JObj();
  g.set("nodes", nodes);
  const c = cfg.getObj("config");
  if (c !== null) {
    const ins = c.get("input_layers");
    if (ins !== null) g.set("inputs", ins);
    const outs = c.get("output_layers");
    if (outs !== null) g.set("outputs", outs);
  }
  return g;
}

// The layer graph of a Keras model config without its findings: TF.js layers models list their
// topology in the same words, and report what concerns them themselves (tfjs.ts).
export function kerasLayerNodes(cfg: JObj, nodes: JArr): void {
  walkModel(null, cfg, new KerasInfo(), nodes, "", 0, "");
}

function walkModel(ctx: Context | null, o: JObj, info: KerasInfo, nodes: JArr, prefix: string, depth: i32, where: string): void {
  if (depth > MAX_NESTING) return;
  const c = o.get("config");
  let layers: JArr | null = null;
  if (c !== null && c.kind == 6) layers = <JArr>c; // Keras 2.2 Sequential: config is the layer list
  else if (c !== null && c.kind == 7) layers = (<JObj>c).getArr("layers");
  if (layers === null) return;
  for (let i = 0; i < layers.items.length; i++) {
    const it = layers.items[i];
    if (it.kind != 7) continue;
    const L = <JObj>it;
    const cls = str(L, "class_name");
    const lc = L.getObj("config");
    let name = str(L, "name");
    if (name === null && lc !== null) name = str(lc, "name");
    const nm = name !== null ? name : "layer_" + i.toString();
    const path = prefix.length ? prefix + "/" + nm : nm;
    if (cls !== null) {
      info.classes.push(cls);
      if (depth == 0) {
        // Keras 3 weight stores name layers by class: dense, dense_1, ...
        const base = snakeCase(cls);
        const k = info.storeCounts.has(base) ? info.storeCounts.get(base) : 0;
        info.storeCounts.set(base, k + 1);
        info.storeNames.set(k == 0 ? base : base + "_" + k.toString(), nm);
      }
    }
    if (ctx !== null) checkClass(ctx, L, info, path, where);
    const node = new JObj();
    node.set("name", new JStr(path));
    node.set("class", new JStr(cls !== null ? cls : ""));
    node.set("inputs", inboundNames(L.get("inbound_nodes")));
    if (lc !== null) node.set("config", layerConfig(lc));
    nodes.push(node);
    // Nested models and wrappers (Bidirectional, TimeDistributed) hold layers of their own.
    walkModel(ctx, L, info, nodes, path, depth + 1, where);
    if (lc !== null && ctx !== null) {
      const inner = lc.getObj("layer");
      if (inner !== null) checkClass(ctx, inner, info, path + "/" + (str(inner, "class_name") || "layer"), where);
      const fwd = lc.getObj("forward_layer");
      if (fwd !== null) checkClass(ctx, fwd, info, path + "/forward", where);
      const bwd = lc.getObj("backward_layer");
      if (bwd !== null) checkClass(ctx, bwd, info, path + "/backward", where);
    }
  }
}

// Names of the layers feeding a layer: Keras 2 [[["name", node, tensor, {}], ...]] and Keras 3
// [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["name", 0, 0]}}]}].
function inboundNames(v: JValue | null): JArr {
  const out = new JArr();
  if (v === null) return out;
  collectInbound(v, out, 0);
  return out;
}

function collectInbound(v: JValue, out: JArr, depth: i32): void {
  if (depth > 12) return;
  if (v.kind == 6) {
    const a = <JArr>v;
    // A Keras 2 connection: [name, nodeIndex, tensorIndex, kwargs]
    if (a.items.length >= 3 && a.items[0].kind == 5 && a.items[1].kind != 5 && a.items[1].kind != 6 && a.items[1].kind != 7) {
      out.push(a.items[0]);
      return;
    }
    for (let i = 0; i < a.items.length; i++) collectInbound(a.items[i], out, depth + 1);
  } else if (v.kind == 7) {
    const o = <JObj>v;
    const cfg = o.getObj("config");
    if (cfg !== null) {
      const hist = cfg.getArr("keras_history");
      if (hist !== null && hist.items.length && hist.items[0].kind == 5) {
        out.push(hist.items[0]);
        return;
      }
    }
    for (let i = 0; i < o.keys.length; i++) collectInbound(o.vals[i], out, depth + 1);
  }
}

function strList(v: JValue | null): string[] {
  const out = new Array<string>();
  if (v === null) return out;
  if (v.kind == 5) { out.push((<JStr>v).value); return out; }
  if (v.kind != 6) return out;
  const a = <JArr>v;
  for (let i = 0; i < a.items.length; i++) if (a.items[i].kind == 5) out.push((<JStr>a.items[i]).value);
  return out;
}

// An attribute Keras may split into name0, name1, ... when it outgrows the object header.
export function splitAttr(o: JObj | null, key: string): string[] {
  if (o === null) return [];
  const v = o.get(key);
  if (v !== null) return strList(v);
  const out = new Array<string>();
  for (let i = 0; i < 100000; i++) {
    const part = o.get(key + i.toString());
    if (part === null) break;
    const s = strList(part);
    for (let j = 0; j < s.length; j++) out.push(s[j]);
  }
  return out;
}

// Marks each tensor with the layer (and weight name) it belongs to.
export function mapWeights(ctx: Context, w: Walk, root: string, info: KerasInfo): void {
  const ra = w.attrs.has(root) ? w.attrs.get(root) : null;
  const layers = splitAttr(ra, "layer_names");
  const byName = new Map<string, i32>();
  for (let i = 0; i < ctx.index.tensors.length; i++) byName.set(ctx.index.tensors[i].name, i);
  const pre = root.length ? root + "/" : "";
  if (layers.length) {
    const m = ctx.index.metadata;
    m.set("layer_names", strArray(layers));
    for (let i = 0; i < layers.length; i++) {
      const lp = pre + layers[i];
      const la = w.attrs.has(lp) ? w.attrs.get(lp) : null;
      const ws = splitAttr(la, "weight_names");
      for (let j = 0; j < ws.length; j++) {
        const tn = lp + "/" + ws[j];
        if (!byName.has(tn)) continue;
        const t = ctx.index.tensors[byName.get(tn)];
        const ti = t.info !== null ? t.info! : new JObj();
        ti.set("layer", new JStr(layers[i]));
        ti.set("weight", new JStr(ws[j]));
        ti.set("weightIndex", new JUint(<u64>j));
        t.info = ti;
      }
    }
    return;
  }
  // Keras 3 weight store: layers/<store name>/vars/<i>.
  for (let i = 0; i < ctx.index.tensors.length; i++) {
    const t = ctx.index.tensors[i];
    if (!t.name.startsWith("layers/")) continue;
    const rest = t.name.substring(7);
    const slash = rest.indexOf("/");
    if (slash < 0) continue;
    const key = rest.substring(0, slash);
    if (!info.storeNames.has(key)) continue;
    const ti = t.info !== null ? t.info! : new JObj();
    ti.set("layer", new JStr(info.storeNames.get(key)));
    t.info = ti;
  }
}
