// Streaming inflate (RFC 1951 raw deflate, RFC 1950 zlib, RFC 1952 gzip) for the sans-I/O core.
//
// Push/pull: push(ptr, len) hands over compressed bytes (copied, so the caller may reuse its
// buffer), pull(dst, cap) writes decompressed bytes. Decoding happens into an internal buffer
// that keeps the 32 KiB window in front of fresh output; pull copies out of it. Memory is
// bounded: that buffer, the Huffman tables and the not-yet-consumed input.
//
// Every error is a return code (never a trap): pull() returns a negative INFLATE_ERR_* and
// errorCode / errorMessage say which rule was broken and at which compressed offset.
//
// Driving loop: pull until it returns 0; then finished -> done, needsInput -> push the next
// window (or endInput() at the end of the source), a negative value -> error. Push a window
// at a time: unconsumed input is buffered (up to INPUT_MAX). After the end, totalIn is the
// exact compressed length, so the caller knows where trailing data starts.
// gzip with concatenatedMembers (the default, like gunzip): after a member's trailer the
// inflater has to see the next byte (0x1f starts another member, anything else is trailing
// data) or endInput() before it reports finished.

import { adler32, crc32, crc32Byte } from "./checksums";

export const INFLATE_RAW: i32 = 0;
export const INFLATE_ZLIB: i32 = 1;
export const INFLATE_GZIP: i32 = 2;

export const INFLATE_OK: i32 = 0;
/** Input ended (endInput) before the stream was complete. */
export const INFLATE_ERR_TRUNCATED: i32 = -1;
/** zlib or gzip header is invalid (method, window size, check bits, reserved flags, magic). */
export const INFLATE_ERR_BAD_HEADER: i32 = -2;
/** zlib header asks for a preset dictionary (FDICT), which this reader does not have. */
export const INFLATE_ERR_DICTIONARY: i32 = -3;
/** Deflate block type 3 (reserved). */
export const INFLATE_ERR_BAD_BLOCK_TYPE: i32 = -4;
/** Stored block LEN does not match the one's complement NLEN. */
export const INFLATE_ERR_STORED_LENGTH: i32 = -5;
/** Dynamic block code lengths are invalid (too many symbols, bad repeat, over-subscribed or incomplete tree, no end-of-block code). */
export const INFLATE_ERR_BAD_CODE_LENGTHS: i32 = -6;
/** A literal/length or distance code that does not exist (286, 287, 30, 31, or an unused bit pattern). */
export const INFLATE_ERR_BAD_CODE: i32 = -7;
/** A match distance reaches before the start of the output. */
export const INFLATE_ERR_DISTANCE_TOO_FAR: i32 = -8;
/** Adler-32 (zlib) or CRC-32 (gzip) trailer does not match the data; or gzip header CRC. */
export const INFLATE_ERR_CHECKSUM: i32 = -9;
/** gzip ISIZE trailer does not match the decompressed length (mod 2^32). */
export const INFLATE_ERR_LENGTH_MISMATCH: i32 = -10;
/** Decompressed output would exceed the output cap given to the constructor. */
export const INFLATE_ERR_BOMB: i32 = -11;
/** Bad arguments (unknown format). */
export const INFLATE_ERR_ARGUMENT: i32 = -12;

// ---- decoder states ----
const S_ZLIB_HEADER: i32 = 0;
const S_GZIP_HEADER: i32 = 1; // fixed 10 bytes
const S_GZIP_XLEN: i32 = 2;
const S_GZIP_EXTRA: i32 = 3;
const S_GZIP_NAME: i32 = 4;
const S_GZIP_COMMENT: i32 = 5;
const S_GZIP_HCRC: i32 = 6;
const S_BLOCK_HEADER: i32 = 7;
const S_STORED_LEN: i32 = 8;
const S_STORED_COPY: i32 = 9;
const S_TABLE_COUNTS: i32 = 10;
const S_CODELEN_LENS: i32 = 11;
const S_CODE_LENS: i32 = 12;
const S_LITLEN: i32 = 13;
const S_DIST: i32 = 14;
const S_COPY: i32 = 15;
const S_TRAILER: i32 = 16;
const S_MEMBER_END: i32 = 17; // gzip: another member, trailing bytes or the end
const S_DONE: i32 = 18;
const S_ERROR: i32 = 19;

// Why decode() stopped.
const STOP_INPUT: i32 = 0;
const STOP_OUTPUT: i32 = 1;
const STOP_DONE: i32 = 2;
const STOP_ERROR: i32 = 3;

// ---- Huffman table entries (u32): value << 16 | tag << 8 | bits ----
// bits: code length to consume (for a subtable pointer: unused; subtable entries hold the full length).
const TAG_LIT: u32 = 0x00; // literal byte / code-length symbol
const TAG_BASE: u32 = 0x10; // length or distance base; low 4 bits = extra bits
const TAG_EOB: u32 = 0x20;
const TAG_SUB: u32 = 0x40; // low 4 bits = subtable index bits; value = subtable offset
const TAG_BAD: u32 = 0x80;

const LIT_BITS: u32 = 10; // primary table index bits
const DIST_BITS: u32 = 8;
const CL_BITS: u32 = 7;
const LIT_TABLE_ENTRIES: usize = 1024 + 288 * 32; // primary + one 32-entry subtable per long code at most
const DIST_TABLE_ENTRIES: usize = 256 + 32 * 128;
const CL_TABLE_ENTRIES: usize = 128;

const KIND_LIT: i32 = 0;
const KIND_DIST: i32 = 1;
const KIND_CL: i32 = 2;

