// GGUF (ggml's model container), versions 1-3, both byte orders, split sets.
//
// Layout (docs/gguf.md): magic "GGUF", u32 version, tensor count, KV count (u64; v1: u32), the
// KV pairs, the tensor infos, padding to `general.alignment` (default 32), tensor data. A file
// is big-endian when its version read little-endian has a zero low half (every reader detects it
// that way; the spec has no flag). Every count and length is checked against the bytes left in
// the file and against caps before it drives a loop or an allocation. "docs/gguf.md" is ggml's
// spec (ggml-org/ggml).
//
// Options (job_set_options):
//   ggmlTypeMap: {"<id>": "<ggml type name>"}  read a fork's type id with a known layout
//   gguf: {maxDims: n}                         allow more than 4 dimensions (ggml's limit)
//   gguf: {acceptFuggMagic: 1}                 read files with the unmerged big-endian magic "FUGG"
// Metadata arrays longer than 64 elements appear as {type, length, offset} (offset: where the
// elements start in the file), strings longer than 1 MiB as {type, length, prefix}. Every
// top-level array of the main file can be streamed whole through the metadata_array call.

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import {
  DT_BOOL, DT_F32, DT_F64, DT_GGML_BASE, DT_I16, DT_I32, DT_I64, DT_I8, DT_STR, DT_U16, DT_U32, DT_U64, DT_U8, dtypeForGgmlType,
} from "../../core/dtype";
import { ArraySpec, registerMetadataArray } from "../../jobs/array-job";
import {
  E_BAD_SHAPE, E_DUPLICATE, E_INVALID_HEADER, E_INVALID_OFFSET, E_LIMIT, E_MISALIGNED, E_OVERFLOW,
} from "../../core/errors";
import { isTemplateKey, reportGgufTemplate } from "../jinja/template";
import { Finding, Plan, SEV_INFO, SEV_LOW, SEV_MEDIUM, shapeArray, Tensor } from "../../core/model";
import { ggmlBigEndianType, ggmlBlockElements, ggmlRowBytes, ggmlTypeFromName, ggmlTypeName, GGML_TYPE_COUNT } from "../../kernels/ggml-types";
import { isValidUtf8 } from "../../util/bytes";
import { JArr, JBool, JFloat, JInt, JObj, JStr, JUint, JValue } from "../../util/json";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NAME_ONLY, SNIFF_NO, SNIFF_STRUCTURE } from "../format";

// Caps.
const MAX_TENSORS: u64 = 1_000_000; // real models: a few thousand per file
const MAX_KV: u64 = 100_000; // hf-gguf's cap
const MAX_ARRAY: u64 = 1 << 30; // GGUF_MAX_ARRAY_ELEMENTS
const MAX_STRING: u64 = 1 << 30; // GGUF_MAX_STRING_LENGTH
const MAX_KEY: u64 = 65535;
const MAX_NAME: u64 = 4096; // ggml allows 63; longer names are reported, not refused
const GGML_MAX_NAME: u64 = 63;
const MAX_DEPTH: i32 = 4;
const MAX_ALIGNMENT: u32 = 1 << 30;
// Arrays up to this many elements are shown in the metadata; longer ones as type and length.
const INLINE_ARRAY: u64 = 64;
// Strings longer than this are shown cut, with their length.
const INLINE_STRING: u64 = 1 << 20;

// Values shown inline per metadata key, nested arrays included (64 per level would otherwise
// allow 64^4); beyond it arrays are shown as {type, length, offset}.
const INLINE_BUDGET: i32 = 4096;
let inlineBudget: i32 = 0;

// Metadata value types.
const T_UINT8 = 0, T_INT8 = 1, T_UINT16 = 2, T_INT16 = 3, T_UINT32 = 4, T_INT32 = 5, T_FLOAT32 = 6,
  T_BOOL = 7, T_STRING = 8, T_ARRAY = 9, T_UINT64 = 10, T_INT64 = 11, T_FLOAT64 = 12;
const VALUE_TYPE_NAMES: string[] = ["UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"];
const VALUE_SIZES: i32[] = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];

export function valueTypeName(t: u32): string { return t < 13 ? VALUE_TYPE_NAMES[t] : "type " + t.toString(); }

// ---------------------------------------------------------------------------------------------

// Sequential reader over one source. Any failed view sets `ok = false`; callers check `ok` at
// the points where they need the value and hand over to ctx.fail/ctx.truncated.
class Cursor {
  ok: bool = true;
  what: string = "";
  constructor(public ctx: Context, public src: i32, public off: u64, public be: bool, public v1: bool) {}

  get size(): u64 { return this.ctx.sourceSize(this.src); }
  get left(): u64 { return this.off <= this.size ? this.size - this.off : 0; }

