// The first bytes of a compressed member, decoded at index time (e.g. an .npy header inside a
// deflated .npz member). Decodes only as far as asked and memoises the result for the job.

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../core/context";
import { E_DECOMPRESS, E_TRUNCATED } from "../core/errors";
import { CODEC_DEFLATE, CODEC_GZIP, CODEC_NONE, CODEC_ZLIB } from "../core/model";
import { Inflater, INFLATE_GZIP, INFLATE_RAW, INFLATE_ZLIB } from "./inflate";

const CHUNK: u64 = 64 * 1024;

export class Prefix {
  status: i32 = ST_DONE;
  ptr: usize = 0; // decoded bytes (owned by the job's memo; valid for the job's life)
  len: usize = 0; // may be less than asked when the stream is shorter
  error: string = ""; // with soft decoding: why the stream could not be decoded (status stays ST_DONE)
  consumed: u64 = 0; // compressed bytes fed to decode it (0 when it came from the memo)
  owned: bool = false; // decoded with keep = false: the caller frees ptr
}

class PrefixMemo {
  constructor(public ptr: usize, public len: usize) {}
}

export function codecToInflate(codec: i32): i32 {
  return codec == CODEC_ZLIB ? INFLATE_ZLIB : codec == CODEC_GZIP ? INFLATE_GZIP : INFLATE_RAW;
}

// Decodes up to `want` bytes from the start of the coded range [offset, offset+length) of src.
// With `soft`, a corrupt stream is reported in `error` instead of failing the job (a member that
// cannot be decoded is one unreadable part of an archive, not an unreadable archive).
// With keep = false the result is not memoised (the caller frees it when `owned`): for callers
// that keep only a verdict about the bytes, such as sniffing every member of a large archive.
// `maxInput` bounds the compressed bytes fed (a stream of empty stored blocks yields nothing for
// as long as it likes); the result is then shorter than asked.
export function decodePrefix(ctx: Context, src: i32, offset: u64, length: u64, codec: i32, want: u64, soft: bool = false, keep: bool = true, maxInput: u64 = u64.MAX_VALUE): Prefix {
  const r = new Prefix();
  if (codec == CODEC_NONE) {
    const n = want < length ? want : length;
    const p = ctx.viewOf(src, offset, n);
    if (!p) { r.status = ctx.truncated("a stored member", offset); return r; }
    r.ptr = p;
    r.len = <usize>n;
    return r;
  }
  const key = "prefix:" + src.toString() + ":" + offset.toString() + ":" + want.toString();
  if (ctx.memo.has(key)) {
    const m = changetype<PrefixMemo>(ctx.memo.get(key));
    r.ptr = m.ptr;
    r.len = m.len;
    return r;
  }
  // Make sure all the compressed bytes we may need are present before decoding, so a cache
  // miss never leaves a half-fed inflater behind.
  const inf = new Inflater(codecToInflate(codec), want + 1);
  const out = heap.alloc(<usize>want + 1);
  let produced: usize = 0;
  let pos: u64 = 0;
  while (<u64>produced < want) {
    if (inf.needsInput) {
      if (pos >= length || pos >= maxInput) break;
      const n = length - pos < CHUNK ? length - pos : CHUNK;
      const p = ctx.viewOf(src, offset + pos, n);
      if (!p) {
        inf.dispose();
        heap.free(out);
        r.status = ctx.truncated("a compressed member", offset + pos);
        return r;
      }
      inf.push(p, <usize>n);
      pos += n;
      if (pos >= length) inf.endInput();
    }
    const got = inf.pull(out + produced, <usize>(want - <u64>produced));
    if (got < 0) {
      const msg = inf.errorMessage;
      inf.dispose();
      heap.free(out);
      if (soft) { r.error = msg; return r; }
      r.status = ctx.fail(E_DECOMPRESS, "compressed data at offset " + offset.toString() + ": " + msg, offset);
      return r;
    }
    produced += <usize>got;
    if (inf.finished) break;
    if (got == 0 && !inf.needsInput) break;
  }
  inf.dispose();
  if (keep) ctx.memo.set(key, new PrefixMemo(out, produced));
  else r.owned = true;
  r.ptr = out;
  r.len = produced;
  r.consumed = pos;
  return r;
}

export { ST_PENDING, ST_FAILED, E_TRUNCATED, CODEC_DEFLATE };