const WINDOW: usize = 32768;
const OUT_SPACE: usize = 256 * 1024; // decoded bytes produced per refill, at most
const OUT_SLACK: usize = 64; // wide match copies may write a little past the end
const FAST_OUT_MIN: usize = 258 + 16;
const FAST_IN_MIN: usize = 16;
const INPUT_INITIAL: usize = 64 * 1024;
// Unconsumed input is buffered; callers push a window at a time when needsInput is set.
const INPUT_MAX: u64 = 256 << 20;

const LENGTH_BASE: StaticArray<u16> = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA: StaticArray<u8> = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: StaticArray<u16> = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA: StaticArray<u8> = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
// Order in which code-length code lengths are stored (RFC 1951 3.2.7).
const CL_ORDER: StaticArray<u8> = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

// @ts-ignore: decorator
@inline
function reverseBits(code: u32, len: u32): u32 {
  let r: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    r = (r << 1) | (code & 1);
    code >>>= 1;
  }
  return r;
}

function entryFor(kind: i32, sym: i32, len: u32): u32 {
  if (kind == KIND_LIT) {
    if (sym < 256) return (<u32>sym << 16) | (TAG_LIT << 8) | len;
    if (sym == 256) return (TAG_EOB << 8) | len;
    if (sym < 286) {
      const i = sym - 257;
      return (<u32>unchecked(LENGTH_BASE[i]) << 16) | ((TAG_BASE | <u32>unchecked(LENGTH_EXTRA[i])) << 8) | len;
    }
    return (TAG_BAD << 8) | len;
  }
  if (kind == KIND_DIST) {
    if (sym < 30) return (<u32>unchecked(DIST_BASE[sym]) << 16) | ((TAG_BASE | <u32>unchecked(DIST_EXTRA[sym])) << 8) | len;
    return (TAG_BAD << 8) | len;
  }
  return (<u32>sym << 16) | (TAG_LIT << 8) | len;
}

/**
 * Build a canonical Huffman decode table from code lengths (u8 each at `lens`).
 * Returns 0, or -1 for an over-subscribed set, -2 for an incomplete set that deflate forbids.
 * Rules follow zlib's inflate_table: an incomplete set is allowed only for literal/length and
 * distance codes whose longest code has length 1 (a single one-bit code); an empty set only
 * for distances (then any distance code is invalid).
 */
function buildTable(table: usize, primaryBits: u32, lens: usize, n: i32, kind: i32, counts: usize, nextCode: usize): i32 {
  for (let i = 0; i < 16; i++) store<u16>(counts + (<usize>i << 1), 0);
  for (let s = 0; s < n; s++) {
    const l = <usize>load<u8>(lens + <usize>s);
    store<u16>(counts + (l << 1), load<u16>(counts + (l << 1)) + 1);
  }
  let maxLen: u32 = 0;
  for (let l: u32 = 15; l >= 1; l--) {
    if (load<u16>(counts + (<usize>l << 1)) != 0) { maxLen = l; break; }
  }
  let left: i32 = 1;
  for (let l = 1; l <= 15; l++) {
    left <<= 1;
    left -= <i32>load<u16>(counts + (<usize>l << 1));
    if (left < 0) return -1;
  }
  if (maxLen == 0) {
    if (kind != KIND_DIST) return -2;
  } else if (left > 0 && (kind == KIND_CL || maxLen != 1)) {
    return -2;
  }
  // Unused bit patterns decode to TAG_BAD and consume as many bits as the table can see.
  let badLen = maxLen < primaryBits ? maxLen : primaryBits;
  if (badLen == 0) badLen = 1;
  const primarySize: u32 = 1 << primaryBits;
  const bad = (TAG_BAD << 8) | badLen;
  for (let i: u32 = 0; i < primarySize; i++) store<u32>(table + (<usize>i << 2), bad);
  if (maxLen == 0) return 0;
  const subBits: u32 = maxLen > primaryBits ? maxLen - primaryBits : 0;
  const subSize: u32 = 1 << subBits;
  let subNext: u32 = primarySize;

  // First canonical code of each length.
  let code: u32 = 0;
  store<u16>(counts, 0);
  for (let l = 1; l <= 15; l++) {
    code = (code + <u32>load<u16>(counts + (<usize>(l - 1) << 1))) << 1;
    store<u32>(nextCode + (<usize>l << 2), code);
  }
  for (let s = 0; s < n; s++) {
    const l = <u32>load<u8>(lens + <usize>s);
    if (l == 0) continue;
    const c = load<u32>(nextCode + (<usize>l << 2));
    store<u32>(nextCode + (<usize>l << 2), c + 1);
    const r = reverseBits(c, l);
    const e = entryFor(kind, s, l);
    if (l <= primaryBits) {
      for (let i = r; i < primarySize; i += (<u32>1 << l)) store<u32>(table + (<usize>i << 2), e);
    } else {
      const pi = r & (primarySize - 1);
      let pe = load<u32>(table + (<usize>pi << 2));
      if ((pe & (TAG_SUB << 8)) == 0) {
        pe = (subNext << 16) | ((TAG_SUB | subBits) << 8) | primaryBits;
        store<u32>(table + (<usize>pi << 2), pe);
        const subBad = (TAG_BAD << 8) | maxLen;
        for (let i: u32 = 0; i < subSize; i++) store<u32>(table + (<usize>(subNext + i) << 2), subBad);
        subNext += subSize;
      }
      const base = pe >>> 16;
      const step: u32 = 1 << (l - primaryBits);
      for (let i = r >>> primaryBits; i < subSize; i += step) store<u32>(table + (<usize>(base + i) << 2), e);
    }
  }
  return 0;
}

export class Inflater {
  // public state
  finished: bool = false;
  needsInput: bool = true;
  totalOut: u64 = 0; // bytes handed out by pull()
  errorCode: i32 = INFLATE_OK;
  errorMessage: string = "";
  /** gzip: after a member's trailer, a following member (starting with 0x1f) is decoded too. */
  concatenatedMembers: bool = true;

