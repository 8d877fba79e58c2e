// Chunk indexes: the v1 B-tree (layouts 1-3) and the v4/v5 indexes (single chunk, implicit,
// fixed array, extensible array, v2 B-tree). Each yields the stored address, size and filter mask
// of every allocated chunk with its origin (first element on each axis).

import { E_CHECKSUM, E_CORRUPT, E_LIMIT, E_UNSUPPORTED } from "../core/errors";
import { H5, UNDEF } from "./file";
import { lookup3 } from "./checksum";
import { readBtree2 } from "./heaps";
import { IDX_BTREE1, IDX_BTREE2, IDX_EARRAY, IDX_FARRAY, IDX_IMPLICIT, IDX_SINGLE, Layout } from "./types";
import { loadLE } from "../util/bytes";

// Each chunk costs ~150 bytes of index (origin, segment); a million chunks is ~150 MB.
export const MAX_CHUNKS: i32 = 1_000_000;

export class ChunkRec {
  constructor(public addr: u64, public size: u64, public mask: u32, public origin: u64[]) {}
}

export function chunkBytes(L: Layout): u64 {
  let n = L.chunkElem;
  for (let i = 0; i < L.chunk.length; i++) n *= L.chunk[i];
  return n;
}

// Width of a filtered chunk's size field in fixed/extensible arrays and v2 B-trees.
function sizeWidth(h: H5, L: Layout): i32 {
  if (L.version >= 5) return h.sl;
  const cb = chunkBytes(L);
  const bits = cb == 0 ? 0 : 63 - <i32>clz<u64>(cb);
  const w = 1 + (bits + 8) / 8;
  return w > 8 ? 8 : w;
}

export function collectChunks(h: H5, L: Layout, dims: u64[], maxDims: u64[] | null, filtered: bool, out: ChunkRec[]): bool {
  const rank = dims.length;
  if (L.chunk.length != rank) { h.fail(E_CORRUPT, "chunk rank " + L.chunk.length.toString() + " differs from the dataspace rank " + rank.toString(), L.addr); return false; }
  for (let d = 0; d < rank; d++) if (L.chunk[d] == 0) { h.fail(E_CORRUPT, "a chunk dimension is 0", L.addr); return false; }
  if (L.addr == UNDEF) return true; // nothing written yet: every element is the fill value
  const cb = chunkBytes(L);
  switch (L.index) {
    case IDX_BTREE1: return chunkTree(h, L.addr, rank, out);
    case IDX_SINGLE: {
      const o = new Array<u64>(rank);
      for (let d = 0; d < rank; d++) o[d] = 0;
      out.push(new ChunkRec(L.addr, filtered ? L.singleSize : cb, L.singleMask, o));
      return true;
    }
    case IDX_IMPLICIT: {
      const n = gridCount(dims, L.chunk);
      if (n > <u64>MAX_CHUNKS) { h.fail(E_LIMIT, "more than " + MAX_CHUNKS.toString() + " chunks", L.addr); return false; }
      for (let i: u64 = 0; i < n; i++) out.push(new ChunkRec(L.addr + i * cb, cb, 0, originOf(i, dims, L.chunk)));
      return true;
    }
    case IDX_FARRAY: return fixedArray(h, L, dims, maxDims, filtered, out);
    case IDX_EARRAY: return extensibleArray(h, L, dims, maxDims, filtered, out);
    case IDX_BTREE2: {
      const t = readBtree2(h, L.addr);
      if (!t) return false;
      if (t.type != 10 && t.type != 11) { h.fail(E_CORRUPT, "chunk index B-tree of record type " + t.type.toString(), L.addr); return false; }
      const so = h.so;
      const sw = t.type == 11 ? sizeWidth(h, L) : 0;
      const need = <u32>(so + (t.type == 11 ? sw + 4 : 0) + rank * 8);
      if (t.recSize < need) { h.fail(E_CORRUPT, "chunk index records are too short", L.addr); return false; }
      if (t.recs.length > MAX_CHUNKS) { h.fail(E_LIMIT, "more than " + MAX_CHUNKS.toString() + " chunks", L.addr); return false; }
      for (let i = 0; i < t.recs.length; i++) {
        const r = t.recs[i];
        const a = h.addr(r);
        let o = <usize>so;
        let size = cb;
        let mask: u32 = 0;
        if (t.type == 11) {
          size = loadLE(r + o, sw);
          o += <usize>sw;
          mask = load<u32>(r + o);
          o += 4;
        }
        const org = new Array<u64>(rank);
        for (let d = 0; d < rank; d++) org[d] = load<u64>(r + o + <usize>d * 8) * L.chunk[d];
        if (a != UNDEF) out.push(new ChunkRec(a, size, mask, org));
      }
      return true;
    }
  }
  h.fail(E_UNSUPPORTED, "chunk index type " + L.index.toString(), L.addr);
  return false;
}

