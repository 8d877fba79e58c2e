// SentencePiece tokenizer models (`.model`, sentencepiece_model.proto, proto2): ModelProto
// {1 pieces* {1 piece, 2 score (float), 3 type}, 2 trainer_spec, 3 normalizer_spec,
// 4 self_test_data, 5 denormalizer_spec}. The vocabulary goes to metadata (pieces, scores, types);
// the scores are also a readable F32 tensor (one 4-byte range per piece, straight from the file;
// an omitted proto2 default reads as 0)
// and the normalizer's precompiled charsmap a U8 tensor.

import { Context, ST_DONE } from "../../core/context";
import { DT_F32, DT_U8 } from "../../core/dtype";
import { E_CORRUPT, E_INVALID_HEADER, E_LIMIT } from "../../core/errors";
import { Plan, Segment, Tensor } from "../../core/model";
import { JArr, JFloat, JInt, JObj, JStr } from "../../util/json";
import { headFields, fieldsAllowed, printable } from "../../protobuf/sniff";
import { pbCodec, PB_PACKED_FIXED } from "../../protobuf/values";
import { PbError, PbMsg, parseMsg, subMsg, WT_I32, WT_LEN } from "../../protobuf/wire";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE } from "../format";

const MAX_FILE: u64 = 256 * 1024 * 1024;
const MAX_PIECES: i32 = 4 * 1024 * 1024;
const TYPES: string[] = ["", "NORMAL", "UNKNOWN", "CONTROL", "USER_DEFINED", "UNUSED", "BYTE"];
const MODEL_TYPES: string[] = ["", "UNIGRAM", "BPE", "WORD", "CHAR"];

export function sentencepieceLike(head: usize, len: usize, size: u64): bool {
  const fs = headFields(head, len, size, 64);
  if (fs === null || fs.length == 0 || fs[0].num != 1 || fs[0].wt != 2) return false;
  if (!fieldsAllowed(fs, "1:2,2:2,3:2,4:2,5:2")) return false;
  const first = fs[0];
  const avail = first.complete ? first.length : <u64>(head + len - first.ptr);
  const sub = headFields(first.ptr, <usize>avail, first.length, 8);
  if (sub === null || sub.length == 0 || !fieldsAllowed(sub, "1:2,2:5,3:0")) return false;
  if (sub[0].num != 1 || !sub[0].complete || !printable(sub[0].ptr, sub[0].length)) return false;
  // A second piece, a score or a type must follow: one bare string is too little evidence.
  return sub.length >= 2 || fs.length >= 2;
}

export class SentencePieceFormat extends FormatModule {
  get id(): string { return "sentencepiece"; }

