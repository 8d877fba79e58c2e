// Folding: a separate pass over the symbolic graph that recognises known shapes and turns them into
// values: torch tensors (every _rebuild_* form, typed and untyped storages), numpy arrays
// (_reconstruct + __setstate__, _frombuffer, dtypes, scalars), joblib array wrappers, OrderedDict,
// nn.Module pickles (named like state_dict()), and the rest of the tree as JSON-safe metadata.
// Nothing here runs anything: it only reads nodes.

import { JArr, JBool, JFloat, JInt, JKind, JNull, JObj, JStr, JValue } from "../util/json";
import { Graph, Node, NodeKind, NFlag } from "./graph";
import { normalizeName } from "./policy";
// Element type codes: the ABI codes of core/dtype.ts, repeated here so that the pickle machine
// builds on its own (the codes are part of the ABI and never change).
export const DT_F64: i32 = 1, DT_F32: i32 = 2, DT_F16: i32 = 3, DT_BF16: i32 = 4, DT_I64: i32 = 5, DT_I32: i32 = 6,
  DT_I16: i32 = 7, DT_I8: i32 = 8, DT_U64: i32 = 9, DT_U32: i32 = 10, DT_U16: i32 = 11, DT_U8: i32 = 12, DT_BOOL: i32 = 13,
  DT_C64: i32 = 14, DT_C128: i32 = 15, DT_F8_E4M3: i32 = 16, DT_F8_E5M2: i32 = 17, DT_F8_E8M0: i32 = 18,
  DT_F8_E4M3FNUZ: i32 = 19, DT_F8_E5M2FNUZ: i32 = 20, DT_F4: i32 = 23, DT_STR: i32 = 24, DT_RAW: i32 = 25,
  DT_C32: i32 = 30, DT_OBJECT: i32 = 31;
const DT_NAMES: string[] = [
  "KEEP", "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL",
  "C64", "C128", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F6_E2M3", "F6_E3M2",
  "F4", "STR", "RAW", "I4", "U4", "I2", "U2", "C32", "OBJECT",
];
export function dtypeName(dt: i32): string { return dt >= 0 && dt < DT_NAMES.length ? DT_NAMES[dt] : "UNKNOWN"; }

// Where a folded tensor's bytes are.
export const enum DataKind {
  NONE = 0,      // no data (meta tensors, object arrays, unsupported)
  STORAGE = 1,   // torch storage: storageKey names it (zip data/<key>, legacy key)
  RANGE = 2,     // absolute range of the pickle stream (dataOff, dataLen)
  INLINE = 3,    // bytes copied out of the pickle (protocol-0 strings, latin-1 text)
  TEXT = 4,      // latin-1 text too long to decode at index time: UTF-8 at (dataOff, dataLen) of the stream
}

// dill wraps every pickled ndarray in this call (dill >= 0.3.6 with numpy arrays).
export const DILL_CREATE_ARRAY = "dill._dill._create_array";

export class FoldedTensor {
  name: string = "";
  dtype: i32 = 0;
  elemBytes: i32 = 0;      // bytes per element (complex64 = 8); 0 when unknown
  shape: Array<i64> = new Array<i64>();
  stride: Array<i64> = new Array<i64>(); // in elements
  offset: i64 = 0;         // in elements, from the start of the data
  dataKind: i32 = DataKind.NONE;
  storageKey: string = "";
  storageType: string = "";  // torch storage class (FloatStorage, UntypedStorage...)
  storageNumel: i64 = -1;    // elements (typed) or bytes (untyped), as the pid says
  location: string = "";
  dataOff: u64 = 0;
  dataLen: u64 = 0;
  inline: Uint8Array | null = null;
  bigEndian: bool = false;
  source: string = "";       // torch | numpy | joblib
  extra: JObj = new JObj();  // quantization, sparse layout, requires_grad, numpy descr...
  node: i32 = -1;
  dtypeText: string = "";    // the writer's own spelling (torch.float8_e4m3fn, <f4)
}

class DtypeInfo {
  dt: i32 = 0;
  size: i32 = 0;
  bigEndian: bool = false;
  descr: string = "";
  ok: bool = false;
}

const TORCH_STORAGE_NAMES: string[] = [
  "DoubleStorage", "FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage", "ShortStorage",
  "CharStorage", "ByteStorage", "BoolStorage", "ComplexDoubleStorage", "ComplexFloatStorage", "QInt8Storage",
  "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage",
];
const TORCH_STORAGE_DT: i32[] = [
  DT_F64, DT_F32, DT_F16, DT_BF16, DT_I64, DT_I32, DT_I16, DT_I8, DT_U8, DT_BOOL, DT_C128, DT_C64, DT_I8, DT_U8, DT_I32, DT_U8, DT_U8,
];
const TORCH_STORAGE_SIZE: i32[] = [8, 4, 2, 2, 8, 4, 2, 1, 1, 1, 16, 8, 1, 1, 4, 1, 1];

// torch dtype global name -> (dtype code, element bytes)
export function torchDtype(name: string, out: DtypeInfo): bool {
  let dt = -1, sz = 0;
  if (name == "float64" || name == "double") { dt = DT_F64; sz = 8; }
  else if (name == "float32" || name == "float") { dt = DT_F32; sz = 4; }
  else if (name == "float16" || name == "half") { dt = DT_F16; sz = 2; }
  else if (name == "bfloat16") { dt = DT_BF16; sz = 2; }
  else if (name == "int64" || name == "long") { dt = DT_I64; sz = 8; }
  else if (name == "int32" || name == "int") { dt = DT_I32; sz = 4; }
  else if (name == "int16" || name == "short") { dt = DT_I16; sz = 2; }
  else if (name == "int8" || name == "qint8") { dt = DT_I8; sz = 1; }
  else if (name == "uint8" || name == "quint8" || name == "quint4x2" || name == "quint2x4" || name == "bits8" || name == "bits1x8" || name == "bits2x4" || name == "bits4x2") { dt = DT_U8; sz = 1; }
  else if (name == "uint16" || name == "bits16") { dt = DT_U16; sz = 2; }
  else if (name == "uint32") { dt = DT_U32; sz = 4; }
  else if (name == "uint64") { dt = DT_U64; sz = 8; }
  else if (name == "qint32") { dt = DT_I32; sz = 4; }
  else if (name == "bool") { dt = DT_BOOL; sz = 1; }
  else if (name == "complex64" || name == "cfloat") { dt = DT_C64; sz = 8; }
  else if (name == "complex128" || name == "cdouble") { dt = DT_C128; sz = 16; }
  else if (name == "complex32" || name == "chalf") { dt = DT_C32; sz = 4; }
  else if (name == "float8_e4m3fn") { dt = DT_F8_E4M3; sz = 1; }
  else if (name == "float8_e5m2") { dt = DT_F8_E5M2; sz = 1; }
  else if (name == "float8_e8m0fnu") { dt = DT_F8_E8M0; sz = 1; }
  else if (name == "float8_e4m3fnuz") { dt = DT_F8_E4M3FNUZ; sz = 1; }
  else if (name == "float8_e5m2fnuz") { dt = DT_F8_E5M2FNUZ; sz = 1; }
  else if (name == "float4_e2m1fn_x2") { dt = DT_U8; sz = 1; }
  if (dt < 0) return false;
  out.dt = dt;
  out.size = sz;
  out.descr = "torch." + name;
  out.ok = true;
  return true;
}