  private format: i32;
  private outputCap: u64;
  private inputEnded: bool = false;

  // input buffer [inBuf, inBuf+inCap); unconsumed bytes [inPos, inEnd)
  private inBuf: usize = 0;
  private inCap: usize = 0;
  private inPos: usize = 0;
  private inEnd: usize = 0;
  private inBase: u64 = 0; // compressed bytes dropped from inBuf by compaction
  private bitBuf: u64 = 0;
  private bitCnt: u32 = 0;

  // output buffer: [outBuf, outPos) decoded, of which [readPos, outPos) not yet pulled
  private outBuf: usize = 0;
  private outPos: usize = 0;
  private winStart: usize = 0; // first byte a match may reach (a gzip member sees only its own output)
  private readPos: usize = 0;
  private checkPos: usize = 0; // checksum computed up to here
  private decoded: u64 = 0; // bytes decoded in total (all members)
  private memberDecoded: u64 = 0;
  private check: u32 = 0;

  // tables and scratch
  private litTable: usize = 0;
  private distTable: usize = 0;
  private clTable: usize = 0;
  private lens: usize = 0; // 320 code lengths
  private scratch: usize = 0; // counts[16] u16 + nextCode[16] u32

  private state: i32 = 0;
  private lastBlock: bool = false;
  private fixedTables: bool = false; // litTable/distTable hold the fixed codes
  private counter: u32 = 0; // bytes/entries processed in the current state
  private remaining: u32 = 0; // stored bytes / match bytes / extra field bytes left
  private matchDist: u32 = 0;
  private nlen: u32 = 0;
  private ndist: u32 = 0;
  private ncode: u32 = 0;
  private gzFlags: u32 = 0;
  private headerCrc: u32 = 0;
  private trailerValue: u32 = 0;
  private stopReason: i32 = STOP_INPUT;

  constructor(format: i32, outputCap: u64) {
    this.format = format;
    this.outputCap = outputCap;
    this.outBuf = heap.alloc(WINDOW + OUT_SPACE + OUT_SLACK);
    this.outPos = this.outBuf;
    this.winStart = this.outBuf;
    this.readPos = this.outBuf;
    this.checkPos = this.outBuf;
    this.litTable = heap.alloc(LIT_TABLE_ENTRIES << 2);
    this.distTable = heap.alloc(DIST_TABLE_ENTRIES << 2);
    this.clTable = heap.alloc(CL_TABLE_ENTRIES << 2);
    this.lens = heap.alloc(320);
    this.scratch = heap.alloc(32 + 64);
    this.inBuf = heap.alloc(INPUT_INITIAL);
    this.inCap = INPUT_INITIAL;
    this.inPos = this.inBuf;
    this.inEnd = this.inBuf;
    if (format == INFLATE_ZLIB) {
      this.state = S_ZLIB_HEADER;
      this.check = 1;
    } else if (format == INFLATE_GZIP) {
      this.state = S_GZIP_HEADER;
    } else if (format == INFLATE_RAW) {
      this.state = S_BLOCK_HEADER;
    } else {
      this.state = S_ERROR;
      this.needsInput = false;
      this.errorCode = INFLATE_ERR_ARGUMENT;
      this.errorMessage = "unknown inflate format " + format.toString() + " (expected 0 raw, 1 zlib, 2 gzip)";
    }
  }

  /** Compressed bytes consumed so far (after the end: the exact length of the stream). */
  get totalIn(): u64 {
    return this.inBase + <u64>(this.inPos - this.inBuf) - <u64>(this.bitCnt >>> 3);
  }

  /** Give more compressed input; the bytes are copied (or consumed) before returning. */
  push(ptr: usize, len: usize): void {
    if (len == 0 || this.state == S_DONE || this.state == S_ERROR) return;
    const unconsumed = this.inEnd - this.inPos;
    if (this.inPos != this.inBuf) {
      if (unconsumed > 0) memory.copy(this.inBuf, this.inPos, unconsumed);
      this.inBase += <u64>(this.inPos - this.inBuf);
      this.inPos = this.inBuf;
      this.inEnd = this.inBuf + unconsumed;
    }
    if (unconsumed + len > this.inCap) {
      if (<u64>unconsumed + <u64>len > INPUT_MAX) {
        this.fail(INFLATE_ERR_ARGUMENT, "more than " + INPUT_MAX.toString() + " compressed bytes pushed without pulling");
        return;
      }
      let cap = this.inCap << 1;
      if (cap < unconsumed + len) cap = unconsumed + len;
      if (<u64>cap > INPUT_MAX) cap = <usize>INPUT_MAX;
      const nb = heap.alloc(cap);
      if (unconsumed > 0) memory.copy(nb, this.inBuf, unconsumed);
      heap.free(this.inBuf);
      this.inBuf = nb;
      this.inCap = cap;
      this.inPos = nb;
      this.inEnd = nb + unconsumed;
    }
    memory.copy(this.inEnd, ptr, len);
    this.inEnd += len;
    this.needsInput = false;
  }

  /** The caller has no more input: an incomplete stream becomes INFLATE_ERR_TRUNCATED. */
  endInput(): void {
    this.inputEnded = true;
    this.needsInput = false;
  }

  /** Same as endInput(). */
  finish(): void {
    this.endInput();
  }

