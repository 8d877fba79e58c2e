// Legacy GGML containers (before GGUF): llama.cpp's GGMF and GGJT (v1-v3), and the unversioned
// "ggml" files still written by ggml's example programs and whisper.cpp (whisper, parakeet,
// silero VAD, gpt-2/gpt-j/neox-style, llama).
//
// All of them end in the same tensor records, until end of file:
//   u32 n_dims, u32 name_len, u32 type, u32 ne[n_dims] (ne0 first), name, [GGJT: zero padding to
//   a multiple of 32 of the absolute file offset], data.
// GGMF/GGJT have a fixed llama header. The unversioned files have a model-specific header with no
// length prefix, so the reader finds the first offset from which tensor records chain exactly to
// the end of the file, then names the header by trying the known layouts on the bytes before it.
// Block layouts changed between eras (see kernels/ggml-types.ts): GGJT v1/v2 and ggml quantization
// versions 0/1 map type ids 2-8 onto the era's layouts.

import { Context, ST_DONE, ST_FAILED } from "../../core/context";
import { dtypeForGgmlType, shapeElements } from "../../core/dtype";
import { E_BAD_SHAPE, E_INVALID_HEADER, E_LIMIT, E_UNSUPPORTED } from "../../core/errors";
import { Plan, SEV_INFO, SEV_LOW, shapeArray, Tensor } from "../../core/model";
import { ggmlBlockElements, ggmlRowBytes, ggmlTypeName, GGML_TYPE_COUNT } from "../../kernels/ggml-types";
import { JArr, JInt, JObj, JStr } from "../../util/json";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NO } from "../format";

const MAGIC_GGML: u32 = 0x67676d6c; // "lmgg" on disk
const MAGIC_GGMF: u32 = 0x67676d66;
const MAGIC_GGJT: u32 = 0x67676a74;
const MAGIC_GGLA: u32 = 0x67676c61;
const MAGIC_GGSN: u32 = 0x6767736e;
const MAGIC_GGSQ: u32 = 0x67677371;

const MAX_NAME: u32 = 4096;
const MAX_RECORDS: i32 = 1_000_000;
const MAX_VOCAB: u32 = 10_000_000;
// How far into an unversioned file the first tensor record is looked for.
const SCAN_WINDOW: u64 = 32 * 1024 * 1024;
const SCAN_FIRST: u64 = 1024 * 1024;

// Layout eras: 0 = current (GGJT v3, quantization version 2), 1 = GGJT v2 / qntvr 1,
// 2 = GGJT v1, GGMF / qntvr 0.
const ERA_CURRENT = 0, ERA_V2 = 1, ERA_V1 = 2;
const ERA_NAMES: string[] = ["current", "ggjt-v2", "ggjt-v1"];

function eraType(type: u32, era: i32): i32 {
  if (era == ERA_V2) {
    if (type == 2) return 1007;
    if (type == 3) return 1008;
    if (type == 8) return 1006;
    if (type == 4 || type == 5) return -1;
  } else if (era == ERA_V1) {
    if (type >= 2 && type <= 8) return 1000 + <i32>type - 2;
    if (type == 9 || (type >= 10 && type <= 23)) return -1; // Q8_1 and K-quants came later
  }
  if (type >= <u32>GGML_TYPE_COUNT) return -1;
  return ggmlBlockElements(<i32>type) > 0 ? <i32>type : -1;
}

class Record {
  constructor(public name: string, public ne: u64[], public type: i32, public rawType: u32, public dataOffset: u64, public nbytes: u64) {}
}

export class GGMLFormat extends FormatModule {
  get id(): string { return "ggml"; }

