// Snappy block decompression (https://github.com/google/snappy/blob/main/format_description.txt),
// for SSTable blocks of old TensorFlow checkpoints. Input and output are bounded buffers; every
// length and offset is checked; the declared size must be met exactly.

export class SnappyResult {
  ptr: usize = 0;
  len: usize = 0;
  error: string = "";
}

// Decodes [src, src+n) into a new buffer (freed by the caller with heap.free). `cap` bounds the
// declared uncompressed size.
export function unsnappy(src: usize, n: usize, cap: usize, out: SnappyResult): bool {
  let p = src;
  const end = src + n;
  // Preamble: uncompressed length, varint (at most 32 bits).
  let want: u64 = 0;
  let shift: u64 = 0;
  while (true) {
    if (p >= end) { out.error = "the uncompressed length is cut off"; return false; }
    const b = <u64>load<u8>(p++);
    want |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 28) { out.error = "the uncompressed length is longer than 5 bytes"; return false; }
  }
  if (want > <u64>cap) { out.error = "the uncompressed length " + want.toString() + " exceeds the limit " + cap.toString(); return false; }
  const dst = heap.alloc(<usize>want + 8);
  let o: usize = 0;
  const total = <usize>want;
  while (p < end) {
    const tag = <u32>load<u8>(p++);
    const kind = tag & 3;
    if (kind == 0) {
      let len = <usize>(tag >> 2);
      if (len >= 60) {
        const extra = <usize>(len - 59);
        if (<usize>(end - p) < extra) return bad(out, dst, "a literal length is cut off");
        let l: usize = 0;
        for (let i: usize = 0; i < extra; i++) l |= <usize>load<u8>(p + i) << (i * 8);
        p += extra;
        len = l;
      }
      len += 1;
      if (len > <usize>(end - p)) return bad(out, dst, "a literal runs past the input");
      if (len > total - o) return bad(out, dst, "a literal runs past the declared size");
      memory.copy(dst + o, p, len);
      p += len;
      o += len;
      continue;
    }
    let len: usize;
    let off: usize;
    if (kind == 1) {
      if (p >= end) return bad(out, dst, "a copy is cut off");
      len = <usize>(((tag >> 2) & 7) + 4);
      off = (<usize>(tag >> 5) << 8) | <usize>load<u8>(p++);
    } else if (kind == 2) {
      if (<usize>(end - p) < 2) return bad(out, dst, "a copy is cut off");
      len = <usize>((tag >> 2) + 1);
      off = <usize>load<u16>(p);
      p += 2;
    } else {
      if (<usize>(end - p) < 4) return bad(out, dst, "a copy is cut off");
      len = <usize>((tag >> 2) + 1);
      off = <usize>load<u32>(p);
      p += 4;
    }
    if (off == 0 || off > o) return bad(out, dst, "a copy refers before the start of the output");
    if (len > total - o) return bad(out, dst, "a copy runs past the declared size");
    // Overlapping copies repeat the pattern: byte by byte.
    for (let i: usize = 0; i < len; i++) store<u8>(dst + o + i, load<u8>(dst + o + i - off));
    o += len;
  }
  if (o != total) return bad(out, dst, "the output has " + o.toString() + " bytes, not the declared " + total.toString());
  out.ptr = dst;
  out.len = total;
  return true;
}

function bad(out: SnappyResult, dst: usize, why: string): bool {
  heap.free(dst);
  out.error = why;
  return false;
}