  sniff(s: Sniff): i32 {
    if (!sentencepieceLike(s.head, s.headLen, s.size)) return SNIFF_NO;
    return SNIFF_STRUCTURE + (s.nameEndsWith(".model") ? 5 : 0);
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    if (size > MAX_FILE) return ctx.fail(E_LIMIT, "sentencepiece: a model over 256 MiB", 0);
    const p = ctx.view(0, size);
    if (!p) return ctx.truncated("the model", 0);
    const err = new PbError();
    const m = parseMsg(p, <usize>size, 0, err, "SentencePiece ModelProto");
    if (m === null) return ctx.fail(err.code, err.message, err.offset);
    const pieces = m.all(1);
    if (pieces.length == 0) return ctx.fail(E_INVALID_HEADER, "sentencepiece: the model has no pieces", 0);
    if (pieces.length > MAX_PIECES) return ctx.fail(E_LIMIT, "sentencepiece: more than " + MAX_PIECES.toString() + " pieces", 0);
    const names = new JArr();
    const scores = new JArr();
    const types = new JArr();
    const scorePlan = new Plan();
    scorePlan.storage = DT_F32;
    for (let i = 0; i < pieces.length; i++) {
      const pm = subMsg(pieces[i], err, "SentencePiece piece " + i.toString());
      if (pm === null) return ctx.fail(err.code, err.message, err.offset);
      names.push(new JStr(pm.str(1)));
      const sf = pm.last(2);
      if (sf !== null && sf.wt != WT_I32) return ctx.fail(E_CORRUPT, "sentencepiece: piece " + i.toString() + " has a score with the wrong wire type", sf.tagOffset);
      scores.push(new JFloat(sf !== null ? <f64>sf.f32v : 0.0));
      if (sf !== null) scorePlan.segments.push(Segment.raw(0, sf.end - 4, 4));
      // proto2 leaves a zero score out: an empty protobuf-values range decodes to zeros.
      else scorePlan.segments.push(Segment.coded(0, 0, 0, pbCodec(PB_PACKED_FIXED, 4), 0, 4));
      const t = pm.i32v(3, 1);
      types.push(new JStr(t > 0 && t < TYPES.length ? TYPES[t] : t.toString()));
    }
    const idx = ctx.index;
    idx.format = "sentencepiece";
    const meta = idx.metadata;
    meta.setInt("vocab_size", pieces.length);
    const trainer = new JObj();
    const tf = m.last(2);
    // Without a trainer_spec every field takes its proto2 default.
    let tm = new PbMsg();
    if (tf !== null) {
      const parsed = subMsg(tf, err, "TrainerSpec");
      if (parsed === null) return ctx.fail(err.code, err.message, err.offset);
      tm = parsed;
    }
    const modelType = tm.i32v(3, 1);
    trainerSpec(tm, trainer);
    meta.setStr("model_type", modelType > 0 && modelType < MODEL_TYPES.length ? MODEL_TYPES[modelType] : modelType.toString());
    meta.setInt("unk_id", tm.i32v(40, 0));
    meta.setInt("bos_id", tm.i32v(41, 1));
    meta.setInt("eos_id", tm.i32v(42, 2));
    meta.setInt("pad_id", tm.i32v(43, -1));
    meta.set("trainer_spec", trainer);
    const nf = m.last(3);
    if (nf !== null) {
      const nm = subMsg(nf, err, "NormalizerSpec");
      if (nm === null) return ctx.fail(err.code, err.message, err.offset);
      const norm = normalizerSpec(nm);
      meta.set("normalizer_spec", norm);
      meta.setStr("normalizer_name", nm.str(1));
      const cm = nm.last(2);
      if (cm !== null && cm.wt == WT_LEN && cm.length > 0) {
        const t = new Tensor("normalizer.precompiled_charsmap", DT_U8, [cm.length], cm.length);
        t.plan = Plan.single(0, cm.offset, cm.length, DT_U8);
        idx.addTensor(t);
      }
    }
    const df = m.last(5);
    if (df !== null) {
      const dm = subMsg(df, err, "denormalizer NormalizerSpec");
      if (dm === null) return ctx.fail(err.code, err.message, err.offset);
      meta.set("denormalizer_spec", normalizerSpec(dm));
    }
    if (m.has(4)) meta.setBool("has_self_test_data", true);
    const vocab = new JObj();
    vocab.set("pieces", names);
    vocab.set("scores", scores);
    vocab.set("types", types);
    meta.set("vocab", vocab);
    const st = new Tensor("scores", DT_F32, [<u64>pieces.length], <u64>pieces.length * 4);
    st.plan = scorePlan;
    idx.addTensor(st);
    return ST_DONE;
  }
}

function trainerSpec(tm: PbMsg, o: JObj): void {
  const mt = tm.i32v(3, 1);
  o.setStr("model_type", mt > 0 && mt < MODEL_TYPES.length ? MODEL_TYPES[mt] : mt.toString());
  o.setInt("vocab_size", tm.i64v(4, 8000));
  const mp = tm.str(2);
  if (mp.length) o.setStr("model_prefix", mp);
  const cc = tm.last(10);
  o.setF64("character_coverage", cc !== null ? <f64>cc.f32v : <f64>(<f32>0.9995)); // proto2 default
  if (tm.has(25)) o.setBool("split_digits", tm.u64v(25, 0) != 0);
  if (tm.has(35)) o.setBool("byte_fallback", tm.u64v(35, 0) != 0);
  o.setInt("unk_id", tm.i32v(40, 0));
  o.setInt("bos_id", tm.i32v(41, 1));
  o.setInt("eos_id", tm.i32v(42, 2));
  o.setInt("pad_id", tm.i32v(43, -1));
  o.setStr("unk_piece", tm.has(45) ? tm.str(45) : "<unk>");
  o.setStr("bos_piece", tm.has(46) ? tm.str(46) : "<s>");
  o.setStr("eos_piece", tm.has(47) ? tm.str(47) : "</s>");
  o.setStr("pad_piece", tm.has(48) ? tm.str(48) : "<pad>");
  const ctl = tm.strs(30);
  if (ctl.length) o.set("control_symbols", strs(ctl));
  const uds = tm.strs(31);
  if (uds.length) o.set("user_defined_symbols", strs(uds));
  const inputs = tm.strs(1);
  if (inputs.length) o.set("input", strs(inputs));
}

function normalizerSpec(nm: PbMsg): JObj {
  const o = new JObj();
  o.setStr("name", nm.str(1));
  const cm = nm.last(2);
  o.setInt("precompiled_charsmap_bytes", cm !== null ? <i64>cm.length : 0);
  o.setBool("add_dummy_prefix", nm.u64v(3, 1) != 0);
  o.setBool("remove_extra_whitespaces", nm.u64v(4, 1) != 0);
  o.setBool("escape_whitespaces", nm.u64v(5, 1) != 0);
  const tsv = nm.str(6);
  if (tsv.length) o.setStr("normalization_rule_tsv", tsv);
  return o;
}

function strs(a: string[]): JArr {
  const r = new JArr();
  for (let i = 0; i < a.length; i++) r.push(new JStr(a[i]));
  return r;
}

export { JInt };
