// Reading one tensor: walk its plan's segments, asking the host for windows of stored bytes,
// decoding (inflate) and converting (byte order, dtype, dequantization) them into output
// windows. When nothing needs converting, the job only tells the host which bytes to copy
// (S_COPY), so payloads go from the source straight into the caller's array.
// Memory stays bounded by the window size, except for Fortran-ordered arrays, which must be
// gathered whole to transpose (capped).

import { dtypeBits, dtypeBlockElements, dtypeByteLength, dtypeName, isGGML, shapeElements, DT_KEEP } from "../core/dtype";
import { E_BAD_ARGUMENT, E_DECOMPRESS, E_IO, E_LIMIT, E_UNREADABLE, E_CORRUPT, E_UNKNOWN_FORMAT } from "../core/errors";
import { ChunkGrid, CODEC_NONE, LAYOUT_FORTRAN, Plan, Segment, SOURCE_INLINE, Tensor } from "../core/model";
import { Inflater } from "../containers/inflate";
import { codecToInflate } from "../containers/prefix";
import { decodeWholeCodec, isWholeCodec, wholeCodecName } from "../containers/whole";
import { canConvert, convertFromF32, convertToF32, swapInPlace, swapUnit } from "../kernels/convert";
import { ggmlBlockBytes } from "../kernels/ggml-types";
import { dequantizeToF32, dequantSupported } from "../kernels/dequant";
import { DT_BF16, DT_F16, DT_F32, DT_GGML_BASE } from "../core/dtype";
import { isPbCodec, PbDecoder } from "../protobuf/values";
import { CODEC_LATIN1_UTF8, Latin1TextDecoder } from "../containers/latin1";
import { ValueDecoder } from "../containers/value-decoder";
import { Job, S_COPY, S_DONE, S_ERROR, S_NEED_BYTES, S_OUTPUT } from "./job";

const WINDOW: u64 = 4 * 1024 * 1024;
const GATHER_CAP: u64 = 1024 * 1024 * 1024;
const COMPRESSED_CHUNK: u64 = 1024 * 1024;
const WHOLE_CAP: u64 = 1024 * 1024 * 1024;
// Chunked arrays are produced in windows of whole elements in C order: about one slab (one row
// of chunks along axis 0), but never less than GRID_WINDOW_MIN (tiny chunks would otherwise make
// a window per chunk, billions of them for a huge sparse dataset) and never more than
// GRID_WINDOW_MAX (a larger slab is cut, and the chunks a cut crosses are decoded once per
// window). A slab over GRID_SLAB_CAP would be decoded too many times over and is refused.
export const GRID_WINDOW_MIN: u64 = 4 * 1024 * 1024;
export const GRID_WINDOW_MAX: u64 = 64 * 1024 * 1024;
const GRID_SLAB_CAP: u64 = 512 * 1024 * 1024;
const GRID_CHUNK_CAP: u64 = 256 * 1024 * 1024;

// A check of a read's first output bytes (archive members not sniffed at index time are
// detected from their first decoded window, so a bomb is refused after one window).
export class HeadCheck {
  // An error message when the bytes must not be read further; null to go on.
  check(p: usize, n: usize): string | null { return null; }
}

export class ReadJob extends Job {
  headCheck: HeadCheck | null = null;
  plan: Plan;
  tensor: Tensor;
  outType: i32;
  private passthrough: bool;
  private unitBytes: u64; // stored bytes per conversion unit (an element or a quant block)
  private unitElems: u64;
  private outUnitBytes: u64;
  private gather: bool;
  private dequant: bool; // quantized integers read as floats (plan.quantScale)
  private elemDone: u64 = 0;

  private seg: i32 = 0;
  private segPos: u64 = 0; // content bytes of the current segment already taken
  private staging: usize = 0; // input bytes waiting for conversion
  private stagingCap: u64 = 0;
  private stagingLen: u64 = 0;
  private out: usize = 0;
  private outCap: u64 = 0;
  private produced: u64 = 0; // output bytes emitted so far
  private inflater: Inflater | null = null;
  private vdec: ValueDecoder | null = null; // protobuf repeated fields, latin-1 text (containers/)
  private vskipped: u64 = 0; // decoded bytes dropped before the segment's content
  private cbuf: usize = 0; // compressed input being fed
  private cpos: u64 = 0; // compressed bytes of the current segment consumed
  private discard: usize = 0;
  private whole: usize = 0; // a whole-codec segment, decoded
  private wholeLen: u64 = 0;
  private wholeIn: usize = 0; // its compressed bytes, as fed
  private wholeFed: bool = false;
  private feeding: i32 = 0; // 1 = feed goes to staging, 2 = feed goes to cbuf
  private total: u64; // content bytes of the whole tensor
  // Chunked (grid) plans: the window [wstart, wstart + welems) in elements, the first chunk that
  // may reach it, the next chunk to place, the chunk whose bytes the buffers hold, and buffers
  // for one stored and one decoded chunk.
  private wstart: u64 = 0;
  private welems: u64 = 1;
  private wopen: bool = false;
  private glo: i32 = 0;
  private gchunk: i32 = 0;
  private gheld: i32 = -1;
  private gin: usize = 0;
  private ginCap: u64 = 0;
  private gchunkBuf: usize = 0;
  private gchunkBytes: u64 = 0;

