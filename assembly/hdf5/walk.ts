// Walks an HDF5 file from the root group: every group and dataset once (hard links may form
// cycles), datasets become tensors named by their path, attributes go to metadata. Only metadata
// is read; values are described by plans the read job follows.

import { Context, ST_DONE } from "../core/context";
import { E_CORRUPT, E_LIMIT } from "../core/errors";
import { DT_BF16, DT_OBJECT, DT_RAW, DT_STR, dtypeBits } from "../core/dtype";
import { ChunkGrid, Finding, Plan, Segment, SEV_HIGH, SEV_INFO, SEV_MEDIUM, Tensor, shapeArray, strArray } from "../core/model";
import { JArr, JObj, JStr, JUint, JValue } from "../util/json";
import { H5, UNDEF } from "./file";
import { MSG_DATASPACE, MSG_DATATYPE, MSG_EFL, MSG_FILL, MSG_FILL_OLD, MSG_FILTERS, MSG_LAYOUT, MSG_LINK, MSG_LINK_INFO, MSG_SYMBOL_TABLE, ObjHeader, readObjectHeader, readSuperblock, Superblock } from "./objects";
import { DType, T_ARRAY, T_OPAQUE, T_COMPOUND, describeType, dtypeOf, isBigEndian, Layout, LAYOUT_CHUNKED, LAYOUT_COMPACT, LAYOUT_CONTIGUOUS, LAYOUT_VIRTUAL, parseDataspace, parseFill, parseFilters, parseLayout, IDX_BTREE1, IDX_SINGLE, IDX_IMPLICIT, IDX_FARRAY, IDX_EARRAY, IDX_BTREE2 } from "./types";
import { Attr, attrValue, datatypeOf, fixedString, readAttributes } from "./attrs";
import { heapObject, objLen, readBtree2, readFractalHeap, readLocalHeap, readSymbolTable, SymbolEntry } from "./heaps";
import { chunkBytes, ChunkRec, collectChunks } from "./chunks";
import { Filter, filterName, filterSupported, PipelineDecoder } from "./filters";
import { loadLE } from "../util/bytes";

const MAX_OBJECTS: i32 = 1_000_000;
const MAX_DEPTH: i32 = 64;

export class Link {
  constructor(public name: string, public kind: i32, public addr: u64, public target: string) {}
  order: i64 = -1;
}

// What visiting one object produced, kept in ctx.memo so a re-run after a cache miss (the job
// restarts the walk from the top) replays finished objects instead of parsing them again.
class ObjMemo {
  attrs: JObj | null = null;
  tensor: Tensor | null = null;
  group: bool = false;
  links: Link[] = [];
  findings: Finding[] = [];
}

export class Walk {
  sb: Superblock | null = null;
  groups: string[] = [];
  // Attributes of each object by path ("" = root), as JSON objects.
  attrs: Map<string, JObj> = new Map<string, JObj>();
  attrPaths: string[] = [];
  datasets: i32 = 0;
  links: i32 = 0;
}

// The walk so far, kept in ctx.memo: after a cache miss the job re-runs the format from the top,
// and the walk resumes at the object it stopped on instead of parsing the file again.
class WalkState {
  w: Walk = new Walk();
  paths: string[] = [];
  addrs: u64[] = [];
  depths: i32[] = [];
  seen: Set<u64> = new Set<u64>();
  tensors: Tensor[] = [];
  findings: Finding[] = [];
  done: bool = false;
}