  take(n: u64, what: string): usize {
    if (!this.ok) return 0;
    const p = this.ctx.viewOf(this.src, this.off, n);
    if (!p) { this.ok = false; this.what = what; return 0; }
    this.off += n;
    return p;
  }
  u8(what: string): u32 { const p = this.take(1, what); return p ? <u32>load<u8>(p) : 0; }
  u16(what: string): u32 { const p = this.take(2, what); if (!p) return 0; const v = load<u16>(p); return <u32>(this.be ? bswap<u16>(v) : v); }
  u32(what: string): u32 { const p = this.take(4, what); if (!p) return 0; const v = load<u32>(p); return this.be ? bswap<u32>(v) : v; }
  u64(what: string): u64 { const p = this.take(8, what); if (!p) return 0; const v = load<u64>(p); return this.be ? bswap<u64>(v) : v; }
  // A count or length: u32 in v1, u64 after.
  count(what: string): u64 { return this.v1 ? <u64>this.u32(what) : this.u64(what); }
}

class TensorInfo {
  constructor(public name: string, public dims: u64[], public type: u32, public offset: u64) {}
  nelem: u64 = 0;
  nbytes: u64 = 0; // u64.MAX_VALUE when the type is unknown
  source: i32 = 0;
  dataStart: u64 = 0;
  known: bool = true;
  space: u64 = u64.MAX_VALUE; // bytes up to the next tensor (or the end of the data)
  alignment: u64 = 32;
}

class Header {
  version: u32 = 0;
  be: bool = false;
  kv: JObj = new JObj();
  kvTypes: JObj = new JObj();
  kvRanges: JObj = new JObj(); // key -> [offset, length] of the whole pair in the file (writers copy it)
  alignment: u32 = 32;
  tensors: TensorInfo[] = [];
  dataStart: u64 = 0;
  infosEnd: u64 = 0;
}

export class GGUFFormat extends FormatModule {
  get id(): string { return "gguf"; }

  sniff(s: Sniff): i32 {
    if (s.startsWith("GGUF")) return SNIFF_MAGIC;
    if (s.startsWith("FUGG")) return SNIFF_STRUCTURE; // proposed big-endian magic (non-standard)
    return s.nameEndsWith(".gguf") ? SNIFF_NAME_ONLY : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const idx = ctx.index;
    idx.format = "gguf";
    const h = new Header();
    const st = parseHeader(ctx, 0, h, "");
    if (st != ST_DONE) return st;
    idx.formatVersion = h.version.toString() + (h.be ? "-be" : "");
    if (h.version == 1) idx.addFinding(SEV_INFO, "gguf-v1", "GGUF version 1 (August 2023): current llama.cpp refuses it (\"GGUFv1 is no longer supported\").", "");
    if (h.be) idx.addFinding(SEV_INFO, "gguf-big-endian", "A big-endian GGUF file: llama.cpp on little-endian machines refuses it; omnimodel converts the values.", "");
    for (let i = 0; i < h.kv.keys.length; i++) idx.metadata.set(h.kv.keys[i], h.kv.vals[i]);
    // Little-endian v2/v3 pairs are copied byte for byte by the GGUF writer (value types kept).
    if (!h.be && h.version >= 2) { idx.ggufKvRanges = h.kvRanges; idx.ggufKvTypes = h.kvTypes; idx.ggufAlignment = h.alignment; }

    // Split sets: shard 1 lists the others; open them through the sibling resolver.
    const all = h.tensors;
    const splitCount = kvUint(h.kv, "split.count");
    if (splitCount > 1) {
      const sst = openShards(ctx, h, all, <u32>splitCount);
      if (sst != ST_DONE) return sst;
    }
    const typeMap = optionTypeMap(ctx);
    for (let i = 0; i < all.length; i++) addTensor(ctx, all[i], h, typeMap);
    if (all.length == 0 && h.kv.keys.length == 0) idx.addFinding(SEV_LOW, "empty-model", "The file holds no tensors and no metadata.", "");
    return ST_DONE;
  }
}

// Reads `general.*` etc. as a u64 when present and integral; 0 otherwise.
function kvUint(kv: JObj, key: string): u64 {
  const v = kv.get(key);
  if (!v) return 0;
  if (v instanceof JUint) return (<JUint>v).value;
  if (v instanceof JInt) return (<JInt>v).value < 0 ? 0 : <u64>(<JInt>v).value;
  return 0;
}

function optionTypeMap(ctx: Context): Map<u32, u32> {
  // options: {"ggmlTypeMap": {"137": "Q4_0", ...}} maps fork type ids onto known layouts.
  const m = new Map<u32, u32>();
  const o = ctx.options.getObj("ggmlTypeMap");
  if (!o) return m;
  for (let i = 0; i < o.keys.length; i++) {
    const from = I32.parseInt(o.keys[i]);
    const name = o.vals[i].asStr();
    if (from < 0 || name === null) continue;
    const to = ggmlTypeFromName(name);
    if (to >= 0 && to < GGML_TYPE_COUNT) m.set(<u32>from, <u32>to);
  }
  return m;
}