  constructor(tensor: Tensor, plan: Plan, outType: i32) {
    super();
    this.tensor = tensor;
    this.plan = plan;
    this.outType = outType == DT_KEEP ? (plan.logical != 0 ? plan.logical : plan.storage) : outType;
    const st = plan.storage;
    const grid = plan.grid;
    this.gather = grid === null && plan.layout == LAYOUT_FORTRAN && tensor.shape.length > 1;
    let total: u64 = 0;
    for (let i = 0; i < plan.segments.length; i++) total += plan.segments[i].contentLength();
    if (grid !== null) total = shapeElements(grid.shape) * grid.elemBytes;
    this.total = total;
    if (isGGML(st)) {
      this.unitElems = <u64>dtypeBlockElements(st);
      this.unitBytes = <u64>ggmlBlockBytes(st - DT_GGML_BASE);
    } else {
      this.unitElems = 1;
      const bits = <u64>dtypeBits(st);
      this.unitBytes = bits >= 8 ? bits / 8 : 1;
    }
    const ot = this.outType;
    this.dequant = plan.quantScale !== null && ot != st && (ot == DT_F32 || ot == DT_F16 || ot == DT_BF16) && dequantSupported(st);
    if (this.dequant && dtypeBits(st) < 8) this.unitElems = <u64>(8 / dtypeBits(st));
    const same = this.outType == st && !plan.affine && !this.dequant;
    this.passthrough = same && !(plan.bigEndian && swapUnit(st) > 1) && !this.gather;
    if (same) this.outUnitBytes = this.unitBytes;
    else this.outUnitBytes = this.unitElems * <u64>(dtypeBits(this.outType) / 8);
  }