export function walkFile(ctx: Context, h: H5, prefix: string): Walk | null {
  const sb = readSuperblock(h);
  if (!sb) return null;
  const key = "h5walk:" + h.src.toString() + ":" + h.base.toString();
  let st: WalkState;
  if (ctx.memo.has(key)) {
    st = changetype<WalkState>(ctx.memo.get(key));
    for (let i = 0; i < st.tensors.length; i++) ctx.index.addTensor(st.tensors[i]);
    for (let i = 0; i < st.findings.length; i++) ctx.index.findings.push(st.findings[i]);
  } else {
    st = new WalkState();
    st.paths.push("");
    st.addrs.push(sb.root);
    st.depths.push(0);
    ctx.memo.set(key, st);
  }
  const w = st.w;
  w.sb = sb;
  if (st.done) return w;
  const paths = st.paths;
  const addrs = st.addrs;
  const depths = st.depths;
  const seen = st.seen;
  while (paths.length) {
    const top = paths.length - 1;
    const path = paths[top];
    const addr = addrs[top];
    const depth = depths[top];
    if (seen.has(addr)) {
      paths.pop(); addrs.pop(); depths.pop();
      continue;
    }
    if (seen.size >= MAX_OBJECTS) { h.fail(E_LIMIT, "more than " + MAX_OBJECTS.toString() + " objects", addr); return null; }
    const nf = ctx.index.findings.length;
    const nt = ctx.index.tensors.length;
    const om = visitObject(ctx, h, w, addr, path, prefix, sb);
    if (om === null) return null;
    // The object is finished: record what it produced, then move on.
    paths.pop(); addrs.pop(); depths.pop();
    seen.add(addr);
    for (let i = nf; i < ctx.index.findings.length; i++) st.findings.push(ctx.index.findings[i]);
    for (let i = nt; i < ctx.index.tensors.length; i++) {
      st.tensors.push(ctx.index.tensors[i]);
      w.datasets++;
    }
    if (om.attrs !== null) {
      w.attrs.set(path, om.attrs!);
      w.attrPaths.push(path);
    }
    if (!om.group) continue;
    if (path.length) w.groups.push(prefix + path);
    if (depth >= MAX_DEPTH) { h.fail(E_LIMIT, "groups nest deeper than " + MAX_DEPTH.toString(), addr); return null; }
    const links = om.links;
    // Depth-first in reverse so the stack pops members in order.
    for (let i = links.length - 1; i >= 0; i--) {
      const l = links[i];
      const child = path.length ? path + "/" + l.name : l.name;
      if (l.kind == 0) {
        paths.push(child);
        addrs.push(l.addr);
        depths.push(depth + 1);
      }
    }
  }
  st.done = true;
  return w;
}

// Reads one object: attributes, then the dataset it describes or the links of the group.
function visitObject(ctx: Context, h: H5, w: Walk, addr: u64, path: string, prefix: string, sb: Superblock): ObjMemo | null {
  const om = new ObjMemo();
  {
    const oh = readObjectHeader(h, addr);
    if (!oh) return null;
    const attrs = new Array<Attr>();
    if (!readAttributes(h, oh, attrs)) return null;
    const ao = new JObj();
    for (let i = 0; i < attrs.length; i++) {
      const v = attrValue(h, attrs[i]);
      if (v === null) return null;
      ao.set(attrs[i].name, v);
    }
    if (attrs.length) om.attrs = ao;
    const isGroup = oh.first(MSG_SYMBOL_TABLE) !== null || oh.first(MSG_LINK) !== null || oh.first(MSG_LINK_INFO) !== null;
    if (oh.first(MSG_LAYOUT) !== null || (!isGroup && oh.first(MSG_DATASPACE) !== null)) {
      if (!dataset(ctx, h, w, oh, prefix + path, attrs, ao)) return null;
      return om;
    }
    if (!isGroup) {
      if (path.length && oh.first(MSG_DATATYPE) === null) ctx.index.addFinding(SEV_MEDIUM, "hdf5-unknown-object", "object \"" + path + "\" is neither a group, a dataset nor a named datatype", path);
      return om;
    }
    om.group = true;
    const links = new Array<Link>();
    if (!groupLinks(h, oh, sb, links)) return null;
    for (let i = 0; i < links.length; i++) {
      const l = links[i];
      const child = path.length ? path + "/" + l.name : l.name;
      if (l.kind == 1) {
        ctx.index.addFinding(SEV_MEDIUM, "hdf5-soft-link", "soft link \"" + child + "\" -> \"" + l.target + "\" (not followed)", child);
      } else if (l.kind != 0) {
        ctx.index.addFinding(SEV_HIGH, "hdf5-external-link", "external link \"" + child + "\" refers to another file (" + l.target + "); loaders that follow it read files outside the model", child);
      }
    }
    om.links = links;
  }
  return om;
}

