// JSON documents around models, classified by their keys (never by the file name):
//   weight_map (+ metadata.total_size)   shard index: opens every shard as one model (json-shards.ts)
//   learner + version                    XGBoost model (xgboost.ts)
//   modelTopology / weightsManifest      TF.js model.json: routed to the tfjs reader when registered
//   class_name + config                  Keras config.json / to_json(): layer graph (../keras/keras-config.ts)
//   model.handler + runtime              TorchServe MANIFEST.json (the no-archive directory form)
//   architectures / model_type           Hugging Face config.json
//   version + added_tokens + model       tokenizers' tokenizer.json
//   tokenizer_class / *_token            tokenizer_config.json, special_tokens_map.json
//   transformers_version + sampling keys generation_config.json
//   image_mean / do_resize ...           preprocessor_config.json
//   flat string -> integer map           vocab.json
// Documents with no tensors of their own become format "json" with metadata.kind saying which
// document it is, and the document itself (or a summary when it is large) in metadata.

import { Context, ST_DONE } from "../../core/context";
import { E_INVALID_JSON, E_LIMIT } from "../../core/errors";
import { SEV_INFO, strArray } from "../../core/model";
import { JArr, JKind, JObj, JsonParseLimits, JsonParser } from "../../util/json";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE, formatWithId } from "../format";
import { describeDocument } from "../xgboost/xgboost";
import { describeManifestDocument, isManifest } from "../torchserve/torchserve";
import { indexShards } from "./json-shards";
import { kerasConfig, KerasInfo } from "../keras/keras-config";
import { reportJsonTemplates } from "../jinja/template";

const MAX_JSON: u64 = 256 * 1024 * 1024;
// Documents up to this size are copied into metadata whole; larger ones are summarised.
const COPY_LIMIT: u64 = 256 * 1024;

// Offset of the first byte after a UTF-8 BOM and whitespace.
function skipSpace(p: usize, n: usize): usize {
  let i: usize = 0;
  if (n >= 3 && load<u8>(p) == 0xef && load<u8>(p + 1) == 0xbb && load<u8>(p + 2) == 0xbf) i = 3;
  while (i < n) {
    const c = load<u8>(p + i);
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
    i++;
  }
  return i;
}

export class JsonFormat extends FormatModule {
  get id(): string { return "json"; }

  // An object whose first key starts right away, in text without NUL bytes.
  sniff(s: Sniff): i32 {
    const i = skipSpace(s.head, s.headLen);
    if (i >= s.headLen || load<u8>(s.head + i) != 0x7b) return SNIFF_NO;
    const j = i + 1 + skipSpace(s.head + i + 1, s.headLen - i - 1);
    if (j < s.headLen) {
      const c = load<u8>(s.head + j);
      if (c != 0x22 && c != 0x7d) return SNIFF_NO;
    } else if (<u64>s.headLen < s.size) return SNIFF_NO;
    for (let k: usize = 0; k < s.headLen; k++) if (load<u8>(s.head + k) == 0) return SNIFF_NO;
    return SNIFF_STRUCTURE - 10;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    if (size > MAX_JSON) return ctx.fail(E_LIMIT, "json: a " + size.toString() + "-byte document exceeds the 256 MiB limit", 0);
    const p = ctx.view(0, size);
    if (!p) return ctx.truncated("the JSON document", 0);
    const skip = skipSpace(p, <usize>size) >= 3 && load<u8>(p) == 0xef ? 3 : 0;
    // A JSON DOM costs tens of bytes per value: cap the values, not only the bytes.
    const limits = new JsonParseLimits();
    limits.maxItems = 8_000_000;
    const parser = new JsonParser(limits);
    const root = parser.parse(p + skip, <usize>size - skip);
    if (!root) return ctx.fail(E_INVALID_JSON, "json: the document does not parse: " + parser.error + " (at byte " + (parser.errorOffset + skip).toString() + ")", <u64>(parser.errorOffset + skip));
    const o = root.asObj();
    if (!o) return ctx.fail(E_INVALID_JSON, "json: the document is not an object", 0);
    return classify(ctx, o, size);
  }
}

