// Streaming one metadata array (a GGUF tokenizer vocab, merges, scores, ...) that the index shows
// only as {type, length, offset}. A format registers where each array's elements lie
// (registerMetadataArray, during indexing); this job walks them with its own reader and emits
// them in windows with the read-job statuses (NEED_BYTES / OUTPUT / DONE):
//   numeric and BOOL elements: little-endian values (BOOL as stored, one byte);
//   STR elements: per string a u32 little-endian byte count, then the stored bytes (UTF-8 by the
//   format's rules; not re-validated, so hosts decode them as they would the file's own strings).
// The walk only moves forward, so memory stays at one output window plus the reader's cache.

import { Context } from "../core/context";
import { dtypeName, DT_STR } from "../core/dtype";
import { E_INVALID_HEADER, E_LIMIT, E_IO } from "../core/errors";
import { NEED_BYTES, Reader } from "../io/reader";
import { writeJsonString } from "../util/json";
import { ByteBuf } from "../util/bytes";
import { Job, S_DONE, S_ERROR, S_NEED_BYTES, S_OUTPUT } from "./job";

const WINDOW: u64 = 1024 * 1024;
const CACHE: u64 = 8 * 1024 * 1024;
const MEMO_PREFIX = "metadata-array:";

// Where one array's elements are stored.
export class ArraySpec {
  source: i32 = 0;
  offset: u64 = 0; // first element
  count: u64 = 0;
  dtype: i32 = 0; // element dtype code; DT_STR for strings; -1 for arrays of arrays (not streamed)
  elemBytes: u64 = 0; // fixed-size elements; 0 for strings
  bigEndian: bool = false;
  lengthBytes: u64 = 8; // size of each string's length field (GGUF v1: 4)
  maxString: u64 = 1 << 30;
  typeName: string = ""; // as the index shows it, e.g. "ARRAY[STRING]"
}

// Formats call this while indexing (each run re-registers the same facts).
export function registerMetadataArray(ctx: Context, key: string, spec: ArraySpec): void {
  ctx.memo.set(MEMO_PREFIX + key, spec);
}

export function findMetadataArray(ctx: Context, key: string): ArraySpec | null {
  const k = MEMO_PREFIX + key;
  if (!ctx.memo.has(k)) return null;
  const o = ctx.memo.get(k);
  return o instanceof ArraySpec ? <ArraySpec>o : null;
}

export class ArrayJob extends Job {
  private reader: Reader;
  private pos: u64;
  private done: u64 = 0; // elements emitted
  private produced: u64 = 0; // output bytes emitted
  private out: ByteBuf = new ByteBuf();

  constructor(public spec: ArraySpec, sourceSize: u64, key: string) {
    super();
    this.reader = new Reader("", sourceSize);
    this.reader.cacheCap = CACHE;
    this.pos = spec.offset;
    // The description, readable before the first run.
    const r = this.result;
    r.str("{\"key\":");
    writeJsonString(r, key);
    r.str(",\"type\":");
    writeJsonString(r, spec.typeName);
    r.str(",\"dtype\":");
    writeJsonString(r, dtypeName(spec.dtype));
    r.str(",\"length\":");
    r.u64dec(spec.count);
    r.str(",\"encoding\":");
    r.str(spec.dtype == DT_STR ? "\"u32le-length-prefixed\"" : "\"le\"");
    r.str(",\"byteLength\":");
    if (spec.dtype == DT_STR) r.str("null");
    else r.u64dec(spec.count * spec.elemBytes);
    r.str("}");
  }

  // Output bytes in total; u64.MAX_VALUE when unknown until the end (strings).
  outputLength(): u64 {
    return this.spec.dtype == DT_STR ? u64.MAX_VALUE : this.spec.count * this.spec.elemBytes;
  }

  run(): i32 {
    if (this.status == S_ERROR || this.status == S_DONE) return this.status;
    const r = this.reader;
    r.reset();
    const s = this.spec;
    const out = this.out;
    out.clear();
    const size = r.size(s.source);
    while (this.done < s.count && <u64>out.len < WINDOW) {
      if (s.dtype == DT_STR) {
        const lp = r.view(s.source, this.pos, s.lengthBytes);
        if (!lp) break;
        let n: u64 = s.lengthBytes == 4 ? <u64>load<u32>(lp) : load<u64>(lp);
        if (s.bigEndian) n = s.lengthBytes == 4 ? <u64>bswap<u32>(<u32>n) : bswap<u64>(n);
        const at = this.pos + s.lengthBytes;
        if (n > s.maxString || n > size - at) {
          return this.setError(n > s.maxString ? E_LIMIT : E_INVALID_HEADER, "string #" + this.done.toString() + " of the array declares " + n.toString() + " bytes" + (n > s.maxString ? " (limit " + s.maxString.toString() + ")" : ", more than the " + (size - at).toString() + " left in the file"), this.pos);
        }
        // A string that would overflow this window waits for the next one (unless it is alone).
        if (out.len > 0 && <u64>out.len + 4 + n > WINDOW) break;
        const p = r.view(s.source, at, n);
        if (!p) break;
        if (!out.reserve(<usize>(4 + n))) return this.setError(E_LIMIT, "no memory for a string of " + n.toString() + " bytes", at);
        store<u32>(out.ptr + out.len, <u32>n);
        out.len += 4;
        out.raw(p, <usize>n);
        this.pos = at + n;
        this.done++;
      } else {
        const eb = s.elemBytes;
        let k = (WINDOW - <u64>out.len) / eb;
        if (k == 0) break;
        if (k > s.count - this.done) k = s.count - this.done;
        const p = r.view(s.source, this.pos, k * eb);
        if (!p) break;
        const start = out.len;
        out.raw(p, <usize>(k * eb));
        if (out.failed) return this.setError(E_LIMIT, "no memory for the output window", this.pos);
        if (s.bigEndian && eb > 1) swapElements(out.ptr + start, <usize>k, <i32>eb);
        this.pos += k * eb;
        this.done += k;
      }
    }
    if (r.outOfBounds) return this.setError(E_INVALID_HEADER, "the array runs past the end of the file", this.pos);
    if (r.tooLarge) return this.setError(E_LIMIT, "an element of the array is larger than one view allows", this.pos);
    if (out.len > 0) {
      this.outPtr = out.ptr;
      this.outLen = out.len;
      this.outOffset = this.produced;
      this.produced += <u64>out.len;
      this.status = S_OUTPUT;
      return S_OUTPUT;
    }
    if (r.need == NEED_BYTES) {
      this.needSource = r.needSource;
      this.needOffset = r.needOffset;
      this.needLength = r.needLength;
      this.status = S_NEED_BYTES;
      return S_NEED_BYTES;
    }
    if (this.done < s.count) return this.setError(E_IO, "the array walk stopped without asking for input", this.pos);
    this.outLen = 0;
    this.status = S_DONE;
    return S_DONE;
  }

  feedBuffer(len: u64): usize { return this.reader.feedBuffer(len); }
  commit(len: u64): i32 { return this.reader.commit(len); }

  dispose(): void {
    this.reader.dispose();
    this.out.dispose();
    super.dispose();
  }
}

function swapElements(p: usize, n: usize, eb: i32): void {
  for (let i: usize = 0; i < n; i++) {
    const q = p + i * <usize>eb;
    if (eb == 2) store<u16>(q, bswap<u16>(load<u16>(q)));
    else if (eb == 4) store<u32>(q, bswap<u32>(load<u32>(q)));
    else if (eb == 8) store<u64>(q, bswap<u64>(load<u64>(q)));
  }
}