export class FoldResult {
  tensors: Array<FoldedTensor> = new Array<FoldedTensor>();
  metadata: JValue = new JNull();
  problems: Array<string> = new Array<string>();
  truncated: bool = false;
}

const MAX_DEPTH: i32 = 96;
const MAX_INLINE_HEX: i32 = 1 << 16;
const MAX_META_VALUES: i32 = 200_000;

export class Folder {
  g: Graph;
  r: FoldResult = new FoldResult();
  private seen: Uint8Array;          // containers already emitted (later references become $ref)
  private tensorOfNode: Map<i32, string> = new Map<i32, string>();
  private emitted: i32 = 0;
  private names: Set<string> = new Set<string>();

  constructor(g: Graph) {
    this.g = g;
    this.seen = new Uint8Array(g.count);
  }

  // Folds one root (one pickle of the stream).
  foldRoot(root: i32, prefix: string): JValue {
    this.prepare();
    return this.value(root, prefix, 0);
  }

  // Folds only the i-th pickle of a stacked stream, as the root of the names.
  runRoot(i: i32): FoldResult {
    this.prepare();
    if (i >= 0 && i < this.g.roots.length) this.r.metadata = this.value(this.g.roots[i], "", 0);
    return this.r;
  }

  // The graph may have grown since construction (a driver folds while the machine runs).
  private prepare(): void {
    if (this.seen.length != this.g.count) {
      const s = new Uint8Array(this.g.count);
      for (let i = 0; i < this.seen.length && i < s.length; i++) s[i] = this.seen[i];
      this.seen = s;
    }
  }

  run(): FoldResult {
    this.prepare();
    const roots = this.g.roots;
    if (roots.length == 1) this.r.metadata = this.value(roots[0], "", 0);
    else {
      const a = new JArr();
      for (let i = 0; i < roots.length; i++) a.push(this.value(roots[i], roots.length > 1 ? i.toString() : "", 0));
      this.r.metadata = a;
    }
    return this.r;
  }

  // ---------------------------------------------------------------------------------------------
  // helpers over nodes

  private kind(id: i32): i32 { return this.g.kindOf(id); }
  private node(id: i32): Node { return this.g.at(id); }

  // Normalised "module.name" of a GLOBAL node.
  gname(id: i32): string {
    if (this.kind(id) != NodeKind.GLOBAL) return "";
    const n = this.node(id);
    let s = n.norm;
    if (s === null) { s = normalizeName(n.s, n.s2); n.norm = s; }
    return s;
  }
  callee(id: i32): string {
    if (this.kind(id) != NodeKind.CALL) return "";
    return this.gname(this.node(id).a);
  }
  args(id: i32): Array<i32> {
    const n = this.node(id);
    const s = this.g.seq(n.b);
    return s ? s : new Array<i32>();
  }
  intAt(ids: Array<i32>, i: i32, dflt: i64): i64 {
    if (i >= ids.length) return dflt;
    const k = this.kind(ids[i]);
    if (k == NodeKind.INT || k == NodeKind.BOOL) return this.node(ids[i]).i;
    return dflt;
  }
  isIntNode(id: i32): bool { const k = this.kind(id); return k == NodeKind.INT || k == NodeKind.BOOL; }
  text(id: i32): string | null { return this.g.text(id); }

  // Tuple/list of ints (torch.Size(...) calls are unwrapped).
  ints(id: i32, out: Array<i64>): bool {
    if (this.kind(id) == NodeKind.CALL && this.callee(id) == "torch.Size") {
      const a = this.args(id);
      if (a.length != 1) return false;
      id = a[0];
    }
    const s = this.g.seq(id);
    if (!s) return false;
    out.length = 0;
    for (let i = 0; i < s.length; i++) {
      if (!this.isIntNode(s[i])) return false;
      out.push(this.node(s[i]).i);
    }
    return true;
  }

  // Key/value pairs of a dict-like node: DICT, OrderedDict()/dict() calls filled by SETITEMS.
  dictPairs(id: i32): Node | null {
    const k = this.kind(id);
    if (k == NodeKind.DICT) return this.node(id);
    if (k == NodeKind.CALL) {
      const c = this.callee(id);
      if (c == "collections.OrderedDict" || c == "builtins.dict" || c == "collections.defaultdict" || c == "collections.Counter") return this.node(id);
    }
    return null;
  }
  // Value for a string key in a dict-like node (last assignment wins).
  lookup(id: i32, key: string): i32 {
    const d = this.dictPairs(id);
    if (!d || !d.items || !d.vals) return -1;
    const ks = d.items!, vs = d.vals!;
    for (let i = ks.length - 1; i >= 0; i--) {
      const t = this.text(ks[i]);
      if (t !== null && t == key && i < vs.length) return vs[i];
    }
    return -1;
  }

  // Text of a key as a name part: strings as-is, ints in decimal, others by position.
  keyName(id: i32, pos: i32): string {
    const t = this.text(id);
    if (t !== null) return t;
    const k = this.kind(id);
    if (k == NodeKind.INT) return this.node(id).i.toString();
    if (k == NodeKind.BOOL) return this.node(id).i ? "True" : "False";
    if (k == NodeKind.BIGINT) return this.node(id).s;
    return pos.toString();
  }

  private join(prefix: string, part: string): string { return prefix.length ? prefix + "." + part : part; }

  // ---------------------------------------------------------------------------------------------
  // metadata values