function gridCount(dims: u64[], chunk: u64[]): u64 {
  let n: u64 = 1;
  for (let d = 0; d < dims.length; d++) {
    const c = (dims[d] + chunk[d] - 1) / chunk[d];
    if (c != 0 && n > u64.MAX_VALUE / c) return u64.MAX_VALUE;
    n *= c;
  }
  return n;
}

// Origin of the i-th chunk in C order over a grid of ceil(extent/chunk) chunks per axis.
function originOf(i: u64, extent: u64[], chunk: u64[]): u64[] {
  const rank = extent.length;
  const o = new Array<u64>(rank);
  let rest = i;
  for (let d = rank - 1; d >= 0; d--) {
    const n = (extent[d] + chunk[d] - 1) / chunk[d];
    const k = n == 0 ? 0 : rest % n;
    rest = n == 0 ? 0 : rest / n;
    o[d] = k * chunk[d];
  }
  return o;
}

// The chunk B-tree walk, kept in ctx.memo: its nodes are scattered between the chunks, so each
// one may cost a cache miss and a re-run; the walk resumes at the node it stopped on.
class TreeWalk {
  nodes: u64[] = [];
  levels: i32[] = [];
  seen: Set<u64> = new Set<u64>();
  recs: ChunkRec[] = [];
  done: bool = false;
}

function chunkTree(h: H5, root: u64, rank: i32, out: ChunkRec[]): bool {
  const key = "h5chunks:" + h.src.toString() + ":" + h.base.toString() + ":" + root.toString();
  let tw: TreeWalk;
  if (h.ctx.memo.has(key)) tw = changetype<TreeWalk>(h.ctx.memo.get(key));
  else {
    tw = new TreeWalk();
    tw.nodes.push(root);
    tw.levels.push(-1);
    h.ctx.memo.set(key, tw);
  }
  while (!tw.done && tw.nodes.length) {
    if (!chunkNode(h, tw, rank)) return false;
  }
  tw.done = true;
  for (let i = 0; i < tw.recs.length; i++) out.push(tw.recs[i]);
  return true;
}

// Reads the node on top of the stack; only when all of it is in view does the walk move on.
function chunkNode(h: H5, tw: TreeWalk, rank: i32): bool {
  const top = tw.nodes.length - 1;
  const addr = tw.nodes[top];
  const expectLevel = tw.levels[top];
  if (tw.seen.has(addr)) { h.fail(E_CORRUPT, "chunk B-tree visits node " + addr.toString() + " twice (cycle)", addr); return false; }
  if (!h.spend(1)) return false;
  const so = <u64>h.so;
  const p = h.view(addr, 8 + 2 * so, "chunk B-tree node");
  if (!p) return false;
  if (load<u32>(p) != 0x45455254) { h.fail(E_CORRUPT, "chunk B-tree node without TREE signature", addr); return false; }
  const type = <i32>load<u8>(p + 4);
  const level = <i32>load<u8>(p + 5);
  const n = <u64>load<u16>(p + 6);
  if (type != 1) { h.fail(E_CORRUPT, "chunk B-tree node of type " + type.toString(), addr); return false; }
  if (expectLevel >= 0 && level != expectLevel) { h.fail(E_CORRUPT, "chunk B-tree levels do not descend", addr); return false; }
  if (level > 32) { h.fail(E_LIMIT, "chunk B-tree deeper than 32 levels", addr); return false; }
  const key = 8 + 8 * <u64>(rank + 1);
  const total = 8 + 2 * so + n * (key + so) + key;
  const q = h.view(addr, total, "chunk B-tree node");
  if (!q) return false;
  if (level == 0 && tw.recs.length + <i32>n > MAX_CHUNKS) { h.fail(E_LIMIT, "more than " + MAX_CHUNKS.toString() + " chunks", addr); return false; }
  tw.nodes.pop();
  tw.levels.pop();
  tw.seen.add(addr);
  if (level > 0) {
    // Children in reverse so the stack pops them in order.
    for (let i = <i64>n - 1; i >= 0; i--) {
      const k = q + <usize>(8 + 2 * so + <u64>i * (key + so));
      tw.nodes.push(h.addr(k + <usize>key));
      tw.levels.push(level - 1);
    }
    return true;
  }
  for (let i: u64 = 0; i < n; i++) {
    const k = q + <usize>(8 + 2 * so + i * (key + so));
    const org = new Array<u64>(rank);
    for (let d = 0; d < rank; d++) org[d] = load<u64>(k + 8 + <usize>d * 8);
    tw.recs.push(new ChunkRec(h.addr(k + <usize>key), <u64>load<u32>(k), load<u32>(k + 4), org));
  }
  return true;
}