  sniff(s: Sniff): i32 {
    if (s.headLen < 4) return SNIFF_NO;
    const m = load<u32>(s.head);
    if (m == MAGIC_GGML || m == MAGIC_GGMF || m == MAGIC_GGJT || m == MAGIC_GGLA || m == MAGIC_GGSN || m == MAGIC_GGSQ) return SNIFF_MAGIC;
    return SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    const p = ctx.view(0, size < 8 ? size : 8);
    if (!p) return ctx.truncated("the header", 0);
    if (size < 8) return ctx.fail(E_INVALID_HEADER, "ggml: the file has only " + size.toString() + " bytes", 0);
    const magic = load<u32>(p);
    const idx = ctx.index;
    idx.format = "ggml";
    if (magic == MAGIC_GGLA) return ctx.fail(E_UNSUPPORTED, "ggml: this is a llama.cpp LoRA adapter in the old GGLA format, not a model; convert it with llama.cpp's convert_lora_to_gguf.py", 0);
    if (magic == MAGIC_GGSN || magic == MAGIC_GGSQ) return ctx.fail(E_UNSUPPORTED, "ggml: this is a llama.cpp session/state file, not a model", 0);
    if (magic == MAGIC_GGMF || magic == MAGIC_GGJT) return indexLlama(ctx, magic, load<u32>(p + 4));
    return indexUnversioned(ctx);
  }
}

// --- tensor records -----------------------------------------------------------------------------

// Parses records from `off` to the end of the file. Returns the records, or null when a record
// is implausible or the chain does not end exactly at EOF (`ctx.pending()` tells a cache miss).
// `strict` reports the first broken rule as the error instead of returning null quietly.
// `dead` (scan only) holds record positions of chains that already failed: a chain reaching one
// fails the same way, so each position is walked once and the scan stays linear.
function chain(ctx: Context, off: u64, era: i32, align32: bool, strict: bool, dead: Set<u64> | null = null): Record[] | null {
  const size = ctx.size;
  const out = new Array<Record>();
  let pos = off;
  while (pos < size) {
    if (dead !== null) {
      if (dead.has(pos)) { markDead(dead, off); return null; }
    }
    if (out.length >= MAX_RECORDS) { if (strict) ctx.fail(E_LIMIT, "ggml: more than " + MAX_RECORDS.toString() + " tensor records", pos); return null; }
    if (size - pos < 12) { if (strict) ctx.fail(E_INVALID_HEADER, "ggml: " + (size - pos).toString() + " stray bytes after the last tensor", pos); return null; }
    const h = ctx.view(pos, 12);
    if (!h) { if (strict) ctx.truncated("a tensor record", pos); return null; }
    const nDims = load<u32>(h), nameLen = load<u32>(h + 4), rawType = load<u32>(h + 8);
    if (nDims > 4 || nameLen == 0 || nameLen > MAX_NAME) {
      if (strict) ctx.fail(nDims > 4 ? E_BAD_SHAPE : E_INVALID_HEADER, "ggml: the tensor record at offset " + pos.toString() + " has " + nDims.toString() + " dimensions and a " + nameLen.toString() + "-byte name", pos);
      return null;
    }
    const type = eraType(rawType, era);
    if (type < 0) {
      if (strict) ctx.fail(E_UNSUPPORTED, "ggml: the tensor record at offset " + pos.toString() + " has type id " + rawType.toString() + ", unknown in the " + ERA_NAMES[era] + " layout era", pos);
      return null;
    }
    const rest: u64 = 4 * <u64>nDims + <u64>nameLen;
    if (rest > size - pos - 12) { if (strict) ctx.truncated("a tensor record", pos); return null; }
    const b = ctx.view(pos + 12, rest);
    if (!b) { if (strict) ctx.truncated("a tensor record", pos); return null; }
    const ne = new Array<u64>();
    for (let d: u32 = 0; d < nDims; d++) ne.push(<u64>load<u32>(b + 4 * d));
    const namePtr = b + 4 * nDims;
    for (let i: u32 = 0; i < nameLen; i++) {
      const ch = load<u8>(namePtr + i);
      if (ch < 0x20 || ch > 0x7e) {
        if (strict) ctx.fail(E_INVALID_HEADER, "ggml: the tensor name at offset " + (pos + 12 + 4 * <u64>nDims).toString() + " is not printable ASCII", pos);
        return null;
      }
    }
    const name = String.UTF8.decodeUnsafe(namePtr, nameLen, false);
    const blk = <u64>ggmlBlockElements(type);
    if (nDims > 0 && ne[0] % blk != 0) {
      if (strict) ctx.fail(E_BAD_SHAPE, "ggml: tensor \"" + name + "\" has rows of " + ne[0].toString() + " elements, not a multiple of the " + ggmlTypeName(type) + " block", pos);
      return null;
    }
    const nel = shapeElements(ne);
    const nbytes = nel == u64.MAX_VALUE ? u64.MAX_VALUE : ggmlRowBytes(type, nel);
    let data = pos + 12 + rest;
    if (align32) data = (data + 31) & ~(<u64>31);
    if (nbytes == u64.MAX_VALUE || data > size || nbytes > size - data) {
      if (strict) ctx.fail(E_INVALID_HEADER, "ggml: tensor \"" + name + "\" (" + ggmlTypeName(type) + ", " + (nbytes == u64.MAX_VALUE ? "too many" : nbytes.toString()) + " bytes) runs past the end of the file", pos);
      return null;
    }
    out.push(new Record(name, ne, type, rawType, data, nbytes));
    if (dead !== null) lastStarts.push(pos);
    pos = data + nbytes;
  }
  return out;
}

