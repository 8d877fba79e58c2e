// joblib dumps: a pickle in which each numpy array is a NumpyArrayWrapper whose raw bytes follow
// the wrapper's BUILD opcode in the stream (after a padding byte and padding when the state has
// numpy_array_alignment_bytes); object arrays are a nested pickle there instead. The whole file
// may be zlib or gzip compressed (inflated here, streamed through the pickle machine in pieces, so
// memory stays bounded); bz2, xz, lzma and lz4 are decoded whole into a capped buffer. joblib < 0.10 kept
// arrays in side files (NDArrayWrapper + name.pkl_NN.npy), opened through the sibling resolver.

import { Context, ST_DONE, SOURCE_FAILED, SOURCE_PENDING } from "../../core/context";
import { E_CORRUPT, E_DECOMPRESS, E_LIMIT, E_UNKNOWN_FORMAT, E_UNSUPPORTED } from "../../core/errors";
import { CODEC_BZ2, CODEC_GZIP, CODEC_LZ4, CODEC_LZMA, CODEC_NONE, CODEC_XZ, CODEC_ZLIB, Segment, SEV_HIGH } from "../../core/model";
import { decodeWholeCodec } from "../../containers/whole";
import { Inflater, INFLATE_GZIP, INFLATE_ZLIB } from "../../containers/inflate";
import { decompressXz, decompressLzmaAlone } from "../../containers/xz";
import { decompressLz4Frame } from "../../containers/lz4";
import { decompressBz2 } from "../../containers/bz2";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE, SNIFF_WEAK } from "../format";
import { PickleMachine, Status } from "../../pickle/machine";
import { Folder } from "../../pickle/fold";
import { NFlag } from "../../pickle/graph";
import { buildReport } from "../../pickle/scan";
import { addFindings, pickleFacts, addStreamTensors, PickleOutcome } from "../../pickle/bridge";
import { pickleErrorName } from "../../pickle/errors";
import { MAX_PICKLE_BYTES } from "./pickle";
import { parseNpyHeader, npyTensor } from "../numpy/npy";
import { DT_OBJECT } from "../../core/dtype";
import { onObjectArray } from "./npy-objects";

const WRAPPER = "joblib.numpy_pickle.NumpyArrayWrapper";
const PIECE: usize = 64 * 1024;
// Decompressed bytes allowed per file (a bomb cap; the machine itself keeps memory bounded).
const MAX_STREAM: u64 = 1 << 40;
// xz/lzma are decoded whole: this caps the memory they may take.
const XZ_CAP: u64 = 1 << 30;

function hasText(p: usize, n: usize, s: string): bool {
  const m = s.length;
  for (let i: usize = 0; i + <usize>m <= n; i++) {
    let ok = true;
    for (let k = 0; k < m; k++) if (<i32>load<u8>(p + i + <usize>k) != s.charCodeAt(k)) { ok = false; break; }
    if (ok) return true;
  }
  return false;
}

export class JoblibFormat extends FormatModule {
  get id(): string { return "joblib"; }

  sniff(s: Sniff): i32 {
    if (s.headLen < 4) return SNIFF_NO;
    const b0 = s.byte(0), b1 = s.byte(1);
    if (b0 == 0x80 && hasText(s.head, s.headLen, "joblib.numpy_pickle")) return SNIFF_STRUCTURE + 10;
    // protocol 0-1 dumps (joblib.dump(..., protocol=0)) name the wrapper with a text GLOBAL opcode
    if (b0 != 0x80 && hasText(s.head, s.headLen, "cjoblib.numpy_pickle\nNumpyArrayWrapper\n")) return SNIFF_STRUCTURE + 10;
    if (s.startsWith("ZF0x")) return SNIFF_STRUCTURE;
    if (b0 == 0x78 && (b1 == 0x01 || b1 == 0x5e || b1 == 0x9c || b1 == 0xda) && ((b0 << 8) | b1) % 31 == 0) return SNIFF_STRUCTURE - 10;
    if (b0 == 0x1f && b1 == 0x8b) return SNIFF_WEAK + 2;
    if (s.startsWith("BZh") && s.byte(3) >= 0x31 && s.byte(3) <= 0x39) return SNIFF_WEAK + 2;
    if (b0 == 0xfd && s.startsWith("7zXZ", 1)) return SNIFF_WEAK + 2;
    if (b0 == 0x04 && b1 == 0x22 && s.byte(2) == 0x4d && s.byte(3) == 0x18) return SNIFF_WEAK + 2;
    if (b0 == 0x5d && b1 == 0 && s.byte(2) == 0) return SNIFF_WEAK + 2; // .lzma ("alone") as joblib writes it
    return SNIFF_NO;
  }

