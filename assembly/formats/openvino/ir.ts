// OpenVINO IR: an XML document (<net> with <layers>, <edges>, <rt_info>) and a sibling .bin with
// the Const layers' bytes (each Const's <data element_type shape offset size>). The XML is read
// by the streaming tokenizer (containers/xml.ts), keeping per layer only what the index shows; the
// .bin is asked for from the host by name (the XML's name with .bin, as the runtime finds it) and
// only the ranges of Const tensors are ever read. Layers whose version is not one of the
// runtime's opsets need an extension library (native code) and give findings.

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { DT_I4, DT_STR, DT_U2, DT_U4, dtypeBits, dtypeByteLength, shapeElements } from "../../core/dtype";
import { E_BAD_SHAPE, E_CORRUPT, E_INVALID_HEADER, E_INVALID_OFFSET, E_LIMIT, E_PATH_VIOLATION, E_SIZE_MISMATCH } from "../../core/errors";
import { Plan, SEV_MEDIUM, Tensor } from "../../core/model";
import { XML_END, XML_EOF, XML_START, XML_STOP, XML_TEXT, XmlTokenizer } from "../../containers/xml";
import { JArr, JInt, JObj, JStr } from "../../util/json";
import { FormatModule, Sniff, SNIFF_NO } from "../format";
import { elementDtype, standardVersion } from "./types";

const SNIFF_IR: i32 = 80; // a known document's structure (an XML root <net ...>)
const MAX_LAYERS: i32 = 1 << 20;
const MAX_RANK: i32 = 64;
const MAX_META: i32 = 4096; // rt_info entries kept
const MAX_ATTR_TEXT: i32 = 1024; // longer attribute values are cut in the index

class Port {
  id: i64 = 0;
  precision: string = "";
  names: string = "";
  dims: string[] = [];
}

class Layer {
  id: i64 = 0;
  name: string = "";
  type: string = "";
  version: string = "";
  data: JObj = new JObj();
  inputs: Port[] = [];
  outputs: Port[] = [];
  rtInfo: string[] = [];
  nested: bool = false;
  parent: string = "";
  tensor: Tensor | null = null;
  // Const facts
  elementType: string = "";
  shapeText: string = "";
  offset: string = "";
  size: string = "";
}

export class OpenVinoFormat extends FormatModule {
  get id(): string { return "openvino"; }