// Record starts of the chain being walked by the scan (see `dead`).
const lastStarts = new Array<u64>();

function markDead(dead: Set<u64>, off: u64): void {
  for (let i = 0; i < lastStarts.length; i++) dead.add(lastStarts[i]);
  dead.add(off);
  lastStarts.length = 0;
}

function addRecords(ctx: Context, recs: Record[]): void {
  const names = new Set<string>();
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    const shape = new Array<u64>();
    for (let d = r.ne.length - 1; d >= 0; d--) shape.push(r.ne[d]);
    const dt = dtypeForGgmlType(r.type);
    const t = new Tensor(r.name, dt, shape, r.nbytes);
    const info = new JObj();
    info.setU64("ggml_type", r.rawType);
    info.set("ggml_ne", shapeArray(r.ne));
    info.setU64("offset", r.dataOffset);
    t.info = info;
    t.plan = Plan.single(0, r.dataOffset, r.nbytes, dt);
    if (names.has(r.name)) ctx.index.addFinding(SEV_LOW, "ggml-duplicate-name", "Two tensors are named \"" + r.name + "\"; loaders keep one of them.", r.name);
    names.add(r.name);
    ctx.index.addTensor(t);
  }
}

// --- llama.cpp GGMF / GGJT ----------------------------------------------------------------------

function indexLlama(ctx: Context, magic: u32, version: u32): i32 {
  const isJT = magic == MAGIC_GGJT;
  const fmt = isJT ? "ggjt" : "ggmf";
  if ((isJT && (version < 1 || version > 3)) || (!isJT && version != 1)) {
    return ctx.fail(E_INVALID_HEADER, "ggml: unsupported " + fmt + " version " + version.toString(), 4);
  }
  ctx.index.formatVersion = fmt + "-v" + version.toString();
  const size = ctx.size;
  const hp = ctx.view(8, 28);
  if (!hp) return ctx.truncated("the llama hyperparameters", 8);
  const names = ["n_vocab", "n_embd", "n_mult", "n_head", "n_layer", "n_rot", "ftype"];
  const hparams = new JObj();
  for (let i = 0; i < 7; i++) hparams.setU64(names[i], load<u32>(hp + 4 * i));
  const nVocab = load<u32>(hp);
  ctx.index.metadata.setStr("kind", "llama");
  ctx.index.metadata.set("hparams", hparams);
  let pos: u64 = 36;
  if (nVocab > MAX_VOCAB || <u64>nVocab * 8 > size - pos) return ctx.fail(E_INVALID_HEADER, "ggml: n_vocab " + nVocab.toString() + " does not fit in the file", 8);
  const r = readVocab(ctx, pos, nVocab, true);
  if (r == u64.MAX_VALUE) return ctx.pending() ? ctx.truncated("the vocabulary", pos) : ST_FAILED;
  pos = r;
  ctx.index.metadata.setU64("vocab_count", nVocab);
  const era = isJT ? (version == 1 ? ERA_V1 : version == 2 ? ERA_V2 : ERA_CURRENT) : ERA_V1;
  const recs = chain(ctx, pos, era, isJT, true);
  if (!recs) return ST_FAILED;
  addRecords(ctx, recs);
  return ST_DONE;
}