function classify(ctx: Context, o: JObj, size: u64): i32 {
  const idx = ctx.index;
  // tokenizer_config.json, chat_template.json, processor_config.json: audit their chat templates
  const templates = reportJsonTemplates(idx, o, ctx.name.length ? ctx.name : "document");
  if (templates) idx.metadata.set("chat_templates", templates);
  if (templates && (o.size == 1 || (o.size == 2 && o.has("processor_class")))) return document(ctx, o, size, "chat-template", "a chat template (Jinja) in JSON");
  if (o.getObj("weight_map")) return indexShards(ctx, o);
  if ((o.getObj("learner") && o.has("version")) || (o.getObj("Model") && o.getObj("Model")!.getObj("learner"))) return describeDocument(ctx, o);
  if (o.has("modelTopology") || o.has("weightsManifest")) {
    const tfjs = formatWithId("tfjs");
    if (tfjs) return tfjs.index(ctx);
    return document(ctx, o, size, "tfjs-model", "a TF.js model.json (its weight shards are read by the tfjs reader)");
  }
  if (isManifest(o)) return describeManifestDocument(ctx, o);
  if (o.has("architectures") || (o.has("model_type") && (o.has("transformers_version") || o.has("hidden_size") || o.has("vocab_size")))) {
    const r = document(ctx, o, size, "transformers-config", "a Hugging Face model configuration");
    summary(idx.metadata, o, ["architectures", "model_type", "transformers_version", "torch_dtype", "hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "max_position_embeddings", "quantization_config"]);
    return r;
  }
  if (o.has("class_name") && o.has("config")) {
    // Keras 3 config.json (also Keras 2 model.to_json()): the layer graph, with findings for
    // Lambda layers and classes that are not Keras's own (../keras/keras-config.ts).
    const r = document(ctx, o, size, "keras-config", "a Keras model configuration (the weights live in the .weights.h5 or .keras file)");
    kerasConfig(ctx, o, new KerasInfo(), ctx.name.length ? ctx.name : "config.json");
    return r;
  }
  const model = o.getObj("model");
  if (model && o.has("added_tokens") && (o.has("version") || o.has("normalizer") || o.has("pre_tokenizer"))) return tokenizer(ctx, o, model, size);
  if (o.has("tokenizer_class") || o.has("model_max_length") || o.has("added_tokens_decoder")) {
    return document(ctx, o, size, "tokenizer-config", "a Hugging Face tokenizer configuration");
  }
  if (o.has("transformers_version") && (o.has("_from_model_config") || o.has("do_sample") || o.has("temperature") || o.has("max_length") || o.has("eos_token_id") || o.has("decoder_start_token_id"))) {
    return document(ctx, o, size, "generation-config", "a Hugging Face generation configuration");
  }
  if (o.has("image_mean") || o.has("image_std") || o.has("do_resize") || o.has("feature_extractor_type") || o.has("image_processor_type") || o.has("processor_class")) {
    return document(ctx, o, size, "preprocessor-config", "a Hugging Face preprocessor configuration");
  }
  if (isSpecialTokens(o)) return document(ctx, o, size, "special-tokens-map", "a map of a tokenizer's special tokens");
  if (isVocabulary(o)) {
    idx.format = "json";
    idx.formatVersion = "vocabulary";
    idx.metadata.setStr("kind", "vocabulary");
    idx.metadata.setInt("vocab_size", o.size);
    idx.metadata.set("first_tokens", strArray(o.keys.slice(0, 10)));
    idx.addFinding(SEV_INFO, "json-document", "The file is a tokenizer vocabulary (token -> id), not model weights.", "");
    return ST_DONE;
  }
  // Common documents that are not models, named so the user knows what was opened.
  if (o.has("nbformat") && o.has("cells")) return document(ctx, o, size, "jupyter-notebook", "a Jupyter notebook, not a model");
  if (o.has("images") && o.has("annotations") && o.has("categories")) return document(ctx, o, size, "coco-annotations", "COCO-style dataset annotations, not a model");
  if (o.has("name") && o.has("version") && (o.has("dependencies") || o.has("devDependencies") || o.has("scripts"))) return document(ctx, o, size, "npm-package", "an npm package.json, not a model");
  const r = document(ctx, o, size, "unknown", "a JSON document of no known model kind");
  idx.metadata.set("keys", strArray(o.keys.slice(0, 50)));
  return r;
}

function document(ctx: Context, o: JObj, size: u64, kind: string, what: string): i32 {
  const idx = ctx.index;
  idx.format = "json";
  idx.formatVersion = kind;
  idx.metadata.setStr("kind", kind);
  if (size <= COPY_LIMIT) idx.metadata.set("document", o);
  else idx.metadata.set("keys", strArray(o.keys.slice(0, 200)));
  idx.addFinding(SEV_INFO, "json-document", "The file is " + what + "; it holds no tensors.", "");
  return ST_DONE;
}

function summary(meta: JObj, o: JObj, keys: string[]): void {
  for (let i = 0; i < keys.length; i++) {
    const v = o.get(keys[i]);
    if (v) meta.set(keys[i], v);
  }
}

function tokenizer(ctx: Context, o: JObj, model: JObj, size: u64): i32 {
  const idx = ctx.index;
  idx.format = "json";
  idx.formatVersion = "tokenizer";
  const meta = idx.metadata;
  meta.setStr("kind", "tokenizer");
  const ver = o.get("version");
  if (ver) meta.set("version", ver);
  const type = model.getStr("type");
  meta.setStr("model_type", type !== null ? type : model.has("merges") ? "BPE" : "unknown");
  const vocab = model.get("vocab");
  if (vocab) {
    if (vocab.kind == JKind.OBJ) meta.setInt("vocab_size", (<JObj>vocab).size);
    else if (vocab.kind == JKind.ARR) meta.setInt("vocab_size", (<JArr>vocab).length);
  }
  const merges = model.getArr("merges");
  if (merges) meta.setInt("merges", merges.length);
  const added = o.getArr("added_tokens");
  if (added) {
    meta.setInt("added_tokens", added.length);
    const names = new Array<string>();
    for (let i = 0; i < added.length && names.length < 20; i++) {
      const t = added.at(i).asObj();
      if (t) { const c = t.getStr("content"); if (c !== null) names.push(c); }
    }
    meta.set("first_added_tokens", strArray(names));
  }
  const parts = ["normalizer", "pre_tokenizer", "post_processor", "decoder"];
  for (let i = 0; i < parts.length; i++) {
    const p = o.getObj(parts[i]);
    if (p) { const t = p.getStr("type"); if (t !== null) meta.setStr(parts[i], t); }
  }
  idx.addFinding(SEV_INFO, "json-document", "The file is a Hugging Face tokenizer (" + (type !== null ? type : "unknown model") + "); it holds no tensors.", "");
  if (size <= COPY_LIMIT / 8) meta.set("document", o);
  return ST_DONE;
}

function isSpecialTokens(o: JObj): bool {
  if (!o.size) return false;
  for (let i = 0; i < o.keys.length; i++) {
    const k = o.keys[i];
    if (!k.endsWith("_token") && k != "additional_special_tokens") return false;
  }
  return true;
}

function isVocabulary(o: JObj): bool {
  if (o.size < 2) return false;
  for (let i = 0; i < o.vals.length; i++) if (!o.vals[i].isNonNegInt()) return false;
  return true;
}