// Parses one GGUF header (magic through tensor infos) of source `src`. `shard` names the file in
// messages ("" for the main file).
function parseHeader(ctx: Context, src: i32, h: Header, shard: string): i32 {
  const where = shard.length ? "gguf shard \"" + shard + "\": " : "gguf: ";
  const size = ctx.sourceSize(src);
  if (size < 8) return ctx.fail(E_INVALID_HEADER, where + "the file has " + size.toString() + " bytes, too few for the GGUF header", 0);
  const mp = ctx.viewOf(src, 0, 8);
  if (!mp) return ctx.truncated("the GGUF header", 0);
  const magic = load<u32>(mp);
  let be = false;
  if (magic == 0x47475546) { // "FUGG"
    // A big-endian magic proposed upstream but never merged; ggml's tests use it as a bad magic.
    if (optU64(ctx, "acceptFuggMagic", 0) == 0) {
      return ctx.fail(E_INVALID_HEADER, where + "the file starts with \"FUGG\", a proposed big-endian GGUF magic that ggml does not accept (set the option gguf.acceptFuggMagic to 1 to read it)", 0);
    }
    be = true;
    ctx.index.addFinding(SEV_LOW, "gguf-fugg-magic", "The file starts with \"FUGG\", a proposed big-endian magic that ggml does not accept; read as big-endian GGUF.", "0");
  } else if (magic != 0x46554747) {
    return ctx.fail(E_INVALID_HEADER, where + "the file does not start with the magic \"GGUF\"", 0);
  }
  let version = load<u32>(mp + 4);
  if ((version & 0xffff) == 0 && version != 0) { be = true; }
  if (be) version = bswap<u32>(version);
  if (version == 0 || version > 3) {
    return ctx.fail(E_INVALID_HEADER, where + "unsupported GGUF version " + version.toString() + " (1, 2 and 3 exist)", 4);
  }
  h.version = version;
  h.be = be;
  const v1 = version == 1;
  const c = new Cursor(ctx, src, 8, be, v1);
  const nTensors = c.count("the tensor count");
  const nKV = c.count("the key-value count");
  if (!c.ok) return ctx.truncated(c.what, c.off);
  if (nTensors > MAX_TENSORS) return ctx.fail(E_LIMIT, where + "the header declares " + nTensors.toString() + " tensors (limit " + MAX_TENSORS.toString() + ")", 8);
  if (nKV > MAX_KV) return ctx.fail(E_LIMIT, where + "the header declares " + nKV.toString() + " key-value pairs (limit " + MAX_KV.toString() + ")", v1 ? 12 : 16);
  // Smallest possible entries: a KV is a length, a 1-byte key, a type and a 1-byte value; a
  // tensor info is a length, a 1-byte name, n_dims, type and offset.
  const minKV: u64 = v1 ? 4 + 1 + 4 + 1 : 8 + 1 + 4 + 1;
  const minTI: u64 = v1 ? 4 + 1 + 4 + 4 + 8 : 8 + 1 + 4 + 4 + 8;
  if (nKV * minKV + nTensors * minTI > c.left) {
    return ctx.fail(E_INVALID_HEADER, where + "the header declares " + nKV.toString() + " key-value pairs and " + nTensors.toString() + " tensors, more than the " + c.left.toString() + " bytes after it can hold", 8);
  }

  // Resume after the last complete key-value pair of an earlier run (a long header arrives in
  // windows of at most 1 MiB, and each run starts from the top: without this, a header of n MiB
  // would be walked about n/2 times).
  const ck = kvCheckpoint(ctx, src);
  let first: u64 = 0;
  if (ck.next > 0) {
    h.kv = ck.kv;
    h.kvTypes = ck.kvTypes;
    h.kvRanges = ck.kvRanges;
    c.off = ck.off;
    first = ck.next;
    for (let f = 0; f < ck.findings.length; f++) ctx.index.findings.push(ck.findings[f]);
  }
  skipCheckpoint = ck;
  for (let i: u64 = first; i < nKV; i++) {
    const at = c.off;
    const findingsBefore = ctx.index.findings.length;
    const key = readString(ctx, c, MAX_KEY, "a metadata key");
    if (key === null) return c.ok ? ST_FAILED : ctx.truncated("metadata key #" + i.toString(), at);
    if (key.length == 0) return ctx.fail(E_INVALID_HEADER, where + "metadata key #" + i.toString() + " is empty", at);
    if (h.kv.has(key)) return ctx.fail(E_DUPLICATE, where + "the metadata key \"" + key + "\" appears twice", at);
    const type = c.u32("the type of \"" + key + "\"");
    if (!c.ok) return ctx.truncated(c.what, c.off);
    if (type > 12) return ctx.fail(E_INVALID_HEADER, where + "metadata key \"" + key + "\" has unknown value type " + type.toString(), c.off - 4);
    const typeName = new Array<string>();
    inlineBudget = INLINE_BUDGET;
    const v = readValue(ctx, c, type, key, 0, typeName, where);
    if (v === null) return c.ok ? ST_FAILED : ctx.truncated("the value of \"" + key + "\"", c.off);
    h.kv.set(key, v);
    if (isTemplateKey(key)) reportGgufTemplate(ctx.index, key, v);
    h.kvTypes.set(key, new JStr(typeName.length ? typeName[0] : valueTypeName(type)));
    ck.kv = h.kv;
    const range = new JArr();
    range.push(new JUint(at));
    range.push(new JUint(c.off - at));
    h.kvRanges.set(key, range);
    ck.kvTypes = h.kvTypes;
    ck.kvRanges = h.kvRanges;
    ck.next = i + 1;
    ck.off = c.off;
    for (let f = findingsBefore; f < ctx.index.findings.length; f++) ck.findings.push(ctx.index.findings[f]);
  }

  skipCheckpoint = null;

  // general.alignment: UINT32, a power of two.
  const av = h.kv.get("general.alignment");
  if (av) {
    const t = h.kvTypes.getStr("general.alignment");
    if (t != "UINT32") return ctx.fail(E_MISALIGNED, where + "general.alignment must be UINT32, not " + (t !== null ? t : "?"), 8);
    const a = <u32>(<JUint>av).value;
    if (a == 0 || (a & (a - 1)) != 0 || a > MAX_ALIGNMENT) {
      return ctx.fail(E_MISALIGNED, where + "general.alignment " + a.toString() + " is not a power of two between 1 and 2^30", 8);
    }
    h.alignment = a;
  }

  const maxDims = <u32>optU64(ctx, "maxDims", 4);
  const names = new Set<string>();
  for (let i: u64 = 0; i < nTensors; i++) {
    const at = c.off;
    const name = readString(ctx, c, MAX_NAME, "a tensor name");
    if (name === null) return c.ok ? ST_FAILED : ctx.truncated("tensor info #" + i.toString(), at);
    if (names.has(name)) return ctx.fail(E_DUPLICATE, where + "two tensors are named \"" + name + "\"", at);
    names.add(name);
    if (<u64>String.UTF8.byteLength(name) > GGML_MAX_NAME) {
      ctx.index.addFinding(SEV_LOW, "gguf-long-name", "Tensor \"" + name + "\" has a name longer than ggml's 63-byte limit; llama.cpp refuses such files.", name);
    }
    const nDims = c.u32("the dimension count of \"" + name + "\"");
    if (!c.ok) return ctx.truncated(c.what, c.off);
    if (nDims > maxDims) return ctx.fail(E_BAD_SHAPE, where + "tensor \"" + name + "\" has " + nDims.toString() + " dimensions (limit " + maxDims.toString() + ")", c.off - 4);
    const dims = new Array<u64>();
    let nelem: u64 = 1;
    for (let d: u32 = 0; d < nDims; d++) {
      const ne = c.count("the dimensions of \"" + name + "\"");
      if (!c.ok) return ctx.truncated(c.what, c.off);
      if (ne > <u64>i64.MAX_VALUE) return ctx.fail(E_BAD_SHAPE, where + "tensor \"" + name + "\" has a negative dimension", c.off - 8);
      if (ne != 0 && nelem > <u64>i64.MAX_VALUE / ne) return ctx.fail(E_OVERFLOW, where + "tensor \"" + name + "\" has a shape whose element count overflows 63 bits", c.off);
      nelem *= ne;
      dims.push(ne);
    }
    const type = c.u32("the type of \"" + name + "\"");
    const offset = c.u64("the data offset of \"" + name + "\"");
    if (!c.ok) return ctx.truncated(c.what, c.off);
    const t = new TensorInfo(name, dims, type, offset);
    t.source = src;
    t.nelem = nelem;
    if (nelem == 0) ctx.index.addFinding(SEV_LOW, "gguf-empty-tensor", "Tensor \"" + name + "\" has a zero-sized dimension and holds no values (ggml allows it; models rarely mean it).", name);
    const be2 = type < <u32>GGML_TYPE_COUNT ? ggmlBlockElements(<i32>type) : 0;
    if (be2 == 0) {
      t.known = false;
      t.nbytes = u64.MAX_VALUE;
    } else {
      if (dims.length > 0 && dims[0] % <u64>be2 != 0) {
        return ctx.fail(E_BAD_SHAPE, where + "tensor \"" + name + "\" has rows of " + dims[0].toString() + " elements, not a multiple of the " + ggmlTypeName(<i32>type) + " block (" + be2.toString() + ")", at);
      }
      const nb = ggmlRowBytes(<i32>type, nelem);
      if (nb == u64.MAX_VALUE) return ctx.fail(E_OVERFLOW, where + "tensor \"" + name + "\" is too large to address", at);
      t.nbytes = nb;
    }
    h.tensors.push(t);
  }
  h.infosEnd = c.off;
  const a = <u64>h.alignment;
  h.dataStart = nTensors == 0 ? c.off : c.off + (a - c.off % a) % a;
  for (let i = 0; i < h.tensors.length; i++) h.tensors[i].dataStart = h.dataStart;
  return checkLayout(ctx, h, size, where);
}