  /**
   * Write up to `cap` decompressed bytes to dst. Returns the count (0 when finished or when
   * more input is needed, see needsInput) or a negative INFLATE_ERR_* once all bytes decoded
   * before the error were handed out.
   */
  pull(dst: usize, cap: usize): isize {
    let n: usize = 0;
    while (n < cap) {
      const avail = this.outPos - this.readPos;
      if (avail > 0) {
        const c = avail < cap - n ? avail : cap - n;
        memory.copy(dst + n, this.readPos, c);
        this.readPos += c;
        n += c;
        continue;
      }
      if (this.state == S_ERROR || this.state == S_DONE) break;
      this.refill();
      if (this.outPos == this.readPos) {
        // No output produced: stalled for input, finished or failed.
        if (this.state == S_DONE || this.state == S_ERROR) continue;
        if (this.stopReason == STOP_INPUT) {
          if (this.inputEnded) {
            this.fail(INFLATE_ERR_TRUNCATED, "compressed stream ends before its end was reached (truncated)");
            continue;
          }
          this.needsInput = true;
        }
        break;
      }
    }
    this.totalOut += <u64>n;
    if (n == 0 && this.state == S_ERROR) return <isize>this.errorCode;
    return <isize>n;
  }

  /** Free the raw buffers; the object must not be used afterwards. */
  dispose(): void {
    if (this.outBuf != 0) heap.free(this.outBuf);
    if (this.litTable != 0) heap.free(this.litTable);
    if (this.distTable != 0) heap.free(this.distTable);
    if (this.clTable != 0) heap.free(this.clTable);
    if (this.lens != 0) heap.free(this.lens);
    if (this.scratch != 0) heap.free(this.scratch);
    if (this.inBuf != 0) heap.free(this.inBuf);
    this.outBuf = 0; this.litTable = 0; this.distTable = 0; this.clTable = 0;
    this.lens = 0; this.scratch = 0; this.inBuf = 0;
    this.outPos = 0; this.readPos = 0; this.checkPos = 0;
    this.inPos = 0; this.inEnd = 0; this.inCap = 0;
    if (this.state != S_DONE && this.state != S_ERROR) {
      this.state = S_ERROR;
      this.errorCode = INFLATE_ERR_ARGUMENT;
      this.errorMessage = "inflater was disposed";
    }
  }

  // ---------------------------------------------------------------------------------------

  private fail(code: i32, msg: string): void {
    if (this.state == S_ERROR) return;
    this.state = S_ERROR;
    this.errorCode = code;
    this.errorMessage = msg + " at compressed offset " + this.totalIn.toString();
    this.needsInput = false;
    this.finished = false;
  }

  // Slide the window if needed, decode a batch into the output buffer, update the checksum.
  private refill(): void {
    if (this.outBuf == 0) return;
    if (this.outBuf + WINDOW + OUT_SPACE - this.outPos < OUT_SPACE / 2 && this.outPos - this.outBuf > WINDOW) {
      const shift = this.outPos - WINDOW - this.outBuf;
      memory.copy(this.outBuf, this.outPos - WINDOW, WINDOW);
      this.winStart = this.winStart - this.outBuf < shift ? this.outBuf : this.winStart - shift;
      this.outPos = this.outBuf + WINDOW;
      this.readPos = this.outPos;
      this.checkPos = this.outPos;
    }
    let limit = this.outBuf + WINDOW + OUT_SPACE;
    const capLeft = this.outputCap - this.decoded;
    if (<u64>(limit - this.outPos) > capLeft) limit = this.outPos + <usize>capLeft;
    const before = this.outPos;
    this.decode(limit);
    this.flushCheck();
    this.decoded += <u64>(this.outPos - before);
    if (this.stopReason == STOP_OUTPUT && this.outPos == before && this.decoded >= this.outputCap) {
      this.fail(INFLATE_ERR_BOMB, "decompression bomb: output would exceed the cap of " + this.outputCap.toString() + " bytes");
    }
  }

  private flushCheck(): void {
    const n = this.outPos - this.checkPos;
    if (n == 0) return;
    if (this.format == INFLATE_ZLIB) this.check = adler32(this.check, this.checkPos, n);
    else if (this.format == INFLATE_GZIP) this.check = crc32(this.check, this.checkPos, n);
    this.memberDecoded += <u64>n;
    this.checkPos = this.outPos;
  }

  // Make at least n (<= 32) bits available from the input, byte by byte. False if input ran out.
  // @ts-ignore: decorator
  @inline
  private needBits(n: u32): bool {
    while (this.bitCnt < n) {
      if (this.inPos >= this.inEnd) return false;
      this.bitBuf |= <u64>load<u8>(this.inPos) << this.bitCnt;
      this.inPos++;
      this.bitCnt += 8;
    }
    return true;
  }

  // @ts-ignore: decorator
  @inline
  private bits(n: u32): u32 {
    return <u32>(this.bitBuf & ((<u64>1 << n) - 1));
  }

  // @ts-ignore: decorator
  @inline
  private drop(n: u32): void {
    this.bitBuf >>= n;
    this.bitCnt -= n;
  }

  // Next whole byte (after alignment), or -1 if input ran out.
  private nextByte(): i32 {
    if (!this.needBits(8)) return -1;
    const b = <i32>this.bits(8);
    this.drop(8);
    return b;
  }

  private headerByte(): i32 {
    const b = this.nextByte();
    if (b >= 0 && (this.gzFlags & 0x02) != 0) this.headerCrc = crc32Byte(this.headerCrc, <u32>b);
    return b;
  }