// Links of a group, old style (symbol table) or new style (link messages, dense storage).
function groupLinks(h: H5, oh: ObjHeader, sb: Superblock, out: Link[]): bool {
  const st = oh.first(MSG_SYMBOL_TABLE);
  if (st) {
    if (st.size < 2 * <u32>h.so) { h.fail(E_CORRUPT, "symbol table message too short", st.addr); return false; }
    const bt = h.addr(st.ptr);
    const hp = h.addr(st.ptr + <usize>h.so);
    const heap = readLocalHeap(h, hp);
    if (!heap) return false;
    const ents = new Array<SymbolEntry>();
    if (!readSymbolTable(h, bt, ents)) return false;
    for (let i = 0; i < ents.length; i++) {
      const name = heap.str(ents[i].nameOffset);
      if (name === null) { h.fail(E_CORRUPT, "symbol name offset outside the local heap", hp); return false; }
      if (ents[i].cache == 2) {
        const target = heap.str(ents[i].softOffset);
        out.push(new Link(name, 1, UNDEF, target !== null ? target : ""));
      } else out.push(new Link(name, 0, ents[i].header, ""));
    }
    return true;
  }
  const ms = oh.all(MSG_LINK);
  for (let i = 0; i < ms.length; i++) {
    const l = parseLink(h, ms[i].ptr, ms[i].size, ms[i].addr);
    if (!l) return false;
    out.push(l);
  }
  let byOrder = false;
  const li = oh.first(MSG_LINK_INFO);
  if (li) {
    const p = li.ptr;
    const flags = <i32>load<u8>(p + 1);
    let o: u32 = 2;
    if (flags & 1) o += 8;
    if (o + 2 * <u32>h.so > li.size) { h.fail(E_CORRUPT, "link info message too short", li.addr); return false; }
    const heap = h.addr(p + o);
    const nameBt = h.addr(p + o + <u32>h.so);
    let orderBt: u64 = UNDEF;
    if ((flags & 2) && o + 3 * <u32>h.so <= li.size) orderBt = h.addr(p + o + 2 * <u32>h.so);
    if (flags & 1) byOrder = true;
    if (heap != UNDEF) {
      const f = readFractalHeap(h, heap);
      if (!f) return false;
      const bt = readBtree2(h, orderBt != UNDEF ? orderBt : nameBt);
      if (!bt) return false;
      if (bt.type != 5 && bt.type != 6) { h.fail(E_CORRUPT, "link index B-tree of record type " + bt.type.toString(), nameBt); return false; }
      const idOff: usize = bt.type == 5 ? 4 : 8;
      if (<i32>bt.recSize < <i32>idOff + f.idLen) { h.fail(E_CORRUPT, "link index records are shorter than a heap ID", nameBt); return false; }
      for (let i = 0; i < bt.recs.length; i++) {
        const obj = heapObject(h, f, bt.recs[i] + idOff);
        if (!obj) return false;
        const l = parseLink(h, obj, <u32>objLen, heap);
        if (!l) return false;
        out.push(l);
      }
    }
  }
  if (byOrder) out.sort((a: Link, b: Link): i32 => a.order < b.order ? -1 : a.order > b.order ? 1 : 0);
  else out.sort((a: Link, b: Link): i32 => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return true;
}

function parseLink(h: H5, p: usize, size: u32, at: u64): Link | null {
  if (size < 3) { h.fail(E_CORRUPT, "link message too short", at); return null; }
  const ver = <i32>load<u8>(p);
  if (ver != 1) { h.fail(E_CORRUPT, "link message version " + ver.toString(), at); return null; }
  const flags = <i32>load<u8>(p + 1);
  let o: u32 = 2;
  let kind = 0;
  let order: i64 = -1;
  if (flags & 8) { kind = <i32>load<u8>(p + o); o++; }
  if (flags & 4) { if (o + 8 > size) return shortLink(h, at); order = load<i64>(p + o); o += 8; }
  if (flags & 0x10) o++;
  const w = <u32>1 << <u32>(flags & 3);
  if (o + w > size) return shortLink(h, at);
  const nl = <u32>loadLE(p + o, <i32>w);
  o += w;
  if (nl > size - o) return shortLink(h, at); // o <= size here; o + nl wraps for a 4-byte length
  const name = String.UTF8.decodeUnsafe(p + o, nl);
  o += nl;
  let l: Link;
  if (kind == 0) {
    if (o + <u32>h.so > size) return shortLink(h, at);
    l = new Link(name, 0, h.addr(p + o), "");
  } else {
    if (o + 2 > size) return shortLink(h, at);
    const tl = <u32>load<u16>(p + o);
    o += 2;
    if (o + tl > size) return shortLink(h, at);
    let target = "";
    if (kind == 64 && tl > 1) {
      // Flags byte, then file name NUL object path NUL.
      const f = fixedString(p + o + 1, <u64>(tl - 1));
      const rest = tl - 1 > <u32>f.length + 1 ? fixedString(p + o + 2 + <u32>String.UTF8.byteLength(f), <u64>(tl - 2 - <u32>String.UTF8.byteLength(f))) : "";
      target = f + ":" + rest;
    } else target = fixedString(p + o, <u64>tl);
    l = new Link(name, kind == 1 ? 1 : 64, UNDEF, target);
  }
  l.order = order;
  return l;
}

function shortLink(h: H5, at: u64): Link | null {
  h.fail(E_CORRUPT, "link message shorter than its fields", at);
  return null;
}

function layoutName(L: Layout): string {
  if (L.cls == LAYOUT_COMPACT) return "compact";
  if (L.cls == LAYOUT_CONTIGUOUS) return "contiguous";
  if (L.cls == LAYOUT_VIRTUAL) return "virtual";
  return "chunked";
}

function indexName(i: i32): string {
  if (i == IDX_BTREE1) return "btree-v1";
  if (i == IDX_SINGLE) return "single-chunk";
  if (i == IDX_IMPLICIT) return "implicit";
  if (i == IDX_FARRAY) return "fixed-array";
  if (i == IDX_EARRAY) return "extensible-array";
  if (i == IDX_BTREE2) return "btree-v2";
  return "unknown";
}

function dataset(ctx: Context, h: H5, w: Walk, oh: ObjHeader, name: string, attrs: Attr[], attrJson: JObj): bool {
  const tm = oh.first(MSG_DATATYPE);
  const sm = oh.first(MSG_DATASPACE);
  const lm = oh.first(MSG_LAYOUT);
  if (!tm || !sm || !lm) { h.fail(E_CORRUPT, "dataset \"" + name + "\" lacks a datatype, dataspace or layout message", oh.addr); return false; }
  const t = datatypeOf(h, tm);
  if (!t) return false;
  const s = parseDataspace(h, sm.ptr, sm.size, sm.addr);
  if (!s) return false;
  const L = parseLayout(h, lm.ptr, lm.size, lm.addr);
  if (!L) return false;
  let filters: Filter[] = [];
  const fm = oh.first(MSG_FILTERS);
  if (fm) {
    const fs = parseFilters(h, fm.ptr, fm.size, fm.addr);
    if (!fs) return false;
    filters = fs;
  }
  let fill: u8[] | null = null;
  const fv = oh.first(MSG_FILL);
  if (fv) fill = parseFill(h, fv.ptr, fv.size, MSG_FILL);
  else {
    const fo = oh.first(MSG_FILL_OLD);
    if (fo) fill = parseFill(h, fo.ptr, fo.size, MSG_FILL_OLD);
  }
  let dt = dtypeOf(t);
  // Keras stores bfloat16 as 2-byte opaque data with a "dtype" attribute saying so.
  if (t.cls == T_OPAQUE && t.size == 2) {
    const d = attrJson.get("dtype");
    if (d !== null && d.kind == 5 && (<JStr>d).value == "bfloat16") dt = DT_BF16;
  }
  const shape = s.dims;
  let n: u64 = 1;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] != 0 && n > u64.MAX_VALUE / shape[i]) { h.fail(E_CORRUPT, "dataset \"" + name + "\" has a shape whose size overflows", oh.addr); return false; }
    n *= shape[i];
  }
  if (s.isNull) n = 0;
  const es = <u64>t.size;
  if (es != 0 && n > u64.MAX_VALUE / es) { h.fail(E_CORRUPT, "dataset \"" + name + "\" has a byte size that overflows", oh.addr); return false; }
  const bytes = n * es;
  const tensor = new Tensor(name, dt, s.isNull ? [] : shape, bytes);
  if (dt == DT_RAW || dt == DT_STR || dt == DT_OBJECT || t.cls == T_ARRAY || t.cls == T_COMPOUND) {
    if (!(t.cls == T_ARRAY && dt != DT_RAW && dt != DT_STR && dt != DT_OBJECT) && !(t.cls == T_COMPOUND && dt != DT_RAW)) {
      tensor.dtypeText = describeType(t);
      if (dt == DT_STR) tensor.dtypeText = "STR";
    }
  }
  const info = new JObj();
  info.set("layout", new JStr(layoutName(L)));
  if (L.cls == LAYOUT_CHUNKED) {
    info.set("chunks", shapeArray(L.chunk));
    info.set("chunkIndex", new JStr(indexName(L.index)));
  }
  if (filters.length) {
    const fa = new Array<string>();
    for (let i = 0; i < filters.length; i++) fa.push(filterName(filters[i].id));
    info.set("filters", strArray(fa));
  }
  if (isBigEndian(t) && dtypeBits(dt) > 8) info.set("storedByteOrder", new JStr("big-endian"));
  if (t.cls == T_ARRAY) info.set("elementShape", shapeArray(t.dims));
  if (t.cls == T_COMPOUND) {
    // Fields with their byte offsets and types, so a host can decode records itself.
    const fa = new JArr();
    for (let i = 0; i < t.members.length; i++) {
      const mb = t.members[i];
      const fo = new JObj();
      fo.set("name", new JStr(mb.name));
      fo.set("offset", new JUint(<u64>mb.offset));
      fo.set("type", new JStr(describeType(mb.type)));
      fa.push(fo);
    }
    info.set("fields", fa);
    info.set("recordBytes", new JUint(es));
  }
  if (s.isNull) info.set("emptyDataspace", new JStr("null"));
  if (s.maxDims !== null) {
    const m = new JArr();
    for (let i = 0; i < s.maxDims!.length; i++) m.push(s.maxDims![i] == UNDEF ? <JValue>new JStr("unlimited") : <JValue>new JUint(s.maxDims![i]));
    info.set("maxShape", m);
  }
  if (attrs.length) info.set("attributes", attrJson);
  tensor.info = info;
  const plan = new Plan();
  plan.storage = dt;
  plan.bigEndian = isBigEndian(t);
  tensor.plan = plan;
  ctx.index.addTensor(tensor);
  if (dt == DT_RAW || dt == DT_STR || dt == DT_OBJECT) {
    plan.unreadable = describeType(t) + " values are not a numeric array";
    return true;
  }
  if (s.isNull || bytes == 0) {
    if (s.isNull) plan.unreadable = "the dataset has a null (empty) dataspace";
    return true;
  }
  if (oh.first(MSG_EFL) !== null) {
    ctx.index.addFinding(SEV_HIGH, "hdf5-external-storage", "dataset \"" + name + "\" keeps its values in external files; loaders that follow them read files outside the model", name);
    plan.unreadable = "values are stored in external files (not followed)";
    return true;
  }
  if (L.cls == LAYOUT_VIRTUAL) {
    ctx.index.addFinding(SEV_HIGH, "hdf5-virtual-dataset", "dataset \"" + name + "\" is a virtual dataset mapping other files; loaders that follow it read files outside the model", name);
    plan.unreadable = "virtual datasets are not followed";
    return true;
  }
  if (L.cls == LAYOUT_COMPACT) {
    if (L.size < bytes) { plan.unreadable = "compact data holds " + L.size.toString() + " bytes, the shape needs " + bytes.toString(); return true; }
    plan.segments.push(Segment.raw(h.src, h.base + L.compactAt, bytes));
    return true;
  }
  if (L.cls == LAYOUT_CONTIGUOUS) {
    if (L.addr == UNDEF) {
      plan.grid = fillGrid(shape, es, fill);
      if (bytes > (<u64>4 << 30)) ctx.index.addFinding(SEV_MEDIUM, "hdf5-shape-bomb", "dataset \"" + name + "\" declares " + bytes.toString() + " bytes and stores none; reading it allocates the declared size", name);
      else sparseFinding(ctx, h, name, bytes, 0);
      return true;
    }
    if (L.addr > h.size || bytes > h.size - L.addr) {
      plan.unreadable = "the data (" + bytes.toString() + " bytes at " + L.addr.toString() + ") lies past the end of the file";
      ctx.index.addFinding(SEV_MEDIUM, "hdf5-truncated-data", "dataset \"" + name + "\": " + plan.unreadable!, name);
      return true;
    }
    plan.segments.push(Segment.raw(h.src, h.base + L.addr, bytes));
    return true;
  }
  // Chunked.
  if (L.chunkElem != es) { h.fail(E_CORRUPT, "dataset \"" + name + "\": chunk element size " + L.chunkElem.toString() + " differs from the datatype size " + es.toString(), oh.addr); return false; }
  const recs = new Array<ChunkRec>();
  if (!collectChunks(h, L, shape, s.maxDims, filters.length > 0, recs)) return false;
  for (let i = 0; i < filters.length; i++) {
    if (!filterSupported(filters[i].id)) {
      plan.unreadable = "the " + filterName(filters[i].id) + " filter is not supported";
      return true;
    }
  }
  const g = new ChunkGrid();
  g.shape = shape;
  g.chunk = L.chunk;
  g.elemBytes = es;
  g.fill = fill;
  if (filters.length) g.decoder = new PipelineDecoder(filters);
  recs.sort((a: ChunkRec, b: ChunkRec): i32 => {
    for (let d = 0; d < a.origin.length; d++) {
      if (a.origin[d] != b.origin[d]) return a.origin[d] < b.origin[d] ? -1 : 1;
    }
    return 0;
  });
  const cb = chunkBytes(L);
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    let inside = true;
    for (let d = 0; d < shape.length; d++) {
      if (r.origin[d] % L.chunk[d] != 0) { h.fail(E_CORRUPT, "dataset \"" + name + "\": a chunk starts off the chunk grid", r.addr); return false; }
      if (r.origin[d] >= shape[d]) inside = false;
    }
    if (!inside) continue;
    if (i > 0 && sameOrigin(recs[i - 1], r)) { h.fail(E_CORRUPT, "dataset \"" + name + "\": two chunks at the same position", r.addr); return false; }
    const size = filters.length ? r.size : cb;
    if (r.addr > h.size || size > h.size - r.addr) {
      plan.unreadable = "a chunk lies past the end of the file";
      return true;
    }
    g.segments.push(Segment.raw(h.src, h.base + r.addr, size));
    for (let d = 0; d < shape.length; d++) g.origins.push(r.origin[d]);
    g.masks.push(r.mask);
  }
  plan.grid = g;
  // A declared size far beyond what is stored (Keras refuses > 4 GiB at > 1000x: CVE-2026-0897).
  let stored: u64 = 0;
  for (let i = 0; i < g.segments.length; i++) stored += g.segments[i].length;
  if (bytes > (<u64>4 << 30) && bytes / (stored > 0 ? stored : 1) > 1000) {
    ctx.index.addFinding(SEV_MEDIUM, "hdf5-shape-bomb", "dataset \"" + name + "\" declares " + bytes.toString() + " bytes but stores " + stored.toString() + "; reading it allocates the declared size", name);
  } else {
    sparseFinding(ctx, h, name, bytes, stored);
  }
  return true;
}