  private value(id: i32, path: string, depth: i32): JValue {
    if (id < 0 || id >= this.g.count) return new JNull();
    if (++this.emitted > MAX_META_VALUES) { this.r.truncated = true; return new JStr("<truncated>"); }
    if (depth > MAX_DEPTH) { this.r.truncated = true; return new JStr("<nested too deeply>"); }
    const n = this.node(id);
    switch (n.kind) {
      case NodeKind.NONE: return new JNull();
      case NodeKind.BOOL: return new JBool(n.i != 0);
      case NodeKind.INT: {
        if (n.i > 9007199254740991 || n.i < -9007199254740991) return this.tagged("$int", new JStr(n.i.toString()));
        return new JInt(n.i);
      }
      case NodeKind.BIGINT: return this.tagged("$int", new JStr(n.s));
      case NodeKind.FLOAT: {
        if (isNaN(n.f)) return this.tagged("$float", new JStr("nan"));
        if (!isFinite(n.f)) return this.tagged("$float", new JStr(n.f > 0 ? "inf" : "-inf"));
        // JSON numbers lose the sign of zero
        if (n.f == 0 && (reinterpret<u64>(n.f) >> 63) != 0) return this.tagged("$float", new JStr("-0.0"));
        return new JFloat(n.f);
      }
      case NodeKind.STR: {
        if (n.flags & NFlag.RANGE) { const o = new JObj(); o.setStr("$str", "<" + n.len.toString() + " bytes of text>"); o.setU64("offset", n.off); return o; }
        return new JStr(n.s);
      }
      case NodeKind.PYSTR: case NodeKind.BYTES: case NodeKind.BYTEARRAY: return this.bytesValue(n);
      case NodeKind.GLOBAL: return this.tagged("$global", new JStr(this.gname(id)));
      case NodeKind.EXT: return this.tagged("$ext", new JInt(n.i));
      case NodeKind.OOBBUF: return this.tagged("$buffer", new JInt(n.i));
      default: break;
    }
    // containers and objects: tensors first, then shared-reference handling
    const tn = this.tensorOfNode.has(id) ? this.tensorOfNode.get(id) : null;
    if (tn !== null) return this.tagged("$tensor", new JStr(tn));
    if (this.seen[id]) return this.tagged("$ref", new JInt(id));
    this.seen[id] = 1;
    const t = this.tryTensor(id, path);
    if (t) return this.tagged("$tensor", new JStr(t.name));
    switch (n.kind) {
      case NodeKind.LIST: case NodeKind.TUPLE: {
        const a = new JArr();
        const it = n.items;
        if (it) for (let i = 0; i < it.length; i++) a.push(this.value(it[i], this.join(path, i.toString()), depth + 1));
        return a;
      }
      case NodeKind.SET: case NodeKind.FROZENSET: {
        const a = new JArr();
        const it = n.items;
        if (it) for (let i = 0; i < it.length; i++) a.push(this.value(it[i], this.join(path, i.toString()), depth + 1));
        return this.tagged(n.kind == NodeKind.SET ? "$set" : "$frozenset", a);
      }
      case NodeKind.DICT: return this.dictValue(n, path, depth);
      case NodeKind.PERSID: {
        const o = new JObj();
        o.set("$persistent_id", n.a >= 0 ? this.value(n.a, path, depth + 1) : new JStr(n.s));
        return o;
      }
      case NodeKind.CALL: return this.callValue(id, n, path, depth);
    }
    return new JNull();
  }

  private tagged(tag: string, v: JValue): JObj { const o = new JObj(); o.set(tag, v); return o; }

  private bytesValue(n: Node): JValue {
    const o = new JObj();
    const tag = n.kind == NodeKind.BYTEARRAY ? "$bytearray" : n.kind == NodeKind.PYSTR ? "$py2str" : "$bytes";
    const d = n.data;
    if (d && d.length <= 64) {
      let hex = "";
      for (let i = 0; i < d.length; i++) hex += (<u32>d[i]).toString(16).padStart(2, "0");
      o.setStr(tag, hex);
    } else {
      o.setStr(tag, "<" + n.len.toString() + " bytes>");
      if (!d || (n.flags & NFlag.RANGE)) o.setU64("offset", n.off);
    }
    o.setU64("length", n.len);
    return o;
  }

  private dictValue(n: Node, path: string, depth: i32): JValue {
    const ks = n.items, vs = n.vals;
    const o = new JObj();
    if (!ks || !vs) return o;
    let allText = true;
    for (let i = 0; i < ks.length; i++) if (this.text(ks[i]) === null && !this.isIntNode(ks[i])) { allText = false; break; }
    if (allText) {
      // JObj.set searches linearly; a state dict has thousands of keys, so append unless repeated
      const seen = new Set<string>();
      for (let i = 0; i < ks.length && i < vs.length; i++) {
        const k = this.keyName(ks[i], i);
        const v = this.value(vs[i], this.join(path, k), depth + 1);
        if (seen.has(k)) o.set(k, v);
        else { seen.add(k); o.append(k, v); }
      }
      return o;
    }
    const a = new JArr();
    for (let i = 0; i < ks.length && i < vs.length; i++) {
      const pair = new JArr();
      pair.push(this.value(ks[i], path, depth + 1));
      pair.push(this.value(vs[i], this.join(path, this.keyName(ks[i], i)), depth + 1));
      a.push(pair);
    }
    return this.tagged("$dict", a);
  }

