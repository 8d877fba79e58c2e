"""A Hugging Face llama-family model written as llama.cpp expects it, as ts/llama-names.ts and
ts/writers/hf-llama.ts do for the CLI (the same edits, so the same bytes): tensor names mapped,
Q and K rows permuted per head, llama.* hyperparameters from config.json, and a sentencepiece
tokenizer.model as tokenizer.ggml.* arrays.

llama.cpp's Q/K permutation: for each of `groups` heads the head's R rows are read as [2, R/2]
and transposed, so written row j is HF row (j % 2) * R/2 + j // 2."""

import json
import os
import re
from typing import Any, Dict, Iterator, Optional

from ._errors import OmnimodelError

LAYER = re.compile(r"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$")
LAYER_PARTS = {
    "input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
}
TOP = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"}
# model_type -> (llama.cpp architecture, LlamaModel's permutation and extra keys or not), as ts/writers/hf-llama.ts
ARCHS = {"llama": ("llama", True), "mistral": ("llama", True), "qwen2": ("qwen2", False)}
TOKEN_TYPES = {"NORMAL": 1, "UNKNOWN": 2, "CONTROL": 3, "USER_DEFINED": 4, "UNUSED": 5, "BYTE": 6}


def llama_gguf_name(hf: str) -> Optional[str]:
    if hf in TOP:
        return TOP[hf]
    m = LAYER.match(hf)
    if not m or m.group(2) not in LAYER_PARTS:
        return None
    return f"blk.{m.group(1)}.{LAYER_PARTS[m.group(2)]}.{m.group(3)}"


def permuted_projection(hf: str) -> Optional[str]:
    m = LAYER.match(hf)
    if not m:
        return None
    return {"self_attn.q_proj": "q", "self_attn.k_proj": "k"}.get(m.group(2))