  sniff(s: Sniff): i32 {
    // Skip a BOM, the XML declaration, comments and whitespace to the root element.
    let i: usize = 0;
    const n = s.headLen;
    if (n >= 3 && s.byte(0) == 0xef && s.byte(1) == 0xbb && s.byte(2) == 0xbf) i = 3;
    while (i < n) {
      const c = s.byte(i);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) { i++; continue; }
      if (c != 0x3c) return SNIFF_NO;
      if (s.startsWith("<?", i) || s.startsWith("<!--", i)) {
        const end = s.startsWith("<?", i) ? "?>" : "-->";
        let j = i + 2;
        while (j < n && !s.startsWith(end, j)) j++;
        if (j >= n) return SNIFF_NO;
        i = j + <usize>end.length;
        continue;
      }
      if (!s.startsWith("<net", i)) return SNIFF_NO;
      const c2 = s.byte(i + 4);
      if (c2 != 0x20 && c2 != 0x09 && c2 != 0x0a && c2 != 0x0d && c2 != 0x3e) return SNIFF_NO;
      // A <net> root with IR's children or attributes.
      for (let j = i; j + 8 < n; j++) if (s.startsWith("<layers", j) || s.startsWith("version=", j)) return SNIFF_IR;
      return SNIFF_NO;
    }
    return SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const x = new XmlTokenizer(ctx, 0, 0);
    const st = this.parse(ctx, x);
    x.dispose();
    return st;
  }

  private stop(ctx: Context, x: XmlTokenizer): i32 {
    if (ctx.pending()) return ST_PENDING;
    return ctx.fail(x.errorCode != 0 ? x.errorCode : E_CORRUPT, "openvino: " + (x.error.length ? x.error : "the XML stops early"), x.tokenStart);
  }

  private parse(ctx: Context, x: XmlTokenizer): i32 {
    let k = x.next();
    if (k == XML_STOP) return this.stop(ctx, x);
    if (k != XML_START || x.name != "net") {
      return ctx.fail(E_INVALID_HEADER, "openvino: the root element is " + (k == XML_START ? "<" + x.name + ">" : "missing") + ", not <net>", x.tokenStart);
    }
    ctx.index.format = "openvino";
    const meta = ctx.index.metadata;
    const netName = x.attr("name");
    const irVersion = x.attr("version");
    if (netName !== null) meta.setStr("name", netName);
    if (irVersion !== null) { meta.setStr("ir_version", irVersion); ctx.index.formatVersion = "IR v" + irVersion; }

    const layers = new Array<Layer>();
    const byId = new Map<i64, i32>();
    const edgeTo = new Map<i64, i64>(); // (to-layer, to-port) -> (from-layer, from-port), packed
    let edgeCount = 0;
    let layer: Layer | null = null; // the layer being read (top level or nested)
    let top: Layer | null = null;
    let port: Port | null = null;
    let bodyDepth = 0;
    // net-level rt_info, as nested objects
    const rtStack = new Array<JObj>();
    let rtCount = 0;
    const rt = new JObj();

    while (true) {
      k = x.next();
      if (k == XML_STOP) return this.stop(ctx, x);
      if (k == XML_EOF) break;
      const d = x.depth;
      const parent = d >= 2 ? x.stack[d - 2] : "";
      if (k == XML_START) {
        const name = x.name;
        if (rtStack.length) {
          // Inside <net><rt_info>: every element is an entry (name/value pairs, or sections).
          if (++rtCount > MAX_META) return ctx.fail(E_LIMIT, "openvino: more than " + MAX_META.toString() + " rt_info entries", x.tokenStart);
          const e = new JObj();
          const nm = x.attr("name");
          const val = x.attr("value");
          const key = name == "info" && nm !== null ? nm : name;
          const obj = rtStack[rtStack.length - 1];
          if (val !== null && x.selfClosing) obj.setStr(key, cut(val));
          else {
            if (val !== null) e.setStr("value", cut(val));
            obj.set(key, e);
          }
          rtStack.push(e);
          continue;
        }
        if (d == 2 && name == "rt_info") { rtStack.push(rt); continue; }
        if (name == "body") { bodyDepth++; continue; }
        if (name == "layer" && parent == "layers") {
          if (layers.length >= MAX_LAYERS) return ctx.fail(E_LIMIT, "openvino: more than " + MAX_LAYERS.toString() + " layers", x.tokenStart);
          const l = new Layer();
          const id = x.attr("id");
          const lid = id === null ? -1 : parseInt64(id);
          if (lid < 0) return ctx.fail(E_CORRUPT, "openvino: a layer has no numeric id (\"" + (id === null ? "" : id!) + "\")", x.tokenStart);
          l.id = lid;
          const ln = x.attr("name");
          l.name = ln === null ? "layer_" + lid.toString() : ln;
          const lt = x.attr("type");
          l.type = lt === null ? "" : lt;
          const lv = x.attr("version");
          l.version = lv === null ? "" : lv;
          if (!l.type.length) return ctx.fail(E_CORRUPT, "openvino: layer " + lid.toString() + " has no type", x.tokenStart);
          if (bodyDepth > 0 && top !== null) { l.nested = true; l.parent = top!.name; }
          else {
            if (byId.has(lid)) return ctx.fail(E_CORRUPT, "openvino: two layers have the id " + lid.toString(), x.tokenStart);
            byId.set(lid, layers.length);
            top = l;
          }
          layers.push(l);
          layer = l;
          continue;
        }
        if (layer === null) {
          if (name == "edge" && parent == "edges" && bodyDepth == 0) {
            const fl = parseAttr(x, "from-layer"), fp = parseAttr(x, "from-port"), tl = parseAttr(x, "to-layer"), tp = parseAttr(x, "to-port");
            if (fl < 0 || fp < 0 || tl < 0 || tp < 0 || fp >= 65536 || tp >= 65536) return ctx.fail(E_CORRUPT, "openvino: an edge has a missing or bad layer/port number", x.tokenStart);
            const key = (tl << 16) | tp;
            if (edgeTo.has(key)) return ctx.fail(E_CORRUPT, "openvino: two edges end at port " + tp.toString() + " of layer " + tl.toString(), x.tokenStart);
            edgeTo.set(key, (fl << 16) | fp);
            edgeCount++;
          }
          continue;
        }
        const l = layer!;
        if (name == "data" && parent == "layer") {
          for (let i = 0; i < x.attrNames.length && i < 64; i++) l.data.setStr(x.attrNames[i], cut(x.attrValues[i]));
          const et = x.attr("element_type"), sh = x.attr("shape"), ofs = x.attr("offset"), sz = x.attr("size");
          if (et !== null) l.elementType = et;
          if (sh !== null) l.shapeText = sh;
          if (ofs !== null) l.offset = ofs;
          if (sz !== null) l.size = sz;
        } else if (name == "port" && (parent == "input" || parent == "output") && x.stack[d - 3] == "layer") {
          const p = new Port();
          const pid = parseAttr(x, "id");
          if (pid < 0 || pid >= 65536) return ctx.fail(E_CORRUPT, "openvino: a port of layer \"" + l.name + "\" has a missing or bad id", x.tokenStart);
          p.id = pid;
          const pr = x.attr("precision");
          if (pr !== null) p.precision = pr;
          const pn = x.attr("names");
          if (pn !== null) p.names = pn;
          if (parent == "input") l.inputs.push(p); else l.outputs.push(p);
          if (l.inputs.length + l.outputs.length > 4096) return ctx.fail(E_LIMIT, "openvino: layer \"" + l.name + "\" has more than 4096 ports", x.tokenStart);
          port = p;
        } else if (name == "attribute" && parent == "rt_info") {
          const an = x.attr("name");
          if (an !== null && l.rtInfo.length < 64 && !l.rtInfo.includes(an)) l.rtInfo.push(an);
        }
        continue;
      }
      if (k == XML_TEXT) {
        if (port !== null && x.stack[d - 1] == "dim") {
          if (port!.dims.length >= MAX_RANK) return ctx.fail(E_BAD_SHAPE, "openvino: a port has more than " + MAX_RANK.toString() + " dims", x.tokenStart);
          port!.dims.push(x.text);
        }
        continue;
      }
      // XML_END: x.name is the element closed; x.depth is the depth after closing.
      const closed = x.name;
      if (rtStack.length) { rtStack.pop(); continue; }
      if (closed == "body") { bodyDepth--; continue; }
      if (closed == "port") port = null;
      else if (closed == "layer" && layer !== null) {
        layer = bodyDepth > 0 ? top : null;
        if (bodyDepth == 0) top = null;
        // A nested layer closed inside a body: back to its enclosing top-level layer.
      }
    }
    if (!layers.length) return ctx.fail(E_CORRUPT, "openvino: the <net> has no layers", 0);

    // Const tensors, their bytes in the .bin.
    const st = this.constants(ctx, layers);
    if (st != ST_DONE) return st;

    // The graph: every top-level layer but Parameter, Result and Const is a node; a port's tensor
    // is named by its `names` (the framework's tensor names) or "<layer>:<port>".
    const nodes = new JArr();
    const inputs = new JArr();
    const outputs = new JArr();
    const types = new Array<string>();
    const ext = new Array<string>();
    let nestedCount = 0;
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i];
      if (!standardVersion(l.version) && !ext.includes(l.type + "/" + l.version)) {
        ext.push(l.type + "/" + l.version);
        ctx.index.addFinding(SEV_MEDIUM, "openvino-extension-op", "Layer \"" + l.name + "\" is a " + l.type + " from the operation set \"" + l.version + "\", which the OpenVINO runtime does not provide: loading the model needs an extension library (native code) registered with add_extension.", l.name);
      }
      if (l.nested) { nestedCount++; continue; }
      if (!types.includes(l.type)) types.push(l.type);
      if (l.type == "Parameter") {
        const o = new JObj();
        o.setStr("name", l.outputs.length && l.outputs[0].names.length ? firstName(l.outputs[0].names) : l.name);
        o.setStr("dtype", l.elementType.length ? l.elementType : l.outputs.length ? l.outputs[0].precision : "");
        o.set("shape", shapeJson(l.data.getStr("shape"), l.outputs.length ? l.outputs[0].dims : []));
        inputs.push(o);
        continue;
      }
      const ins = new JArr();
      for (let p = 0; p < l.inputs.length; p++) {
        const key = (l.id << 16) | l.inputs[p].id;
        if (!edgeTo.has(key)) { ins.push(new JStr("")); continue; }
        const from = edgeTo.get(key);
        const fl = from >> 16, fp = from & 0xffff;
        if (!byId.has(fl)) return ctx.fail(E_INVALID_OFFSET, "openvino: an edge into \"" + l.name + "\" comes from layer " + fl.toString() + ", which does not exist", 0);
        const src = layers[byId.get(fl)];
        const nm = portTensor(src, fp);
        if (nm === null) return ctx.fail(E_INVALID_OFFSET, "openvino: an edge into \"" + l.name + "\" comes from port " + fp.toString() + " of \"" + src.name + "\", which has no such output", 0);
        ins.push(new JStr(nm!));
      }
      if (l.type == "Result") {
        const o = new JObj();
        const on = l.data.getStr("output_names");
        o.setStr("name", ins.items.length ? (<JStr>ins.items[0]).value : l.name);
        o.setStr("layer", l.name);
        if (l.inputs.length) { o.setStr("dtype", l.inputs[0].precision); o.set("shape", dimsJson(l.inputs[0].dims)); }
        if (on !== null) o.setStr("output_names", on);
        outputs.push(o);
        continue;
      }
      if (l.type == "Const") continue;
      const n = new JObj();
      n.setStr("name", l.name);
      n.setStr("op_type", l.type);
      n.setStr("version", l.version);
      n.set("inputs", ins);
      const outs = new JArr();
      for (let p = 0; p < l.outputs.length; p++) outs.push(new JStr(portTensor(l, l.outputs[p].id)!));
      n.set("outputs", outs);
      if (l.data.keys.length) n.set("attributes", l.data);
      if (l.rtInfo.length) { const a = new JArr(); for (let q = 0; q < l.rtInfo.length; q++) a.push(new JStr(l.rtInfo[q])); n.set("rt_info", a); }
      nodes.push(n);
    }
    types.sort();
    const jt = new JArr();
    for (let i = 0; i < types.length; i++) jt.push(new JStr(types[i]));
    meta.set("op_types", jt);
    meta.setInt("layer_count", layers.length - nestedCount);
    if (nestedCount) meta.setInt("nested_layer_count", nestedCount);
    meta.setInt("edge_count", edgeCount);
    meta.set("inputs", inputs);
    meta.set("outputs", outputs);
    if (rt.keys.length) meta.set("rt_info", rt);
    const g = new JObj();
    g.setStr("name", netName === null ? "" : netName!);
    g.set("nodes", nodes);
    g.set("inputs", inputs);
    g.set("outputs", outputs);
    ctx.index.graph = g;
    return ST_DONE;
  }

  private constants(ctx: Context, layers: Layer[]): i32 {
    let src: i32 = SOURCE_FAILED;
    let missing = "";
    let asked = false;
    const names = new Array<string>();
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i];
      if (l.type != "Const") continue;
      const what = "Const \"" + l.name + "\"";
      const dt = elementDtype(l.elementType);
      const shape = new Array<u64>();
      const parts = l.shapeText.split(",");
      for (let j = 0; j < parts.length; j++) {
        const p = parts[j].trim();
        if (!p.length && parts.length == 1) break; // a scalar
        const v = parseInt64(p);
        if (v < 0) return ctx.fail(E_BAD_SHAPE, "openvino: " + what + " has the shape \"" + cut(l.shapeText) + "\", not a list of sizes", 0);
        if (shape.length >= MAX_RANK) return ctx.fail(E_BAD_SHAPE, "openvino: " + what + " has more than " + MAX_RANK.toString() + " dims", 0);
        shape.push(<u64>v);
      }
      const off = parseInt64(l.offset), size = parseInt64(l.size);
      if (off < 0 || size < 0) return ctx.fail(E_INVALID_OFFSET, "openvino: " + what + " has no valid offset/size (\"" + cut(l.offset) + "\", \"" + cut(l.size) + "\")", 0);
      const n = shapeElements(shape);
      let name = l.nested ? l.parent + "/" + l.name : l.name;
      if (names.includes(name)) name = name + "#" + l.id.toString();
      names.push(name);
      const t = new Tensor(name, dt < 0 ? DT_STR : dt, shape, <u64>size);
      if (dt < 0) t.dtypeText = l.elementType;
      const info = new JObj();
      info.setStr("element_type", l.elementType);
      info.setInt("layer_id", l.id);
      info.setU64("offset", <u64>off);
      info.setU64("size", <u64>size);
      if (l.nested) info.setStr("body_of", l.parent);
      t.info = info;
      const plan = Plan.single(0, <u64>off, <u64>size, t.dtype);
      t.plan = plan;
      ctx.index.tensors.push(t);
      l.tensor = t;
      if (dt < 0) { plan.unreadable = "its element type \"" + l.elementType + "\" has no array type here"; continue; }
      const bits = dtypeBits(dt);
      const want: u64 = bits > 0 && bits < 8 ? (n * <u64>bits + 7) / 8 : dtypeByteLength(dt, n);
      if (want != <u64>size) return ctx.fail(E_SIZE_MISMATCH, "openvino: " + what + " is " + l.elementType + " of " + n.toString() + " elements (" + want.toString() + " bytes) but its size is " + size.toString(), 0);
      if (dt == DT_I4 || dt == DT_U4 || dt == DT_U2) plan.elements = n;
      if (l.elementType == "nf4") info.setStr("codes", "nf4: 4-bit indices into the NF4 table, read as stored");
      // u4/i4 values widen to floats through the dequantizer with scale 1 and zero point 0 (exact);
      // nf4 codes do not: their values are a table lookup, not an affine map.
      else if (dt == DT_I4 || dt == DT_U4) { plan.quantScale = [1.0]; plan.quantZero = [0.0]; }
      if (size == 0) continue;
      if (!asked) {
        asked = true;
        const bin = binName(ctx.name);
        if (!bin.length) missing = "the model was opened without a file name, so its .bin cannot be found";
        else {
          src = ctx.sibling(bin, "the weights file");
          if (src == SOURCE_PENDING) return ST_PENDING;
          if (src == SOURCE_FAILED) {
            if (ctx.errorCode == E_PATH_VIOLATION) return ST_FAILED; // a path violation stays an error
            missing = ctx.errorMessage;
            ctx.errorCode = 0;
            ctx.errorMessage = "";
          }
        }
        if (missing.length) ctx.index.addFinding(SEV_MEDIUM, "openvino-weights-missing", "The Const weights are in a .bin next to the .xml, which is not available: " + missing + ".", bin);
      }
      if (src < 0) { plan.unreadable = missing; continue; }
      const binSize = ctx.sourceSize(src);
      if (<u64>off > binSize || <u64>size > binSize - <u64>off) {
        return ctx.fail(E_INVALID_OFFSET, "openvino: " + what + " needs bytes [" + off.toString() + ", " + (off + size).toString() + ") of the .bin, which has " + binSize.toString(), 0);
      }
      plan.segments[0].source = src;
    }
    return ST_DONE;
  }
}