// Progress through one source's key-value pairs, kept in ctx.memo between runs.
class KVCheckpoint {
  next: u64 = 0; // pairs complete
  off: u64 = 0; // where the next pair starts
  kv: JObj = new JObj();
  kvTypes: JObj = new JObj();
  kvRanges: JObj = new JObj();
  findings: Finding[] = []; // raised while reading the complete pairs
  // Progress through a long string array being skipped: where its elements start, how many
  // are done, where the next one starts.
  arrAt: u64 = 0;
  arrDone: u64 = 0;
  arrOff: u64 = 0;
}
let skipCheckpoint: KVCheckpoint | null = null;

function kvCheckpoint(ctx: Context, src: i32): KVCheckpoint {
  const k = "gguf-kv:" + src.toString();
  if (ctx.memo.has(k)) {
    const o = ctx.memo.get(k);
    if (o instanceof KVCheckpoint) return <KVCheckpoint>o;
  }
  const ck = new KVCheckpoint();
  ctx.memo.set(k, ck);
  return ck;
}

function optU64(ctx: Context, key: string, dflt: u64): u64 {
  const o = ctx.options.getObj("gguf");
  if (!o) return dflt;
  const v = o.get(key);
  if (!v || !v.isNonNegInt()) return dflt;
  return v.asU64();
}