// Grid extent used by the array indexes: the maximum dimensions where they are fixed.
function indexExtent(dims: u64[], maxDims: u64[] | null): u64[] {
  const e = new Array<u64>(dims.length);
  for (let d = 0; d < dims.length; d++) {
    const m = maxDims !== null ? maxDims[d] : UNDEF;
    e[d] = m == UNDEF || m < dims[d] ? dims[d] : m;
  }
  return e;
}

// Reads one array element (address [, size, mask]) and keeps it when allocated and in range.
function takeEntry(h: H5, e: usize, filtered: bool, sw: i32, cb: u64, idx: u64, extent: u64[], dims: u64[], chunk: u64[], out: ChunkRec[]): bool {
  const a = h.addr(e);
  if (a == UNDEF) return true;
  let size = cb;
  let mask: u32 = 0;
  if (filtered) {
    size = loadLE(e + <usize>h.so, sw);
    mask = load<u32>(e + <usize>h.so + <usize>sw);
  }
  const org = originOf(idx, extent, chunk);
  for (let d = 0; d < dims.length; d++) if (org[d] >= dims[d]) return true;
  if (out.length >= MAX_CHUNKS) { h.fail(E_LIMIT, "more than " + MAX_CHUNKS.toString() + " chunks", a); return false; }
  out.push(new ChunkRec(a, size, mask, org));
  return true;
}

function fixedArray(h: H5, L: Layout, dims: u64[], maxDims: u64[] | null, filtered: bool, out: ChunkRec[]): bool {
  const so = <u64>h.so;
  const sl = <u64>h.sl;
  const hs = 8 + sl + so + 4;
  const p = h.view(L.addr, hs, "fixed array header");
  if (!p) return false;
  if (load<u32>(p) != 0x44484146) { h.fail(E_CORRUPT, "fixed array without FAHD signature", L.addr); return false; } // "FAHD"
  if (lookup3(p, <usize>(hs - 4)) != load<u32>(p + <usize>(hs - 4))) { h.fail(E_CHECKSUM, "fixed array header checksum mismatch", L.addr); return false; }
  const es = <u64>load<u8>(p + 6);
  const pageBits = <u64>load<u8>(p + 7);
  const n = h.len(p + 8);
  const db = h.addr(p + 8 + <usize>sl);
  if (db == UNDEF) return true;
  const sw = filtered ? <i32>es - h.so - 4 : 0;
  if (es < so || (filtered && sw <= 0) || pageBits > 32) { h.fail(E_CORRUPT, "fixed array with impossible entry size", L.addr); return false; }
  if (n > <u64>MAX_CHUNKS) { h.fail(E_LIMIT, "fixed array of " + n.toString() + " chunks", L.addr); return false; }
  const extent = indexExtent(dims, maxDims);
  const cb = chunkBytes(L);
  const page: u64 = <u64>1 << pageBits;
  const prefix = 6 + so;
  if (n <= page) {
    const total = prefix + n * es + 4;
    const q = h.view(db, total, "fixed array data block");
    if (!q) return false;
    if (load<u32>(q) != 0x42444146) { h.fail(E_CORRUPT, "fixed array data block without FADB signature", db); return false; } // "FADB"
    if (lookup3(q, <usize>(total - 4)) != load<u32>(q + <usize>(total - 4))) { h.fail(E_CHECKSUM, "fixed array data block checksum mismatch", db); return false; }
    for (let i: u64 = 0; i < n; i++) {
      if (!takeEntry(h, q + <usize>(prefix + i * es), filtered, sw, cb, i, extent, dims, L.chunk, out)) return false;
    }
    return true;
  }
  const npages = (n + page - 1) / page;
  const bitmap = (npages + 7) / 8;
  const head = prefix + bitmap + 4;
  const q = h.view(db, head, "fixed array data block");
  if (!q) return false;
  if (load<u32>(q) != 0x42444146) { h.fail(E_CORRUPT, "fixed array data block without FADB signature", db); return false; }
  if (lookup3(q, <usize>(head - 4)) != load<u32>(q + <usize>(head - 4))) { h.fail(E_CHECKSUM, "fixed array data block checksum mismatch", db); return false; }
  let at = db + head;
  for (let pg: u64 = 0; pg < npages; pg++) {
    const cnt = pg + 1 < npages ? page : n - pg * page;
    const init = (load<u8>(q + <usize>(prefix + pg / 8)) >> <u8>(7 - (pg % 8))) & 1;
    const bytes = cnt * es + 4;
    if (init) {
      const r = h.view(at, bytes, "fixed array page");
      if (!r) return false;
      if (lookup3(r, <usize>(bytes - 4)) != load<u32>(r + <usize>(bytes - 4))) { h.fail(E_CHECKSUM, "fixed array page checksum mismatch", at); return false; }
      for (let i: u64 = 0; i < cnt; i++) {
        if (!takeEntry(h, r + <usize>(i * es), filtered, sw, cb, pg * page + i, extent, dims, L.chunk, out)) return false;
      }
    }
    at += page * es + 4;
  }
  return true;
}