  // Decode until output reaches `limit`, input runs out, the stream ends, or an error.
  private decode(limit: usize): void {
    while (true) {
      const st = this.state;
      if (st == S_LITLEN) {
        if (!this.decodeCodes(limit)) return;
        continue;
      }
      if (st == S_BLOCK_HEADER) {
        if (!this.needBits(3)) { this.stopReason = STOP_INPUT; return; }
        const h = this.bits(3);
        this.drop(3);
        this.lastBlock = (h & 1) != 0;
        const type = h >>> 1;
        if (type == 0) {
          this.drop(this.bitCnt & 7);
          this.state = S_STORED_LEN;
        } else if (type == 1) {
          this.buildFixed();
          this.state = S_LITLEN;
        } else if (type == 2) {
          this.state = S_TABLE_COUNTS;
        } else {
          this.fail(INFLATE_ERR_BAD_BLOCK_TYPE, "invalid deflate block type 3 (reserved)");
          this.stopReason = STOP_ERROR;
          return;
        }
        continue;
      }
      if (st == S_STORED_LEN) {
        if (!this.needBits(32)) { this.stopReason = STOP_INPUT; return; }
        const v = this.bits(32);
        this.drop(32);
        const len = v & 0xffff;
        if ((v >>> 16) != (~len & 0xffff)) {
          this.fail(INFLATE_ERR_STORED_LENGTH, "stored block length LEN does not match its complement NLEN");
          this.stopReason = STOP_ERROR;
          return;
        }
        this.remaining = len;
        this.state = S_STORED_COPY;
        continue;
      }
      if (st == S_STORED_COPY) {
        // Bytes already pulled into the bit buffer come first.
        while (this.remaining > 0 && this.bitCnt >= 8) {
          if (this.outPos >= limit) { this.stopReason = STOP_OUTPUT; return; }
          store<u8>(this.outPos, <u8>this.bits(8));
          this.drop(8);
          this.outPos++;
          this.remaining--;
        }
        if (this.remaining > 0) {
          let c = <usize>this.remaining;
          const inAvail = this.inEnd - this.inPos;
          const outAvail = limit - this.outPos;
          if (c > inAvail) c = inAvail;
          if (c > outAvail) c = outAvail;
          memory.copy(this.outPos, this.inPos, c);
          this.outPos += c;
          this.inPos += c;
          this.remaining -= <u32>c;
          if (this.remaining > 0) {
            this.stopReason = this.outPos >= limit ? STOP_OUTPUT : STOP_INPUT;
            return;
          }
        }
        this.endBlock();
        continue;
      }
      if (st == S_TABLE_COUNTS) {
        if (!this.needBits(14)) { this.stopReason = STOP_INPUT; return; }
        const v = this.bits(14);
        this.drop(14);
        this.nlen = (v & 31) + 257;
        this.ndist = ((v >>> 5) & 31) + 1;
        this.ncode = ((v >>> 10) & 15) + 4;
        if (this.nlen > 286 || this.ndist > 30) {
          this.fail(INFLATE_ERR_BAD_CODE_LENGTHS, "dynamic block declares too many length or distance symbols");
          this.stopReason = STOP_ERROR;
          return;
        }
        this.counter = 0;
        memory.fill(this.lens, 0, 19);
        this.state = S_CODELEN_LENS;
        continue;
      }
      if (st == S_CODELEN_LENS) {
        while (this.counter < this.ncode) {
          if (!this.needBits(3)) { this.stopReason = STOP_INPUT; return; }
          store<u8>(this.lens + <usize>unchecked(CL_ORDER[this.counter]), <u8>this.bits(3));
          this.drop(3);
          this.counter++;
        }
        if (buildTable(this.clTable, CL_BITS, this.lens, 19, KIND_CL, this.scratch, this.scratch + 32) != 0) {
          this.fail(INFLATE_ERR_BAD_CODE_LENGTHS, "invalid code-length code (over-subscribed or incomplete tree)");
          this.stopReason = STOP_ERROR;
          return;
        }
        this.counter = 0;
        this.state = S_CODE_LENS;
        continue;
      }
      if (st == S_CODE_LENS) {
        const total = this.nlen + this.ndist;
        while (this.counter < total) {
          // Peek exactly as many bits as this symbol and its extra bits need.
          this.needBits(7);
          let e = load<u32>(this.clTable + (<usize>this.bits(CL_BITS) << 2));
          let l = e & 0xff;
          if (l > this.bitCnt) { this.stopReason = STOP_INPUT; return; }
          if (((e >>> 8) & 0xff) == TAG_BAD) {
            this.fail(INFLATE_ERR_BAD_CODE_LENGTHS, "invalid code-length code");
            this.stopReason = STOP_ERROR;
            return;
          }
          const sym = e >>> 16;
          if (sym < 16) {
            this.drop(l);
            store<u8>(this.lens + <usize>this.counter, <u8>sym);
            this.counter++;
            continue;
          }
          const extra: u32 = sym == 16 ? 2 : sym == 17 ? 3 : 7;
          if (!this.needBits(l + extra)) { this.stopReason = STOP_INPUT; return; }
          this.drop(l);
          let rep = this.bits(extra);
          this.drop(extra);
          let val: u8 = 0;
          if (sym == 16) {
            if (this.counter == 0) {
              this.fail(INFLATE_ERR_BAD_CODE_LENGTHS, "code length repeat (16) with no previous length");
              this.stopReason = STOP_ERROR;
              return;
            }
            val = load<u8>(this.lens + <usize>(this.counter - 1));
            rep += 3;
          } else if (sym == 17) {
            rep += 3;
          } else {
            rep += 11;
          }
          if (this.counter + rep > total) {
            this.fail(INFLATE_ERR_BAD_CODE_LENGTHS, "code length repeat runs past the number of symbols");
            this.stopReason = STOP_ERROR;
            return;
          }
          memory.fill(this.lens + <usize>this.counter, val, <usize>rep);
          this.counter += rep;
        }
        if (load<u8>(this.lens + 256) == 0) {
          this.fail(INFLATE_ERR_BAD_CODE_LENGTHS, "dynamic block has no end-of-block code");
          this.stopReason = STOP_ERROR;
          return;
        }
        this.fixedTables = false;
        const rl = buildTable(this.litTable, LIT_BITS, this.lens, <i32>this.nlen, KIND_LIT, this.scratch, this.scratch + 32);
        if (rl != 0) {
          this.fail(INFLATE_ERR_BAD_CODE_LENGTHS, rl == -1 ? "literal/length code is over-subscribed" : "literal/length code is incomplete");
          this.stopReason = STOP_ERROR;
          return;
        }
        const rd = buildTable(this.distTable, DIST_BITS, this.lens + <usize>this.nlen, <i32>this.ndist, KIND_DIST, this.scratch, this.scratch + 32);
        if (rd != 0) {
          this.fail(INFLATE_ERR_BAD_CODE_LENGTHS, rd == -1 ? "distance code is over-subscribed" : "distance code is incomplete");
          this.stopReason = STOP_ERROR;
          return;
        }
        this.state = S_LITLEN;
        continue;
      }
      if (st == S_DIST || st == S_COPY) {
        if (!this.decodeCodes(limit)) return;
        continue;
      }
      if (st == S_ZLIB_HEADER) {
        if (!this.needBits(16)) { this.stopReason = STOP_INPUT; return; }
        const cmf = this.bits(8);
        const flg = (this.bits(16) >>> 8);
        if ((cmf & 15) != 8) {
          this.fail(INFLATE_ERR_BAD_HEADER, "zlib header compression method is " + (cmf & 15).toString() + ", not 8 (deflate)");
        } else if ((cmf >>> 4) > 7) {
          this.fail(INFLATE_ERR_BAD_HEADER, "zlib header window size CINFO " + (cmf >>> 4).toString() + " is larger than 7");
        } else if (((cmf << 8) | flg) % 31 != 0) {
          this.fail(INFLATE_ERR_BAD_HEADER, "zlib header check bits FCHECK are wrong");
        } else if ((flg & 0x20) != 0) {
          this.fail(INFLATE_ERR_DICTIONARY, "zlib stream needs a preset dictionary (FDICT), which is not supported");
        }
        if (this.state == S_ERROR) { this.stopReason = STOP_ERROR; return; }
        this.drop(16);
        this.state = S_BLOCK_HEADER;
        continue;
      }
      if (st == S_GZIP_HEADER) {
        // ID1 ID2 CM FLG MTIME(4) XFL OS, read one byte at a time.
        while (this.counter < 10) {
          const b = this.nextByte();
          if (b < 0) { this.stopReason = STOP_INPUT; return; }
          const i = this.counter;
          if ((i == 0 && b != 0x1f) || (i == 1 && b != 0x8b)) {
            this.fail(INFLATE_ERR_BAD_HEADER, "not a gzip stream (magic bytes 1f 8b missing)");
          } else if (i == 2 && b != 8) {
            this.fail(INFLATE_ERR_BAD_HEADER, "gzip header compression method is " + b.toString() + ", not 8 (deflate)");
          } else if (i == 3 && (b & 0xe0) != 0) {
            this.fail(INFLATE_ERR_BAD_HEADER, "gzip header has reserved flag bits set");
          }
          if (this.state == S_ERROR) { this.stopReason = STOP_ERROR; return; }
          if (i == 3) this.gzFlags = <u32>b;
          this.headerCrc = crc32Byte(this.headerCrc, <u32>b);
          this.counter++;
        }
        this.counter = 0;
        this.remaining = 0;
        this.state = S_GZIP_XLEN;
        continue;
      }
      if (st == S_GZIP_XLEN) {
        if ((this.gzFlags & 0x04) != 0) {
          while (this.counter < 2) {
            const b = this.headerByte();
            if (b < 0) { this.stopReason = STOP_INPUT; return; }
            this.remaining |= <u32>b << (this.counter * 8);
            this.counter++;
          }
        }
        this.state = S_GZIP_EXTRA;
        continue;
      }
      if (st == S_GZIP_EXTRA) {
        while (this.remaining > 0) {
          const b = this.headerByte();
          if (b < 0) { this.stopReason = STOP_INPUT; return; }
          this.remaining--;
        }
        this.state = S_GZIP_NAME;
        continue;
      }
      if (st == S_GZIP_NAME || st == S_GZIP_COMMENT) {
        const flag: u32 = st == S_GZIP_NAME ? 0x08 : 0x10;
        if ((this.gzFlags & flag) != 0) {
          while (true) {
            const b = this.headerByte();
            if (b < 0) { this.stopReason = STOP_INPUT; return; }
            if (b == 0) break;
          }
        }
        this.state = st == S_GZIP_NAME ? S_GZIP_COMMENT : S_GZIP_HCRC;
        this.counter = 0;
        this.trailerValue = 0;
        continue;
      }
      if (st == S_GZIP_HCRC) {
        if ((this.gzFlags & 0x02) != 0) {
          while (this.counter < 2) {
            const b = this.nextByte();
            if (b < 0) { this.stopReason = STOP_INPUT; return; }
            this.trailerValue |= <u32>b << (this.counter * 8);
            this.counter++;
          }
          if (this.trailerValue != (this.headerCrc & 0xffff)) {
            this.fail(INFLATE_ERR_CHECKSUM, "gzip header CRC (FHCRC) does not match the header");
            this.stopReason = STOP_ERROR;
            return;
          }
        }
        this.check = 0;
        this.memberDecoded = 0;
        this.winStart = this.outPos;
        this.state = S_BLOCK_HEADER;
        continue;
      }
      if (st == S_TRAILER) {
        const need: u32 = this.format == INFLATE_GZIP ? 8 : 4;
        while (this.counter < need) {
          const b = this.nextByte();
          if (b < 0) { this.stopReason = STOP_INPUT; return; }
          if (this.format == INFLATE_ZLIB) {
            this.trailerValue = (this.trailerValue << 8) | <u32>b;
          } else if (this.counter < 4) {
            this.trailerValue |= <u32>b << (this.counter * 8);
          } else {
            this.remaining |= <u32>b << ((this.counter - 4) * 8);
          }
          this.counter++;
          if (this.counter == 4 && this.trailerValue != this.check) {
            this.fail(INFLATE_ERR_CHECKSUM, (this.format == INFLATE_ZLIB ? "Adler-32" : "CRC-32") + " of the decompressed data does not match the trailer");
            this.stopReason = STOP_ERROR;
            return;
          }
        }
        if (this.format == INFLATE_GZIP && this.remaining != <u32>this.memberDecoded) {
          this.fail(INFLATE_ERR_LENGTH_MISMATCH, "gzip ISIZE trailer does not match the decompressed length");
          this.stopReason = STOP_ERROR;
          return;
        }
        if (this.format == INFLATE_GZIP && this.concatenatedMembers) {
          this.state = S_MEMBER_END;
        } else {
          this.setDone();
          return;
        }
        continue;
      }
      if (st == S_MEMBER_END) {
        if (!this.needBits(8)) {
          if (this.inputEnded) { this.setDone(); return; }
          this.stopReason = STOP_INPUT;
          return;
        }
        if (this.bits(8) != 0x1f) { this.setDone(); return; } // trailing bytes are not ours
        this.counter = 0;
        this.gzFlags = 0;
        this.headerCrc = 0;
        this.state = S_GZIP_HEADER;
        continue;
      }
      // S_DONE, S_ERROR
      this.stopReason = st == S_DONE ? STOP_DONE : STOP_ERROR;
      return;
    }
  }