// The weights file the runtime looks for: the model's name with its extension replaced by .bin.
function binName(name: string): string {
  if (!name.length) return "";
  const dot = name.lastIndexOf(".");
  const b = (dot > 0 ? name.substring(0, dot) : name) + ".bin";
  return b == name ? "" : b;
}

function firstName(names: string): string {
  const c = names.indexOf(",");
  return (c < 0 ? names : names.substring(0, c)).trim();
}

function portTensor(l: Layer, port: i64): string | null {
  for (let i = 0; i < l.outputs.length; i++) {
    const p = l.outputs[i];
    if (p.id != port) continue;
    if (l.type == "Const" && l.tensor !== null) return l.tensor!.name;
    return p.names.length ? firstName(p.names) : l.name + ":" + port.toString();
  }
  return null;
}

function dimsJson(dims: string[]): JArr {
  const a = new JArr();
  for (let i = 0; i < dims.length; i++) {
    const v = parseInt64(dims[i]);
    if (v >= 0) a.push(new JInt(v)); else a.push(new JStr(dims[i]));
  }
  return a;
}

function shapeJson(shape: string | null, dims: string[]): JArr {
  if (shape === null) return dimsJson(dims);
  const a = new JArr();
  const parts = shape.split(",");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i].trim();
    if (!p.length) continue;
    const v = parseInt64(p);
    if (v >= 0) a.push(new JInt(v)); else a.push(new JStr(p));
  }
  return a;
}

function cut(s: string): string { return s.length > MAX_ATTR_TEXT ? s.substring(0, MAX_ATTR_TEXT) + "..." : s; }

function parseAttr(x: XmlTokenizer, name: string): i64 {
  const v = x.attr(name);
  return v === null ? -1 : parseInt64(v);
}

// A non-negative decimal integer below 2^62, or -1.
function parseInt64(s: string): i64 {
  const t = s.trim();
  if (!t.length || t.length > 18) return -1;
  let v: i64 = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}
