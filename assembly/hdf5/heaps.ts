// Storage structures behind groups and dense attributes: local heaps, v1 B-trees of groups with
// their symbol nodes, fractal heaps (managed and tiny objects) and v2 B-trees (enumeration of
// records). Every node is visited at most once and every count is capped.

import { E_CHECKSUM, E_CORRUPT, E_LIMIT, E_UNSUPPORTED } from "../core/errors";
import { H5, UNDEF } from "./file";
import { lookup3 } from "./checksum";
import { loadLE } from "../util/bytes";

const MAX_DEPTH: i32 = 32;
const MAX_RECORDS: i32 = 4_000_000;

export class LocalHeap {
  data: usize = 0;
  size: u64 = 0;
  addr: u64 = 0;

  // The NUL-terminated string at `off`, or null when it lies outside the heap.
  str(off: u64): string | null {
    if (off >= this.size) return null;
    let n: u64 = 0;
    while (off + n < this.size && load<u8>(this.data + <usize>(off + n)) != 0) n++;
    if (off + n >= this.size) return null;
    return String.UTF8.decodeUnsafe(this.data + <usize>off, <usize>n);
  }
}

export function readLocalHeap(h: H5, addr: u64): LocalHeap | null {
  const hs = 8 + 2 * <u64>h.sl + <u64>h.so;
  const p = h.view(addr, hs, "local heap");
  if (!p) return null;
  if (load<u32>(p) != 0x50414548) { h.fail(E_CORRUPT, "local heap without HEAP signature", addr); return null; } // "HEAP"
  const lh = new LocalHeap();
  lh.size = h.len(p + 8);
  const da = h.addr(p + 8 + 2 * <usize>h.sl);
  lh.addr = da;
  if (lh.size > 256 * 1024 * 1024) { h.fail(E_LIMIT, "local heap of " + lh.size.toString() + " bytes", addr); return null; }
  const d = h.view(da, lh.size, "local heap data");
  if (!d) return null;
  lh.data = d;
  return lh;
}

export class SymbolEntry {
  // Cache type 2 marks a soft link whose target path sits in the local heap at `softOffset`.
  constructor(public nameOffset: u64, public header: u64, public cache: u32, public softOffset: u64) {}
}

// Walks a group's v1 B-tree (node type 0) down to its symbol nodes; entries in name order.
export function readSymbolTable(h: H5, btree: u64, out: SymbolEntry[]): bool {
  const seen = new Set<u64>();
  return walkGroupNode(h, btree, -1, out, seen, 0);
}

function walkGroupNode(h: H5, addr: u64, expectLevel: i32, out: SymbolEntry[], seen: Set<u64>, depth: i32): bool {
  if (depth > MAX_DEPTH) { h.fail(E_LIMIT, "group B-tree deeper than " + MAX_DEPTH.toString(), addr); return false; }
  if (seen.has(addr)) { h.fail(E_CORRUPT, "group B-tree visits node " + addr.toString() + " twice (cycle)", addr); return false; }
  seen.add(addr);
  if (!h.spend(1)) return false;
  const so = <u64>h.so;
  const sl = <u64>h.sl;
  const p = h.view(addr, 8 + 2 * so, "group B-tree node");
  if (!p) return false;
  if (load<u32>(p) != 0x45455254) { h.fail(E_CORRUPT, "group B-tree node without TREE signature", addr); return false; } // "TREE"
  const type = <i32>load<u8>(p + 4);
  const level = <i32>load<u8>(p + 5);
  const n = <u64>load<u16>(p + 6);
  if (type != 0) { h.fail(E_CORRUPT, "group B-tree node of type " + type.toString(), addr); return false; }
  if (expectLevel >= 0 && level != expectLevel) { h.fail(E_CORRUPT, "group B-tree levels do not descend", addr); return false; }
  const total = 8 + 2 * so + n * (sl + so) + sl;
  const q = h.view(addr, total, "group B-tree node");
  if (!q) return false;
  for (let i: u64 = 0; i < n; i++) {
    const child = h.addr(q + <usize>(8 + 2 * so + i * (sl + so) + sl));
    if (level > 0) {
      if (!walkGroupNode(h, child, level - 1, out, seen, depth + 1)) return false;
    } else if (!readSymbolNode(h, child, out)) return false;
  }
  return true;
}