  private callValue(id: i32, n: Node, path: string, depth: i32): JValue {
    const c = this.callee(id);
    // dict-likes: the mapping itself is the value
    if (this.dictPairs(id)) {
      const v = this.dictValue(n, path, depth);
      return v;
    }
    if (c == "torch.device" || c == "torch.Size") {
      const a = this.args(id);
      if (c == "torch.device" && a.length >= 1) {
        const t = this.text(a[0]);
        if (t !== null) return this.tagged("$device", new JStr(a.length > 1 && this.isIntNode(a[1]) ? t + ":" + this.node(a[1]).i.toString() : t));
      }
      if (c == "torch.Size") { const arr = new Array<i64>(); if (this.ints(id, arr)) { const j = new JArr(); for (let i = 0; i < arr.length; i++) j.push(new JInt(arr[i])); return j; } }
    }
    if (c == "dill._dill._create_code" || c == "types.CodeType") {
      // a code object, shown inert: its names, constants and bytecode size (never built)
      const a = this.args(id);
      const o = new JObj();
      const strs = new JArr();
      const blobs = new JArr();
      for (let i = 0; i < a.length; i++) {
        const k = this.kind(a[i]);
        const t = this.text(a[i]);
        if (t !== null && k == NodeKind.STR) strs.push(new JStr(t));
        else if (k == NodeKind.BYTES || k == NodeKind.PYSTR) blobs.push(new JInt(<i64>this.node(a[i]).len));
        else if (k == NodeKind.TUPLE) o.set("tuple" + i.toString(), this.value(a[i], path, depth + 1));
      }
      // bytecode, line table and exception table sizes, in argument order
      o.set("byte_lengths", blobs);
      o.set("strings", strs);
      return this.tagged("$code", o);
    }
    if (c == "builtins.set" || c == "builtins.frozenset") {
      // protocols < 4 pickle sets as set([items])
      const a = this.args(id);
      const items = a.length ? this.g.seq(a[0]) : new Array<i32>();
      if (items) {
        const arr = new JArr();
        for (let i = 0; i < items.length; i++) arr.push(this.value(items[i], this.join(path, i.toString()), depth + 1));
        if (n.appended) for (let i = 0; i < n.appended!.length; i++) arr.push(this.value(n.appended![i], path, depth + 1));
        return this.tagged(c == "builtins.set" ? "$set" : "$frozenset", arr);
      }
    }
    if (c == "builtins.bytes" || c == "builtins.bytearray") {
      // bytes() for b"" at protocols < 3; bytearray(b"...") or bytearray("latin-1 text", "latin-1")
      const a = this.args(id);
      let d: Uint8Array | null = null;
      if (a.length == 0) d = new Uint8Array(0);
      else if (this.kind(a[0]) == NodeKind.STR && a.length >= 2) {
        const enc = this.text(a[1]);
        if (enc !== null && (enc.toLowerCase() == "latin-1" || enc.toLowerCase() == "latin1")) d = latin1Bytes(this.node(a[0]));
      } else {
        const t = new FoldedTensor();
        if (this.dataInto(a[0], t)) d = t.inline;
      }
      if (d) {
        const o = new JObj();
        o.setStr(c == "builtins.bytes" ? "$bytes" : "$bytearray", d.length <= 64 ? hexOf(d) : "<" + d.length.toString() + " bytes>");
        o.setInt("length", d.length);
        return o;
      }
    }
    if (c == "_codecs.encode") {
      const d = this.encodedBytes(id);
      if (d) { const o = new JObj(); o.setStr("$bytes", d.length <= 64 ? hexOf(d) : "<" + d.length.toString() + " bytes>"); o.setInt("length", d.length); return o; }
    }
    if (c == "numpy._core.multiarray.scalar") {
      const sv = this.numpyScalar(id);
      if (sv) return sv;
    }
    if (c == "numpy.dtype") {
      const di = new DtypeInfo();
      if (this.numpyDtype(id, di)) return this.tagged("$dtype", new JStr(di.descr));
    }
    if (c == "torch._utils._rebuild_sparse_tensor") {
      const a = this.args(id);
      const o = new JObj();
      if (a.length >= 2) {
        o.set("$sparse", this.value(a[0], path, depth + 1));
        const parts = this.g.seq(a[1]);
        if (parts) {
          const la = this.kind(a[0]) == NodeKind.CALL ? this.args(a[0]) : new Array<i32>();
          const lt = la.length ? this.text(la[0]) : null;
          const coo = lt === null || lt == "torch.sparse_coo" || this.gname(a[0]) == "torch.sparse_coo";
          const labels: string[] = coo ? ["indices", "values", "size", "is_coalesced"] : ["compressed_indices", "plain_indices", "values", "size"];
          for (let i = 0; i < parts.length && i < 4; i++) o.set(labels[i], this.value(parts[i], this.join(path, labels[i]), depth + 1));
        }
        return o;
      }
    }
    if (c == "torch.serialization._get_layout") {
      const a = this.args(id);
      const t = a.length ? this.text(a[0]) : null;
      if (t !== null) return this.tagged("$layout", new JStr(t));
    }
    // objects: nn.Module state naming, then generic class + state
    const o = new JObj();
    const cls = this.objectClass(id);
    o.setStr("$class", cls);
    const st = n.state;
    if (st >= 0 && this.isModuleState(st)) {
      this.moduleValue(st, path, depth, o);
      return o;
    }
    const a = this.g.seq(n.b);
    const showArgs = a !== null && a.length > 0 && c != "copyreg._reconstructor";
    if (showArgs) o.set("args", this.value(n.b, path, depth + 1));
    if (n.c >= 0) o.set("kwargs", this.value(n.c, path, depth + 1));
    if (st >= 0) {
      const sv = this.stateValue(st, path, depth);
      o.set("state", sv);
    }
    const ap = n.appended;
    if (ap && ap.length) {
      const arr = new JArr();
      for (let i = 0; i < ap.length; i++) arr.push(this.value(ap[i], this.join(path, i.toString()), depth + 1));
      o.set("items", arr);
    }
    if (n.items && n.vals && n.items!.length) {
      o.set("mapping", this.dictValue(n, path, depth));
    }
    return o;
  }

  // State of a BUILD: a dict (names = attribute names), or (dict, slots).
  private stateValue(st: i32, path: string, depth: i32): JValue {
    const s = this.g.seq(st);
    if (s && this.kind(st) == NodeKind.TUPLE && s.length == 2 && (this.dictPairs(s[0]) || this.kind(s[0]) == NodeKind.NONE) && this.dictPairs(s[1])) {
      const o = new JObj();
      if (this.dictPairs(s[0])) { const d = this.value(s[0], path, depth + 1); if (d.kind == JKind.OBJ) { const dd = <JObj>d; for (let i = 0; i < dd.keys.length; i++) o.set(dd.keys[i], dd.vals[i]); } }
      const sl = this.value(s[1], path, depth + 1);
      if (sl.kind == JKind.OBJ) { const dd = <JObj>sl; for (let i = 0; i < dd.keys.length; i++) o.set(dd.keys[i], dd.vals[i]); }
      return o;
    }
    return this.value(st, path, depth + 1);
  }

  // Class shown for an object: NEWOBJ cls, copyreg._reconstructor(cls, base, state), or the callee.
  private objectClass(id: i32): string {
    const n = this.node(id);
    const c = this.callee(id);
    if (c == "copyreg._reconstructor" || c == "copyreg.__newobj__") {
      const a = this.args(id);
      if (a.length && this.kind(a[0]) == NodeKind.GLOBAL) return this.gname(a[0]);
    }
    if (c.length) return c;
    return "<computed>";
  }

  private isModuleState(st: i32): bool {
    return this.dictPairs(st) != null && this.lookup(st, "_parameters") >= 0 && this.lookup(st, "_modules") >= 0;
  }

