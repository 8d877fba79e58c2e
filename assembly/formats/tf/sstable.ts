// The SSTable behind TensorFlow checkpoints' `.index` files (LevelDB table format as forked in
// tensorflow/core/lib/io): a 48-byte footer (metaindex and index block handles, magic), an index
// block whose values are data-block handles, and data blocks of prefix-compressed keys with
// restart points. Each block has a 5-byte trailer: compression type (0 none, 1 Snappy) and a
// masked CRC32C of the contents plus that type byte, which is checked.

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { E_CHECKSUM, E_CORRUPT, E_DECOMPRESS, E_INVALID_HEADER, E_LIMIT, E_UNSUPPORTED } from "../../core/errors";
import { crc32c, maskCrc32c } from "../../containers/checksums";
import { utf8ToString } from "../../util/bytes";
import { readVarint, Varint } from "../../protobuf/wire";
import { SnappyResult, unsnappy } from "./snappy";

export const SST_MAGIC: u64 = 0xdb4775248b80fb57;
const FOOTER: u64 = 48;
const MAX_ENTRIES: i32 = 1 << 20;
const MAX_BLOCK: u64 = 256 * 1024 * 1024;

export class SstEntry {
  // Where the value's bytes are in the file, or u64.MAX when its block was compressed.
  fileOffset: u64 = u64.MAX_VALUE;
  constructor(public key: string, public value: StaticArray<u8>) {}
}

export class SstTable {
  entries: SstEntry[] = [];
  compression: string[] = []; // per data block
}

export function hasSstMagic(tail: usize, tailLen: usize): bool {
  return tailLen >= 8 && load<u64>(tail + tailLen - 8) == SST_MAGIC;
}

class Block {
  ptr: usize = 0;
  len: usize = 0;
  owned: bool = false;
  type: u8 = 0;
}

// Reads the whole table of source `src` (memoised). ST_DONE with `out` filled.
export function readSSTable(ctx: Context, src: i32, what: string, box: SstBox): i32 {
  const key = "sst:" + src.toString();
  if (ctx.memo.has(key)) { box.table = <SstTable>ctx.memo.get(key); return ST_DONE; }
  const size = ctx.sourceSize(src);
  if (size < FOOTER) return ctx.fail(E_INVALID_HEADER, what + ": " + size.toString() + " bytes, smaller than the 48-byte table footer", 0);
  const f = ctx.viewOf(src, size - FOOTER, FOOTER);
  if (!f) return ctx.truncated(what + " footer", size - FOOTER);
  if (load<u64>(f + 40) != SST_MAGIC) return ctx.fail(E_INVALID_HEADER, what + ": the table magic is missing from the last 8 bytes", size - 8);
  const vi = new Varint();
  const hs = new Array<u64>();
  let p = f;
  for (let i = 0; i < 4; i++) {
    if (!readVarint(p, f + 40, vi)) return ctx.fail(E_CORRUPT, what + ": a block handle in the footer is malformed", size - FOOTER);
    hs.push(vi.value);
    p = vi.next;
  }
  const table = new SstTable();
  const idx = new Block();
  let s = readBlock(ctx, src, hs[2], hs[3], what + " index block", idx);
  if (s != ST_DONE) return s;
  const handles = new Array<SstEntry>();
  s = parseBlock(ctx, idx, what + " index block", hs[2], handles);
  if (idx.owned) heap.free(idx.ptr);
  if (s != ST_DONE) return s;
  for (let i = 0; i < handles.length; i++) {
    const hv = handles[i].value;
    const hp = changetype<usize>(hv);
    if (!readVarint(hp, hp + <usize>hv.length, vi)) return ctx.fail(E_CORRUPT, what + ": a data block handle is malformed", hs[2]);
    const off = vi.value;
    if (!readVarint(vi.next, hp + <usize>hv.length, vi)) return ctx.fail(E_CORRUPT, what + ": a data block handle is malformed", hs[2]);
    const len = vi.value;
    const b = new Block();
    s = readBlock(ctx, src, off, len, what + " data block", b);
    if (s != ST_DONE) return s;
    table.compression.push(b.type == 1 ? "snappy" : "none");
    s = parseBlock(ctx, b, what + " data block", off, table.entries);
    if (b.owned) heap.free(b.ptr);
    if (s != ST_DONE) return s;
  }
  ctx.memo.set(key, table);
  box.table = table;
  return ST_DONE;
}