function readSymbolNode(h: H5, addr: u64, out: SymbolEntry[]): bool {
  if (!h.spend(1)) return false;
  const p = h.view(addr, 8, "symbol table node");
  if (!p) return false;
  if (load<u32>(p) != 0x444f4e53) { h.fail(E_CORRUPT, "symbol table node without SNOD signature", addr); return false; } // "SNOD"
  const n = <u64>load<u16>(p + 6);
  const entry = <u64>h.sl + <u64>h.so + 24;
  const q = h.view(addr, 8 + n * entry, "symbol table node");
  if (!q) return false;
  if (out.length + <i32>n > MAX_RECORDS) { h.fail(E_LIMIT, "more than " + MAX_RECORDS.toString() + " group members", addr); return false; }
  for (let i: u64 = 0; i < n; i++) {
    const e = q + 8 + <usize>(i * entry);
    const scratch = e + <usize>h.sl + <usize>h.so + 8;
    out.push(new SymbolEntry(h.len(e), h.addr(e + <usize>h.sl), load<u32>(e + <usize>h.sl + <usize>h.so), <u64>load<u32>(scratch)));
  }
  return true;
}

// ---- fractal heap ----

export class FractalHeap {
  addr: u64 = 0;
  idLen: i32 = 0;
  filtered: bool = false;
  maxManaged: u64 = 0;
  width: u64 = 0;
  start: u64 = 0;
  maxDirect: u64 = 0;
  maxHeapBits: i32 = 0;
  root: u64 = UNDEF;
  rootRows: i32 = 0;
  hugeBtree: u64 = UNDEF; // v2 B-tree (record type 1) of objects too large for the managed blocks
  checksumDirect: bool = false;
  offBytes: i32 = 0;
  lenBytes: i32 = 0;
}

function log2floor(v: u64): i32 { return v == 0 ? 0 : 63 - <i32>clz<u64>(v); }

export function readFractalHeap(h: H5, addr: u64): FractalHeap | null {
  const so = <u64>h.so;
  const sl = <u64>h.sl;
  const fixed: u64 = 14 + 10 * sl + 2 * so + 2 + 2 * sl + 2 + 2 + so + 2;
  const p = h.view(addr, fixed, "fractal heap header");
  if (!p) return null;
  if (load<u32>(p) != 0x50485246) { h.fail(E_CORRUPT, "fractal heap without FRHP signature", addr); return null; } // "FRHP"
  const f = new FractalHeap();
  f.addr = addr;
  f.idLen = <i32>load<u16>(p + 5);
  const ioLen = <u64>load<u16>(p + 7);
  const flags = <i32>load<u8>(p + 9);
  f.checksumDirect = (flags & 2) != 0;
  f.maxManaged = <u64>load<u32>(p + 10);
  f.hugeBtree = h.addr(p + 14 + <usize>sl);
  let o: u64 = 14 + 10 * sl + 2 * so;
  f.width = <u64>load<u16>(p + <usize>o);
  o += 2;
  f.start = h.len(p + <usize>o);
  o += sl;
  f.maxDirect = h.len(p + <usize>o);
  o += sl;
  f.maxHeapBits = <i32>load<u16>(p + <usize>o);
  o += 2;
  o += 2; // starting rows of the root indirect block
  f.root = h.addr(p + <usize>o);
  o += so;
  f.rootRows = <i32>load<u16>(p + <usize>o);
  o += 2;
  f.filtered = ioLen > 0;
  const total = o + (f.filtered ? sl + 4 + ioLen : 0) + 4;
  const q = h.view(addr, total, "fractal heap header");
  if (!q) return null;
  if (lookup3(q, <usize>(total - 4)) != load<u32>(q + <usize>(total - 4))) { h.fail(E_CHECKSUM, "fractal heap header checksum mismatch", addr); return null; }
  if (f.width == 0 || f.width > 65536 || f.start == 0 || (f.start & (f.start - 1)) != 0 || f.maxDirect < f.start || (f.maxDirect & (f.maxDirect - 1)) != 0 || f.maxHeapBits > 64 || f.rootRows > 64) {
    h.fail(E_CORRUPT, "fractal heap header has impossible table parameters", addr);
    return null;
  }
  f.offBytes = (f.maxHeapBits + 7) / 8;
  const a = (log2floor(f.maxDirect) + 7) / 8;
  const b = log2floor(f.maxManaged) / 8 + 1;
  f.lenBytes = a < b ? a : b;
  return f;
}