// Missing chunks (and unallocated contiguous data) read as the fill value, which is correct
// HDF5, but a file of kilobytes declaring a dataset of a gigabyte is worth a word before someone
// reads it whole: an info finding when the declared size is over 64 MiB and 1000 times the file.
const SPARSE_MIN: u64 = 64 << 20;
function sparseFinding(ctx: Context, h: H5, name: string, bytes: u64, stored: u64): void {
  const file = h.size > 0 ? h.size : 1;
  if (bytes < SPARSE_MIN || bytes / file < 1000) return;
  ctx.index.addFinding(SEV_INFO, "hdf5-sparse-dataset", "dataset \"" + name + "\" declares " + bytes.toString() + " bytes in a file of " + h.size.toString() + " (" + stored.toString() + " stored); the rest reads as the fill value, so read() allocates the declared size (chunks() streams it)", name);
}

function sameOrigin(a: ChunkRec, b: ChunkRec): bool {
  for (let d = 0; d < a.origin.length; d++) if (a.origin[d] != b.origin[d]) return false;
  return true;
}

function fillGrid(shape: u64[], es: u64, fill: u8[] | null): ChunkGrid {
  const g = new ChunkGrid();
  g.shape = shape;
  const c = new Array<u64>(shape.length);
  for (let i = 0; i < shape.length; i++) c[i] = shape[i] > 0 ? (i == 0 ? (shape[i] < 64 ? shape[i] : 64) : shape[i]) : 1;
  g.chunk = c;
  g.elemBytes = es;
  g.fill = fill;
  return g;
}
