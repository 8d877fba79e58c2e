// Superblock (v0-v3) and object headers (v1 and v2, with continuation chunks and checksums).

import { E_CHECKSUM, E_CORRUPT, E_INVALID_HEADER, E_LIMIT, E_UNSUPPORTED, E_UNKNOWN_FORMAT } from "../core/errors";
import { H5, UNDEF } from "./file";
import { lookup3 } from "./checksum";

export const MSG_DATASPACE: i32 = 0x01;
export const MSG_LINK_INFO: i32 = 0x02;
export const MSG_DATATYPE: i32 = 0x03;
export const MSG_FILL_OLD: i32 = 0x04;
export const MSG_FILL: i32 = 0x05;
export const MSG_LINK: i32 = 0x06;
export const MSG_EFL: i32 = 0x07;
export const MSG_LAYOUT: i32 = 0x08;
export const MSG_GROUP_INFO: i32 = 0x0a;
export const MSG_FILTERS: i32 = 0x0b;
export const MSG_ATTRIBUTE: i32 = 0x0c;
export const MSG_CONTINUATION: i32 = 0x10;
export const MSG_SYMBOL_TABLE: i32 = 0x11;
export const MSG_ATTR_INFO: i32 = 0x15;

const MAX_CHUNKS: i32 = 4096;
const MAX_MESSAGES: i32 = 200_000;
const MAX_CHUNK_BYTES: u64 = 64 * 1024 * 1024;

const SIG = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export class Superblock {
  version: i32 = 0;
  root: u64 = UNDEF;
  // Symbol-table scratch of the root entry (v0/v1 cache type 1): B-tree and local heap.
  rootBtree: u64 = UNDEF;
  rootHeap: u64 = UNDEF;
  extension: u64 = UNDEF;
}

// Finds the signature at 0, 512, 1024, ... of the source range [base, base+size).
export function findSignature(h: H5): i64 {
  let off: u64 = 0;
  while (off + 8 <= h.size) {
    const p = h.view(off, 8, "superblock signature");
    if (!p) return -1;
    let ok = true;
    for (let i = 0; i < 8; i++) if (load<u8>(p + <usize>i) != <u8>SIG[i]) { ok = false; break; }
    if (ok) return <i64>off;
    off = off == 0 ? 512 : off * 2;
  }
  return -2;
}

// Reads the superblock; rebases `h` so addresses are relative to the base address.
export function readSuperblock(h: H5): Superblock | null {
  const at = findSignature(h);
  if (at == -1) return null;
  if (at < 0) { h.fail(E_UNKNOWN_FORMAT, "no HDF5 signature at offset 0, 512, 1024, ...", 0); return null; }
  const sb = new Superblock();
  const p = h.view(<u64>at, 12, "superblock");
  if (!p) return null;
  const v = <i32>load<u8>(p + 8);
  sb.version = v;
  h.sbVersion = v;
  h.sbOffset = <u64>at;
  if (v == 0 || v == 1) {
    const q = h.view(<u64>at, 24, "superblock");
    if (!q) return null;
    h.so = <i32>load<u8>(q + 13);
    h.sl = <i32>load<u8>(q + 14);
    if (!sizesOk(h)) return null;
    const fixed: u64 = v == 0 ? 24 : 28;
    const total = fixed + 4 * <u64>h.so + (<u64>h.sl + <u64>h.so + 24 + <u64>h.so);
    const r = h.view(<u64>at, total, "superblock");
    if (!r) return null;
    let o = <usize>fixed;
    const baseAddr = h.addr(r + o);
    o += 4 * <usize>h.so; // base, free-space info, end of file, driver info
    // Root group symbol-table entry: link name offset, object header address, cache type, scratch.
    o += <usize>h.sl;
    sb.root = h.addr(r + o);
    o += <usize>h.so;
    const cache = load<u32>(r + o);
    o += 8;
    if (cache == 1) {
      sb.rootBtree = h.addr(r + o);
      sb.rootHeap = h.addr(r + o + <usize>h.so);
    }
    rebase(h, <u64>at, baseAddr);
  } else if (v == 2 || v == 3) {
    const q = h.view(<u64>at, 12, "superblock");
    if (!q) return null;
    h.so = <i32>load<u8>(q + 9);
    h.sl = <i32>load<u8>(q + 10);
    if (!sizesOk(h)) return null;
    const total = 12 + 4 * <u64>h.so + 4;
    const r = h.view(<u64>at, total, "superblock");
    if (!r) return null;
    const want = lookup3(r, <usize>total - 4);
    const got = load<u32>(r + <usize>total - 4);
    if (want != got) { h.fail(E_CHECKSUM, "superblock checksum mismatch", <u64>at); return null; }
    const baseAddr = h.addr(r + 12);
    sb.extension = h.addr(r + 12 + <usize>h.so);
    sb.root = h.addr(r + 12 + 3 * <usize>h.so);
    rebase(h, <u64>at, baseAddr);
  } else {
    h.fail(E_UNSUPPORTED, "superblock version " + v.toString() + " is not supported", <u64>at);
    return null;
  }
  if (sb.root == UNDEF) { h.fail(E_INVALID_HEADER, "the superblock has no root group", 0); return null; }
  return sb;
}