// Pointer to the object a heap ID names (length in `objLen`), or 0 with the error set.
export let objLen: u64 = 0;

export function heapObject(h: H5, f: FractalHeap, id: usize): usize {
  const kind = (<i32>load<u8>(id) >> 4) & 3;
  if (kind == 2) {
    // Tiny: the object is inside the ID.
    if (f.idLen <= 18) {
      objLen = <u64>(load<u8>(id) & 0xf) + 1;
      if (<i32>objLen > f.idLen - 1) return h.fail(E_CORRUPT, "tiny heap object longer than its ID", f.addr);
      return id + 1;
    }
    objLen = ((<u64>(load<u8>(id) & 0xf) << 8) | <u64>load<u8>(id + 1)) + 1;
    if (<i32>objLen > f.idLen - 2) return h.fail(E_CORRUPT, "tiny heap object longer than its ID", f.addr);
    return id + 2;
  }
  if (kind == 1) return hugeObject(h, f, id);
  if (kind != 0) return h.fail(E_CORRUPT, "heap ID of unknown type", f.addr);
  if (f.filtered) return h.fail(E_UNSUPPORTED, "filtered fractal heaps are not supported", f.addr);
  const off = loadLE(id + 1, f.offBytes);
  const len = loadLE(id + 1 + <usize>f.offBytes, f.lenBytes);
  objLen = len;
  if (f.rootRows == 0) {
    if (off > f.start || len > f.start - off) return h.fail(E_CORRUPT, "heap object outside the root direct block", f.addr);
    return h.view(f.root + off, len == 0 ? 1 : len, "fractal heap object");
  }
  return locate(h, f, f.root, f.rootRows, 0, off, len, 0);
}

// Huge objects live outside the heap blocks; the ID holds a key into the huge-object v2 B-tree
// (records: address, length, key) unless the ID is long enough to hold address and length.
function hugeObject(h: H5, f: FractalHeap, id: usize): usize {
  if (f.filtered) return h.fail(E_UNSUPPORTED, "filtered huge fractal-heap objects are not supported", f.addr);
  const so = h.so;
  const sl = h.sl;
  if (f.idLen >= 1 + so + sl) {
    const a = h.addr(id + 1);
    objLen = h.len(id + 1 + <usize>so);
    if (objLen > 256 * 1024 * 1024) return h.fail(E_LIMIT, "huge heap object of " + objLen.toString() + " bytes", f.addr);
    return h.view(a, objLen == 0 ? 1 : objLen, "huge heap object");
  }
  const kb = f.idLen - 1 < 8 ? f.idLen - 1 : 8;
  const key = loadLE(id + 1, kb);
  if (f.hugeBtree == UNDEF) return h.fail(E_CORRUPT, "huge heap object without a huge-object index", f.addr);
  const t = readBtree2(h, f.hugeBtree);
  if (!t) return 0;
  if (t.type != 1) return h.fail(E_CORRUPT, "huge-object index of record type " + t.type.toString(), f.hugeBtree);
  if (t.recSize < <u32>(so + 2 * sl)) return h.fail(E_CORRUPT, "huge-object records are too short", f.hugeBtree);
  for (let i = 0; i < t.recs.length; i++) {
    const r = t.recs[i];
    if (h.len(r + <usize>so + <usize>sl) != key) continue;
    objLen = h.len(r + <usize>so);
    if (objLen > 256 * 1024 * 1024) return h.fail(E_LIMIT, "huge heap object of " + objLen.toString() + " bytes", f.addr);
    return h.view(h.addr(r), objLen == 0 ? 1 : objLen, "huge heap object");
  }
  return h.fail(E_CORRUPT, "huge heap object " + key.toString() + " is not in its index", f.hugeBtree);
}