// Tensor data must lie inside the file; misalignment, gaps, overlaps and sizes that do not fit
// the space the layout gives a tensor (fork type ids, truncated files) are findings.
function checkLayout(ctx: Context, h: Header, size: u64, where: string): i32 {
  const ts = h.tensors;
  if (ts.length == 0) return ST_DONE;
  if (h.dataStart > size) return ctx.fail(E_INVALID_OFFSET, where + "the tensor data would start at " + h.dataStart.toString() + ", past the end of the " + size.toString() + "-byte file", size);
  const dataSize = size - h.dataStart;
  const a = <u64>h.alignment;
  const order = ts.slice(0);
  order.sort((x: TensorInfo, y: TensorInfo): i32 => (x.offset < y.offset ? -1 : x.offset > y.offset ? 1 : 0));
  let misaligned = 0;
  for (let i = 0; i < order.length; i++) {
    const t = order[i];
    if (t.offset > dataSize) {
      return ctx.fail(E_INVALID_OFFSET, where + "tensor \"" + t.name + "\" starts at data offset " + t.offset.toString() + ", past the " + dataSize.toString() + " bytes of tensor data", h.dataStart);
    }
    const space = (i + 1 < order.length ? order[i + 1].offset : dataSize) - t.offset;
    t.space = space;
    t.alignment = a;
    if (!t.known) {
      t.nbytes = u64.MAX_VALUE;
      continue;
    }
    if (t.nbytes > dataSize - t.offset) {
      return ctx.fail(E_INVALID_OFFSET, where + "tensor \"" + t.name + "\" (" + ggmlTypeName(<i32>t.type) + ", " + t.nbytes.toString() + " bytes at data offset " + t.offset.toString() + ") runs past the end of the file", h.dataStart + t.offset);
    }
    if (t.offset % a != 0) misaligned++;
    if (t.nbytes > space) {
      ctx.index.addFinding(SEV_MEDIUM, "gguf-overlap", "Tensor \"" + t.name + "\" (" + t.nbytes.toString() + " bytes) overlaps the next tensor, which starts " + space.toString() + " bytes later; its type id " + t.type.toString() + " may not mean " + ggmlTypeName(<i32>t.type) + " here (a fork's type id?)", t.name);
    } else if (space - t.nbytes >= a && i + 1 < order.length) {
      ctx.index.addFinding(SEV_LOW, "gguf-gap", "Tensor \"" + t.name + "\" is followed by " + (space - t.nbytes).toString() + " unused bytes, more than alignment padding; its type id " + t.type.toString() + " may not mean " + ggmlTypeName(<i32>t.type) + " here", t.name);
    }
  }
  if (misaligned > 0) {
    ctx.index.addFinding(SEV_LOW, "gguf-misaligned", misaligned.toString() + " tensor(s) start at offsets that are not multiples of the " + a.toString() + "-byte alignment; ggml refuses such files", "");
  }
  for (let i = 1; i < ts.length; i++) {
    if (ts[i].offset < ts[i - 1].offset) {
      ctx.index.addFinding(SEV_INFO, "gguf-out-of-order", "Tensor data is not stored in the order of the tensor infos (ggml expects it to be).", "");
      break;
    }
  }
  return ST_DONE;
}

// A length-prefixed string; null when truncated (c.ok false) or invalid (error set).
function readString(ctx: Context, c: Cursor, cap: u64, what: string): string | null {
  const at = c.off;
  const n = c.count(what);
  if (!c.ok) return null;
  if (n > cap || n > c.left) {
    ctx.fail(n > c.left ? E_INVALID_HEADER : E_LIMIT, "gguf: " + what + " at offset " + at.toString() + " declares " + n.toString() + " bytes" + (n > c.left ? ", more than the " + c.left.toString() + " left in the file" : " (limit " + cap.toString() + ")"), at);
    return null;
  }
  const p = c.take(n, what);
  if (!p) return null;
  if (!isValidUtf8(p, <usize>n)) {
    ctx.fail(E_INVALID_HEADER, "gguf: " + what + " at offset " + at.toString() + " is not valid UTF-8", at);
    return null;
  }
  return String.UTF8.decodeUnsafe(p, <usize>n, false);
}