// Reads n vocab entries {u32 len, bytes[, f32 score]} from pos; returns the end offset, or
// u64.MAX_VALUE (error set, or pending). Keeps the first three tokens as metadata.
function readVocab(ctx: Context, pos: u64, n: u32, scores: bool): u64 {
  const size = ctx.size;
  const first = new JArr();
  for (let i: u32 = 0; i < n; i++) {
    if (size - pos < 4) { ctx.fail(E_INVALID_HEADER, "ggml: the vocabulary runs past the end of the file", pos); return u64.MAX_VALUE; }
    const lp = ctx.view(pos, 4);
    if (!lp) return u64.MAX_VALUE;
    const len = <u64>load<u32>(lp);
    pos += 4;
    const need = len + (scores ? 4 : 0);
    if (need > size - pos) { ctx.fail(E_INVALID_HEADER, "ggml: vocabulary entry " + i.toString() + " declares " + len.toString() + " bytes, past the end of the file", pos - 4); return u64.MAX_VALUE; }
    if (i < 3) {
      const tp = ctx.view(pos, len);
      if (!tp) return u64.MAX_VALUE;
      first.push(new JStr(String.UTF8.decodeUnsafe(tp, <usize>len, false)));
    }
    pos += need;
  }
  ctx.index.metadata.set("first_tokens", first);
  return pos;
}

// --- unversioned "ggml" -------------------------------------------------------------------------

function indexUnversioned(ctx: Context): i32 {
  const size = ctx.size;
  // Find where the tensor records start: the first offset from which they chain to EOF. The
  // window grows from 1 MiB so a remote file is not fetched further than its header needs.
  let start: u64 = size;
  let recs: Record[] = [];
  let era = ERA_CURRENT;
  let from: u64 = 8;
  let win: u64 = size < SCAN_FIRST ? size : SCAN_FIRST;
  const dead = [new Set<u64>(), new Set<u64>(), new Set<u64>()]; // per era
  while (start == size) {
    const w = ctx.view(0, win);
    if (!w) return ctx.truncated("the header", 0);
    for (let e = ERA_CURRENT; e <= ERA_V1 && start == size; e++) {
      for (let p: u64 = from; p + 12 <= win; p++) {
        if (!plausibleRecord(w, win, p, size, e) || dead[e].has(p)) continue;
        lastStarts.length = 0;
        const r = chain(ctx, p, e, false, false, dead[e]);
        if (ctx.pending()) return ctx.truncated("the tensor records", p);
        if (r !== null) { start = p; recs = r; era = e; break; }
        markDead(dead[e], p);
      }
    }
    if (win >= size || win >= SCAN_WINDOW) break;
    from = win - 11 > from ? win - 11 : from;
    win = win * 4 > SCAN_WINDOW ? SCAN_WINDOW : win * 4;
    if (win > size) win = size;
  }
  if (start == size && size > SCAN_WINDOW) {
    return ctx.fail(E_INVALID_HEADER, "ggml: no run of tensor records reaching the end of the file starts in its first " + (SCAN_WINDOW >> 20).toString() + " MiB (a damaged file, or a header layout this reader does not know)", 0);
  }
  if (era != ERA_CURRENT) ctx.index.metadata.setStr("layout_era", ERA_NAMES[era]);
  const st = describeHeader(ctx, start);
  if (st != ST_DONE) return st;
  addRecords(ctx, recs);
  return ST_DONE;
}

// Cheap test of the record header at p inside the window (no views).
function plausibleRecord(w: usize, wlen: u64, p: u64, size: u64, era: i32): bool {
  const nDims = load<u32>(w + <usize>p);
  if (nDims > 4) return false;
  const nameLen = load<u32>(w + <usize>p + 4);
  if (nameLen == 0 || nameLen > MAX_NAME) return false;
  if (eraType(load<u32>(w + <usize>p + 8), era) < 0) return false;
  const nameAt = p + 12 + 4 * <u64>nDims;
  if (nameAt + <u64>nameLen > wlen) return nameAt + <u64>nameLen <= size;
  for (let i: u64 = 0; i < <u64>nameLen; i++) {
    const ch = load<u8>(w + <usize>(nameAt + i));
    if (ch < 0x20 || ch > 0x7e) return false;
  }
  return true;
}