  // nn.Module: parameters and persistent buffers named like state_dict(), submodules recursively.
  private moduleValue(st: i32, path: string, depth: i32, o: JObj): void {
    const params = this.lookup(st, "_parameters");
    const buffers = this.lookup(st, "_buffers");
    const modules = this.lookup(st, "_modules");
    const nonPersistent = new Set<string>();
    const np = this.lookup(st, "_non_persistent_buffers_set");
    if (np >= 0) {
      let items: Array<i32> | null = null;
      if (this.kind(np) == NodeKind.SET) items = this.node(np).items;
      else if (this.kind(np) == NodeKind.CALL) { const a = this.args(np); if (a.length) items = this.g.seq(a[0]); }
      if (items) for (let i = 0; i < items.length; i++) { const t = this.text(items[i]); if (t !== null) nonPersistent.add(t); }
    }
    const d = this.node(st);
    const ks = d.items!, vs = d.vals!;
    for (let i = 0; i < ks.length && i < vs.length; i++) {
      const k = this.keyName(ks[i], i);
      if (vs[i] == params || vs[i] == buffers || vs[i] == modules) continue;
      if (k == "_non_persistent_buffers_set") continue;
      if (k.startsWith("_") && k.endsWith("hooks") || k.endsWith("_hooks_with_kwargs") || k.endsWith("_hooks_always_called") || k.endsWith("hook_w_kwargs")) continue;
      o.set(k, this.value(vs[i], this.join(path, k), depth + 1));
    }
    const pv = new JObj();
    this.namedEntries(params, path, depth, pv, null);
    if (pv.size) o.set("_parameters", pv);
    const bv = new JObj();
    this.namedEntries(buffers, path, depth, bv, nonPersistent);
    if (bv.size) o.set("_buffers", bv);
    const mp = this.dictPairs(modules);
    if (mp && mp.items && mp.vals) {
      const mv = new JObj();
      for (let i = 0; i < mp.items!.length && i < mp.vals!.length; i++) {
        const k = this.keyName(mp.items![i], i);
        mv.set(k, this.value(mp.vals![i], this.join(path, k), depth + 1));
      }
      o.set("_modules", mv);
    }
  }

