// A Hugging Face llama-family model written as llama.cpp expects it: tensor names mapped
// (ts/llama-names.ts), Q and K rows permuted per head, and the llama.* hyperparameters from
// config.json, typed as convert_hf_to_gguf.py writes them. Applies to config.json model_type
// "llama" and "mistral" (llama.cpp's LlamaModel); other architectures keep their names.

import type { Model } from "../model.ts";
import { llamaGGUFName, permutedProjection } from "../llama-names.ts";
import type { GGUFEdits } from "./gguf.ts";

const LLAMA_TYPES = new Set(["llama", "mistral"]);

/** The GGUF edits that make `model` a llama.cpp llama file, or null when it is not an HF llama model. */
export function hfLlamaEdits(model: Model, configJson: string): GGUFEdits | null {
  let c: Record<string, unknown>;
  try { c = JSON.parse(configJson); } catch { return null; }
  if (!c || typeof c !== "object" || !LLAMA_TYPES.has(String(c.model_type))) return null;
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
    const p = permutedProjection(t.name);
    if (p) permute[t.name] = p === "q" ? heads : headsKv;
  }
  if (Object.keys(rename).length === 0) return null;
  const set: NonNullable<GGUFEdits["set"]> = [{ key: "general.architecture", value: "llama", type: "STRING" }];
  const u32 = (key: string, v: number | undefined) => { if (v !== undefined) set.push({ key, value: String(v), type: "UINT32" }); };
  const f32 = (key: string, v: unknown) => { if (typeof v === "number" && Number.isFinite(v)) set.push({ key, value: String(v), type: "FLOAT32" }); };
  const hidden = int("hidden_size");
  u32("llama.vocab_size", int("vocab_size"));
  u32("llama.context_length", int("max_position_embeddings"));
  u32("llama.embedding_length", hidden);
  u32("llama.block_count", int("num_hidden_layers"));
  u32("llama.feed_forward_length", int("intermediate_size"));
  u32("llama.rope.dimension_count", int("head_dim") ?? (hidden !== undefined ? hidden / heads : undefined));
  u32("llama.attention.head_count", heads);
  u32("llama.attention.head_count_kv", headsKv);
  f32("llama.rope.freq_base", c.rope_theta);
  f32("llama.attention.layer_norm_rms_epsilon", c.rms_norm_eps);
  return { rename, permute, set };
}