function log2(v: u64): u64 { return v == 0 ? 0 : <u64>(63 - <i32>clz<u64>(v)); }

// Extensible array (one unlimited axis, h5py resizable datasets with libver latest). Elements are
// chunk indexes over the grid with the unlimited axis first ("swizzled"); h5py's unlimited axis
// is usually axis 0, the only case handled here.
function extensibleArray(h: H5, L: Layout, dims: u64[], maxDims: u64[] | null, filtered: bool, out: ChunkRec[]): bool {
  const so = <u64>h.so;
  const sl = <u64>h.sl;
  const hs = 12 + 6 * sl + so + 4;
  const p = h.view(L.addr, hs, "extensible array header");
  if (!p) return false;
  if (load<u32>(p) != 0x44484145) { h.fail(E_CORRUPT, "extensible array without EAHD signature", L.addr); return false; } // "EAHD"
  if (lookup3(p, <usize>(hs - 4)) != load<u32>(p + <usize>(hs - 4))) { h.fail(E_CHECKSUM, "extensible array header checksum mismatch", L.addr); return false; }
  const es = <u64>load<u8>(p + 6);
  const maxBits = <u64>load<u8>(p + 7);
  const idxElems = <u64>load<u8>(p + 8);
  const dblkMin = <u64>load<u8>(p + 9);
  const sblkMinPtrs = <u64>load<u8>(p + 10);
  const pageBits = <u64>load<u8>(p + 11);
  const ib = h.addr(p + 12 + 6 * <usize>sl);
  if (ib == UNDEF) return true;
  const sw = filtered ? <i32>es - h.so - 4 : 0;
  if (es < so || (filtered && sw <= 0) || maxBits > 64 || dblkMin == 0 || sblkMinPtrs == 0 || pageBits > 32) { h.fail(E_CORRUPT, "extensible array with impossible parameters", L.addr); return false; }
  // Unlimited axis must be axis 0 for the element order used below.
  const rank = dims.length;
  const extent = indexExtent(dims, maxDims);
  for (let d = 1; d < rank; d++) {
    if (maxDims !== null && maxDims[d] == UNDEF) { h.fail(E_UNSUPPORTED, "extensible-array chunk index with an unlimited axis other than the first", L.addr); return false; }
  }
  extent[0] = dims[0];
  const cb = chunkBytes(L);
  const nsblks = 1 + maxBits - log2(dblkMin);
  const iblkSblks = 2 * log2(sblkMinPtrs);
  const ndblkAddrs = 2 * (sblkMinPtrs - 1);
  const nsblkAddrs = nsblks > iblkSblks ? nsblks - iblkSblks : 0;
  const ibSize = 6 + so + idxElems * es + ndblkAddrs * so + nsblkAddrs * so + 4;
  const q = h.view(ib, ibSize, "extensible array index block");
  if (!q) return false;
  if (load<u32>(q) != 0x42494145) { h.fail(E_CORRUPT, "extensible array index block without EAIB signature", ib); return false; } // "EAIB"
  if (lookup3(q, <usize>(ibSize - 4)) != load<u32>(q + <usize>(ibSize - 4))) { h.fail(E_CHECKSUM, "extensible array index block checksum mismatch", ib); return false; }
  const total = gridCount(dims, L.chunk);
  let idx: u64 = 0;
  let o = 6 + so;
  for (let i: u64 = 0; i < idxElems && idx < total; i++, idx++) {
    if (!takeEntry(h, q + <usize>(o + i * es), filtered, sw, cb, idx, extent, dims, L.chunk, out)) return false;
  }
  idx = idxElems;
  o += idxElems * es;
  const blkOffBytes = (maxBits + 7) / 8;
  // Data blocks addressed from the index block belong to the first super blocks.
  let s: u64 = 0;
  let k: u64 = 0;
  while (k < ndblkAddrs && idx < total) {
    const nd = <u64>1 << (s / 2);
    const ne = (<u64>1 << ((s + 1) / 2)) * dblkMin;
    for (let j: u64 = 0; j < nd && k < ndblkAddrs; j++, k++) {
      const da = h.addr(q + <usize>(o + k * so));
      if (da != UNDEF && !dataBlock(h, da, ne, es, blkOffBytes, pageBits, filtered, sw, cb, idx, extent, dims, L.chunk, out)) return false;
      idx += ne;
    }
    s++;
  }
  o += ndblkAddrs * so;
  for (let j: u64 = 0; j < nsblkAddrs && idx < total; j++) {
    const sidx = iblkSblks + j;
    const nd = <u64>1 << (sidx / 2);
    const ne = (<u64>1 << ((sidx + 1) / 2)) * dblkMin;
    const sa = h.addr(q + <usize>(o + j * so));
    if (sa == UNDEF) { idx += nd * ne; continue; }
    const paged = ne > (<u64>1 << pageBits);
    const npages = paged ? ne / (<u64>1 << pageBits) : 0;
    const bm = paged ? nd * ((npages + 7) / 8) : 0;
    const ss = 6 + so + blkOffBytes + bm + nd * so + 4;
    const r = h.view(sa, ss, "extensible array super block");
    if (!r) return false;
    if (load<u32>(r) != 0x42534145) { h.fail(E_CORRUPT, "extensible array super block without EASB signature", sa); return false; } // "EASB"
    if (lookup3(r, <usize>(ss - 4)) != load<u32>(r + <usize>(ss - 4))) { h.fail(E_CHECKSUM, "extensible array super block checksum mismatch", sa); return false; }
    for (let b: u64 = 0; b < nd; b++) {
      const da = h.addr(r + <usize>(6 + so + blkOffBytes + bm + b * so));
      if (da != UNDEF && !dataBlock(h, da, ne, es, blkOffBytes, pageBits, filtered, sw, cb, idx, extent, dims, L.chunk, out)) return false;
      idx += ne;
    }
  }
  return true;
}