// One metadata value of `type`. Arrays longer than INLINE_ARRAY become {type, length, offset}.
// typeName[0] receives the full type ("ARRAY[STRING]"). Null: truncated or error set.
function readValue(ctx: Context, c: Cursor, type: u32, key: string, depth: i32, typeName: string[], where: string): JValue | null {
  switch (type) {
    case T_UINT8: { const v = c.u8(key); return c.ok ? new JUint(v) : null; }
    case T_INT8: { const v = c.u8(key); return c.ok ? new JInt(<i64><i8>v) : null; }
    case T_UINT16: { const v = c.u16(key); return c.ok ? new JUint(v) : null; }
    case T_INT16: { const v = c.u16(key); return c.ok ? new JInt(<i64><i16>v) : null; }
    case T_UINT32: { const v = c.u32(key); return c.ok ? new JUint(v) : null; }
    case T_INT32: { const v = c.u32(key); return c.ok ? new JInt(<i64><i32>v) : null; }
    case T_UINT64: { const v = c.u64(key); return c.ok ? new JUint(v) : null; }
    case T_INT64: { const v = c.u64(key); return c.ok ? new JInt(<i64>v) : null; }
    case T_FLOAT32: { const v = c.u32(key); return c.ok ? new JFloat(<f64>reinterpret<f32>(v)) : null; }
    case T_FLOAT64: { const v = c.u64(key); return c.ok ? new JFloat(reinterpret<f64>(v)) : null; }
    case T_BOOL: {
      const v = c.u8(key);
      if (!c.ok) return null;
      if (v > 1) ctx.index.addFinding(SEV_LOW, "gguf-bool", "Metadata \"" + key + "\" is a BOOL stored as " + v.toString() + " (the spec allows only 0 and 1; ggml reads it as true).", key);
      return new JBool(v != 0);
    }
    case T_STRING: {
      const at = c.off;
      const n = c.count(key);
      if (!c.ok) return null;
      if (n > MAX_STRING || n > c.left) {
        ctx.fail(n > c.left ? E_INVALID_HEADER : E_LIMIT, where + "the string value of \"" + key + "\" declares " + n.toString() + " bytes" + (n > c.left ? ", more than the " + c.left.toString() + " left in the file" : " (limit 1 GiB)"), at);
        return null;
      }
      const shown = n > INLINE_STRING ? INLINE_STRING : n;
      const p = c.take(shown, key);
      if (!p) return null;
      c.off += n - shown;
      const s = String.UTF8.decodeUnsafe(p, <usize>shown, false);
      if (n > shown) {
        const o = new JObj();
        o.setStr("type", "STRING");
        o.setU64("length", n);
        o.setStr("prefix", s);
        return o;
      }
      return new JStr(s);
    }
    case T_ARRAY: {
      const at = c.off;
      const et = c.u32(key);
      const n = c.count(key);
      if (!c.ok) return null;
      if (et > 12) { ctx.fail(E_INVALID_HEADER, where + "the array \"" + key + "\" has unknown element type " + et.toString(), at); return null; }
      if (et == T_ARRAY && depth + 1 >= MAX_DEPTH) { ctx.fail(E_LIMIT, where + "the array \"" + key + "\" nests deeper than " + MAX_DEPTH.toString() + " levels", at); return null; }
      const minSize: u64 = et == T_STRING ? (c.v1 ? 4 : 8) : et == T_ARRAY ? (c.v1 ? 8 : 12) : <u64>VALUE_SIZES[et];
      if (n > MAX_ARRAY || n * minSize > c.left) {
        ctx.fail(n > MAX_ARRAY ? E_LIMIT : E_INVALID_HEADER, where + "the array \"" + key + "\" declares " + n.toString() + " elements" + (n > MAX_ARRAY ? " (limit 2^30)" : ", more than the " + c.left.toString() + " bytes left in the file can hold"), at);
        return null;
      }
      const inner = new Array<string>();
      let full = "ARRAY[" + valueTypeName(et) + "]";
      // Top-level arrays of the main file can be streamed later (metadata_array, jobs/array-job.ts).
      if (depth == 0 && c.src == 0) registerMetadataArray(ctx, key, arraySpec(c, et, n, full));
      if (n > INLINE_ARRAY || n > <u64>inlineBudget) {
        // Skip it: fixed-size elements in one step, strings and nested arrays one by one.
        const dataAt = c.off;
        if (et != T_STRING && et != T_ARRAY) {
          c.off += n * minSize;
        } else if (et == T_STRING && depth == 0 && skipCheckpoint !== null) {
          // Long string arrays (vocabularies) span many windows: resume where the last run stopped.
          const ck = skipCheckpoint!;
          let i0: u64 = 0;
          if (ck.arrAt == dataAt && ck.arrDone > 0) { i0 = ck.arrDone; c.off = ck.arrOff; }
          for (let i: u64 = i0; i < n; i++) {
            if (!skipValue(ctx, c, et, key, depth + 1, where)) return null;
            ck.arrAt = dataAt;
            ck.arrDone = i + 1;
            ck.arrOff = c.off;
          }
        } else {
          for (let i: u64 = 0; i < n; i++) {
            if (!skipValue(ctx, c, et, key, depth + 1, where)) return null;
          }
        }
        const o = new JObj();
        o.setStr("type", full);
        o.setU64("length", n);
        o.setU64("offset", dataAt);
        typeName.push(full);
        return o;
      }
      inlineBudget -= <i32>n;
      const arr = new JArr();
      for (let i: u64 = 0; i < n; i++) {
        inner.length = 0;
        const v = readValue(ctx, c, et, key, depth + 1, inner, where);
        if (v === null) return null;
        arr.push(v);
      }
      if (et == T_ARRAY && inner.length) full = "ARRAY[" + inner[0] + "]";
      typeName.push(full);
      return arr;
    }
  }
  return null;
}