  // Validates the request; returns 0 or sets the error.
  check(): i32 {
    const p = this.plan;
    const unread = p.unreadable;
    if (unread !== null) return this.setError(E_UNREADABLE, "tensor \"" + this.tensor.name + "\" cannot be read: " + unread, 0);
    if (!this.dequant && !canConvert(p.storage, this.outType)) {
      return this.setError(E_UNREADABLE, "tensor \"" + this.tensor.name + "\" is " + dtypeName(p.storage) + ", which cannot be converted to " + dtypeName(this.outType), 0);
    }
    if (this.unitBytes == 0) return this.setError(E_UNREADABLE, "tensor \"" + this.tensor.name + "\" has a type with no known byte size", 0);
    // A declared size that fits as stored can wrap once widened (I8 to F32 is 4x).
    if (this.outputWraps()) return this.setError(E_LIMIT, "tensor \"" + this.tensor.name + "\" would need more than 2^64 bytes as " + dtypeName(this.outType), 0);
    if (this.total % this.unitBytes != 0 && !this.passthrough) {
      return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\" holds " + this.total.toString() + " bytes, not a whole number of " + dtypeName(p.storage) + " units", 0);
    }
    if (this.gather && this.total > GATHER_CAP) {
      return this.setError(E_LIMIT, "tensor \"" + this.tensor.name + "\" is stored in Fortran order and is larger than the 1 GiB that can be transposed in memory", 0);
    }
    // Window: a whole number of units, about WINDOW bytes (the whole tensor when gathering).
    let cap = this.gather ? this.total : (WINDOW / this.unitBytes) * this.unitBytes;
    // A small tensor gets a buffer of its own size, not a 4 MiB window: a thousand reads in
    // flight at once would otherwise fill the 4 GiB of wasm memory.
    if (!this.gather && this.total > 0 && this.total < cap && this.total % this.unitBytes == 0) cap = this.total;
    const grid = p.grid;
    if (grid !== null) {
      if (grid.elemBytes == 0 || grid.elemBytes % this.unitBytes != 0) {
        return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\": chunk elements are not whole " + dtypeName(p.storage) + " units", 0);
      }
      // Without stored chunks (all fill value) only the element size matters.
      const stored = grid.segments.length > 0;
      let cb = grid.elemBytes;
      for (let d = 0; d < grid.chunk.length && cb <= GRID_CHUNK_CAP; d++) cb = mulCapped(cb, grid.chunk[d]);
      if (grid.elemBytes > GRID_CHUNK_CAP || (stored && (gridSlabBytes(grid, 0) > GRID_SLAB_CAP || cb > GRID_CHUNK_CAP))) {
        return this.setError(E_LIMIT, "tensor \"" + this.tensor.name + "\" has chunks too large to decode in memory", 0);
      }
      const slab = gridSlabBytes(grid, 0);
      let w = slab < GRID_WINDOW_MIN ? GRID_WINDOW_MIN : slab > GRID_WINDOW_MAX ? GRID_WINDOW_MAX : slab;
      let we = w / grid.elemBytes;
      if (we == 0) we = 1;
      const n = gridElements(grid);
      if (we > n) we = n > 0 ? n : 1;
      this.welems = we;
      cap = we * grid.elemBytes;
      if (stored) {
        this.gchunkBytes = cb;
        this.gchunkBuf = heap.alloc(<usize>cb + 16);
      }
    }
    if (cap == 0) cap = this.unitBytes;
    this.stagingCap = cap;
    this.staging = heap.alloc(<usize>cap + 16);
    const units = cap / this.unitBytes;
    this.outCap = units * this.outUnitBytes;
    // Conversions to F16/BF16 go through F32 in the same buffer: size it for the F32 stage.
    let outAlloc = this.outCap;
    if (this.outType != this.plan.storage && units * this.unitElems * 4 > outAlloc) outAlloc = units * this.unitElems * 4;
    if (!this.passthrough || this.gather) this.out = heap.alloc(<usize>(outAlloc > 0 ? outAlloc : 16) + 16);
    return 0;
  }

  private outputWraps(): bool {
    const per = this.dequant && this.plan.elements > 0 ? this.outUnitBytes / this.unitElems : this.outUnitBytes;
    const n = this.dequant && this.plan.elements > 0 ? this.plan.elements : this.total / this.unitBytes;
    return per != 0 && n > u64.MAX_VALUE / per;
  }

  // Total output bytes this read will produce (u64.MAX_VALUE when that does not fit).
  outputLength(): u64 {
    if (this.unitBytes != 0 && this.outputWraps()) return u64.MAX_VALUE;
    if (this.unitBytes == 0) return 0; // a type with no known size: check() reports it
    if (this.dequant && this.plan.elements > 0) return this.plan.elements * (this.outUnitBytes / this.unitElems);
    return (this.total / this.unitBytes) * this.outUnitBytes;
  }

  run(): i32 {
    if (this.status == S_ERROR) return S_ERROR;
    if (this.plan.grid !== null) return this.runGrid(this.plan.grid!);
    while (true) {
      // 1. Emit converted output when the window is full or the input has ended.
      const inputDone = this.seg >= this.plan.segments.length;
      if (this.stagingLen > 0 && (this.stagingLen == this.stagingCap || inputDone)) {
        return this.emit();
      }
      if (inputDone) {
        this.status = S_DONE;
        return S_DONE;
      }
      const s = this.plan.segments[this.seg];
      const content = s.contentLength();
      if (this.segPos >= content) {
        this.nextSegment();
        continue;
      }
      if (s.codec == CODEC_NONE && s.source == SOURCE_INLINE) {
        // Bytes the index decoded itself (pickled text): staged from the plan, never asked for.
        const bytes = this.plan.inline;
        const left = content - this.segPos;
        const room = this.stagingCap - this.stagingLen;
        const n = left < room ? left : room;
        if (bytes === null || s.offset > <u64>bytes.length || this.segPos + n > <u64>bytes.length - s.offset) return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\": its decoded bytes are missing", 0);
        memory.copy(this.staging + <usize>this.stagingLen, bytes.dataStart + <usize>(s.offset + this.segPos), <usize>n);
        this.stagingLen += n;
        this.segPos += n;
        continue;
      }
      if (s.codec == CODEC_NONE) {
        if (this.passthrough) {
          // Decoded bytes still staged come first: emit them before the next copy.
          if (this.stagingLen > 0) return this.emit();
          // Unchanged bytes: the host copies them itself.
          this.needSource = s.source;
          this.needOffset = s.offset + this.segPos;
          this.needLength = content - this.segPos;
          this.outOffset = this.produced;
          this.produced += this.needLength;
          this.segPos = content;
          this.status = S_COPY;
          return S_COPY;
        }
        const room = this.stagingCap - this.stagingLen;
        const left = content - this.segPos;
        this.needSource = s.source;
        this.needOffset = s.offset + this.segPos;
        this.needLength = left < room ? left : room;
        this.feeding = 1;
        this.status = S_NEED_BYTES;
        return S_NEED_BYTES;
      }
      // Codecs without a streaming decoder: the whole range is decoded once, then sliced.
      if (isWholeCodec(s.codec)) {
        const w = this.pullWhole(s);
        if (w != 0) return w;
        continue;
      }
      // Coded segment: pull decoded bytes; feed compressed input when the decoder asks.
      const st = this.pullDecoded(s);
      if (st != 0) return st;
    }
  }

  // Chunked plans: fill a window with the fill value, decode and place the part of each chunk
  // that falls inside it, emit it. Chunks are sorted by origin, so the chunks that reach a window
  // are a run starting at the first one whose rows end after the window's first row.
  private runGrid(g: ChunkGrid): i32 {
    const n = gridElements(g);
    const rank = g.shape.length;
    const rowElems = gridRowElements(g);
    const nseg = g.segments.length;
    while (true) {
      if (this.wstart >= n) {
        this.status = S_DONE;
        return S_DONE;
      }
      const left = n - this.wstart;
      const wend = this.wstart + (left < this.welems ? left : this.welems);
      const rowEnd = rank == 0 ? 1 : (wend - 1) / rowElems + 1;
      if (!this.wopen) {
        fillPattern(this.staging, (wend - this.wstart) * g.elemBytes, g.fill);
        this.wopen = true;
        if (rank > 0) {
          const rowStart = this.wstart / rowElems;
          // origin + chunk <= rowStart, written so that it cannot wrap
          while (this.glo < nseg && rowStart >= g.chunk[0] && g.origins[this.glo * rank] <= rowStart - g.chunk[0]) this.glo++;
        }
        this.gchunk = this.glo;
      }
      while (this.gchunk < nseg && (rank == 0 || g.origins[this.gchunk * rank] < rowEnd)) {
        const k = this.gchunk;
        const seg = g.segments[k];
        if (rank > 0 && k > 0 && g.origins[k * rank] < g.origins[(k - 1) * rank]) return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\": chunks are out of order", seg.offset);
        if (!chunkTouches(g, k, this.wstart, wend)) {
          this.gchunk++;
          continue;
        }
        if (this.gheld != k) {
          if (this.feeding != 3) {
            if (seg.length > GRID_CHUNK_CAP) return this.setError(E_LIMIT, "tensor \"" + this.tensor.name + "\": a stored chunk is larger than " + GRID_CHUNK_CAP.toString() + " bytes", seg.offset);
            if (seg.length == 0) return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\": a chunk has no stored bytes", seg.offset);
            this.gheld = -1;
            this.needSource = seg.source;
            this.needOffset = seg.offset;
            this.needLength = seg.length;
            this.feeding = 3;
            this.status = S_NEED_BYTES;
            return S_NEED_BYTES;
          }
          this.feeding = 0;
          const dec = g.decoder;
          if (dec !== null) {
            if (dec.decode(this.gin, <usize>seg.length, this.gchunkBuf, <usize>this.gchunkBytes, g.masks[k]) != 0) {
              return this.setError(dec.errorCode ? dec.errorCode : E_DECOMPRESS, "tensor \"" + this.tensor.name + "\": " + dec.error, seg.offset);
            }
          } else if (seg.length < this.gchunkBytes) {
            return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\": a chunk holds " + seg.length.toString() + " bytes, not " + this.gchunkBytes.toString(), seg.offset);
          }
          this.gheld = k;
        }
        placeChunk(g, k, g.decoder !== null ? this.gchunkBuf : this.gin, this.staging, this.wstart, wend);
        this.gchunk++;
      }
      this.stagingLen = (wend - this.wstart) * g.elemBytes;
      this.wstart = wend;
      this.wopen = false;
      return this.emit();
    }
  }

  private nextSegment(): void {
    this.seg++;
    this.segPos = 0;
    this.cpos = 0;
    const inf = this.inflater;
    if (inf) { inf.dispose(); this.inflater = null; }
    const vd = this.vdec;
    if (vd) { vd.dispose(); this.vdec = null; }
    this.vskipped = 0;
    this.dropWhole();
  }

  // Whole-stream codecs (xz, lzma, bz2, lz4): ask for the compressed range at once, decode it
  // into a buffer (capped), then copy the segment's window out of it.
  private pullWhole(s: Segment): i32 {
    if (!this.whole) {
      if (!this.wholeFed) {
        if (s.length > WHOLE_CAP) return this.setError(E_LIMIT, "tensor \"" + this.tensor.name + "\": the " + wholeCodecName(s.codec) + " stream is larger than the 1 GiB that can be decoded at once", s.offset);
        this.feeding = 4;
        return this.needBytes(s.source, s.offset, s.length);
      }
      const out = new StaticArray<usize>(2);
      const err = decodeWholeCodec(s.codec, this.wholeIn, <usize>s.length, WHOLE_CAP, out);
      heap.free(this.wholeIn);
      this.wholeIn = 0;
      if (err !== null) return this.setError(E_DECOMPRESS, "decompressing tensor \"" + this.tensor.name + "\" (" + wholeCodecName(s.codec) + "): " + err, s.offset);
      this.whole = out[0];
      this.wholeLen = <u64>out[1];
      if (this.wholeLen < s.skip + s.take) return this.setError(E_DECOMPRESS, "tensor \"" + this.tensor.name + "\": the decoded stream ends before the tensor does", s.offset);
    }
    const room = this.stagingCap - this.stagingLen;
    const left = s.take - this.segPos;
    const n = left < room ? left : room;
    memory.copy(this.staging + <usize>this.stagingLen, this.whole + <usize>(s.skip + this.segPos), <usize>n);
    this.stagingLen += n;
    this.segPos += n;
    return 0;
  }

  private dropWhole(): void {
    if (this.whole) heap.free(this.whole);
    if (this.wholeIn) heap.free(this.wholeIn);
    this.whole = 0;
    this.wholeIn = 0;
    this.wholeFed = false;
  }

  // Returns 0 to continue the loop, or a status to return to the host.
  private pullDecoded(s: Segment): i32 {
    if (isPbCodec(s.codec) || s.codec == CODEC_LATIN1_UTF8) return this.pullValues(s);
    let inf = this.inflater;
    if (!inf) {
      inf = new Inflater(codecToInflate(s.codec), s.skip + s.take + 1);
      this.inflater = inf;
      if (!this.discard) this.discard = heap.alloc(64 * 1024);
    }
    // Skip the decoded bytes before the content.
    while (this.segPos == 0 && inf.totalOut < s.skip) {
      const want = s.skip - inf.totalOut;
      const got = inf.pull(this.discard, <usize>(want < 65536 ? want : 65536));
      if (got < 0) return this.setError(E_DECOMPRESS, "decompressing tensor \"" + this.tensor.name + "\": " + inf.errorMessage, s.offset);
      if (got == 0) {
        if (inf.needsInput) return this.askCompressed(s);
        return this.setError(E_DECOMPRESS, "tensor \"" + this.tensor.name + "\": the compressed stream ended early", s.offset);
      }
    }
    const room = this.stagingCap - this.stagingLen;
    const left = s.take - this.segPos;
    const n = left < room ? left : room;
    if (n == 0) return 0;
    const got = inf.pull(this.staging + <usize>this.stagingLen, <usize>n);
    if (got < 0) return this.setError(E_DECOMPRESS, "decompressing tensor \"" + this.tensor.name + "\": " + inf.errorMessage, s.offset);
    if (got == 0) {
      if (inf.needsInput) return this.askCompressed(s);
      return this.setError(E_DECOMPRESS, "tensor \"" + this.tensor.name + "\": the compressed stream ended " + (s.take - this.segPos).toString() + " bytes early", s.offset);
    }
    this.stagingLen += <u64>got;
    this.segPos += <u64>got;
    return 0;
  }

  // Like pullDecoded, for values that are encoded rather than compressed (protobuf repeated
  // fields, latin-1 text); protobuf values may repeat the last one (values.ts).
  private pullValues(s: Segment): i32 {
    if (this.vdec === null) {
      const made: ValueDecoder = isPbCodec(s.codec) ? new PbDecoder(s.codec, s.take) : new Latin1TextDecoder(s.skip + s.take);
      this.vdec = made;
      this.vskipped = 0;
      if (s.length == 0) made.endInput();
      if (s.skip > 0 && !this.discard) this.discard = heap.alloc(64 * 1024);
    }
    const vd = this.vdec!;
    while (this.segPos == 0 && this.vskipped < s.skip) {
      const want = s.skip - this.vskipped;
      const got = vd.pull(this.discard, <usize>(want < 65536 ? want : 65536));
      if (got < 0) return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\": " + vd.errorMessage, s.offset);
      if (got == 0) {
        if (vd.needsInput) return this.askCompressed(s);
        return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\": its stored values end early", s.offset);
      }
      this.vskipped += <u64>got;
    }
    const room = this.stagingCap - this.stagingLen;
    const left = s.take - this.segPos;
    const n = left < room ? left : room;
    if (n == 0) return 0;
    const got = vd.pull(this.staging + <usize>this.stagingLen, <usize>n);
    if (got < 0) return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\": " + vd.errorMessage, s.offset);
    if (got == 0) {
      if (vd.needsInput) return this.askCompressed(s);
      return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\": its stored values end early", s.offset);
    }
    this.stagingLen += <u64>got;
    this.segPos += <u64>got;
    return 0;
  }

  private askCompressed(s: Segment): i32 {
    if (this.cpos >= s.length) {
      return this.setError(E_DECOMPRESS, "tensor \"" + this.tensor.name + "\": the compressed data ends before the tensor does", s.offset + s.length);
    }
    const left = s.length - this.cpos;
    this.feeding = 2;
    return this.needBytes(s.source, s.offset + this.cpos, left < COMPRESSED_CHUNK ? left : COMPRESSED_CHUNK);
  }

  feedBuffer(len: u64): usize {
    if (this.status != S_NEED_BYTES || len != this.needLength) return 0;
    if (this.feeding == 1) return this.staging + <usize>this.stagingLen;
    if (this.feeding == 4) {
      if (this.wholeIn) heap.free(this.wholeIn);
      this.wholeIn = heap.alloc(<usize>len + 16);
      return this.wholeIn;
    }
    if (this.feeding == 3) {
      if (len > this.ginCap) {
        if (this.gin) heap.free(this.gin);
        this.gin = heap.alloc(<usize>len + 16);
        this.ginCap = len;
      }
      return this.gin;
    }
    if (!this.cbuf) this.cbuf = heap.alloc(<usize>COMPRESSED_CHUNK);
    return this.cbuf;
  }

  commit(len: u64): i32 {
    if (this.status != S_NEED_BYTES) return E_BAD_ARGUMENT;
    if (len != this.needLength) return this.setError(E_IO, "the host delivered " + len.toString() + " of " + this.needLength.toString() + " bytes", this.needOffset);
    if (this.feeding == 3) {
      this.status = S_OUTPUT;
      return 0; // stays 3: the next run decodes the chunk
    }
    if (this.feeding == 4) {
      this.wholeFed = true;
      this.feeding = 0;
      this.status = S_OUTPUT;
      return 0;
    }
    if (this.feeding == 1) {
      this.stagingLen += len;
      this.segPos += len;
    } else {
      const s = this.plan.segments[this.seg];
      const vd = this.vdec;
      if (vd) {
        vd.push(this.cbuf, <usize>len);
        this.cpos += len;
        if (this.cpos >= s.length) vd.endInput();
      } else {
        const inf = this.inflater!;
        inf.push(this.cbuf, <usize>len);
        this.cpos += len;
        if (this.cpos >= s.length) inf.endInput();
      }
    }
    this.feeding = 0;
    this.status = S_OUTPUT; // anything but NEED: the next run continues
    return 0;
  }

  private emit(): i32 {
    const len = this.stagingLen;
    const units = len / this.unitBytes;
    const st = this.plan.storage;
    if (units * this.unitBytes != len) {
      return this.setError(E_CORRUPT, "tensor \"" + this.tensor.name + "\" ends inside a " + dtypeName(st) + " unit", 0);
    }
    const elems = units * this.unitElems;
    if (this.plan.bigEndian) {
      const u = swapUnit(st);
      if (u > 1) swapInPlace(this.staging, <usize>(len / <u64>u), u);
    }
    let src = this.staging;
    let outBytes = len;
    if (this.dequant) {
      const p = this.plan;
      let n = elems;
      if (p.elements > 0) n = this.elemDone >= p.elements ? 0 : (p.elements - this.elemDone < n ? p.elements - this.elemDone : n);
      dequantizeToF32(st, this.staging, <usize>n, this.out, this.elemDone, p.quantScale!, p.quantZero!, p.quantInner);
      this.elemDone += n;
      if (this.outType != DT_F32) convertFromF32(this.outType, this.out, <usize>n, this.out);
      src = this.out;
      outBytes = n * (this.outUnitBytes / this.unitElems);
    } else if (this.outType != st || this.plan.affine) {
      const toF = this.outType == DT_F32 ? this.out : this.out; // f32 first, then narrow in place
      const rc = convertToF32(st, this.staging, <usize>elems, toF);
      if (rc < 0) return this.setError(E_UNREADABLE, "tensor \"" + this.tensor.name + "\": no conversion from " + dtypeName(st) + " to F32", 0);
      if (this.plan.affine) affineInPlace(this.out, <usize>elems, this.plan.scale, this.plan.bias);
      if (this.outType != DT_F32) convertFromF32(this.outType, this.out, <usize>elems, this.out);
      src = this.out;
      outBytes = units * this.outUnitBytes;
    }
    if (this.gather) {
      const elemBytes = this.outUnitBytes / this.unitElems;
      const dst = src == this.out ? this.staging : this.out;
      if (outBytes > this.stagingCap && dst == this.staging) {
        // The converted data is larger than the staging buffer: transpose into a new buffer.
        const tmp = heap.alloc(<usize>outBytes + 16);
        fortranToC(src, tmp, this.tensor.shape, <usize>elemBytes);
        heap.free(this.staging);
        this.staging = tmp;
        this.stagingCap = outBytes;
        this.outPtr = tmp;
      } else {
        fortranToC(src, dst, this.tensor.shape, <usize>elemBytes);
        this.outPtr = dst;
      }
    } else {
      this.outPtr = src;
    }
    const hc = this.headCheck;
    if (hc !== null && this.produced == 0) {
      this.headCheck = null;
      const err = hc.check(this.outPtr, <usize>(outBytes < 4096 ? outBytes : 4096));
      if (err !== null) return this.setError(E_UNKNOWN_FORMAT, err, 0);
    }
    this.outLen = <usize>outBytes;
    this.outOffset = this.produced;
    this.produced += outBytes;
    this.stagingLen = 0;
    this.status = S_OUTPUT;
    return S_OUTPUT;
  }

  dispose(): void {
    this.dropWhole();
    if (this.staging) heap.free(this.staging);
    if (this.out) heap.free(this.out);
    if (this.cbuf) heap.free(this.cbuf);
    if (this.discard) heap.free(this.discard);
    if (this.gin) heap.free(this.gin);
    if (this.gchunkBuf) heap.free(this.gchunkBuf);
    this.gin = 0;
    this.gchunkBuf = 0;
    const inf = this.inflater;
    if (inf) inf.dispose();
    const vd = this.vdec;
    if (vd) vd.dispose();
    this.vdec = null;
    this.staging = 0;
    this.out = 0;
    this.cbuf = 0;
    this.discard = 0;
    this.inflater = null;
    super.dispose();
  }
}

