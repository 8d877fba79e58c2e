// fastText .bin / .ftz (fastText src/fasttext.cc, args.cc, dictionary.cc; gensim _fasttext_bin.py).
//
//   [i32 magic 793712314, i32 version]      absent in pre-2017 files, which start with Args.dim
//   Args: i32 dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate, f64 t
//   Dictionary: i32 size nwords nlabels, i64 ntokens, [i64 pruneidx_size],
//               size x (word NUL, i64 count, i8 type), pruneidx_size x (i32, i32)
//   [bool quant_input] matrix: i64 m, i64 n, m*n f32  (or a product-quantized QMatrix)
//   [bool qout]        matrix (the output layer)
//
// The two matrices become tensors "input_matrix" (words + hashed n-gram buckets) and
// "output_matrix". Counts read from the file are capped before any loop depends on them.

import { Context, ST_DONE } from "../../core/context";
import { DT_F32, DT_U8 } from "../../core/dtype";
import { E_CORRUPT, E_INVALID_HEADER, E_LIMIT } from "../../core/errors";
import { Plan, SEV_LOW, strArray, Tensor } from "../../core/model";
import { JNull, JObj } from "../../util/json";
import { Cursor, decodeWord } from "../cursor";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NO, SNIFF_STRUCTURE } from "../format";

export const FASTTEXT_MAGIC: i32 = 793712314;
const MAX_DIM: i32 = 1 << 16;
const MAX_WORDS: i32 = 50_000_000;
const MAX_BUCKET: i32 = 100_000_000;
const MAX_WORD_BYTES: u64 = 1 << 16;
const FIRST_WORDS: i32 = 5;

const LOSS_NAMES: string[] = ["", "hs", "ns", "softmax", "ova"];
const MODEL_NAMES: string[] = ["", "cbow", "sg", "sup"];

// Plausible Args block at p (the pre-magic files have nothing else to recognise them by).
function plausibleArgs(p: usize): bool {
  const dim = load<i32>(p);
  const ws = load<i32>(p + 4);
  const epoch = load<i32>(p + 8);
  const minCount = load<i32>(p + 12);
  const neg = load<i32>(p + 16);
  const wordNgrams = load<i32>(p + 20);
  const loss = load<i32>(p + 24);
  const model = load<i32>(p + 28);
  const bucket = load<i32>(p + 32);
  const minn = load<i32>(p + 36);
  const maxn = load<i32>(p + 40);
  const t = load<f64>(p + 48);
  return dim > 0 && dim <= MAX_DIM && ws > 0 && ws < 1000 && epoch > 0 && epoch < 1_000_000 && minCount >= 0 &&
    neg >= 0 && neg < 10000 && wordNgrams > 0 && wordNgrams < 100 && loss >= 1 && loss <= 4 && model >= 1 && model <= 3 &&
    bucket >= 0 && bucket <= MAX_BUCKET && minn >= 0 && maxn >= 0 && maxn < 100 && minn < 100 && t > 0 && t < 1;
}

class DictProgress {
  entry: i32 = 0;
  pos: u64 = 0;
  first: string[] = [];
  labels: string[] = [];
}

function dictProgress(ctx: Context, start: u64): DictProgress {
  const key = "fasttext:dictionary";
  if (ctx.memo.has(key)) return changetype<DictProgress>(ctx.memo.get(key));
  const pr = new DictProgress();
  pr.pos = start;
  ctx.memo.set(key, pr);
  return pr;
}

export class FastTextFormat extends FormatModule {
  get id(): string { return "fasttext"; }

