// word2vec vectors (the original C tool's format, as gensim's load_word2vec_format reads it).
//
//   binary: "<vocab> <dim>\n", then vocab x (word bytes, ' ', dim x f32 little-endian[, '\n'])
//   text:   "<vocab> <dim>\n", then vocab lines "word v1 ... vdim" (also fastText's .vec)
//
// The embedding matrix is the tensor "vectors" [vocab, dim]. In the binary form each row sits
// after its word, so the read plan is one segment per row; the text form holds decimal text,
// listed with its shape but not readable as numbers.

import { Context, ST_DONE } from "../../core/context";
import { DT_F32 } from "../../core/dtype";
import { E_CORRUPT, E_INVALID_HEADER, E_LIMIT, E_TRUNCATED } from "../../core/errors";
import { Plan, Segment, SEV_LOW, strArray, Tensor } from "../../core/model";
import { Cursor, decodeWord } from "../cursor";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE } from "../format";

// Each binary row is one read-plan segment (~64 bytes of core memory): 10M rows stay far below
// the 4 GiB address space (GoogleNews has 3M, the largest fastText .vec files 2M).
const MAX_VOCAB: u64 = 10_000_000;
const MAX_DIM: u64 = 1 << 16;
const MAX_WORD_BYTES: u64 = 1 << 16;
const MAX_HEADER: usize = 64;
const FIRST_WORDS: i32 = 5;

export class W2vHeader {
  vocab: u64 = 0;
  dim: u64 = 0;
  length: usize = 0; // bytes including the newline
  text: string = "";
}

// "<int> <int>" (spaces or tabs around), then '\n'; null when the head is not that.
export function parseW2vHeader(p: usize, n: usize): W2vHeader | null {
  const lim = n < MAX_HEADER ? n : MAX_HEADER;
  let i: usize = 0;
  const nums = new Array<u64>();
  while (i < lim) {
    const c = load<u8>(p + i);
    if (c == 0x0a) break;
    if (c == 0x20 || c == 0x09 || c == 0x0d) { i++; continue; }
    if (c < 0x30 || c > 0x39) return null;
    let v: u64 = 0;
    while (i < lim) {
      const d = load<u8>(p + i);
      if (d < 0x30 || d > 0x39) break;
      if (v > 1_000_000_000_000) return null;
      v = v * 10 + <u64>(d - 0x30);
      i++;
    }
    nums.push(v);
  }
  if (i >= lim || nums.length != 2) return null;
  const h = new W2vHeader();
  h.vocab = nums[0];
  h.dim = nums[1];
  h.length = i + 1;
  h.text = String.UTF8.decodeUnsafe(p, i, false).trim();
  return h;
}