function gridElements(g: ChunkGrid): u64 {
  return shapeElements(g.shape);
}

// Elements of one row: all axes but the first.
function gridRowElements(g: ChunkGrid): u64 {
  let r: u64 = 1;
  for (let d = 1; d < g.shape.length; d++) r *= g.shape[d];
  return r;
}

function mulCapped(a: u64, b: u64): u64 {
  if (b != 0 && a > u64.MAX_VALUE / b) return u64.MAX_VALUE;
  return a * b;
}

// Bytes of slab `i`: rows [i*c0, min((i+1)*c0, d0)) times the bytes of one row.
function gridSlabBytes(g: ChunkGrid, i: u64): u64 {
  if (g.shape.length == 0) return g.elemBytes;
  let row = g.elemBytes;
  for (let d = 1; d < g.shape.length; d++) row *= g.shape[d];
  const start = i * g.chunk[0];
  if (start >= g.shape[0]) return 0;
  const left = g.shape[0] - start;
  return (left < g.chunk[0] ? left : g.chunk[0]) * row;
}

function fillPattern(dst: usize, len: u64, fill: u8[] | null): void {
  if (fill === null || fill.length == 0) {
    memory.fill(dst, 0, <usize>len);
    return;
  }
  const n = <u64>fill.length;
  let allZero = true;
  for (let i = 0; i < fill.length; i++) if (fill[i] != 0) allZero = false;
  if (allZero) {
    memory.fill(dst, 0, <usize>len);
    return;
  }
  // Memory speed, not a loop per element: write the pattern once, then double the filled prefix
  // with memory.copy (every prefix is a whole number of patterns). A sparse dataset of gigabytes
  // of missing chunks reads as fast as memset.
  let have: u64 = n < len ? n : len;
  for (let i: u64 = 0; i < have; i++) store<u8>(dst + <usize>i, unchecked(fill[<i32>i]));
  while (have < len) {
    const k = have < len - have ? have : len - have;
    memory.copy(dst + <usize>have, dst, <usize>k);
    have += k;
  }
}