  // bz2, xz, lzma, lz4: decoded whole into a capped buffer, then read like a raw dump.
  private indexWhole(ctx: Context, codecName: string): i32 {
    const codec = codecName == "xz" ? CODEC_XZ : codecName == "lzma" ? CODEC_LZMA : codecName == "bz2" ? CODEC_BZ2 : CODEC_LZ4;
    const size = ctx.size;
    if (size > MAX_PICKLE_BYTES) return ctx.fail(E_LIMIT, "joblib: " + size.toString() + " bytes is above the limit of one view", 0);
    const all = ctx.view(0, size);
    if (!all) return ctx.truncated("the joblib file", 0);
    const buf = new StaticArray<usize>(2);
    const err = decodeWholeCodec(codec, all, <usize>size, XZ_CAP, buf);
    if (err !== null) return ctx.fail(E_DECOMPRESS, "joblib: " + codecName + ": " + err, 0);
    ctx.index.format = "joblib";
    ctx.index.formatVersion = codecName;
    const d = new JoblibDriver(ctx);
    d.feed(buf[0], buf[1], true);
    // Arrays are windows of the decoded stream: read jobs decode it again (whole) to read them.
    const st = d.finish(Segment.coded(0, 0, size, codec, 0, <u64>buf[1]), buf[0], buf[1], true);
    // the machine copied what it keeps; the decoded buffer can go
    if (buf[0]) heap.free(buf[0]);
    return st;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    const h = ctx.view(0, size < 32 ? size : 32);
    if (!h) return ctx.truncated("the joblib header", 0);
    const b0 = <i32>load<u8>(h), b1 = size > 1 ? <i32>load<u8>(h + 1) : 0;
    // codecs decoded whole (capped): the arrays stay listed but are not readable in place
    let whole = "";
    if (size >= 4 && b0 == 0x42 && b1 == 0x5a && load<u8>(h + 2) == 0x68 && load<u8>(h + 3) >= 0x31 && load<u8>(h + 3) <= 0x39) whole = "bz2";
    else if (size >= 6 && b0 == 0xfd && b1 == 0x37) whole = "xz";
    else if (size >= 13 && b0 == 0x5d && b1 == 0 && load<u8>(h + 2) == 0) whole = "lzma";
    else if (size >= 7 && load<u32>(h) == 0x184d2204) whole = "lz4";
    if (whole.length) return this.indexWhole(ctx, whole);
    let codec = CODEC_NONE;
    let start: u64 = 0;
    if (b0 == 0x78) codec = CODEC_ZLIB;
    else if (b0 == 0x1f && b1 == 0x8b) codec = CODEC_GZIP;
    else if (b0 == 0x5a && b1 == 0x46) {
      // "ZF" + "0x<hex length>" padded to 19 characters, then one zlib stream (joblib < 0.9.3)
      codec = CODEC_ZLIB;
      start = 2 + 19;
      if (size > start && load<u8>(h + <usize>start) != 0x78) start++;
    }
    if (size > MAX_PICKLE_BYTES) return ctx.fail(E_LIMIT, "joblib: " + size.toString() + " bytes is above the limit of one view", 0);
    const p = ctx.view(0, size);
    if (!p) return ctx.truncated("the joblib file", 0);
    ctx.index.format = "joblib";
    ctx.index.formatVersion = codec == CODEC_NONE ? "raw" : codec == CODEC_ZLIB ? "zlib" : "gzip";
    const d = new JoblibDriver(ctx);
    if (codec == CODEC_NONE) {
      d.feed(p, <usize>size, true);
    } else {
      const inf = new Inflater(codec == CODEC_ZLIB ? INFLATE_ZLIB : INFLATE_GZIP, MAX_STREAM);
      inf.push(p + <usize>start, <usize>(size - start));
      inf.endInput();
      const buf = heap.alloc(PIECE);
      let done = false;
      while (!done && !d.stopped) {
        const got = inf.pull(buf, PIECE);
        if (got < 0) { heap.free(buf); inf.dispose(); return ctx.fail(E_DECOMPRESS, "joblib: " + inf.errorMessage, 0); }
        done = inf.finished || (got == 0 && inf.needsInput);
        d.feed(buf, <usize>got, done);
        if (got == 0 && !done) break;
      }
      heap.free(buf);
      inf.dispose();
    }
    return d.finish(codec == CODEC_NONE ? Segment.raw(0, 0, size) : Segment.coded(0, start, size - start, codec, 0, d.m.pos), p, <usize>size, codec == CODEC_NONE);
  }
}