const ELEMENT_DTYPES: i32[] = [DT_U8, DT_I8, DT_U16, DT_I16, DT_U32, DT_I32, DT_F32, DT_BOOL, DT_STR, -1, DT_U64, DT_I64, DT_F64];

// Where an array's elements start (the cursor stands after its count) and how to walk them.
function arraySpec(c: Cursor, et: u32, n: u64, typeName: string): ArraySpec {
  const s = new ArraySpec();
  s.source = c.src;
  s.offset = c.off;
  s.count = n;
  s.dtype = ELEMENT_DTYPES[et];
  s.elemBytes = et == T_STRING || et == T_ARRAY ? 0 : <u64>VALUE_SIZES[et];
  s.bigEndian = c.be;
  s.lengthBytes = c.v1 ? 4 : 8;
  s.maxString = MAX_STRING;
  s.typeName = typeName;
  return s;
}

// Skips one value without materialising it. False: truncated or error set.
function skipValue(ctx: Context, c: Cursor, type: u32, key: string, depth: i32, where: string): bool {
  if (type == T_STRING) {
    const at = c.off;
    const n = c.count(key);
    if (!c.ok) return false;
    if (n > MAX_STRING || n > c.left) {
      ctx.fail(E_INVALID_HEADER, where + "a string in \"" + key + "\" at offset " + at.toString() + " declares " + n.toString() + " bytes, more than the " + c.left.toString() + " left", at);
      return false;
    }
    c.off += n;
    return true;
  }
  if (type == T_ARRAY) {
    const dummy = new Array<string>();
    const saved = inlineBudget;
    inlineBudget = 0; // nothing under a skipped array is materialised
    const ok = readValue(ctx, c, type, key, depth, dummy, where) !== null;
    inlineBudget = saved;
    return ok;
  }
  c.off += <u64>VALUE_SIZES[type];
  if (c.off > c.size) { c.ok = false; c.what = key; return false; }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Split sets: <base>-00001-of-0000N.gguf. split.no is 0-based, shard numbers in names 1-based.

function pad5(n: u32): string {
  let s = n.toString();
  while (s.length < 5) s = "0" + s;
  return s;
}

function openShards(ctx: Context, h: Header, all: TensorInfo[], count: u32): i32 {
  const name = ctx.name;
  const no = kvUint(h.kv, "split.no");
  const suffix = "-" + pad5(<u32>no + 1) + "-of-" + pad5(count) + ".gguf";
  if (no != 0) {
    ctx.index.addFinding(SEV_INFO, "gguf-split-shard", "This is shard " + (no + 1).toString() + " of " + count.toString() + " of a split model; open the first shard to see the whole model.", "");
    return ST_DONE;
  }
  if (!name.endsWith(suffix)) {
    ctx.index.addFinding(SEV_MEDIUM, "gguf-split-name", "The file is shard 1 of " + count.toString() + " but its name does not end in \"" + suffix + "\", so the other shards cannot be found.", name);
    return ST_DONE;
  }
  const base = name.substring(0, name.length - suffix.length);
  const names = new Set<string>();
  for (let i = 0; i < all.length; i++) names.add(all[i].name);
  let missing = 0;
  for (let k: u32 = 2; k <= count; k++) {
    const sib = base + "-" + pad5(k) + "-of-" + pad5(count) + ".gguf";
    const id = ctx.sibling(sib, "shard " + k.toString() + " of the split model");
    if (id == SOURCE_PENDING) return ST_PENDING;
    if (id == SOURCE_FAILED) {
      if (ctx.pending()) return ST_PENDING;
      // A missing shard: list what is there and say so.
      ctx.errorCode = 0;
      ctx.errorMessage = "";
      missing++;
      ctx.index.addFinding(SEV_MEDIUM, "gguf-split-missing", "Shard " + k.toString() + " of " + count.toString() + " (\"" + sib + "\") is not available; its tensors are not listed.", sib);
      continue;
    }
    const sh = new Header();
    const st = parseHeader(ctx, id, sh, sib);
    if (st != ST_DONE) return st;
    const shNo = kvUint(sh.kv, "split.no");
    const shCount = kvUint(sh.kv, "split.count");
    if (shNo != <u64>(k - 1) || shCount != <u64>count) {
      ctx.index.addFinding(SEV_MEDIUM, "gguf-split-mismatch", "\"" + sib + "\" says it is shard " + (shNo + 1).toString() + " of " + shCount.toString() + ", expected " + k.toString() + " of " + count.toString() + ".", sib);
    }
    for (let i = 0; i < sh.tensors.length; i++) {
      const t = sh.tensors[i];
      if (names.has(t.name)) return ctx.fail(E_DUPLICATE, "gguf: tensor \"" + t.name + "\" appears in more than one shard", 0);
      names.add(t.name);
      t.dataStart = sh.dataStart;
      all.push(t);
    }
  }
  const declared = h.kv.get("split.tensors.count");
  if (declared && missing == 0) {
    const n = declared instanceof JInt ? (<JInt>declared).value : declared instanceof JUint ? <i64>(<JUint>declared).value : -1;
    if (n != <i64>all.length) {
      ctx.index.addFinding(SEV_MEDIUM, "gguf-split-count", "split.tensors.count says " + n.toString() + " tensors but the shards hold " + all.length.toString() + ".", "");
    }
  }
  return ST_DONE;
}

// ---------------------------------------------------------------------------------------------


// Big-endian files: element types are swapped by the read path; MXFP4 and NVFP4 blocks have no
// multi-byte field; Q4_0, Q8_0, Q4_K and Q6_K are read through their big-endian-scales ids
// (kernels/ggml-types.ts). Other block types have no defined big-endian form.
function beStorage(type: u32): i32 {
  if (type == 0 || type == 1 || type == 30 || (type >= 24 && type <= 28) || type == 39 || type == 40) return dtypeForGgmlType(<i32>type);
  const t = ggmlBigEndianType(<i32>type);
  return t >= 0 ? DT_GGML_BASE + t : -1;
}

// What an id that upstream ggml does not define is known to be.
function typeNote(id: u32): string {
  if (id == 4 || id == 5) return "Q4_" + (id - 2).toString() + ", removed from ggml in 2023 (it only exists in GGJT v1 files)";
  if (id >= 31 && id <= 33) return "an ARM-repacked Q4_0 (Q4_0_4_4/4_8/8_8) that ggml wrote into GGUF files from July to December 2024 and then removed; re-convert the model";
  if (id >= 36 && id <= 38) return "a runtime-only repacked IQ4_NL layout that should never be in a file";
  return "which upstream ggml does not define (a fork's type, e.g. ik_llama.cpp or BitNet?)";
}

// Upstream types whose size for this tensor's element count fills the space the layout gives it
// (up to the alignment padding): candidates for ggmlTypeMap.
function sizeCandidates(t: TensorInfo): string {
  if (t.space == u64.MAX_VALUE) return "";
  const names = new Array<string>();
  for (let id = 0; id < GGML_TYPE_COUNT; id++) {
    const nb = ggmlRowBytes(id, t.nelem);
    if (nb == u64.MAX_VALUE || nb > t.space || t.space - nb >= t.alignment) continue;
    names.push(ggmlTypeName(id));
  }
  if (names.length == 0) return "; no upstream type has the size its data takes (" + t.space.toString() + " bytes)";
  return "; its data (" + t.space.toString() + " bytes) has the size of " + names.join(", ");
}

function addTensor(ctx: Context, t: TensorInfo, h: Header, typeMap: Map<u32, u32>): void {
  const shape = new Array<u64>();
  for (let i = t.dims.length - 1; i >= 0; i--) shape.push(t.dims[i]);
  let type = t.type;
  const info = new JObj();
  info.setU64("ggml_type", t.type);
  info.set("ggml_ne", shapeArray(t.dims));
  info.setU64("offset", t.dataStart + t.offset);
  if (t.source != 0) info.setU64("shard", <u64>t.source);
  if (!t.known && typeMap.has(type)) {
    const to = typeMap.get(type);
    const be = ggmlBlockElements(<i32>to);
    const nb = ggmlRowBytes(<i32>to, t.nelem);
    const srcSize = ctx.sourceSize(t.source);
    // Subtraction form: the offset comes from the file and dataStart + offset + nb can wrap.
    if (be > 0 && nb != u64.MAX_VALUE && t.dataStart <= srcSize && t.offset <= srcSize - t.dataStart && nb <= srcSize - t.dataStart - t.offset) {
      info.setU64("mapped_from", type);
      type = to;
      t.nbytes = nb;
      t.known = true;
    }
  }
  if (!t.known) {
    const tensor = new Tensor(t.name, DT_GGML_BASE + 4095, shape, 0);
    tensor.dtypeText = "GGML_TYPE_" + type.toString();
    tensor.info = info;
    const p = new Plan();
    p.storage = DT_U8; // a storage type with a known unit size; the plan is never read
    const why = typeNote(type);
    const fits = sizeCandidates(t);
    p.unreadable = "tensor \"" + t.name + "\" has ggml type id " + type.toString() + ", " + why + "; map it with the ggmlTypeMap option if you know its layout" + fits;
    tensor.plan = p;
    ctx.index.addTensor(tensor);
    ctx.index.addFinding(SEV_MEDIUM, "gguf-unknown-type", "Tensor \"" + t.name + "\" has ggml type id " + type.toString() + ", " + why + "; its values cannot be read" + fits + ".", t.name);
    return;
  }
  const dt = dtypeForGgmlType(<i32>type);
  const tensor = new Tensor(t.name, dt, shape, t.nbytes);
  tensor.info = info;
  const plan = Plan.single(t.source, t.dataStart + t.offset, t.nbytes, dt);
  if (h.be) {
    plan.bigEndian = true;
    const st = beStorage(type);
    if (st < 0) plan.unreadable = ggmlTypeName(<i32>type) + " blocks of a big-endian GGUF file have no defined byte order to convert from (gguf-py's gguf_convert_endian refuses them too)";
    else plan.storage = st;
  }
  tensor.plan = plan;
  ctx.index.addTensor(tensor);
}