// A direct block's heap offsets count from its first byte (header included): an object at heap
// offset `off` in a block that starts at heap offset `base` lies at address + (off - base).
function locate(h: H5, f: FractalHeap, ib: u64, rows: i32, base: u64, off: u64, len: u64, depth: i32): usize {
  if (depth > 16) return h.fail(E_LIMIT, "fractal heap indirect blocks nest too deep", ib);
  if (!h.spend(1)) return 0;
  const so = <u64>h.so;
  const maxDirectRows = log2floor(f.maxDirect) - log2floor(f.start) + 2;
  const hdr = 5 + so + <u64>f.offBytes;
  const p = h.view(ib, 4, "fractal heap indirect block");
  if (!p) return 0;
  if (load<u32>(p) != 0x42494846) return h.fail(E_CORRUPT, "fractal heap indirect block without FHIB signature", ib); // "FHIB"
  let pos = base;
  for (let r = 0; r < rows; r++) {
    const bs: u64 = r == 0 ? f.start : f.start << <u64>(r - 1);
    for (let c: u64 = 0; c < f.width; c++) {
      if (off < pos + bs) {
        const k = <u64>r * f.width + c;
        const q = h.view(ib + hdr + k * so, so, "fractal heap indirect block entry");
        if (!q) return 0;
        const child = h.addr(q);
        if (child == UNDEF) return h.fail(E_CORRUPT, "heap ID points into an unallocated fractal heap block", ib);
        if (r < maxDirectRows) {
          if (len > bs || off - pos > bs - len) return h.fail(E_CORRUPT, "heap object crosses its direct block", child);
          const d = h.view(child + (off - pos), len == 0 ? 1 : len, "fractal heap object");
          return d;
        }
        const childRows = log2floor(bs) - log2floor(f.start * f.width) + 1;
        return locate(h, f, child, childRows, pos, off, len, depth + 1);
      }
      pos += bs;
    }
  }
  return h.fail(E_CORRUPT, "heap ID offset beyond the fractal heap", ib);
}

// ---- v2 B-tree ----

export class Btree2 {
  type: i32 = 0;
  recSize: u32 = 0;
  recs: usize[] = [];
}

class NodeInfo {
  maxNrec: u64 = 0;
  cumMaxNrec: u64 = 0;
  cumMaxNrecSize: i32 = 0;
}

