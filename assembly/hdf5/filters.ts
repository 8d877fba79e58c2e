// The filter pipeline (message 0x0B) and the chunk decoder the read job calls: filters are undone
// in reverse order, skipping those the chunk's filter mask marks as not applied. Deflate, shuffle,
// Fletcher-32 (verified) and LZF are decoded; szip, n-bit, scale-offset and plugins are named in
// a clear error.

import { ChunkDecoder } from "../core/model";
import { E_CHECKSUM, E_DECOMPRESS, E_UNSUPPORTED } from "../core/errors";
import { Inflater, INFLATE_ZLIB } from "../containers/inflate";
import { fletcher32 } from "./checksum";
import { szipDecode, szipError } from "./szip";
import { scaleOffsetDecode, scaleOffsetError } from "./scaleoffset";

export const FILTER_DEFLATE: i32 = 1;
export const FILTER_SHUFFLE: i32 = 2;
export const FILTER_FLETCHER32: i32 = 3;
export const FILTER_SZIP: i32 = 4;
export const FILTER_NBIT: i32 = 5;
export const FILTER_SCALEOFFSET: i32 = 6;
export const FILTER_LZF: i32 = 32000;

export class Filter {
  id: i32 = 0;
  flags: i32 = 0;
  name: string = "";
  values: u32[] = [];
}

export function filterName(id: i32): string {
  if (id == FILTER_DEFLATE) return "deflate";
  if (id == FILTER_SHUFFLE) return "shuffle";
  if (id == FILTER_FLETCHER32) return "fletcher32";
  if (id == FILTER_SZIP) return "szip";
  if (id == FILTER_NBIT) return "nbit";
  if (id == FILTER_SCALEOFFSET) return "scaleoffset";
  if (id == FILTER_LZF) return "lzf";
  if (id == 32001) return "blosc";
  if (id == 32004) return "lz4";
  if (id == 32008) return "bitshuffle";
  if (id == 32015) return "zstd";
  if (id == 307) return "bzip2";
  return "filter " + id.toString();
}

export function filterSupported(id: i32): bool {
  return id == FILTER_DEFLATE || id == FILTER_SHUFFLE || id == FILTER_FLETCHER32 || id == FILTER_LZF || id == FILTER_SZIP || id == FILTER_SCALEOFFSET;
}

// Decodes chunks through a pipeline. Intermediate results live in two scratch buffers owned by
// the decoder (freed when the job ends through `dispose`).
export class PipelineDecoder extends ChunkDecoder {
  private a: usize = 0;
  private b: usize = 0;
  private cap: usize = 0;

  constructor(public filters: Filter[]) { super(); }

  private ensure(n: usize): void {
    if (n <= this.cap) return;
    if (this.a) heap.free(this.a);
    if (this.b) heap.free(this.b);
    this.a = heap.alloc(n + 16);
    this.b = heap.alloc(n + 16);
    this.cap = n;
  }

  private fail(code: i32, msg: string): i32 {
    this.errorCode = code;
    this.error = msg;
    return -1;
  }