// Routes the decompressed stream: pickle opcodes to the machine, raw array bytes (counted, their
// range recorded on the wrapper node) and nested object-array pickles to a second machine.
class JoblibDriver {
  ctx: Context;
  m: PickleMachine;
  nested: PickleMachine | null = null;
  rawLeft: u64 = 0;
  padPending: bool = false;
  padLeft: i32 = -1;
  wrapper: i32 = -1;
  wrapperBytes: u64 = 0;
  stopped: bool = false;
  nestedOutcomes: Array<PickleOutcome> = new Array<PickleOutcome>();
  private folder: Folder;
  private aligned: StaticArray<bool> = new StaticArray<bool>(1);

  constructor(ctx: Context) {
    const m = new PickleMachine();
    this.folder = new Folder(m.g);
    this.m = m;
    this.ctx = ctx;
    m.pauseOnBuildOf.push(WRAPPER);
  }

  feed(p: usize, len: usize, last: bool): void {
    let off: usize = 0;
    while (!this.stopped) {
      if (this.padPending) {
        if (off >= len) break;
        const pad = <u64>load<u8>(p + off);
        off++;
        this.m.advance(1);
        this.padPending = false;
        this.rawLeft = pad;
        this.padLeft = 1; // after the padding come the array bytes
        continue;
      }
      if (this.rawLeft > 0) {
        const avail = <u64>(len - off);
        const n = avail < this.rawLeft ? avail : this.rawLeft;
        off += <usize>n;
        this.m.advance(n);
        this.rawLeft -= n;
        if (this.rawLeft > 0) break;
        continue;
      }
      if (this.padLeft == 1) {
        // padding done: the array data starts here
        this.padLeft = -1;
        this.startArray();
        continue;
      }
      if (this.nested) {
        const nm = this.nested!;
        const st = nm.feed(p + off, len - off, last);
        off += nm.consumed;
        this.m.advance(<u64>nm.consumed);
        if (nm.skipRemaining > 0) { const k = nm.skipRemaining; const avail = <u64>(len - off); const n = avail < k ? avail : k; nm.skip(n); off += <usize>n; this.m.advance(n); }
        if (st == Status.STOP || st == Status.ERROR) {
          const nf = new Folder(nm.g).run();
          this.nestedOutcomes.push(new PickleOutcome(nm, nf, buildReport(nm, 0, 0, 1)));
          this.nested = null;
          if (st == Status.ERROR) { this.stopped = true; break; }
          continue;
        }
        break;
      }
      if (off >= len && !last) break;
      const st = this.m.feed(p + off, len - off, last);
      off += this.m.consumed;
      if (this.m.skipRemaining > 0) {
        const k = this.m.skipRemaining;
        const avail = <u64>(len - off);
        const n = avail < k ? avail : k;
        this.m.skip(n);
        off += <usize>n;
        if (this.m.skipRemaining > 0) break;
        continue;
      }
      if (st == Status.PAUSE) { this.afterWrapper(this.m.pausedNode); continue; }
      if (st == Status.STOP) {
        // joblib files hold one pickle; anything after it is reported, as a scanner must
        if (off < len || !last) { continue; }
        this.stopped = true;
        break;
      }
      if (st == Status.ERROR) { this.stopped = true; break; }
      break;
    }
  }

  private afterWrapper(node: i32): void {
    this.wrapper = node;
    this.aligned[0] = false;
    const n = this.folder.joblibRawBytes(node, this.aligned);
    if (n == -2) { this.nested = new PickleMachine(this.m.limits); return; }
    if (n < 0) { this.m.notes.push("NumpyArrayWrapper with a state that is not understood; the rest of the stream cannot be followed"); this.stopped = true; return; }
    this.wrapperBytes = <u64>n;
    if (this.aligned[0]) { this.padPending = true; return; }
    this.startArray();
  }