function isNumberByte(c: u8): bool {
  return (c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x2d || c == 0x2b || c == 0x65 || c == 0x45 || c == 0x20 || c == 0x09 || c == 0x0d;
}

// 1 = binary, 2 = text, 0 = neither, judged from the first row in the sniff window.
export function w2vKind(p: usize, n: usize, h: W2vHeader, fileSize: u64): i32 {
  if (h.dim == 0 || h.dim > MAX_DIM || h.vocab > MAX_VOCAB) return 0;
  let i = h.length;
  while (i < n && load<u8>(p + i) == 0x0a) i++;
  const wordStart = i;
  while (i < n && load<u8>(p + i) != 0x20 && load<u8>(p + i) != 0x0a) i++;
  if (i >= n || i == wordStart || load<u8>(p + i) != 0x20) return 0;
  const valStart = i + 1;
  // Text: the rest of the line is dim numbers.
  let j = valStart;
  let tokens: u64 = 0;
  let inTok = false;
  let textOk = true;
  while (j < n && load<u8>(p + j) != 0x0a) {
    const c = load<u8>(p + j);
    if (!isNumberByte(c)) { textOk = false; break; }
    const sep = c == 0x20 || c == 0x09 || c == 0x0d;
    if (!sep && !inTok) tokens++;
    inTok = !sep;
    j++;
  }
  if (textOk && j < n && tokens == h.dim) return 2;
  // Binary: dim x 4 bytes, then the end of the file, a newline or the next word.
  const end = <u64>valStart + h.dim * 4;
  if (end > fileSize) {
    // A cut-short binary file: the row's bytes are not text.
    for (let k = valStart; k < n; k++) {
      const c = load<u8>(p + k);
      if (c < 0x09 || (c > 0x0d && c < 0x20) || c >= 0x7f) return 1;
    }
    return 0;
  }
  if (end == fileSize) return h.vocab == 1 ? 1 : 0;
  if (end >= <u64>n) return 1; // the row runs past the sniff window: the header decides
  const next = load<u8>(p + <usize>end);
  return next == 0x0a || next > 0x20 ? 1 : 0;
}

class W2vProgress {
  row: u64 = 0;
  pos: u64 = 0;
  plan: Plan = new Plan();
  first: string[] = [];
}

function progress(ctx: Context, h: W2vHeader): W2vProgress {
  const key = "word2vec:progress";
  if (ctx.memo.has(key)) return changetype<W2vProgress>(ctx.memo.get(key));
  const pr = new W2vProgress();
  pr.pos = <u64>h.length;
  pr.plan.storage = DT_F32;
  ctx.memo.set(key, pr);
  return pr;
}

function firstToken(p: usize, n: usize): string {
  let k: usize = 0;
  while (k < n && load<u8>(p + k) != 0x20) k++;
  return decodeWord(p, k);
}

export class Word2VecFormat extends FormatModule {
  get id(): string { return "word2vec"; }

  sniff(s: Sniff): i32 {
    const h = parseW2vHeader(s.head, s.headLen);
    if (!h) return SNIFF_NO;
    return w2vKind(s.head, s.headLen, h, s.size) ? SNIFF_STRUCTURE : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const idx = ctx.index;
    idx.format = "word2vec";
    const size = ctx.size;
    const hn = size < 4096 ? size : 4096;
    const hp = ctx.view(0, hn);
    if (!hp) return ctx.truncated("the word2vec header", 0);
    const h = parseW2vHeader(hp, <usize>hn);
    if (!h) return ctx.fail(E_INVALID_HEADER, "word2vec: the file must start with a line \"<vocabulary size> <dimension>\"", 0);
    if (h.vocab > MAX_VOCAB) return ctx.fail(E_LIMIT, "word2vec: a vocabulary of " + h.vocab.toString() + " words exceeds the limit of " + MAX_VOCAB.toString(), 0);
    if (h.dim == 0 || h.dim > MAX_DIM) return ctx.fail(E_INVALID_HEADER, "word2vec: dimension " + h.dim.toString() + " is outside 1.." + MAX_DIM.toString(), 0);
    const kind = w2vKind(hp, <usize>hn, h, size);
    const meta = idx.metadata;
    meta.setStr("header", h.text);
    meta.setU64("vocab_size", h.vocab);
    meta.setU64("dim", h.dim);
    meta.setStr("encoding", kind == 2 ? "text" : "binary");
    idx.formatVersion = kind == 2 ? "text" : "binary";
    return kind == 2 ? this.text(ctx, h) : this.binary(ctx, h);
  }

  // Rows are walked once: progress is kept in ctx.memo at each row start, so a re-run after a
  // cache miss resumes there instead of re-reading the file from the top (a multi-GB file
  // would otherwise cost a quadratic walk and outgrow the window cache).
  private binary(ctx: Context, h: W2vHeader): i32 {
    const pr = progress(ctx, h);
    const c = new Cursor(ctx, 0, pr.pos);
    const rowBytes = h.dim * 4;
    for (let i: u64 = pr.row; i < h.vocab; i++) {
      pr.row = i;
      pr.pos = c.pos;
      // gensim strips newlines before a word (the optional '\n' after each row).
      while (true) {
        const b = c.byte();
        if (b < 0) return c.ended ? this.short(ctx, i, h) : ctx.truncated("word2vec row " + i.toString(), c.pos);
        if (b != 0x0a) break;
        c.skip(1);
      }
      const at = c.pos;
      const n = c.until(0x20, MAX_WORD_BYTES);
      if (n == -2) return ctx.fail(E_CORRUPT, "word2vec: word " + i.toString() + " has no space within " + MAX_WORD_BYTES.toString() + " bytes", at);
      if (n < 0) return c.ended ? this.short(ctx, i, h) : ctx.truncated("word2vec word " + i.toString(), at);
      if (rowBytes > c.remaining) return this.short(ctx, i, h);
      if (pr.first.length < FIRST_WORDS) pr.first.push(decodeWord(c.lastPtr, <usize>n));
      pr.plan.segments.push(Segment.raw(0, c.pos, rowBytes));
      c.skip(rowBytes);
    }
    pr.row = h.vocab;
    pr.pos = c.pos;
    let trailing = c.remaining;
    if (trailing == 1) {
      const b = c.byte();
      if (b < 0) return ctx.truncated("the end of the word2vec file", c.pos);
      if (b == 0x0a) trailing = 0;
    }
    if (trailing > 0) ctx.index.addFinding(SEV_LOW, "trailing-bytes", "word2vec: " + trailing.toString() + " bytes follow the last vector; readers ignore them.", "offset " + c.pos.toString());
    ctx.index.metadata.set("first_words", strArray(pr.first));
    const t = new Tensor("vectors", DT_F32, [h.vocab, h.dim], h.vocab * rowBytes);
    t.plan = pr.plan;
    ctx.index.addTensor(t);
    return ST_DONE;
  }

  private text(ctx: Context, h: W2vHeader): i32 {
    const pr = progress(ctx, h);
    const c = new Cursor(ctx, 0, pr.pos);
    for (let i: u64 = pr.row; i < h.vocab; i++) {
      pr.row = i;
      pr.pos = c.pos;
      const at = c.pos;
      const n = c.until(0x0a, MAX_WORD_BYTES + h.dim * 64);
      if (n == -2) return ctx.fail(E_CORRUPT, "word2vec: line " + (i + 2).toString() + " is too long", at);
      if (n < 0) {
        if (!c.ended) return ctx.truncated("word2vec line " + (i + 2).toString(), at);
        // The last line may lack its newline.
        if (i + 1 != h.vocab || c.remaining == 0) return this.short(ctx, i, h);
        const p = c.peek(c.remaining);
        if (!p) return ctx.truncated("word2vec line " + (i + 2).toString(), at);
        if (pr.first.length < FIRST_WORDS) pr.first.push(firstToken(p, <usize>c.remaining));
        c.skip(c.remaining);
        break;
      }
      if (pr.first.length < FIRST_WORDS) pr.first.push(firstToken(c.lastPtr, <usize>n));
    }
    pr.row = h.vocab;
    pr.pos = c.pos;
    ctx.index.metadata.set("first_words", strArray(pr.first));
    const t = new Tensor("vectors", DT_F32, [h.vocab, h.dim], h.vocab * h.dim * 4);
    const plan = new Plan();
    plan.storage = DT_F32;
    plan.unreadable = "word2vec: the vectors are stored as decimal text";
    t.plan = plan;
    ctx.index.addTensor(t);
    return ST_DONE;
  }

  private short(ctx: Context, row: u64, h: W2vHeader): i32 {
    return ctx.fail(E_TRUNCATED, "word2vec: the header promises " + h.vocab.toString() + " vectors of dimension " + h.dim.toString() + " but the file ends at vector " + row.toString(), ctx.size);
  }
}