  private namedEntries(dictId: i32, path: string, depth: i32, out: JObj, skip: Set<string> | null): void {
    const d = this.dictPairs(dictId);
    if (!d || !d.items || !d.vals) return;
    for (let i = 0; i < d.items!.length && i < d.vals!.length; i++) {
      const k = this.keyName(d.items![i], i);
      if (skip && skip.has(k)) { out.set(k, new JStr("<non-persistent buffer>")); continue; }
      out.set(k, this.value(d.vals![i], this.join(path, k), depth + 1));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // tensors

  private register(t: FoldedTensor, id: i32, path: string): FoldedTensor {
    let name = path;
    if (this.names.has(name)) { let k = 1; while (this.names.has(name + "#" + k.toString())) k++; name = name + "#" + k.toString(); }
    this.names.add(name);
    t.name = name;
    t.node = id;
    this.tensorOfNode.set(id, name);
    this.r.tensors.push(t);
    return t;
  }

  tryTensor(id: i32, path: string): FoldedTensor | null {
    if (this.kind(id) != NodeKind.CALL) return null;
    const c = this.callee(id);
    const n = this.node(id);
    if (c.startsWith("torch._utils._rebuild_") || c == "torch._tensor._rebuild_from_type_v2") {
      const t = this.torchTensor(c, this.args(id), id);
      if (t) {
        if (n.state >= 0) t.extra.setBool("has_python_state", true);
        return this.register(t, id, path);
      }
      return null;
    }
    if (c == "numpy._core.multiarray._reconstruct") {
      const t = this.numpyReconstruct(id);
      return t ? this.register(t, id, path) : null;
    }
    if (c == DILL_CREATE_ARRAY) {
      const t = this.dillArray(id);
      return t ? this.register(t, id, path) : null;
    }
    if (c == "numpy._core.numeric._frombuffer") {
      const t = this.numpyFrombuffer(this.args(id));
      return t ? this.register(t, id, path) : null;
    }
    const oc = this.objectClass(id);
    if (oc == "joblib.numpy_pickle.NDArrayWrapper" || oc == "joblib.numpy_pickle_compat.NDArrayWrapper") {
      // joblib < 0.10: the array lives in a side file named by the state; the joblib module opens it
      const st = this.node(id).state;
      const fn = st >= 0 ? this.lookup(st, "filename") : -1;
      const name = fn >= 0 ? this.text(fn) : null;
      if (name === null) return null;
      const t = new FoldedTensor();
      t.source = "joblib-file";
      t.storageKey = name;
      t.extra.setStr("file", name);
      return this.register(t, id, path);
    }
    if (c == "joblib.numpy_pickle.NumpyArrayWrapper" || oc == "joblib.numpy_pickle.NumpyArrayWrapper") {
      const t = this.joblibWrapper(id);
      return t ? this.register(t, id, path) : null;
    }
    return null;
  }

  private torchTensor(c: string, a: Array<i32>, id: i32): FoldedTensor | null {
    if (c == "torch._utils._rebuild_tensor" || c == "torch._utils._rebuild_tensor_v2" || c == "torch._utils._rebuild_tensor_v3") {
      if (a.length < 4) return null;
      const t = new FoldedTensor();
      t.source = "torch";
      if (!this.storageInto(a[0], t)) return null;
      t.offset = this.intAt(a, 1, 0) + t.offset;
      if (!this.ints(a[2], t.shape) || !this.ints(a[3], t.stride)) return null;
      if (c == "torch._utils._rebuild_tensor_v3") {
        if (a.length < 7) return null;
        const di = new DtypeInfo();
        const dn = this.gname(a[6]);
        if (!dn.startsWith("torch.") || !torchDtype(dn.substring(6), di)) { this.r.problems.push("unknown torch dtype " + dn); return null; }
        t.dtype = di.dt; t.elemBytes = di.size; t.dtypeText = di.descr;
        if (this.isIntNode(a[4]) && this.node(a[4]).i != 0) t.extra.setBool("requires_grad", true);
      } else if (a.length >= 5 && this.isIntNode(a[4]) && this.node(a[4]).i != 0) t.extra.setBool("requires_grad", true);
      if (t.dtype == 0) { this.r.problems.push("untyped storage without a dtype"); return null; }
      return t;
    }
    if (c == "torch._utils._rebuild_parameter" || c == "torch._utils._rebuild_parameter_with_state") {
      if (a.length < 1 || this.kind(a[0]) != NodeKind.CALL) return null;
      const inner = this.torchTensor(this.callee(a[0]), this.args(a[0]), a[0]);
      if (!inner) return null;
      inner.extra.setBool("parameter", true);
      if (a.length >= 2 && this.isIntNode(a[1])) inner.extra.setBool("requires_grad", this.node(a[1]).i != 0);
      this.tensorOfNode.set(a[0], ""); // placeholder: the inner call is part of this tensor
      return inner;
    }
    if (c == "torch._tensor._rebuild_from_type_v2") {
      if (a.length < 3) return null;
      const inner = this.torchTensor(this.gname(a[0]), this.g.seq(a[2]) || new Array<i32>(), id);
      if (!inner) return null;
      const cls = this.gname(a[1]);
      if (cls != "torch.Tensor" && cls != "torch.nn.parameter.Parameter") inner.extra.setStr("subclass", cls);
      if (cls == "torch.nn.parameter.Parameter") inner.extra.setBool("parameter", true);
      return inner;
    }
    if (c == "torch._utils._rebuild_qtensor") {
      if (a.length < 5) return null;
      const t = new FoldedTensor();
      t.source = "torch";
      if (!this.storageInto(a[0], t)) return null;
      t.offset += this.intAt(a, 1, 0);
      if (!this.ints(a[2], t.shape) || !this.ints(a[3], t.stride)) return null;
      const q = new JObj();
      const qp = this.g.seq(a[4]);
      if (qp && qp.length) {
        q.setStr("scheme", this.gname(qp[0]));
        if (qp.length >= 3) {
          q.set("scale", this.value(qp[1], "", 1));
          q.set("zero_point", this.value(qp[2], "", 1));
        }
        if (qp.length >= 4) q.set("axis", this.value(qp[3], "", 1));
      }
      t.extra.set("quantization", q);
      return t;
    }
    if (c == "torch._utils._rebuild_sparse_tensor") {
      // reported with its structure; the component tensors are registered under name.<part>
      return null;
    }
    if (c == "torch._utils._rebuild_meta_tensor_no_storage") {
      if (a.length < 3) return null;
      const t = new FoldedTensor();
      t.source = "torch";
      const di = new DtypeInfo();
      const dn = this.gname(a[0]);
      if (!dn.startsWith("torch.") || !torchDtype(dn.substring(6), di)) return null;
      t.dtype = di.dt; t.elemBytes = di.size; t.dtypeText = di.descr;
      if (!this.ints(a[1], t.shape) || !this.ints(a[2], t.stride)) return null;
      t.location = "meta";
      t.extra.setBool("meta", true);
      return t;
    }
    if (c == "torch._utils._rebuild_device_tensor_from_numpy" || c == "torch._utils._rebuild_xla_tensor") {
      if (a.length < 1) return null;
      const inner = this.numpyAny(a[0]);
      if (inner) inner.source = "torch";
      return inner;
    }
    if (c == "torch._utils._rebuild_device_tensor_from_cpu_tensor") {
      if (a.length < 1 || this.kind(a[0]) != NodeKind.CALL) return null;
      return this.torchTensor(this.callee(a[0]), this.args(a[0]), a[0]);
    }
    return null;
  }

  private numpyAny(id: i32): FoldedTensor | null {
    const c = this.callee(id);
    if (c == "numpy._core.multiarray._reconstruct") return this.numpyReconstruct(id);
    if (c == "numpy._core.numeric._frombuffer") return this.numpyFrombuffer(this.args(id));
    return null;
  }

  // Persistent id ('storage', storage_type, key, location, numel[, view_metadata]) into t.
  private storageInto(id: i32, t: FoldedTensor): bool {
    if (this.kind(id) != NodeKind.PERSID) return false;
    const p = this.node(id);
    const s = this.g.seq(p.a);
    if (!s || s.length < 5) { this.r.problems.push("persistent id is not a storage tuple"); return false; }
    const tag = this.text(s[0]);
    if (tag === null || tag != "storage") { this.r.problems.push("persistent id kind " + (tag !== null ? tag : "?")); return false; }
    const st = this.gname(s[1]);
    const key = this.text(s[2]);
    const loc = this.text(s[3]);
    if (key === null) return false;
    t.storageKey = key;
    t.location = loc !== null ? loc : "";
    t.storageNumel = this.isIntNode(s[4]) ? this.node(s[4]).i : -1;
    t.dataKind = DataKind.STORAGE;
    const short = st.startsWith("torch.") ? st.substring(6) : st;
    t.storageType = short;
    const k = TORCH_STORAGE_NAMES.indexOf(short);
    if (k >= 0) {
      t.dtype = TORCH_STORAGE_DT[k];
      t.elemBytes = TORCH_STORAGE_SIZE[k];
      t.dtypeText = st;
    } else if (short != "UntypedStorage" && short != "storage.UntypedStorage") {
      this.r.problems.push("unknown storage type " + st);
      return false;
    }
    // legacy view metadata: (view_key, offset, size) -> a slice of the root storage
    if (s.length >= 6 && this.kind(s[5]) == NodeKind.TUPLE) {
      const vm = this.g.seq(s[5])!;
      if (vm.length >= 2 && this.isIntNode(vm[1])) t.offset += this.node(vm[1]).i;
      t.extra.setStr("view_of", key);
    }
    return true;
  }

  // numpy dtype from a numpy.dtype(...) call node with its BUILD state.
  numpyDtype(id: i32, out: DtypeInfo): bool {
    if (this.callee(id) != "numpy.dtype") return false;
    const a = this.args(id);
    if (!a.length) return false;
    const code = this.text(a[0]);
    if (code === null) return false;
    let endian = "<";
    const n = this.node(id);
    const st = this.g.seq(n.state);
    let hasFields = false;
    if (st && st.length >= 2) {
      const e = this.text(st[1]);
      if (e !== null) endian = e;
      if (st.length >= 5 && this.kind(st[4]) != NodeKind.NONE) hasFields = true;
    }
    out.bigEndian = endian == ">";
    const kindCh = code.length ? code.charAt(0) : "";
    const size = code.length > 1 ? I32.parseInt(code.substring(1)) : 0;
    out.descr = (endian == "|" || endian == "=" ? (kindCh == "b" || kindCh == "i" && size == 1 || kindCh == "u" && size == 1 || kindCh == "O" || kindCh == "V" || kindCh == "S" ? "|" : "<") : endian) + code;
    let dt = -1;
    if (hasFields) dt = DT_RAW;
    else if (kindCh == "f") dt = size == 8 ? DT_F64 : size == 4 ? DT_F32 : size == 2 ? DT_F16 : -1;
    else if (kindCh == "i") dt = size == 8 ? DT_I64 : size == 4 ? DT_I32 : size == 2 ? DT_I16 : size == 1 ? DT_I8 : -1;
    else if (kindCh == "u") dt = size == 8 ? DT_U64 : size == 4 ? DT_U32 : size == 2 ? DT_U16 : size == 1 ? DT_U8 : -1;
    else if (kindCh == "b") dt = DT_BOOL;
    else if (kindCh == "c") dt = size == 16 ? DT_C128 : size == 8 ? DT_C64 : -1;
    else if (kindCh == "O") dt = DT_OBJECT;
    else if (kindCh == "U" || kindCh == "S") dt = DT_STR;
    else if (kindCh == "V" || kindCh == "M" || kindCh == "m") dt = DT_RAW;
    if (dt < 0) return false;
    out.dt = dt;
    out.size = kindCh == "U" ? size * 4 : kindCh == "O" ? 8 : kindCh == "b" ? 1 : size;
    out.ok = true;
    return true;
  }

  private contiguous(t: FoldedTensor, fortran: bool): void {
    const nd = t.shape.length;
    t.stride.length = nd;
    let acc: i64 = 1;
    if (fortran) for (let i = 0; i < nd; i++) { t.stride[i] = acc; acc *= t.shape[i] > 0 ? t.shape[i] : 1; }
    else for (let i = nd - 1; i >= 0; i--) { t.stride[i] = acc; acc *= t.shape[i] > 0 ? t.shape[i] : 1; }
  }

  // Data bytes node -> t (range, inline copy, or latin-1 text from protocol-2 _codecs.encode).
  private dataInto(id: i32, t: FoldedTensor): bool {
    const k = this.kind(id);
    if (k == NodeKind.BYTES || k == NodeKind.BYTEARRAY || k == NodeKind.PYSTR) {
      const n = this.node(id);
      if (n.flags & NFlag.ESCAPED) {
        // protocol-0 STRING: only the decoded copy is meaningful
        if (!n.data) return false;
        t.dataKind = DataKind.INLINE; t.inline = n.data; t.dataLen = <u64>n.data!.length;
        return true;
      }
      t.dataKind = DataKind.RANGE; t.dataOff = n.off; t.dataLen = n.len;
      t.inline = n.data;
      return true;
    }
    if (k == NodeKind.CALL && this.callee(id) == "builtins.bytes" && this.args(id).length == 0) {
      t.dataKind = DataKind.INLINE; t.inline = new Uint8Array(0); t.dataLen = 0;
      return true;
    }
    if (k == NodeKind.CALL && this.callee(id) == "_codecs.encode") {
      const a = this.args(id);
      if (a.length >= 1 && this.kind(a[0]) == NodeKind.STR && (this.node(a[0]).flags & NFlag.RANGE) && this.isLatin1Codec(a)) {
        const tn = this.node(a[0]);
        t.dataKind = DataKind.TEXT; t.dataOff = tn.off; t.dataLen = tn.len;
        return true;
      }
      const d = this.encodedBytes(id);
      if (!d) return false;
      t.dataKind = DataKind.INLINE; t.inline = d; t.dataLen = <u64>d.length;
      return true;
    }
    if (k == NodeKind.STR) {
      // Python 2 str decoded as latin-1 by numpy's encoding='latin1' loads
      const d = latin1Bytes(this.node(id));
      if (!d) return false;
      t.dataKind = DataKind.INLINE; t.inline = d; t.dataLen = <u64>d.length;
      return true;
    }
    return false;
  }

  // _codecs.encode(text, 'latin1') -> the bytes (protocol-2 bytes objects).
  encodedBytes(id: i32): Uint8Array | null {
    const a = this.args(id);
    if (a.length < 1 || this.kind(a[0]) != NodeKind.STR) return null;
    return this.isLatin1Codec(a) ? latin1Bytes(this.node(a[0])) : null;
  }

  private isLatin1Codec(a: Array<i32>): bool {
    const enc = a.length >= 2 ? this.text(a[1]) : "utf-8";
    if (enc === null) return false;
    const e = enc.toLowerCase();
    return e == "latin1" || e == "latin-1" || e == "iso-8859-1" || e == "l1";
  }

  private numpyReconstruct(id: i32): FoldedTensor | null {
    return this.reconstructed(this.args(id), this.node(id).state);
  }

  // dill's _create_array(f, args, state, npdict) runs f(*args).__setstate__(state): the same array
  // as numpy's own pickle when f is numpy's _reconstruct (any other f stays an unfolded call).
  private dillArray(id: i32): FoldedTensor | null {
    const a = this.args(id);
    if (a.length < 3 || this.kind(a[0]) != NodeKind.GLOBAL || this.gname(a[0]) != "numpy._core.multiarray._reconstruct") return null;
    const inner = this.g.seq(a[1]);
    if (!inner) return null;
    const t = this.reconstructed(inner, a[2]);
    if (t && a.length >= 4 && this.kind(a[3]) != NodeKind.NONE) t.extra.set("npdict", this.value(a[3], "", 1));
    return t;
  }

  // An ndarray from _reconstruct's arguments (cls, shape, dtype code) and its __setstate__ tuple.
  private reconstructed(cls: Array<i32>, stateId: i32): FoldedTensor | null {
    const st = this.g.seq(stateId);
    if (!st) return null;
    let base = 0;
    if (st.length == 5) base = 1; else if (st.length != 4) return null;
    const t = new FoldedTensor();
    t.source = "numpy";
    if (!this.ints(st[base], t.shape)) return null;
    const di = new DtypeInfo();
    if (!this.numpyDtype(st[base + 1], di)) return null;
    t.dtype = di.dt; t.elemBytes = di.size; t.bigEndian = di.bigEndian; t.dtypeText = di.descr;
    const fortran = this.isIntNode(st[base + 2]) && this.node(st[base + 2]).i != 0;
    this.contiguous(t, fortran);
    if (fortran) t.extra.setStr("order", "F");
    t.extra.setStr("numpy_descr", di.descr);
    if (cls.length && this.gname(cls[0]) != "numpy.ndarray") t.extra.setStr("subclass", this.gname(cls[0]));
    if (di.dt == DT_OBJECT || this.kind(st[base + 3]) == NodeKind.LIST) {
      t.dtype = DT_OBJECT;
      t.extra.set("objects", this.value(st[base + 3], "", 1));
      return t;
    }
    if (!this.dataInto(st[base + 3], t)) return null;
    return t;
  }

  private numpyFrombuffer(a: Array<i32>): FoldedTensor | null {
    if (a.length < 4) return null;
    const t = new FoldedTensor();
    t.source = "numpy";
    const di = new DtypeInfo();
    if (!this.numpyDtype(a[1], di)) return null;
    t.dtype = di.dt; t.elemBytes = di.size; t.bigEndian = di.bigEndian; t.dtypeText = di.descr;
    t.extra.setStr("numpy_descr", di.descr);
    if (!this.ints(a[2], t.shape)) return null;
    const order = this.text(a[3]);
    if (order === null) return null;
    if (!this.dataInto(a[0], t)) return null;
    if (order == "F") { this.contiguous(t, true); t.extra.setStr("order", "F"); }
    else if (order == "K" && a.length >= 5) {
      const perm = new Array<i64>();
      if (!this.ints(a[4], perm) || perm.length != t.shape.length) return null;
      this.contiguous(t, false);
      const shp = t.shape.slice(0), str = t.stride.slice(0);
      for (let i = 0; i < perm.length; i++) {
        const p = perm[i];
        if (p < 0 || p >= shp.length) return null;
        t.shape[i] = shp[<i32>p];
        t.stride[i] = str[<i32>p];
      }
    } else this.contiguous(t, false);
    return t;
  }

  // joblib NumpyArrayWrapper: state {subclass, shape, order, dtype, allow_mmap[, numpy_array_alignment_bytes]};
  // its raw bytes follow the BUILD and were recorded on the node by the joblib driver (RANGE flag).
  private joblibWrapper(id: i32): FoldedTensor | null {
    const n = this.node(id);
    if (n.state < 0) return null;
    const t = new FoldedTensor();
    t.source = "joblib";
    const shp = this.lookup(n.state, "shape");
    if (shp < 0 || !this.ints(shp, t.shape)) return null;
    const di = new DtypeInfo();
    if (!this.numpyDtype(this.lookup(n.state, "dtype"), di)) return null;
    t.dtype = di.dt; t.elemBytes = di.size; t.bigEndian = di.bigEndian; t.dtypeText = di.descr;
    t.extra.setStr("numpy_descr", di.descr);
    const ord = this.lookup(n.state, "order");
    const o = ord >= 0 ? this.text(ord) : "C";
    const fortran = o !== null && o == "F";
    this.contiguous(t, fortran);
    if (fortran) t.extra.setStr("order", "F");
    const sub = this.lookup(n.state, "subclass");
    if (sub >= 0 && this.gname(sub) != "numpy.ndarray") t.extra.setStr("subclass", this.gname(sub));
    if (di.dt == DT_OBJECT) { t.extra.setStr("objects", "stored as a nested pickle"); return t; }
    if (n.flags & NFlag.RANGE) { t.dataKind = DataKind.RANGE; t.dataOff = n.off; t.dataLen = n.len; }
    return t;
  }

  // Byte count of the raw data joblib writes after a NumpyArrayWrapper's BUILD: -1 when the
  // state is not understood, -2 for object arrays (a nested pickle follows instead).
  joblibRawBytes(id: i32, aligned: StaticArray<bool>): i64 {
    const n = this.node(id);
    if (n.state < 0) return -1;
    const shape = new Array<i64>();
    const shp = this.lookup(n.state, "shape");
    if (shp < 0 || !this.ints(shp, shape)) return -1;
    const di = new DtypeInfo();
    if (!this.numpyDtype(this.lookup(n.state, "dtype"), di)) return -1;
    if (di.dt == DT_OBJECT) return -2;
    aligned[0] = this.lookup(n.state, "numpy_array_alignment_bytes") >= 0 && this.kind(this.lookup(n.state, "numpy_array_alignment_bytes")) != NodeKind.NONE;
    let total: i64 = di.size;
    for (let i = 0; i < shape.length; i++) {
      if (shape[i] < 0) return -1;
      if (shape[i] != 0 && total > (<i64>1 << 52) / shape[i]) return -1;
      total *= shape[i];
    }
    return total;
  }

  // numpy scalar(dtype, bytes) -> a JSON value.
  private numpyScalar(id: i32): JValue | null {
    const a = this.args(id);
    if (a.length < 2) return null;
    const di = new DtypeInfo();
    if (!this.numpyDtype(a[0], di)) return null;
    const t = new FoldedTensor();
    if (!this.dataInto(a[1], t)) return null;
    const d = t.inline;
    if (!d || d.length != di.size) return null;
    const p = d.dataStart;
    const sw = di.bigEndian;
    let v: JValue | null = null;
    if (di.dt == DT_F64) { const bits = sw ? bswap<u64>(load<u64>(p)) : load<u64>(p); const f = reinterpret<f64>(bits); v = isFinite(f) ? new JFloat(f) : this.tagged("$float", new JStr(isNaN(f) ? "nan" : f > 0 ? "inf" : "-inf")); }
    else if (di.dt == DT_F32) { const bits = sw ? bswap<u32>(load<u32>(p)) : load<u32>(p); const f = <f64>reinterpret<f32>(bits); v = isFinite(f) ? new JFloat(f) : this.tagged("$float", new JStr(isNaN(f) ? "nan" : f > 0 ? "inf" : "-inf")); }
    else if (di.dt == DT_I64) { const x = <i64>(sw ? bswap<u64>(load<u64>(p)) : load<u64>(p)); v = new JInt(x); }
    else if (di.dt == DT_I32) { const x = <i32>(sw ? bswap<u32>(load<u32>(p)) : load<u32>(p)); v = new JInt(x); }
    else if (di.dt == DT_U8) v = new JInt(<i64>load<u8>(p));
    else if (di.dt == DT_I8) v = new JInt(<i64>load<i8>(p));
    else if (di.dt == DT_BOOL) v = new JBool(load<u8>(p) != 0);
    if (!v) return null;
    const o = new JObj();
    o.setStr("$numpy", di.descr);
    o.set("value", v);
    return o;
  }
}

function hexOf(d: Uint8Array): string {
  let hex = "";
  for (let i = 0; i < d.length; i++) hex += (<u32>d[i]).toString(16).padStart(2, "0");
  return hex;
}

// Characters U+0000..U+00FF of a str node as bytes (null when another character occurs).
export function latin1Bytes(n: Node): Uint8Array | null {
  if (n.kind != NodeKind.STR || (n.flags & NFlag.RANGE)) return null;
  const s = n.s;
  const d = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) return null;
    d[i] = <u8>c;
  }
  return d;
}