  sniff(s: Sniff): i32 {
    if (s.headLen >= 8 && load<i32>(s.head) == FASTTEXT_MAGIC) {
      const v = load<i32>(s.head + 4);
      return v > 0 && v <= 100 ? SNIFF_MAGIC : SNIFF_STRUCTURE;
    }
    // Pre-magic: the Args block itself, then a dictionary header whose counts agree.
    if (s.headLen >= 56 + 20 && plausibleArgs(s.head)) {
      const size = load<i32>(s.head + 56);
      const nwords = load<i32>(s.head + 60);
      const nlabels = load<i32>(s.head + 64);
      if (size > 0 && nwords >= 0 && nlabels >= 0 && nwords + nlabels == size) return SNIFF_STRUCTURE;
    }
    return SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const idx = ctx.index;
    idx.format = "fasttext";
    const c = new Cursor(ctx, 0, 0);
    const head = c.peek(8);
    if (!head) return ctx.truncated("the fastText header", 0);
    const hasMagic = load<i32>(head) == FASTTEXT_MAGIC;
    let version: i32 = -1;
    if (hasMagic) {
      version = load<i32>(head + 4);
      c.skip(8);
    }
    const argsLen: u64 = 56;
    const a = c.take(argsLen);
    if (!a) return ctx.truncated("the fastText arguments", c.pos);
    const dim = load<i32>(a);
    const loss = load<i32>(a + 24);
    const model = load<i32>(a + 28);
    const bucket = load<i32>(a + 32);
    if (dim <= 0 || dim > MAX_DIM) return ctx.fail(E_INVALID_HEADER, "fastText: dimension " + dim.toString() + " is outside 1.." + MAX_DIM.toString(), 8);
    if (bucket < 0 || bucket > MAX_BUCKET) return ctx.fail(E_LIMIT, "fastText: bucket count " + bucket.toString() + " is outside 0.." + MAX_BUCKET.toString(), 8);

    const meta = idx.metadata;
    meta.setBool("has_magic", hasMagic);
    if (hasMagic) meta.setInt("version", version);
    else meta.set("version", new JNull());
    meta.setInt("dim", dim);
    meta.setInt("ws", load<i32>(a + 4));
    meta.setInt("epoch", load<i32>(a + 8));
    meta.setInt("min_count", load<i32>(a + 12));
    meta.setInt("neg", load<i32>(a + 16));
    meta.setInt("word_ngrams", load<i32>(a + 20));
    meta.setStr("loss", loss >= 1 && loss <= 4 ? LOSS_NAMES[loss] : loss.toString());
    meta.setStr("args_model", model >= 1 && model <= 3 ? MODEL_NAMES[model] : model.toString());
    meta.setInt("bucket", bucket);
    meta.setInt("min_n", load<i32>(a + 36));
    meta.setInt("max_n", load<i32>(a + 40));
    meta.setInt("lr_update_rate", load<i32>(a + 44));
    meta.setF64("t", load<f64>(a + 48));

    // Dictionary
    const dictAt = c.pos;
    const dh = c.take(hasMagic ? 28 : 20);
    if (!dh) return ctx.truncated("the fastText dictionary header", dictAt);
    const size = load<i32>(dh);
    const nwords = load<i32>(dh + 4);
    const nlabels = load<i32>(dh + 8);
    const ntokens = load<i64>(dh + 12);
    const pruneidx: i64 = hasMagic ? load<i64>(dh + 20) : 0;
    if (size < 0 || nwords < 0 || nlabels < 0 || <i64>nwords + <i64>nlabels != <i64>size) {
      return ctx.fail(E_CORRUPT, "fastText: the dictionary declares " + size.toString() + " entries but " + nwords.toString() + " words and " + nlabels.toString() + " labels", dictAt);
    }
    if (size > MAX_WORDS) return ctx.fail(E_LIMIT, "fastText: " + size.toString() + " dictionary entries exceed the limit of " + MAX_WORDS.toString(), dictAt);
    if (pruneidx < -1 || pruneidx > <i64>MAX_WORDS) return ctx.fail(E_CORRUPT, "fastText: pruned-index size " + pruneidx.toString() + " is out of range", dictAt + 20);
    const dict = new JObj();
    dict.setInt("size", size);
    dict.setInt("nwords", nwords);
    dict.setInt("nlabels", nlabels);
    dict.setInt("ntokens", ntokens);
    if (hasMagic) dict.setInt("pruneidx_size", pruneidx);
    meta.set("dictionary", dict);
    meta.setInt("vocab_size", size);

    // Entries are walked once: progress is kept in ctx.memo at each entry, so a re-run after a
    // cache miss resumes there (a 2M-word dictionary would otherwise be re-read per window).
    const pr = dictProgress(ctx, c.pos);
    c.pos = pr.pos;
    const first = pr.first;
    const labels = pr.labels;
    for (let i = pr.entry; i < size; i++) {
      pr.entry = i;
      pr.pos = c.pos;
      const at = c.pos;
      const n = c.until(0, MAX_WORD_BYTES);
      if (n == -2) return ctx.fail(E_CORRUPT, "fastText: dictionary entry " + i.toString() + " is longer than " + MAX_WORD_BYTES.toString() + " bytes", at);
      if (n < 0) return ctx.truncated("the fastText dictionary (entry " + i.toString() + ")", at);
      const keep = first.length < FIRST_WORDS || (labels.length < FIRST_WORDS && i >= nwords);
      const w = keep ? decodeWord(c.lastPtr, <usize>n) : "";
      const rest = c.take(9);
      if (!rest) return ctx.truncated("the fastText dictionary (entry " + i.toString() + ")", c.pos);
      const type = load<i8>(rest + 8);
      if (type != 0 && type != 1) return ctx.fail(E_CORRUPT, "fastText: dictionary entry " + i.toString() + " has type " + type.toString() + " (0 word, 1 label)", c.pos - 1);
      if (keep) {
        if (i < nwords) first.push(w);
        else labels.push(w);
      }
    }
    pr.entry = size;
    pr.pos = c.pos;
    if (pruneidx > 0 && !c.skip(<u64>pruneidx * 8)) return ctx.truncated("the fastText pruned index", c.pos);
    meta.set("first_words", strArray(first));
    if (labels.length) meta.set("first_labels", strArray(labels));

    // Matrices
    let st = this.matrix(ctx, c, "input_matrix", hasMagic);
    if (st != ST_DONE) return st;
    st = this.matrix(ctx, c, "output_matrix", hasMagic);
    if (st != ST_DONE) return st;
    if (c.pos != c.size) {
      idx.addFinding(SEV_LOW, "trailing-bytes", "fastText: " + (c.size - c.pos).toString() + " bytes follow the output matrix; fastText ignores them.", "offset " + c.pos.toString());
    }
    return ST_DONE;
  }

