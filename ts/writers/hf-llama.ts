// A Hugging Face llama-family model written as llama.cpp expects it: tensor names mapped
// (ts/llama-names.ts), Q and K rows permuted per head, and the llama.* hyperparameters from
// config.json, typed as convert_hf_to_gguf.py writes them, and a sentencepiece tokenizer.model as
// its tokenizer.ggml.* arrays. Applies to config.json model_type "llama" and "mistral" (llama.cpp's
// LlamaModel); other architectures keep their names.

import type { Model } from "../model.ts";
import { llamaGGUFName, permutedProjection } from "../llama-names.ts";
import type { GGUFEdits } from "./gguf.ts";

// model_type -> llama.cpp architecture; `llama`: LlamaModel's permutation and its extra keys
// (vocab_size, rope.dimension_count), which Qwen2Model does not write
const ARCHS: Record<string, { arch: string; llama: boolean }> = {
  llama: { arch: "llama", llama: true },
  mistral: { arch: "llama", llama: true },
  qwen2: { arch: "qwen2", llama: false },
};

/** A sentencepiece model's vocabulary, as the core indexes it (metadata.vocab). */
export interface SentencepieceVocab { pieces: string[]; scores: number[]; types: string[] }

// sentencepiece piece types -> llama.cpp token types (gguf-py's TokenType numbering)
const TOKEN_TYPES: Record<string, number> = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 };

/** gguf-py's size label: 26784 -> "27K", 1.2e9 -> "1.2B" (at least two digits). */
export function sizeLabel(n: number): string {
  const [scale, suffix] = n > 1e12 ? [1e-12, "T"] : n > 1e9 ? [1e-9, "B"] : n > 1e6 ? [1e-6, "M"] : [1e-3, "K"];
  const fix = Math.max(2 - String(Math.round(n * scale)).length, 0);
  return `${(n * scale).toFixed(fix)}${suffix}`;
}

/**
 * The GGUF edits that make `model` a llama.cpp llama file, or null when it is not an HF llama
 * model. `fileType`: the llama_ftype to record when the writer does not (no --type given).
 */