// C-order element index of position `o + idx` (idx inside chunk k) in the array.
function flatOf(g: ChunkGrid, k: i32, last: bool): u64 {
  const rank = g.shape.length;
  let f: u64 = 0;
  for (let d = 0; d < rank; d++) {
    const o = g.origins[k * rank + d];
    let i = o;
    if (last) {
      const left = g.shape[d] - o;
      i = o + (left < g.chunk[d] ? left : g.chunk[d]) - 1;
    }
    f = f * g.shape[d] + i;
  }
  return f;
}

// Whether chunk k's elements (between its first and last in C order) reach [w0, w1).
function chunkTouches(g: ChunkGrid, k: i32, w0: u64, w1: u64): bool {
  if (g.shape.length == 0) return true;
  const rank = g.shape.length;
  for (let d = 0; d < rank; d++) if (g.origins[k * rank + d] >= g.shape[d]) return false;
  return flatOf(g, k, false) < w1 && flatOf(g, k, true) >= w0;
}

// Copies the part of chunk `k` (C order over the chunk's shape) that lies inside the array and
// inside the window of elements [w0, w1) into the window buffer.
function placeChunk(g: ChunkGrid, k: i32, src: usize, win: usize, w0: u64, w1: u64): void {
  const rank = g.shape.length;
  const eb = g.elemBytes;
  if (rank == 0) {
    memory.copy(win, src, <usize>eb);
    return;
  }
  const o = new Array<u64>(rank);
  const ext = new Array<u64>(rank); // extent of the chunk inside the array on each axis
  for (let d = 0; d < rank; d++) {
    o[d] = g.origins[k * rank + d];
    const left = g.shape[d] > o[d] ? g.shape[d] - o[d] : 0;
    ext[d] = left < g.chunk[d] ? left : g.chunk[d];
    if (ext[d] == 0) return;
  }
  // Strides in elements: in the chunk and in the array.
  const cs = new Array<u64>(rank);
  const as = new Array<u64>(rank);
  let ca: u64 = 1;
  let aa: u64 = 1;
  for (let d = rank - 1; d >= 0; d--) {
    cs[d] = ca;
    as[d] = aa;
    ca *= g.chunk[d];
    aa *= g.shape[d];
  }
  const run = ext[rank - 1];
  const idx = new Array<u64>(rank);
  for (let d = 0; d < rank; d++) idx[d] = 0;
  // Rows of the chunk before the window's first row hold nothing for it.
  const row0 = w0 / as[0];
  if (rank > 1 && row0 > o[0]) {
    if (row0 - o[0] >= ext[0]) return;
    idx[0] = row0 - o[0];
  }
  while (true) {
    let so: u64 = 0;
    let f: u64 = 0;
    for (let d = 0; d < rank; d++) {
      so += idx[d] * cs[d];
      f += (o[d] + idx[d]) * as[d];
    }
    if (f >= w1) return; // runs only move forward in C order
    if (f + run > w0) {
      const a = f > w0 ? f : w0;
      const b = f + run < w1 ? f + run : w1;
      memory.copy(win + <usize>((a - w0) * eb), src + <usize>((so + (a - f)) * eb), <usize>((b - a) * eb));
    }
    if (rank == 1) return;
    // Next run: advance axes rank-2 .. 0.
    let ax = rank - 2;
    while (ax >= 0) {
      idx[ax]++;
      if (idx[ax] < ext[ax]) break;
      idx[ax] = 0;
      ax--;
    }
    if (ax < 0) return;
  }
}