  private matrix(ctx: Context, c: Cursor, name: string, hasFlag: bool): i32 {
    let quantized = false;
    if (hasFlag) {
      const q = c.take(1);
      if (!q) return ctx.truncated("the fastText " + name + " flag", c.pos);
      quantized = load<u8>(q) != 0;
    }
    if (quantized) return this.qmatrix(ctx, c, name);
    const at = c.pos;
    const h = c.take(16);
    if (!h) return ctx.truncated("the fastText " + name + " shape", at);
    const m = load<i64>(h);
    const n = load<i64>(h + 8);
    if (m < 0 || n < 0 || m > <i64>(<u64>MAX_WORDS + <u64>MAX_BUCKET) || n > <i64>MAX_DIM) {
      return ctx.fail(E_CORRUPT, "fastText: " + name + " has shape [" + m.toString() + ", " + n.toString() + "]", at);
    }
    const bytes = <u64>m * <u64>n * 4;
    if (bytes > c.remaining) return ctx.truncated("the fastText " + name + " (" + bytes.toString() + " bytes)", c.pos);
    const t = new Tensor(name, DT_F32, [<u64>m, <u64>n], bytes);
    t.plan = Plan.single(0, c.pos, bytes, DT_F32);
    ctx.index.addTensor(t);
    c.skip(bytes);
    return ST_DONE;
  }

  // Product-quantized matrix (.ftz, fastText quantize): listed with its codes and codebooks;
  // the full-precision values would need the product-quantization decoder.
  private qmatrix(ctx: Context, c: Cursor, name: string): i32 {
    const at = c.pos;
    const h = c.take(1 + 16 + 4);
    if (!h) return ctx.truncated("the fastText quantized " + name, at);
    const qnorm = load<u8>(h) != 0;
    const m = load<i64>(h + 1);
    const n = load<i64>(h + 9);
    const codesize = load<i32>(h + 17);
    if (m < 0 || n < 0 || n > <i64>MAX_DIM || m > <i64>(<u64>MAX_WORDS + <u64>MAX_BUCKET) || codesize < 0 || <u64>codesize > c.remaining) {
      return ctx.fail(E_CORRUPT, "fastText: quantized " + name + " has shape [" + m.toString() + ", " + n.toString() + "] and " + codesize.toString() + " code bytes", at);
    }
    const t = new Tensor(name, DT_F32, [<u64>m, <u64>n], <u64>codesize);
    const plan = new Plan();
    plan.storage = DT_F32;
    plan.unreadable = "fastText: " + name + " is product-quantized (.ftz); its codes and centroids are listed as separate tensors";
    t.plan = plan;
    const info = new JObj();
    info.setBool("quantized", true);
    info.setBool("qnorm", qnorm);
    t.info = info;
    ctx.index.addTensor(t);
    const codes = new Tensor(name + ".codes", DT_U8, [<u64>codesize], <u64>codesize);
    codes.plan = Plan.single(0, c.pos, <u64>codesize, DT_U8);
    ctx.index.addTensor(codes);
    c.skip(<u64>codesize);
    let st = this.pq(ctx, c, name + ".centroids");
    if (st != ST_DONE) return st;
    if (qnorm) {
      if (<u64>m > c.remaining) return ctx.truncated("the fastText norm codes", c.pos);
      const nc = new Tensor(name + ".norm_codes", DT_U8, [<u64>m], <u64>m);
      nc.plan = Plan.single(0, c.pos, <u64>m, DT_U8);
      ctx.index.addTensor(nc);
      c.skip(<u64>m);
      st = this.pq(ctx, c, name + ".norm_centroids");
      if (st != ST_DONE) return st;
    }
    return ST_DONE;
  }

  // ProductQuantizer::load: i32 dim, nsubq, dsub, lastdsub, then dim * 256 f32 centroids.
  private pq(ctx: Context, c: Cursor, name: string): i32 {
    const at = c.pos;
    const h = c.take(16);
    if (!h) return ctx.truncated("a fastText product quantizer", at);
    const dim = load<i32>(h);
    if (dim <= 0 || dim > MAX_DIM) return ctx.fail(E_CORRUPT, "fastText: product quantizer dimension " + dim.toString(), at);
    const bytes = <u64>dim * 256 * 4;
    if (bytes > c.remaining) return ctx.truncated("fastText centroids", c.pos);
    const t = new Tensor(name, DT_F32, [256, <u64>dim], bytes);
    t.plan = Plan.single(0, c.pos, bytes, DT_F32);
    ctx.index.addTensor(t);
    c.skip(bytes);
    return ST_DONE;
  }
}