  private setDone(): void {
    this.state = S_DONE;
    this.finished = true;
    this.needsInput = false;
    this.stopReason = STOP_DONE;
  }

  private endBlock(): void {
    if (!this.lastBlock) {
      this.state = S_BLOCK_HEADER;
      return;
    }
    if (this.format == INFLATE_RAW) {
      this.drop(this.bitCnt & 7);
      this.setDone();
      return;
    }
    this.drop(this.bitCnt & 7);
    this.flushCheck();
    this.counter = 0;
    this.trailerValue = 0;
    this.remaining = 0;
    this.state = S_TRAILER;
  }

  private buildFixed(): void {
    if (this.fixedTables) return; // still in place from the previous fixed block
    this.fixedTables = true;
    const l = this.lens;
    memory.fill(l, 8, 144);
    memory.fill(l + 144, 9, 112);
    memory.fill(l + 256, 7, 24);
    memory.fill(l + 280, 8, 8);
    buildTable(this.litTable, LIT_BITS, l, 288, KIND_LIT, this.scratch, this.scratch + 32);
    memory.fill(l + 288, 5, 32);
    buildTable(this.distTable, DIST_BITS, l + 288, 32, KIND_DIST, this.scratch, this.scratch + 32);
  }

  // Huffman-coded data of a block: S_LITLEN, S_DIST, S_COPY. Returns false when decode()
  // must return (stopReason set), true when the block ended (state changed).
  private decodeCodes(limit: usize): bool {
    const lt = this.litTable;
    const dt = this.distTable;
    const outStart = this.winStart;
    let out = this.outPos;
    let inp = this.inPos;
    const inEnd = this.inEnd;
    let bb = this.bitBuf;
    let bc = this.bitCnt;
    let st = this.state;

    // Fast path: enough input for a whole symbol pair and room for a longest match.
    if (st == S_LITLEN) {
      while (inEnd - inp >= FAST_IN_MIN && limit - out >= FAST_OUT_MIN) {
        // Refill to >= 56 bits: 15 + 5 (length) + 15 + 13 (distance) = 48 bits fit.
        bb |= load<u64>(inp) << bc;
        inp += (63 - bc) >>> 3;
        bc |= 56;
        let e = load<u32>(lt + (<usize>(bb & 1023) << 2));
        if ((e & 0x4000) != 0) {
          e = load<u32>(lt + (<usize>((e >>> 16) + (<u32>(bb >>> LIT_BITS) & ((1 << ((e >>> 8) & 15)) - 1))) << 2));
        }
        let l = e & 0xff;
        bb >>= l;
        bc -= l;
        if ((e & 0xff00) == 0) {
          store<u8>(out, <u8>(e >>> 16));
          out++;
          // A second literal often fits in the remaining bits.
          let e2 = load<u32>(lt + (<usize>(bb & 1023) << 2));
          if ((e2 & 0xff00) == 0) {
            l = e2 & 0xff;
            bb >>= l;
            bc -= l;
            store<u8>(out, <u8>(e2 >>> 16));
            out++;
          }
          continue;
        }
        let tag = (e >>> 8) & 0xff;
        if ((tag & TAG_BASE) != 0) {
          let ex = tag & 15;
          const len = (e >>> 16) + (<u32>bb & ((1 << ex) - 1));
          bb >>= ex;
          bc -= ex;
          let d = load<u32>(dt + (<usize>(bb & 255) << 2));
          if ((d & 0x4000) != 0) {
            d = load<u32>(dt + (<usize>((d >>> 16) + (<u32>(bb >>> DIST_BITS) & ((1 << ((d >>> 8) & 15)) - 1))) << 2));
          }
          l = d & 0xff;
          tag = (d >>> 8) & 0xff;
          if ((tag & TAG_BASE) == 0) {
            this.saveBits(inp, bb, bc);
            this.outPos = out;
            this.fail(INFLATE_ERR_BAD_CODE, "invalid distance code");
            this.stopReason = STOP_ERROR;
            return false;
          }
          bb >>= l;
          bc -= l;
          ex = tag & 15;
          const dist = (d >>> 16) + (<u32>bb & ((1 << ex) - 1));
          bb >>= ex;
          bc -= ex;
          if (<usize>dist > out - outStart) {
            this.saveBits(inp, bb, bc);
            this.outPos = out;
            this.fail(INFLATE_ERR_DISTANCE_TOO_FAR, "match distance " + dist.toString() + " reaches before the start of the output");
            this.stopReason = STOP_ERROR;
            return false;
          }
          copyMatch(out, dist, len);
          out += len;
          continue;
        }
        this.saveBits(inp, bb, bc);
        this.outPos = out;
        if (tag == TAG_EOB) {
          this.endBlock();
          return true;
        }
        this.fail(INFLATE_ERR_BAD_CODE, "invalid literal/length code");
        this.stopReason = STOP_ERROR;
        return false;
      }
      this.saveBits(inp, bb, bc);
    }

    // Slow path: exact bit accounting, resumable at every symbol.
    this.outPos = out;
    while (true) {
      st = this.state;
      if (st == S_LITLEN) {
        if (this.inEnd - this.inPos >= FAST_IN_MIN && limit - this.outPos >= FAST_OUT_MIN) return true; // back to the fast path
        this.needBits(15);
        let e = load<u32>(lt + (<usize>this.bits(LIT_BITS) << 2));
        if ((e & 0x4000) != 0) {
          e = load<u32>(lt + (<usize>((e >>> 16) + ((this.bits(15) >>> LIT_BITS) & ((1 << ((e >>> 8) & 15)) - 1))) << 2));
        }
        const l = e & 0xff;
        const tag = (e >>> 8) & 0xff;
        if (l > this.bitCnt) { this.stopReason = STOP_INPUT; return false; }
        if (tag == TAG_LIT) {
          if (this.outPos >= limit) { this.stopReason = STOP_OUTPUT; return false; }
          this.drop(l);
          store<u8>(this.outPos, <u8>(e >>> 16));
          this.outPos++;
          continue;
        }
        if ((tag & TAG_BASE) != 0) {
          const ex = tag & 15;
          if (!this.needBits(l + ex)) { this.stopReason = STOP_INPUT; return false; }
          this.drop(l);
          this.remaining = (e >>> 16) + this.bits(ex);
          this.drop(ex);
          this.state = S_DIST;
          continue;
        }
        if (tag == TAG_EOB) {
          this.drop(l);
          this.endBlock();
          return true;
        }
        this.fail(INFLATE_ERR_BAD_CODE, "invalid literal/length code");
        this.stopReason = STOP_ERROR;
        return false;
      }
      if (st == S_DIST) {
        this.needBits(15);
        let d = load<u32>(dt + (<usize>this.bits(DIST_BITS) << 2));
        if ((d & 0x4000) != 0) {
          d = load<u32>(dt + (<usize>((d >>> 16) + ((this.bits(15) >>> DIST_BITS) & ((1 << ((d >>> 8) & 15)) - 1))) << 2));
        }
        const l = d & 0xff;
        const tag = (d >>> 8) & 0xff;
        if (l > this.bitCnt) { this.stopReason = STOP_INPUT; return false; }
        if ((tag & TAG_BASE) == 0) {
          this.fail(INFLATE_ERR_BAD_CODE, "invalid distance code");
          this.stopReason = STOP_ERROR;
          return false;
        }
        const ex = tag & 15;
        if (!this.needBits(l + ex)) { this.stopReason = STOP_INPUT; return false; }
        this.drop(l);
        const dist = (d >>> 16) + this.bits(ex);
        this.drop(ex);
        if (<usize>dist > this.outPos - outStart) {
          this.fail(INFLATE_ERR_DISTANCE_TOO_FAR, "match distance " + dist.toString() + " reaches before the start of the output");
          this.stopReason = STOP_ERROR;
          return false;
        }
        this.matchDist = dist;
        this.state = S_COPY;
        continue;
      }
      if (st == S_COPY) {
        let c = <usize>this.remaining;
        const room = limit - this.outPos;
        if (c > room) c = room;
        // Byte copy: the slow path runs near buffer ends where wide copies could overrun.
        const src = this.outPos - <usize>this.matchDist;
        for (let i: usize = 0; i < c; i++) store<u8>(this.outPos + i, load<u8>(src + i));
        this.outPos += c;
        this.remaining -= <u32>c;
        if (this.remaining > 0) { this.stopReason = STOP_OUTPUT; return false; }
        this.state = S_LITLEN;
        continue;
      }
      return true;
    }
  }

  // Store the fast path's registers back; bits above bitCnt may hold read-ahead data, clear them.
  // @ts-ignore: decorator
  @inline
  private saveBits(inp: usize, bb: u64, bc: u32): void {
    this.inPos = inp;
    this.bitBuf = bc >= 64 ? bb : bb & ((<u64>1 << bc) - 1);
    this.bitCnt = bc;
  }
}

// Copy an LZ77 match of `len` bytes from `dist` bytes back; may write up to 15 bytes past the
// end (the output buffer has slack for it).
// @ts-ignore: decorator
@inline
function copyMatch(out: usize, dist: u32, len: u32): void {
  const src = out - <usize>dist;
  if (dist >= 16) {
    let i: usize = 0;
    do {
      v128.store(out + i, v128.load(src + i));
      i += 16;
    } while (i < <usize>len);
  } else if (dist >= 8) {
    let i: usize = 0;
    do {
      store<u64>(out + i, load<u64>(src + i));
      i += 8;
    } while (i < <usize>len);
  } else if (dist == 1) {
    memory.fill(out, load<u8>(src), <usize>len);
  } else {
    for (let i: usize = 0; i < <usize>len; i++) store<u8>(out + i, load<u8>(src + i));
  }
}