// Names the model-specific header in [4, end) by the layouts ggml's and whisper.cpp's writers
// use; a header no layout explains is kept as its size only.
function describeHeader(ctx: Context, end: u64): i32 {
  const m = ctx.index.metadata;
  const hdr = ctx.view(0, end);
  if (!hdr) return ctx.truncated("the header", 0);
  if (tryWhisper(ctx, new HeaderReader(hdr, end), m)) return ctx.errorCode != 0 ? ST_FAILED : ST_DONE;
  if (tryParakeet(ctx, new HeaderReader(hdr, end), m)) return ctx.errorCode != 0 ? ST_FAILED : ST_DONE;
  if (trySilero(new HeaderReader(hdr, end), m)) return ST_DONE;
  for (let k = 6; k <= 8; k++) {
    if (tryGpt(new HeaderReader(hdr, end), m, k)) return ST_DONE;
  }
  if (tryLlama(new HeaderReader(hdr, end), m)) return ST_DONE;
  m.setStr("kind", "unknown");
  m.setU64("header_bytes", end - 4);
  ctx.index.addFinding(SEV_INFO, "ggml-unknown-header", "The " + (end - 4).toString() + "-byte model header matches no known ggml example layout (whisper, parakeet, silero, gpt-2/gpt-j/neox, llama); only the tensors are listed.", "");
  return ST_DONE;
}

class HeaderReader {
  pos: u64 = 4; // after the magic
  ok: bool = true;
  constructor(public p: usize, public end: u64) {}
  i32(): i32 {
    if (!this.ok || this.end - this.pos < 4) { this.ok = false; return 0; }
    const v = load<i32>(this.p + <usize>this.pos);
    this.pos += 4;
    return v;
  }
  skip(n: u64): void {
    if (!this.ok || n > this.end - this.pos) { this.ok = false; return; }
    this.pos += n;
  }
  str(n: u64): string {
    if (!this.ok || n > this.end - this.pos) { this.ok = false; return ""; }
    const s = String.UTF8.decodeUnsafe(this.p + <usize>this.pos, <usize>n, false);
    this.pos += n;
    return s;
  }
  // A vocabulary of n entries {u32 len, bytes}; the first three are returned.
  vocab(n: i32): JArr {
    const first = new JArr();
    if (n < 0 || <u64>n * 4 > this.end - this.pos) { this.ok = false; return first; }
    for (let i = 0; i < n && this.ok; i++) {
      const len = this.i32();
      if (len < 0) { this.ok = false; break; }
      if (i < 3) first.push(new JStr(this.str(<u64>len)));
      else this.skip(<u64>len);
    }
    return first;
  }
  done(): bool { return this.ok && this.pos == this.end; }
}

function hparamsObj(r: HeaderReader, names: string[]): JObj {
  const o = new JObj();
  for (let i = 0; i < names.length; i++) o.set(names[i], new JInt(r.i32()));
  return o;
}

// ggml example programs store the quantization version in ftype's thousands.
function setQuantizationVersion(m: JObj, ftype: i64): void {
  m.setInt("quantization_version", ftype / 1000);
}

const WHISPER_HP = ["n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer", "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels", "ftype"];

function tryWhisper(ctx: Context, r: HeaderReader, m: JObj): bool {
  const hp = hparamsObj(r, WHISPER_HP);
  const nMel = r.i32(), nFft = r.i32();
  if (!r.ok || nMel < 0 || nFft < 0 || <u64>nMel * <u64>nFft * 4 > r.end - r.pos) return false;
  r.skip(<u64>nMel * <u64>nFft * 4);
  const nVocab = r.i32();
  const first = r.vocab(nVocab);
  if (!r.done()) return false;
  m.setStr("kind", "whisper");
  m.set("hparams", hp);
  const mel = new JArr();
  mel.push(new JInt(nMel));
  mel.push(new JInt(nFft));
  m.set("mel_filters", mel);
  m.setInt("vocab_count", nVocab);
  m.set("first_tokens", first);
  setQuantizationVersion(m, (<JInt>hp.get("ftype")!).value);
  return true;
}

const PARAKEET_HP = ["n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer", "n_mels", "ftype", "n_fft", "subsampling_factor", "n_subsampling_channels", "n_conv_kernel", "n_pred_dim", "n_pred_layers", "n_tdt_durations", "n_max_tokens"];

