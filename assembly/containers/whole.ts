// Codecs decoded in one piece (bz2, xz, lzma, lz4 frames): no streaming decoder, so the whole
// compressed range is decoded into a capped buffer. Used at index time (joblib) and by read jobs.

import { CODEC_BZ2, CODEC_LZ4, CODEC_LZMA, CODEC_XZ } from "../core/model";
import { decompressBz2 } from "./bz2";
import { decompressLz4Frame } from "./lz4";
import { decompressLzmaAlone, decompressXz } from "./xz";

export function isWholeCodec(codec: i32): bool {
  return codec == CODEC_XZ || codec == CODEC_LZMA || codec == CODEC_BZ2 || codec == CODEC_LZ4;
}

export function wholeCodecName(codec: i32): string {
  return codec == CODEC_XZ ? "xz" : codec == CODEC_LZMA ? "lzma" : codec == CODEC_BZ2 ? "bz2" : codec == CODEC_LZ4 ? "lz4" : "?";
}

// Decodes n bytes at p; on success out[0]/out[1] = pointer/length of the decoded bytes (the caller
// frees out[0] with heap.free) and the result is null; else the error message.
export function decodeWholeCodec(codec: i32, p: usize, n: usize, cap: u64, out: StaticArray<usize>): string | null {
  let ok = false, err = "", ptr: usize = 0, len: usize = 0;
  if (codec == CODEC_XZ) { const x = decompressXz(p, n, cap); ok = x.ok; err = x.error; ptr = x.out.ptr; len = x.out.len; if (!ok) x.out.dispose(); }
  else if (codec == CODEC_LZMA) { const x = decompressLzmaAlone(p, n, cap); ok = x.ok; err = x.error; ptr = x.out.ptr; len = x.out.len; if (!ok) x.out.dispose(); }
  else if (codec == CODEC_LZ4) { const x = decompressLz4Frame(p, n, cap); ok = x.ok; err = x.error; ptr = x.out.ptr; len = x.out.len; if (!ok) x.out.dispose(); }
  else if (codec == CODEC_BZ2) { const x = decompressBz2(p, n, cap); ok = x.ok; err = x.error; ptr = x.out.ptr; len = x.out.len; if (!ok) x.out.dispose(); }
  else return "not a whole-stream codec";
  if (!ok) return err.length ? err : "decoding failed";
  out[0] = ptr;
  out[1] = len;
  return null;
}