def permuted_bytes(chunks: Iterator[bytes], groups: int, rows: int, row_bytes: int) -> Iterator[bytes]:
    """F32 bytes of one tensor reordered head by head (one head buffered at a time)."""
    head_rows = rows // groups
    half = head_rows // 2
    size = head_rows * row_bytes
    head = bytearray(size)
    fill = 0
    for c in chunks:
        view, at = memoryview(c), 0
        while at < len(view):
            take = min(len(view) - at, size - fill)
            head[fill:fill + take] = view[at:at + take]
            fill += take
            at += take
            if fill == size:
                out = bytearray(size)
                for j in range(head_rows):
                    src = ((j % 2) * half + j // 2) * row_bytes
                    out[j * row_bytes:(j + 1) * row_bytes] = head[src:src + row_bytes]
                yield bytes(out)
                fill = 0
    if fill:
        raise OmnimodelError("CORRUPT", f"a permuted tensor ended inside a head ({fill} of {size} bytes)")


def size_label(n: int) -> str:
    """gguf-py's size label: 26784 -> "27K"."""
    scale, suffix = (1e-12, "T") if n > 1e12 else (1e-9, "B") if n > 1e9 else (1e-6, "M") if n > 1e6 else (1e-3, "K")
    fix = max(2 - len(str(round(n * scale))), 0)
    return f"{n * scale:.{fix}f}{suffix}"


def _num(v) -> str:
    # the text JavaScript's String(v) gives, which the TypeScript host sends (integers without ".0")
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    return repr(v)


def hf_llama_edits(model, config_text: str, vocab: Optional[Dict[str, Any]] = None, file_type: Optional[int] = None) -> Optional[Dict[str, Any]]:
    try:
        c = json.loads(config_text)
    except ValueError:
        return None
    if not isinstance(c, dict) or str(c.get("model_type")) not in ARCHS:
        return None
    arch, llama = ARCHS[str(c.get("model_type"))]

    def integer(k):
        v = c.get(k)
        return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None

    heads = integer("num_attention_heads")
    heads_kv = integer("num_key_value_heads") or heads
    if heads is None or heads_kv is None:
        return None
    rename, permute = {}, {}
    for t in model.tensor_list:
        g = llama_gguf_name(t.name)
        if g is None:
            continue
        rename[t.name] = g
        p = permuted_projection(t.name) if llama else None
        if p:
            permute[t.name] = heads if p == "q" else heads_kv
    if not rename:
        return None
    sets = [{"key": "general.architecture", "value": arch, "type": "STRING"}]

    def u32(key, v):
        if v is not None:
            sets.append({"key": key, "value": _num(v), "type": "UINT32"})

    def f32(key, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf"):
            sets.append({"key": key, "value": _num(v), "type": "FLOAT32"})

    hidden = integer("hidden_size")
    head_dim = integer("head_dim") or (hidden / heads if hidden is not None else None)
    if llama:
        u32(f"{arch}.vocab_size", integer("vocab_size"))
    u32(f"{arch}.context_length", integer("max_position_embeddings"))
    u32(f"{arch}.embedding_length", hidden)
    u32(f"{arch}.block_count", integer("num_hidden_layers"))
    u32(f"{arch}.feed_forward_length", integer("intermediate_size"))
    if llama:
        u32(f"{arch}.rope.dimension_count", head_dim)
    u32(f"{arch}.attention.head_count", heads)
    u32(f"{arch}.attention.head_count_kv", heads_kv)
    # only a head_dim config.json states (convert_hf_to_gguf.py's TextModel), not the derived one
    u32(f"{arch}.attention.key_length", integer("head_dim"))
    u32(f"{arch}.attention.value_length", integer("head_dim"))
    f32(f"{arch}.rope.freq_base", c.get("rope_theta"))
    f32(f"{arch}.attention.layer_norm_rms_epsilon", c.get("rms_norm_eps"))
    sets.append({"key": "general.type", "value": "model", "type": "STRING"})
    sets.append({"key": "general.size_label", "value": size_label(model.parameter_count), "type": "STRING"})
    u32("general.file_type", file_type)
    sets.append({"key": "general.quantization_version", "value": "2", "type": "UINT32"})
    arrays = []
    if vocab:
        pieces, scores, types = vocab["pieces"], vocab["scores"], vocab["types"]
        size = integer("vocab_size") or len(pieces)
        tokens, sc, tt = [], [], []
        for i in range(size):
            if i < len(pieces):
                tokens.append(pieces[i]); sc.append(scores[i]); tt.append(TOKEN_TYPES.get(types[i], 1))
            else:
                tokens.append(f"[PAD{i}]"); sc.append(-10000); tt.append(5)
        sets.append({"key": "tokenizer.ggml.model", "value": "llama", "type": "STRING"})
        sets.append({"key": "tokenizer.ggml.pre", "value": "default", "type": "STRING"})
        arrays += [{"key": "tokenizer.ggml.tokens", "type": "STRING", "values": tokens},
                   {"key": "tokenizer.ggml.scores", "type": "FLOAT32", "values": sc},
                   {"key": "tokenizer.ggml.token_type", "type": "INT32", "values": tt}]
        for k in ("bos", "eos", "unk", "pad"):
            v = c.get(f"{k}_token_id")
            if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < size:
                sets.append({"key": f"tokenizer.ggml.{k}_token_id", "value": str(v), "type": "UINT32"})
    return {"rename": rename, "permute": permute, "set": sets, "arrays": arrays, "remove": list(model.metadata)}


def llama_edits_for(path, model, type: Optional[str]) -> Optional[Dict[str, Any]]:
    """The edits for a HF llama model (config.json in the folder or beside the file), else None."""
    from . import open as open_model

    path = os.fspath(path)
    d = path if os.path.isdir(path) else os.path.dirname(path)
    cfg = os.path.join(d, "config.json")
    if not os.path.isfile(cfg):
        return None
    vocab = None
    spm = os.path.join(d, "tokenizer.model")
    if os.path.isfile(spm):
        with open_model(spm) as t:
            if t.format == "sentencepiece":
                vocab = t.metadata.get("vocab")
    mats = {t.dtype for t in model.tensor_list if len(t.shape) >= 2}
    file_type = {"F32": 0, "F16": 1, "BF16": 32}.get(next(iter(mats))) if type is None and len(mats) == 1 else None
    with open(cfg, encoding="utf-8") as f:
        return hf_llama_edits(model, f.read(), vocab, file_type)
