"""Streams a model as a GGUF v3 file, as ts/writers/gguf.ts does: the core plans everything
(`gguf_plan`: which tensors, which ggml type, the metadata pairs, tensor infos, aligned
offsets); this host writes the header parts (literal bytes, or a GGUF source's metadata pairs
copied byte for byte), then each tensor: copied as stored, or read as F32 and quantized in the
core (`quantize_rows`, bit-exact with ggml's reference quantizers) a bounded window at a time,
padded to the alignment. Every host writes the same bytes."""

import json
from typing import Any, Callable, Dict, Optional

from ._errors import OmnimodelError

MASK = 0xFFFFFFFF

# ggml type names the writer can produce, and their ids (ts/writers/gguf.ts GGUF_WRITE_TYPES).
GGUF_WRITE_TYPES = {
    "F32": 0, "F16": 1, "BF16": 30, "Q8_0": 8, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q2_K": 10,
    "Q3_K": 11, "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "IQ4_NL": 20, "IQ4_XS": 23, "TQ1_0": 34, "TQ2_0": 35,
    "MXFP4": 39,
}

STAGE_ELEMENTS = 1 << 20  # f32 values quantized per call (4 MiB in, a multiple of every block)
COPY_CHUNK = 16 << 20  # bytes of a copied header range read at once


def check_type(type: Optional[str]) -> int:
    if type is None:
        return -1
    if type not in GGUF_WRITE_TYPES:
        raise OmnimodelError("BAD_ARGUMENT", f'cannot write GGUF type "{type}" (one of {", ".join(GGUF_WRITE_TYPES)})')
    return GGUF_WRITE_TYPES[type]


def plan_gguf(model, type: Optional[str] = None, edits: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """edits: the gguf_plan options (bindings/ABI.md), e.g. _hf_llama's rename/permute/set/arrays."""
    core = model._core
    tid = check_type(type)
    st = 0 if type is None else 1
    if edits:
        text = json.dumps(edits, ensure_ascii=False)
        h = core.with_string(text, lambda p, n: core.gguf_plan(model._handle, tid, st, p, n))
    else:
        h = core.gguf_plan(model._handle, tid, st, 0, 0)
    if h <= 0:
        raise OmnimodelError("BAD_ARGUMENT", "the model cannot be converted (is it closed?)", file=model.source.name)
    try:
        if core.job_error_code(h) != 0 and core.job_run(h) < 0:
            msg = core.string(core.job_error_message(h) & MASK, core.job_error_message_length(h) & MASK)
            raise OmnimodelError("BAD_ARGUMENT", msg, file=model.source.name)
        d = json.loads(core.string(core.job_result(h) & MASK, core.job_result_length(h) & MASK))
        header = core.read(core.job_output_ptr(h) & MASK, core.job_output_length(h) & MASK)
    finally:
        core.job_close(h)
    tensors = [dict(t, tensor=model.tensor_list[t["tensor"]], quantize=t["quantize"] == 1) for t in d["tensors"]]
    return {"parts": d["parts"], "header": header, "tensors": tensors, "skipped": d["skipped"], "notes": d["notes"],
            "alignment": d["alignment"], "data_start": d["dataStart"], "total_bytes": d["totalLength"]}


def _copy_range(model, out, offset: int, length: int) -> None:
    src = model.source
    for done in range(0, length, COPY_CHUNK):
        b = bytearray(min(COPY_CHUNK, length - done))
        src.readinto(memoryview(b), offset + done)
        out.write(b)


def write_gguf(model, out, type: Optional[str] = None, on_progress: Optional[Callable[[Dict[str, Any]], None]] = None, planned=None):
    """Writes the model to out (a binary file object) as GGUF. Memory stays bounded by a few
    windows. `planned` is a plan_gguf() made earlier (so a caller can refuse before creating the file)."""
    p = planned or plan_gguf(model, type)
    core = model._core
    lit = written = 0
    for part in p["parts"]:
        if "literal" in part:
            n = part["literal"]
            out.write(p["header"][lit:lit + n])
            lit += n
            written += n
        else:
            _copy_range(model, out, part["offset"], part["length"])
            written += part["length"]
    if written != p["data_start"]:
        raise OmnimodelError("CORRUPT", f'GGUF header is {written} bytes, planned {p["data_start"]}', file=model.source.name)
    tensors = p["tensors"]
    for i, t in enumerate(tensors):
        if written < t["offset"]:
            out.write(bytes(t["offset"] - written))
            written = t["offset"]
        n = 0
        if not t["quantize"]:
            for chunk in t["tensor"].chunks():  # as stored
                out.write(chunk)
                n += len(chunk)
        else:
            n = _write_quantized(core, out, t)
        if n != t["byteLength"]:
            raise OmnimodelError("CORRUPT", f'tensor "{t["name"]}" produced {n} bytes, expected {t["byteLength"]}', file=model.source.name)
        written += n
        if on_progress:
            on_progress({"tensor": t["name"], "index": i, "count": len(tensors), "bytes_written": written, "total_bytes": p["total_bytes"]})
    if written < p["total_bytes"]:
        out.write(bytes(p["total_bytes"] - written))
        written = p["total_bytes"]
    return {"tensors": len(tensors), "skipped": p["skipped"], "notes": p["notes"], "bytes": written}


def _write_quantized(core, out, t) -> int:
    """Reads the tensor as F32, stages STAGE_ELEMENTS values in wasm memory, quantizes them there."""
    type_id = t["typeId"]
    src = core.alloc(STAGE_ELEMENTS * 4) & MASK
    dst = core.alloc(STAGE_ELEMENTS * 4) & MASK
    if not src or not dst:
        raise OmnimodelError("NO_MEMORY", "the core could not allocate the quantization buffers")
    n = 0
    fill = 0  # bytes of f32 staged at src

    def flush(nbytes: int) -> int:
        count = nbytes // 4
        rc = core.quantize_rows(type_id, src, count, dst)
        if rc != 0:
            why = "not a whole number of blocks" if rc == -2 else "unsupported type"
            raise OmnimodelError("BAD_ARGUMENT", f'tensor "{t["name"]}": {t["type"]} cannot be written ({why})')
        k = int(core.dtype_byte_length(4096 + type_id, count))
        out.write(core.read(dst, k))
        return k

    chunks = t["tensor"].chunks("F32")
    if t.get("permute"):
        from ._hf_llama import permuted_bytes

        total = 1
        for d in t["tensor"].shape:
            total *= d
        chunks = permuted_bytes(chunks, t["permute"], total // t["permuteRow"], t["permuteRow"] * 4)
    try:
        for chunk in chunks:
            at = 0
            while at < len(chunk):
                take = min(len(chunk) - at, STAGE_ELEMENTS * 4 - fill)
                core.write(src + fill, chunk[at:at + take])
                fill += take
                at += take
                if fill == STAGE_ELEMENTS * 4:
                    n += flush(fill)
                    fill = 0
        if fill:
            n += flush(fill)
    finally:
        core.free(src)
        core.free(dst)
    return n