  decode(src: usize, len: usize, dst: usize, outLen: usize, mask: u32): i32 {
    const room = outLen + 64; // a stage may hold a few more bytes than the chunk (checksums)
    this.ensure(room > len ? room : len);
    let cur = src;
    let curLen = len;
    for (let i = this.filters.length - 1; i >= 0; i--) {
      if (i < 32 && (mask & (1 << <u32>i)) != 0) continue;
      const f = this.filters[i];
      const next = cur == this.a ? this.b : this.a;
      if (f.id == FILTER_DEFLATE) {
        const n = inflateInto(cur, curLen, next, room);
        if (n < 0) return this.fail(E_DECOMPRESS, "deflate: " + inflateError);
        cur = next;
        curLen = <usize>n;
      } else if (f.id == FILTER_SHUFFLE) {
        const es = f.values.length ? <usize>f.values[0] : 1;
        unshuffle(cur, next, curLen, es);
        cur = next;
      } else if (f.id == FILTER_FLETCHER32) {
        if (curLen < 4) return this.fail(E_CHECKSUM, "a chunk is shorter than its Fletcher-32 checksum");
        curLen -= 4;
        const want = fletcher32(cur, curLen);
        const got = load<u32>(cur + curLen);
        // HDF5 1.6 stored the checksum byte-swapped; libhdf5 accepts both orders.
        if (got != want && got != bswap<u32>(want)) {
          return this.fail(E_CHECKSUM, "Fletcher-32 checksum mismatch in a chunk (stored 0x" + got.toString(16) + ", computed 0x" + want.toString(16) + ")");
        }
      } else if (f.id == FILTER_LZF) {
        const n = lzfDecompress(cur, curLen, next, room);
        if (n < 0) return this.fail(E_DECOMPRESS, "LZF data is corrupt");
        cur = next;
        curLen = <usize>n;
      } else if (f.id == FILTER_SZIP) {
        // The chunk says how many bytes it decodes to.
        if (curLen < 4) return this.fail(E_DECOMPRESS, "szip chunk shorter than its header");
        const n = <usize>load<u32>(cur);
        if (n > room) return this.fail(E_DECOMPRESS, "szip chunk decodes to more than the chunk size");
        if (szipDecode(cur, curLen, next, n, f.values) != 0) return this.fail(E_DECOMPRESS, "szip: " + szipError);
        cur = next;
        curLen = n;
      } else if (f.id == FILTER_SCALEOFFSET) {
        if (scaleOffsetDecode(cur, curLen, next, outLen, f.values) != 0) return this.fail(E_DECOMPRESS, "scaleoffset: " + scaleOffsetError);
        cur = next;
        curLen = outLen;
      } else {
        return this.fail(E_UNSUPPORTED, "the " + filterName(f.id) + " filter is not supported");
      }
    }
    if (curLen != outLen) return this.fail(E_DECOMPRESS, "a chunk decodes to " + curLen.toString() + " bytes, expected " + outLen.toString());
    memory.copy(dst, cur, outLen);
    return 0;
  }

  dispose(): void {
    if (this.a) heap.free(this.a);
    if (this.b) heap.free(this.b);
    this.a = 0;
    this.b = 0;
    this.cap = 0;
  }
}

let inflateError: string = "";

// One-shot zlib decode of [src, src+len) into dst (at most cap bytes). Returns the byte count or -1.
function inflateInto(src: usize, len: usize, dst: usize, cap: usize): isize {
  const inf = new Inflater(INFLATE_ZLIB, <u64>cap);
  inf.push(src, len);
  inf.endInput();
  let got: usize = 0;
  while (true) {
    const n = inf.pull(dst + got, cap - got);
    if (n < 0) {
      inflateError = inf.errorMessage;
      inf.dispose();
      return -1;
    }
    if (n == 0) break;
    got += <usize>n;
    if (got >= cap) break;
  }
  inf.dispose();
  return <isize>got;
}

// Shuffle stores byte 0 of every element, then byte 1, ...; undo it.
export function unshuffle(src: usize, dst: usize, len: usize, es: usize): void {
  if (es <= 1 || len < es) {
    memory.copy(dst, src, len);
    return;
  }
  const n = len / es;
  for (let b: usize = 0; b < es; b++) {
    const plane = src + b * n;
    for (let i: usize = 0; i < n; i++) store<u8>(dst + i * es + b, load<u8>(plane + i));
  }
  // Trailing bytes that do not form an element are copied as they are.
  const tail = n * es;
  if (tail < len) memory.copy(dst + tail, src + tail, len - tail);
}

// liblzf's lzf_decompress: literal runs (ctrl < 32) and back references. Returns bytes or -1.
export function lzfDecompress(src: usize, len: usize, dst: usize, cap: usize): isize {
  let ip: usize = 0;
  let op: usize = 0;
  while (ip < len) {
    let ctrl = <usize>load<u8>(src + ip++);
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > cap || ip + ctrl > len) return -1;
      memory.copy(dst + op, src + ip, ctrl);
      op += ctrl;
      ip += ctrl;
    } else {
      let l = ctrl >> 5;
      if (l == 7) {
        if (ip >= len) return -1;
        l += <usize>load<u8>(src + ip++);
      }
      if (ip >= len) return -1;
      const back = ((ctrl & 0x1f) << 8) + <usize>load<u8>(src + ip++) + 1;
      l += 2;
      if (back > op || op + l > cap) return -1;
      for (let i: usize = 0; i < l; i++) store<u8>(dst + op + i, load<u8>(dst + op - back + i));
      op += l;
    }
  }
  return <isize>op;
}