export class SstBox {
  table: SstTable | null = null;
}

function readBlock(ctx: Context, src: i32, off: u64, len: u64, what: string, b: Block): i32 {
  const size = ctx.sourceSize(src);
  if (len > MAX_BLOCK) return ctx.fail(E_LIMIT, what + " of " + len.toString() + " bytes exceeds 256 MiB", off);
  if (off > size || len + 5 > size - off) return ctx.fail(E_CORRUPT, what + " [" + off.toString() + ", +" + len.toString() + "] lies outside the file", off);
  const p = ctx.viewOf(src, off, len + 5);
  if (!p) return ctx.truncated(what, off);
  const type = load<u8>(p + <usize>len);
  const stored = load<u32>(p + <usize>len + 1);
  const crc = maskCrc32c(crc32c(0, p, <usize>len + 1));
  if (crc != stored) return ctx.fail(E_CHECKSUM, what + " at " + off.toString() + ": masked CRC32C " + crc.toString() + " does not match the stored " + stored.toString(), off);
  b.type = type;
  if (type == 0) { b.ptr = p; b.len = <usize>len; return ST_DONE; }
  if (type != 1) return ctx.fail(E_UNSUPPORTED, what + " uses compression type " + type.toString() + " (only none and Snappy exist)", off);
  const r = new SnappyResult();
  if (!unsnappy(p, <usize>len, <usize>MAX_BLOCK, r)) return ctx.fail(E_DECOMPRESS, what + ": Snappy: " + r.error, off);
  b.ptr = r.ptr;
  b.len = r.len;
  b.owned = true;
  return ST_DONE;
}

// Entries of one block: [varint shared][varint non_shared][varint value_len][key delta][value],
// then u32 restart offsets and their u32 count.
function parseBlock(ctx: Context, b: Block, what: string, at: u64, out: SstEntry[]): i32 {
  if (b.len < 4) return ctx.fail(E_CORRUPT, what + " is shorter than its restart count", at);
  const n = <u64>load<u32>(b.ptr + b.len - 4);
  if ((n + 1) * 4 > <u64>b.len) return ctx.fail(E_CORRUPT, what + " declares " + n.toString() + " restart points, more than fit", at);
  const end = b.ptr + b.len - 4 - <usize>(n * 4);
  let p = b.ptr;
  const vi = new Varint();
  let prev = new StaticArray<u8>(0);
  while (p < end) {
    if (!readVarint(p, end, vi)) return ctx.fail(E_CORRUPT, what + ": an entry header is cut", at);
    const shared = vi.value;
    if (!readVarint(vi.next, end, vi)) return ctx.fail(E_CORRUPT, what + ": an entry header is cut", at);
    const unshared = vi.value;
    if (!readVarint(vi.next, end, vi)) return ctx.fail(E_CORRUPT, what + ": an entry header is cut", at);
    const vlen = vi.value;
    p = vi.next;
    if (shared > <u64>prev.length) return ctx.fail(E_CORRUPT, what + ": an entry shares " + shared.toString() + " key bytes with a " + prev.length.toString() + "-byte previous key", at);
    if (unshared > <u64>(end - p) || vlen > <u64>(end - p) - unshared) return ctx.fail(E_CORRUPT, what + ": an entry runs past the block", at);
    if (shared + unshared > 65536) return ctx.fail(E_LIMIT, what + ": a key longer than 64 KiB", at);
    if (out.length >= MAX_ENTRIES) return ctx.fail(E_LIMIT, what + ": more than " + MAX_ENTRIES.toString() + " entries", at);
    const k = new StaticArray<u8>(<i32>(shared + unshared));
    memory.copy(changetype<usize>(k), changetype<usize>(prev), <usize>shared);
    memory.copy(changetype<usize>(k) + <usize>shared, p, <usize>unshared);
    p += <usize>unshared;
    const v = new StaticArray<u8>(<i32>vlen);
    memory.copy(changetype<usize>(v), p, <usize>vlen);
    const e = new SstEntry(utf8ToString(changetype<usize>(k), <usize>k.length), v);
    if (!b.owned) e.fileOffset = at + <u64>(p - b.ptr);
    p += <usize>vlen;
    out.push(e);
    prev = k;
  }
  return ST_DONE;
}

export { ST_FAILED, ST_PENDING };