function dataBlock(h: H5, da: u64, ne: u64, es: u64, blkOffBytes: u64, pageBits: u64, filtered: bool, sw: i32, cb: u64, first: u64, extent: u64[], dims: u64[], chunk: u64[], out: ChunkRec[]): bool {
  if (!h.spend(1)) return false;
  const so = <u64>h.so;
  const prefix = 6 + so + blkOffBytes;
  const page: u64 = <u64>1 << pageBits;
  if (ne <= page) {
    const total = prefix + ne * es + 4;
    const r = h.view(da, total, "extensible array data block");
    if (!r) return false;
    if (load<u32>(r) != 0x42444145) { h.fail(E_CORRUPT, "extensible array data block without EADB signature", da); return false; } // "EADB"
    if (lookup3(r, <usize>(total - 4)) != load<u32>(r + <usize>(total - 4))) { h.fail(E_CHECKSUM, "extensible array data block checksum mismatch", da); return false; }
    for (let i: u64 = 0; i < ne; i++) {
      if (!takeEntry(h, r + <usize>(prefix + i * es), filtered, sw, cb, first + i, extent, dims, chunk, out)) return false;
    }
    return true;
  }
  // Paged data block: header + checksum, then pages of elements each with a checksum.
  let at = da + prefix + 4;
  const npages = ne / page;
  for (let pg: u64 = 0; pg < npages; pg++) {
    const bytes = page * es + 4;
    const r = h.view(at, bytes, "extensible array data block page");
    if (!r) return false;
    if (lookup3(r, <usize>(bytes - 4)) == load<u32>(r + <usize>(bytes - 4))) {
      for (let i: u64 = 0; i < page; i++) {
        if (!takeEntry(h, r + <usize>(i * es), filtered, sw, cb, first + pg * page + i, extent, dims, chunk, out)) return false;
      }
    }
    at += bytes;
  }
  return true;
}