// Every record of the v2 B-tree at `addr`, in key order.
export function readBtree2(h: H5, addr: u64): Btree2 | null {
  const so = <u64>h.so;
  const sl = <u64>h.sl;
  const total = 16 + so + 2 + sl + 4;
  const p = h.view(addr, total, "v2 B-tree header");
  if (!p) return null;
  if (load<u32>(p) != 0x44485442) { h.fail(E_CORRUPT, "v2 B-tree without BTHD signature", addr); return null; } // "BTHD"
  if (lookup3(p, <usize>(total - 4)) != load<u32>(p + <usize>(total - 4))) { h.fail(E_CHECKSUM, "v2 B-tree header checksum mismatch", addr); return null; }
  const t = new Btree2();
  t.type = <i32>load<u8>(p + 5);
  const nodeSize = <u64>load<u32>(p + 6);
  t.recSize = <u32>load<u16>(p + 10);
  const depth = <i32>load<u16>(p + 12);
  const root = h.addr(p + 16);
  const rootN = <u64>load<u16>(p + 16 + <usize>so);
  if (t.recSize == 0 || nodeSize < 16 || depth > MAX_DEPTH || nodeSize > 16 * 1024 * 1024) { h.fail(E_CORRUPT, "v2 B-tree header has impossible sizes", addr); return null; }
  if (root == UNDEF || rootN == 0) return t;
  // Node geometry as libhdf5 derives it (H5B2__hdr_init).
  const info = new Array<NodeInfo>(depth + 1);
  const leafMax = (nodeSize - 10) / <u64>t.recSize;
  const n0 = new NodeInfo();
  n0.maxNrec = leafMax;
  n0.cumMaxNrec = leafMax;
  n0.cumMaxNrecSize = 0;
  info[0] = n0;
  const maxNrecSize = log2floor(leafMax) / 8 + 1;
  for (let d = 1; d <= depth; d++) {
    const ptr = so + <u64>maxNrecSize + (d > 1 ? <u64>info[d - 1].cumMaxNrecSize : 0);
    const ni = new NodeInfo();
    ni.maxNrec = (nodeSize - 10 - ptr) / (<u64>t.recSize + ptr);
    ni.cumMaxNrec = (ni.maxNrec + 1) * info[d - 1].cumMaxNrec + ni.maxNrec;
    ni.cumMaxNrecSize = log2floor(ni.cumMaxNrec) / 8 + 1;
    info[d] = ni;
  }
  const seen = new Set<u64>();
  if (!walkBt2(h, t, root, rootN, depth, nodeSize, info, maxNrecSize, seen)) return null;
  return t;
}

function walkBt2(h: H5, t: Btree2, addr: u64, n: u64, depth: i32, nodeSize: u64, info: NodeInfo[], maxNrecSize: i32, seen: Set<u64>): bool {
  if (seen.has(addr)) { h.fail(E_CORRUPT, "v2 B-tree visits node " + addr.toString() + " twice (cycle)", addr); return false; }
  seen.add(addr);
  if (!h.spend(1)) return false;
  if (n > info[depth].maxNrec) { h.fail(E_CORRUPT, "v2 B-tree node holds more records than fit", addr); return false; }
  if (t.recs.length + <i32>n > MAX_RECORDS) { h.fail(E_LIMIT, "v2 B-tree with more than " + MAX_RECORDS.toString() + " records", addr); return false; }
  const so = <u64>h.so;
  const recBytes = n * <u64>t.recSize;
  if (depth == 0) {
    const used = 6 + recBytes;
    const p = h.view(addr, used + 4, "v2 B-tree leaf");
    if (!p) return false;
    if (load<u32>(p) != 0x464c5442) { h.fail(E_CORRUPT, "v2 B-tree leaf without BTLF signature", addr); return false; } // "BTLF"
    if (lookup3(p, <usize>used) != load<u32>(p + <usize>used)) { h.fail(E_CHECKSUM, "v2 B-tree leaf checksum mismatch", addr); return false; }
    for (let i: u64 = 0; i < n; i++) t.recs.push(p + 6 + <usize>(i * <u64>t.recSize));
    return true;
  }
  const cumSize = depth > 1 ? <u64>info[depth - 1].cumMaxNrecSize : 0;
  const ptr = so + <u64>maxNrecSize + cumSize;
  const used = 6 + recBytes + (n + 1) * ptr;
  const p = h.view(addr, used + 4, "v2 B-tree internal node");
  if (!p) return false;
  if (load<u32>(p) != 0x4e495442) { h.fail(E_CORRUPT, "v2 B-tree internal node without BTIN signature", addr); return false; } // "BTIN"
  if (lookup3(p, <usize>used) != load<u32>(p + <usize>used)) { h.fail(E_CHECKSUM, "v2 B-tree internal node checksum mismatch", addr); return false; }
  for (let i: u64 = 0; i <= n; i++) {
    const cp = p + <usize>(6 + recBytes + i * ptr);
    const child = h.addr(cp);
    const cn = loadLE(cp + <usize>so, maxNrecSize);
    if (!walkBt2(h, t, child, cn, depth - 1, nodeSize, info, maxNrecSize, seen)) return false;
    if (i < n) t.recs.push(p + 6 + <usize>(i * <u64>t.recSize));
  }
  return true;
}