// v * scale + bias over f32 values, computed in f64 and rounded once (TF.js dequantize()).
function affineInPlace(p: usize, n: usize, scale: f64, bias: f64): void {
  for (let i: usize = 0; i < n; i++) {
    const a = p + (i << 2);
    store<f32>(a, <f32>(<f64>load<f32>(a) * scale + bias));
  }
}

// Reorders an array stored in Fortran (column-major) order into C (row-major) order.
function fortranToC(src: usize, dst: usize, shape: u64[], elemBytes: usize): void {
  const nd = shape.length;
  const n = shapeElements(shape);
  if (n == 0) return;
  // Fortran strides (in elements) of each axis.
  const fstride = new Array<u64>(nd);
  let acc: u64 = 1;
  for (let i = 0; i < nd; i++) { fstride[i] = acc; acc *= shape[i]; }
  const idx = new Array<u64>(nd);
  for (let i = 0; i < nd; i++) idx[i] = 0;
  let fpos: u64 = 0;
  for (let c: u64 = 0; c < n; c++) {
    memory.copy(dst + <usize>c * elemBytes, src + <usize>fpos * elemBytes, elemBytes);
    // Advance the C-order index (last axis fastest), tracking the Fortran offset.
    let ax = nd - 1;
    while (ax >= 0) {
      idx[ax]++;
      fpos += fstride[ax];
      if (idx[ax] < shape[ax]) break;
      fpos -= fstride[ax] * shape[ax];
      idx[ax] = 0;
      ax--;
    }
  }
}

export { dtypeByteLength };