  private startArray(): void {
    const w = this.m.g.at(this.wrapper);
    w.off = this.m.pos;
    w.len = this.wrapperBytes;
    w.flags |= NFlag.RANGE;
    this.rawLeft = this.wrapperBytes;
  }

  finish(stream: Segment, view: usize, viewLen: usize, viewIsStream: bool): i32 {
    const ctx = this.ctx;
    const m = this.m;
    if (m.opcodes == 0 || (m.error && m.streams == 0 && m.opcodes < 2)) {
      // e.g. a gzip file that holds something else (a tar archive)
      return ctx.fail(E_UNKNOWN_FORMAT, "joblib: the " + (viewIsStream ? "file" : "decompressed data") + " is not a pickle", 0);
    }
    if (m.error && m.g.globals.length == 0 && m.streams == 0) return ctx.fail(E_CORRUPT, "joblib: " + pickleErrorName(m.error) + ": " + m.errorMsg, m.errorPos);
    const fr = this.folder.run();
    const rep = buildReport(m, viewIsStream ? view : 0, viewIsStream ? viewLen : 0, 0);
    const o = new PickleOutcome(m, fr, rep);
    addFindings(ctx.index, rep, "");
    for (let i = 0; i < this.nestedOutcomes.length; i++) addFindings(ctx.index, this.nestedOutcomes[i].report, "object array pickle");
    ctx.index.metadata.set("pickle", pickleFacts(o));
    ctx.index.metadata.set("objects", fr.metadata);
    if (m.streams > 1) ctx.index.addFinding(SEV_HIGH, "joblib-extra-pickle", "data after the joblib pickle is another pickle; joblib.load ignores it but another loader may not", "");
    // side-file arrays (joblib < 0.10)
    for (let i = 0; i < fr.tensors.length; i++) {
      const t = fr.tensors[i];
      if (t.source != "joblib-file") continue;
      const st = this.sideFile(t.storageKey, t.name);
      if (st != ST_DONE) return st;
    }
    const inStream = new Array<i32>();
    for (let i = 0; i < fr.tensors.length; i++) if (fr.tensors[i].source != "joblib-file") inStream.push(i);
    if (inStream.length == fr.tensors.length) addStreamTensors(ctx, fr, stream);
    else {
      const sub = new Folder(m.g).r;
      for (let i = 0; i < inStream.length; i++) sub.tensors.push(fr.tensors[inStream[i]]);
      addStreamTensors(ctx, sub, stream);
    }
    return ST_DONE;
  }

  // An NDArrayWrapper's .npy side file, opened through the sibling rules.
  private sideFile(file: string, name: string): i32 {
    const ctx = this.ctx;
    const src = ctx.sibling(file, "joblib array file");
    if (src == SOURCE_PENDING) return ctx.fail(0, "", 0);
    if (src == SOURCE_FAILED) return -1;
    const size = ctx.sourceSize(src);
    const pre = ctx.viewOf(src, 0, size < 12 ? size : 12);
    if (!pre) return ctx.truncated("an npy side file", 0);
    let h = parseNpyHeader(pre, <usize>(size < 12 ? size : 12));
    if (h.errorCode == -1 && h.headerLength <= size) {
      const full = ctx.viewOf(src, 0, h.headerLength);
      if (!full) return ctx.truncated("an npy side file header", 0);
      h = parseNpyHeader(full, <usize>h.headerLength);
    }
    if (h.errorCode) return ctx.fail(h.errorCode == -1 ? E_CORRUPT : h.errorCode, "joblib side file \"" + file + "\": " + h.error, 0);
    const avail = size >= h.headerLength ? size - h.headerLength : 0;
    const seg = Segment.raw(src, h.headerLength, h.dataLength <= avail ? h.dataLength : avail);
    const t = npyTensor(name, h, seg);
    ctx.index.addTensor(t);
    // an object array side file is a pickle joblib.load runs: scanned like the main one
    if (h.descr.dtype == DT_OBJECT) return onObjectArray(ctx, src, h.headerLength, avail, file);
    return ST_DONE;
  }
}

