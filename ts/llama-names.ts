// Hugging Face <-> llama.cpp tensor names for the llama family (Llama, Mistral, Qwen2 use the
// same ones), as gguf-py's tensor_mapping writes them, and llama.cpp's Q/K row permutation.
//
// convert_hf_to_gguf.py reorders the rows of q_proj and k_proj (weights and biases): HF keeps
// each head's rotary halves as two blocks of rows, ggml's rope wants them interleaved. For each
// of `groups` heads (num_attention_heads for Q, num_key_value_heads for K) the head's R rows are
// read as [2, R/2] and transposed: written row j is HF row (j % 2) * R/2 + floor(j / 2).

import { OmnimodelError } from "./errors.ts";

const LAYER = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/;

const LAYER_PARTS: Record<string, string> = {
  "input_layernorm": "attn_norm",
  "self_attn.q_proj": "attn_q",
  "self_attn.k_proj": "attn_k",
  "self_attn.v_proj": "attn_v",
  "self_attn.o_proj": "attn_output",
  "post_attention_layernorm": "ffn_norm",
  "mlp.gate_proj": "ffn_gate",
  "mlp.up_proj": "ffn_up",
  "mlp.down_proj": "ffn_down",
};

const TOP: Record<string, string> = {
  "model.embed_tokens.weight": "token_embd.weight",
  "model.norm.weight": "output_norm.weight",
  "lm_head.weight": "output.weight",
};

/** The llama.cpp name of a Hugging Face llama-family tensor, or null when it has none. */
export function llamaGGUFName(hf: string): string | null {
  if (hf in TOP) return TOP[hf];
  const m = LAYER.exec(hf);
  if (!m || !(m[2] in LAYER_PARTS)) return null;
  return `blk.${m[1]}.${LAYER_PARTS[m[2]]}.${m[3]}`;
}

/** "q" or "k" when llama.cpp permutes this (HF-named) tensor's rows, else null. */
export function permutedProjection(hf: string): "q" | "k" | null {
  const m = LAYER.exec(hf);
  if (!m) return null;
  return m[2] === "self_attn.q_proj" ? "q" : m[2] === "self_attn.k_proj" ? "k" : null;
}

/** One head's `headRows` rows of `rowLen` values, from HF order (src) to llama.cpp order (dst). */
export function permuteHead(src: Float32Array, dst: Float32Array, headRows: number, rowLen: number): void {
  const half = headRows / 2;
  for (let j = 0; j < headRows; j++) {
    const from = ((j % 2) * half + Math.floor(j / 2)) * rowLen;
    dst.set(src.subarray(from, from + rowLen), j * rowLen);
  }
}

/** Values of `chunks` (one tensor, `rows` rows of `rowLen`) reordered head by head as llama.cpp does. */
export async function* permutedValues(chunks: AsyncIterable<Float32Array>, groups: number, rows: number, rowLen: number): AsyncGenerator<Float32Array> {
  const headRows = rows / groups;
  const head = new Float32Array(headRows * rowLen);
  let fill = 0;
  for await (const c of chunks) {
    let at = 0;
    while (at < c.length) {
      const take = Math.min(c.length - at, head.length - fill);
      head.set(c.subarray(at, at + take), fill);
      fill += take;
      at += take;
      if (fill === head.length) {
        const out = new Float32Array(head.length);
        permuteHead(head, out, headRows, rowLen);
        yield out;
        fill = 0;
      }
    }
  }
  if (fill !== 0) throw new OmnimodelError("CORRUPT", `a permuted tensor ended inside a head (${fill} of ${head.length} values)`);
}