export function tensorJson(t: FoldedTensor): JObj {
  const o = new JObj();
  o.setStr("name", t.name);
  o.setStr("dtype", dtypeName(t.dtype));
  const sh = new JArr();
  for (let i = 0; i < t.shape.length; i++) sh.push(new JInt(t.shape[i]));
  o.set("shape", sh);
  const sd = new JArr();
  for (let i = 0; i < t.stride.length; i++) sd.push(new JInt(t.stride[i]));
  o.set("stride", sd);
  o.setInt("offset", t.offset);
  o.setInt("elemBytes", t.elemBytes);
  o.setStr("source", t.source);
  if (t.dtypeText.length) o.setStr("dtypeText", t.dtypeText);
  if (t.dataKind == DataKind.STORAGE) {
    const s = new JObj();
    s.setStr("key", t.storageKey);
    s.setStr("type", t.storageType);
    s.setInt("numel", t.storageNumel);
    s.setStr("location", t.location);
    o.set("storage", s);
  } else if (t.dataKind == DataKind.RANGE) {
    const s = new JObj();
    s.setU64("offset", t.dataOff);
    s.setU64("length", t.dataLen);
    o.set("range", s);
  } else if (t.dataKind == DataKind.INLINE) {
    o.setU64("inlineLength", t.dataLen);
    // bytes that exist only decoded (protocol-0 escapes, latin-1 text): small ones travel in the index
    const d = t.inline;
    if (d && d.length <= MAX_INLINE_HEX) o.setStr("inlineHex", hexOf(d));
  }
  if (t.bigEndian) o.setBool("bigEndian", true);
  if (t.extra.size) o.set("extra", t.extra);
  return o;
}