function okSize(n: i32): bool { return n == 2 || n == 4 || n == 8; }

function sizesOk(h: H5): bool {
  if (!okSize(h.so) || !okSize(h.sl)) {
    h.fail(E_INVALID_HEADER, "offset/length sizes " + h.so.toString() + "/" + h.sl.toString() + " are not 2, 4 or 8", 0);
    return false;
  }
  return true;
}

// Addresses are relative to the base address, which is absolute in the file; libhdf5 writes 0
// there and takes the superblock's position when the file has a user block.
function rebase(h: H5, at: u64, baseAddr: u64): void {
  const b = baseAddr == 0 || baseAddr == UNDEF ? at : baseAddr;
  if (b > h.size) return;
  h.base += b;
  h.size -= b;
}

export class Msg {
  constructor(public type: i32, public flags: i32, public ptr: usize, public size: u32, public addr: u64) {}
}

export class ObjHeader {
  addr: u64 = 0;
  version: i32 = 0;
  msgs: Msg[] = [];

  first(type: i32): Msg | null {
    for (let i = 0; i < this.msgs.length; i++) if (this.msgs[i].type == type) return this.msgs[i];
    return null;
  }

  all(type: i32): Msg[] {
    const out = new Array<Msg>();
    for (let i = 0; i < this.msgs.length; i++) if (this.msgs[i].type == type) out.push(this.msgs[i]);
    return out;
  }
}

class Pending {
  constructor(public addr: u64, public len: u64) {}
}

export function readObjectHeader(h: H5, addr: u64): ObjHeader | null {
  if (!h.spend(1)) return null;
  const oh = new ObjHeader();
  oh.addr = addr;
  const p = h.view(addr, 16, "object header");
  if (!p) return null;
  const conts = new Array<Pending>();
  if (load<u32>(p) == 0x5244484f) { // "OHDR"
    oh.version = 2;
    const ver = <i32>load<u8>(p + 4);
    if (ver != 2) { h.fail(E_UNSUPPORTED, "object header version " + ver.toString() + " is not supported", addr); return null; }
    const flags = <i32>load<u8>(p + 5);
    let o: u64 = 6;
    if (flags & 0x20) o += 16;
    if (flags & 0x10) o += 4;
    const w = 1 << (flags & 3);
    const q = h.view(addr, o + <u64>w, "object header");
    if (!q) return null;
    let size: u64 = 0;
    for (let i = 0; i < w; i++) size |= <u64>load<u8>(q + <usize>o + <usize>i) << (<u64>i * 8);
    o += <u64>w;
    if (size > MAX_CHUNK_BYTES) { h.fail(E_LIMIT, "object header chunk of " + size.toString() + " bytes", addr); return null; }
    const total = o + size + 4;
    const r = h.view(addr, total, "object header");
    if (!r) return null;
    if (lookup3(r, <usize>(total - 4)) != load<u32>(r + <usize>(total - 4))) {
      h.fail(E_CHECKSUM, "object header checksum mismatch", addr);
      return null;
    }
    if (!parseV2(h, oh, r + <usize>o, size, addr + o, (flags & 4) != 0, conts)) return null;
    let n = 0;
    const seen = new Set<u64>();
    while (conts.length) {
      const c = conts.shift();
      if (++n > MAX_CHUNKS || seen.has(c.addr)) { h.fail(E_CORRUPT, "object header continuation chain loops or is too long", c.addr); return null; }
      seen.add(c.addr);
      if (c.len < 8 || c.len > MAX_CHUNK_BYTES) { h.fail(E_CORRUPT, "object header continuation of " + c.len.toString() + " bytes", c.addr); return null; }
      const cp = h.view(c.addr, c.len, "object header continuation");
      if (!cp) return null;
      if (load<u32>(cp) != 0x4b48434f) { h.fail(E_CORRUPT, "object header continuation without OCHK signature", c.addr); return null; }
      if (lookup3(cp, <usize>(c.len - 4)) != load<u32>(cp + <usize>(c.len - 4))) { h.fail(E_CHECKSUM, "object header continuation checksum mismatch", c.addr); return null; }
      if (!parseV2(h, oh, cp + 4, c.len - 8, c.addr + 4, (flags & 4) != 0, conts)) return null;
    }
    return oh;
  }
  const ver = <i32>load<u8>(p);
  if (ver != 1) { h.fail(E_CORRUPT, "object header at " + addr.toString() + " has version " + ver.toString(), addr); return null; }
  oh.version = 1;
  const size = <u64>load<u32>(p + 8);
  conts.push(new Pending(addr + 16, size));
  let n = 0;
  const seen = new Set<u64>();
  while (conts.length) {
    const c = conts.shift();
    if (++n > MAX_CHUNKS || seen.has(c.addr)) { h.fail(E_CORRUPT, "object header continuation chain loops or is too long", c.addr); return null; }
    seen.add(c.addr);
    if (c.len > MAX_CHUNK_BYTES) { h.fail(E_LIMIT, "object header chunk of " + c.len.toString() + " bytes", c.addr); return null; }
    const cp = h.view(c.addr, c.len, "object header chunk");
    if (!cp) return null;
    if (!parseV1(h, oh, cp, c.len, c.addr, conts)) return null;
  }
  return oh;
}