function tryParakeet(ctx: Context, r: HeaderReader, m: JObj): bool {
  const hp = hparamsObj(r, PARAKEET_HP);
  const nMel = r.i32(), nBins = r.i32();
  if (!r.ok || nMel < 0 || nBins < 0 || <u64>nMel * <u64>nBins * 4 > r.end - r.pos) return false;
  r.skip(<u64>nMel * <u64>nBins * 4);
  const win = r.i32();
  if (!r.ok || win < 0) return false;
  r.skip(<u64>win * 4);
  const nTdt = (<JInt>hp.get("n_tdt_durations")!).value;
  if (nTdt < 0 || nTdt > 1024) return false;
  const tdt = new JArr();
  for (let i: i64 = 0; i < nTdt; i++) tdt.push(new JInt(r.i32()));
  const nVocab = r.i32();
  const first = r.vocab(nVocab);
  if (!r.done()) return false;
  m.setStr("kind", "parakeet");
  m.set("hparams", hp);
  const mel = new JArr();
  mel.push(new JInt(nMel));
  mel.push(new JInt(nBins));
  m.set("mel_filters", mel);
  m.setInt("window_len", win);
  m.set("tdt_durations", tdt);
  m.setInt("vocab_count", nVocab);
  m.set("first_tokens", first);
  // whisper.cpp refuses these: the STFT needs a window.
  const nFft = (<JInt>hp.get("n_fft")!).value;
  if (nFft <= 0) ctx.fail(E_INVALID_HEADER, "ggml: parakeet hyperparameter n_fft is " + nFft.toString() + "; the model needs a positive FFT size (whisper.cpp refuses this file)", 4 + 7 * 4);
  else if (<i64>win != nFft) ctx.fail(E_INVALID_HEADER, "ggml: parakeet window has " + win.toString() + " samples but n_fft is " + nFft.toString(), 4);
  return true;
}

function trySilero(r: HeaderReader, m: JObj): bool {
  const len = r.i32();
  if (!r.ok || len <= 0 || len > 256) return false;
  const kind = r.str(<u64>len);
  if (!r.ok || !kind.startsWith("silero")) return false;
  const version = new JArr();
  for (let i = 0; i < 3; i++) version.push(new JInt(r.i32()));
  if (!r.ok) return false;
  m.setStr("kind", "silero");
  m.setStr("model_type", kind);
  m.set("version", version);
  m.setU64("hparams_bytes", r.end - r.pos);
  return true;
}

function tryGpt(r: HeaderReader, m: JObj, k: i32): bool {
  const names = k == 6 ? ["n_vocab", "n_ctx", "n_embd", "n_head", "n_layer", "ftype"]
    : k == 7 ? ["n_vocab", "n_ctx", "n_embd", "n_head", "n_layer", "n_rot", "ftype"]
    : ["n_vocab", "n_ctx", "n_embd", "n_head", "n_layer", "n_rot", "par_res", "ftype"];
  const hp = hparamsObj(r, names);
  const nVocab = r.i32();
  if (!r.ok || <i64>nVocab != (<JInt>hp.get("n_vocab")!).value) return false;
  const first = r.vocab(nVocab);
  if (!r.done()) return false;
  m.setStr("kind", k == 6 ? "gpt-2" : k == 7 ? "gpt-j" : "gpt-neox");
  m.set("hparams", hp);
  m.setInt("vocab_count", nVocab);
  m.set("first_tokens", first);
  setQuantizationVersion(m, (<JInt>hp.get("ftype")!).value);
  return true;
}

function tryLlama(r: HeaderReader, m: JObj): bool {
  const hp = hparamsObj(r, ["n_vocab", "n_embd", "n_mult", "n_head", "n_layer", "n_rot", "ftype"]);
  const nVocab = (<JInt>hp.get("n_vocab")!).value;
  if (!r.ok || nVocab < 0 || nVocab > <i64>MAX_VOCAB) return false;
  const first = r.vocab(<i32>nVocab);
  if (!r.done()) return false;
  m.setStr("kind", "llama");
  m.set("hparams", hp);
  m.setInt("vocab_count", nVocab);
  m.set("first_tokens", first);
  return true;
}