export function hfLlamaEdits(model: Model, configJson: string, vocab?: SentencepieceVocab, fileType?: number): GGUFEdits | null {
  let c: Record<string, unknown>;
  try { c = JSON.parse(configJson); } catch { return null; }
  if (!c || typeof c !== "object" || !Object.hasOwn(ARCHS, String(c.model_type))) return null;
  const { arch, llama } = ARCHS[String(c.model_type)];
  const int = (k: string): number | undefined => (Number.isInteger(c[k]) && (c[k] as number) > 0 ? (c[k] as number) : undefined);
  const heads = int("num_attention_heads");
  const headsKv = int("num_key_value_heads") ?? heads;
  if (heads === undefined || headsKv === undefined) return null;
  const rename: Record<string, string> = {};
  const permute: Record<string, number> = {};
  for (const t of model.tensors) {
    const g = llamaGGUFName(t.name);
    if (g === null) continue;
    rename[t.name] = g;
    const p = llama ? permutedProjection(t.name) : null;
    if (p) permute[t.name] = p === "q" ? heads : headsKv;
  }
  if (Object.keys(rename).length === 0) return null;
  const set: NonNullable<GGUFEdits["set"]> = [{ key: "general.architecture", value: arch, type: "STRING" }];
  const u32 = (key: string, v: number | undefined) => { if (v !== undefined) set.push({ key, value: String(v), type: "UINT32" }); };
  const f32 = (key: string, v: unknown) => { if (typeof v === "number" && Number.isFinite(v)) set.push({ key, value: String(v), type: "FLOAT32" }); };
  const hidden = int("hidden_size");
  if (llama) u32(`${arch}.vocab_size`, int("vocab_size"));
  u32(`${arch}.context_length`, int("max_position_embeddings"));
  u32(`${arch}.embedding_length`, hidden);
  u32(`${arch}.block_count`, int("num_hidden_layers"));
  u32(`${arch}.feed_forward_length`, int("intermediate_size"));
  if (llama) u32(`${arch}.rope.dimension_count`, int("head_dim") ?? (hidden !== undefined ? hidden / heads : undefined));
  u32(`${arch}.attention.head_count`, heads);
  u32(`${arch}.attention.head_count_kv`, headsKv);
  // only a head_dim config.json states (convert_hf_to_gguf.py's TextModel), not the derived one
  u32(`${arch}.attention.key_length`, int("head_dim"));
  u32(`${arch}.attention.value_length`, int("head_dim"));
  f32(`${arch}.rope.freq_base`, c.rope_theta);
  f32(`${arch}.attention.layer_norm_rms_epsilon`, c.rms_norm_eps);
  set.push({ key: "general.type", value: "model", type: "STRING" });
  set.push({ key: "general.size_label", value: sizeLabel(model.parameterCount), type: "STRING" });
  u32("general.file_type", fileType);
  set.push({ key: "general.quantization_version", value: "2", type: "UINT32" });
  const arrays: NonNullable<GGUFEdits["arrays"]> = [];
  if (vocab) {
    // convert_hf_to_gguf.py's sentencepiece vocabulary (_create_vocab_sentencepiece): config's
    // vocab_size entries, pieces past it dropped, ids the tokenizer lacks "[PAD{id}]" (score
    // -10000, UNUSED). Not yet: added_tokens.json and tokenizer_config.json's added tokens.
    const size = int("vocab_size") ?? vocab.pieces.length;
    const tokens: string[] = [], scores: number[] = [], types: number[] = [];
    for (let i = 0; i < size; i++) {
      if (i < vocab.pieces.length) { tokens.push(vocab.pieces[i]); scores.push(vocab.scores[i]); types.push(TOKEN_TYPES[vocab.types[i]] ?? 1); }
      else { tokens.push(`[PAD${i}]`); scores.push(-10000); types.push(5); }
    }
    set.push({ key: "tokenizer.ggml.model", value: "llama", type: "STRING" });
    set.push({ key: "tokenizer.ggml.pre", value: "default", type: "STRING" });
    arrays.push({ key: "tokenizer.ggml.tokens", type: "STRING", values: tokens });
    arrays.push({ key: "tokenizer.ggml.scores", type: "FLOAT32", values: scores });
    arrays.push({ key: "tokenizer.ggml.token_type", type: "INT32", values: types });
    // special tokens as gguf-py's SpecialVocab takes them from config.json
    for (const k of ["bos", "eos", "unk", "pad"]) {
      const id = c[`${k}_token_id`];
      if (Number.isInteger(id) && (id as number) >= 0 && (id as number) < size) set.push({ key: `tokenizer.ggml.${k}_token_id`, value: String(id), type: "UINT32" });
    }
  }
  // the source's own metadata (safetensors' {"format": "pt"}) is not llama.cpp's
  return { rename, permute, set, arrays, remove: Object.keys(model.metadata) };
}

/** The file access hfLlamaEditsFor needs (Node's fs, Deno's, ...). */
export interface FolderAccess {
  isDirectory(path: string): boolean;
  /** The file's text, or null when there is no such file. */
  readText(path: string): string | null;
  /** The vocabulary of a sentencepiece model file, or undefined when the file is none. */
  sentencepieceVocab(path: string): Promise<SentencepieceVocab | undefined>;
}

/**
 * The edits for a Hugging Face llama model at `input` (config.json in the folder, or beside the
 * file; tokenizer.model beside it), or undefined. `type`: the --type asked (undefined: the one
 * stored type of the matrices is recorded as general.file_type, as llama.cpp records its outtype).
 */
export async function hfLlamaEditsFor(input: string, m: Model, type: string | undefined, fs: FolderAccess): Promise<GGUFEdits | undefined> {
  const cut = Math.max(input.lastIndexOf("/"), input.lastIndexOf("\\"));
  const dir = fs.isDirectory(input) ? input : cut < 0 ? "." : input.slice(0, cut) || "/";
  const config = fs.readText(`${dir}/config.json`);
  if (config === null) return undefined;
  const vocab = await fs.sentencepieceVocab(`${dir}/tokenizer.model`);
  const mats = new Set(m.tensors.filter((t) => t.shape.length >= 2).map((t) => t.dtype));
  const one = mats.size === 1 ? [...mats][0] : "";
  const fileType = type === undefined ? ({ F32: 0, F16: 1, BF16: 32 } as Record<string, number>)[one] : undefined;
  return hfLlamaEdits(m, config, vocab, fileType) ?? undefined;
}