function parseV1(h: H5, oh: ObjHeader, p: usize, len: u64, addr: u64, conts: Pending[]): bool {
  let o: u64 = 0;
  while (o + 8 <= len) {
    const type = <i32>load<u16>(p + <usize>o);
    const size = <u64>load<u16>(p + <usize>o + 2);
    const flags = <i32>load<u8>(p + <usize>o + 4);
    if (o + 8 + size > len) { h.fail(E_CORRUPT, "object header message runs past its chunk", addr + o); return false; }
    if (!addMsg(h, oh, type, flags, p + <usize>(o + 8), <u32>size, addr + o + 8, conts)) return false;
    o += 8 + size;
  }
  return true;
}

function parseV2(h: H5, oh: ObjHeader, p: usize, len: u64, addr: u64, order: bool, conts: Pending[]): bool {
  const hs: u64 = order ? 6 : 4;
  let o: u64 = 0;
  while (o + hs <= len) {
    const type = <i32>load<u8>(p + <usize>o);
    const size = <u64>load<u16>(p + <usize>o + 1);
    const flags = <i32>load<u8>(p + <usize>o + 3);
    if (o + hs + size > len) { h.fail(E_CORRUPT, "object header message runs past its chunk", addr + o); return false; }
    if (!addMsg(h, oh, type, flags, p + <usize>(o + hs), <u32>size, addr + o + hs, conts)) return false;
    o += hs + size;
  }
  return true;
}

function addMsg(h: H5, oh: ObjHeader, type: i32, flags: i32, p: usize, size: u32, addr: u64, conts: Pending[]): bool {
  if (oh.msgs.length >= MAX_MESSAGES) { h.fail(E_LIMIT, "more than " + MAX_MESSAGES.toString() + " object header messages", addr); return false; }
  if (!h.spend(1)) return false;
  if (type == MSG_CONTINUATION) {
    if (<i32>size < h.so + h.sl) { h.fail(E_CORRUPT, "short continuation message", addr); return false; }
    conts.push(new Pending(h.addr(p), h.len(p + <usize>h.so)));
    return true;
  }
  if (type == 0) return true;
  // "Fail if unknown" flags on a message type we do not know: the file requires support we lack.
  if (type > 0x18 && (flags & 0x88) != 0) {
    h.fail(E_UNSUPPORTED, "object header message type " + type.toString() + " must be understood to read this object", addr);
    return false;
  }
  oh.msgs.push(new Msg(type, flags, p, size, addr));
  return true;
}
