"""Streams a model as a safetensors file: the header first (every tensor's output size is known
before any value is read), then each tensor window by window. Byte-identical to the TypeScript
writer (ts/writers/safetensors.ts), including JSON key order."""

import json
import struct
from typing import Any, Callable, Dict, Optional

from ._errors import OmnimodelError

STORABLE = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL", "C64", "C128",
            "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F6_E2M3", "F6_E3M2", "F4"}
FLOATS = {"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ"}
NOT_NUMERIC = {"STR", "RAW", "OBJECT"}


def output_dtype(dtype: str, want: str):
    """(written dtype, dtype to ask the core for or None), or None when not writable."""
    if dtype in NOT_NUMERIC or "[" in dtype or dtype[:1] in ("|", "<", ">"):
        return None
    if want == "keep":
        return (dtype, None) if dtype in STORABLE else ("F32", "F32")  # quantized types
    if dtype in FLOATS or dtype not in STORABLE:
        return (dtype, None) if dtype == want else (want, want)
    return (dtype, None)  # integers and bools keep their type


def _js_key_order(d: Dict[str, Any]) -> Dict[str, Any]:
    # JSON.stringify writes integer-like keys first, ascending; mirror it for identical bytes.
    def is_index(k):
        return k.isdigit() and (k == "0" or k[0] != "0") and int(k) < 2**32 - 1

    ints = sorted((k for k in d if is_index(k)), key=int)
    return {**{k: d[k] for k in ints}, **{k: v for k, v in d.items() if not is_index(k)}}


def _js_dumps(v) -> str:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def plan(model, want: str = "keep"):
    tensors, skipped, used = [], [], set()
    for t in model.tensor_list:
        od = output_dtype(t.dtype, want)
        if od is None:
            skipped.append({"name": t.name, "dtype": t.dtype, "reason": "not a numeric tensor"})
            continue
        try:
            n = t.output_byte_length(od[1])
        except OmnimodelError as e:
            skipped.append({"name": t.name, "dtype": t.dtype, "reason": str(e)})
            continue
        name, i = t.name, 1
        while name in used or name == "__metadata__":
            name = f"{t.name}.{i}"
            i += 1
        used.add(name)
        tensors.append({"tensor": t, "name": name, "dtype": od[0], "read_as": od[1], "byte_length": n})
    meta = {"format": model.format}
    if model.format_version:
        meta["format_version"] = model.format_version
    for k, v in _js_key_order(model.metadata).items():
        s = v if isinstance(v, str) else _js_dumps(_js_order_deep(v))
        if _utf16_len(s) <= 65536:
            meta[k] = s
    header: Dict[str, Any] = {"__metadata__": _js_key_order(meta)}
    offset = 0
    for p in tensors:
        header[p["name"]] = {"dtype": p["dtype"], "shape": list(p["tensor"].shape), "data_offsets": [offset, offset + p["byte_length"]]}
        offset += p["byte_length"]
    text = _js_dumps(_js_key_order(header))
    body = text.encode("utf-8")
    body += b" " * ((8 - len(body) % 8) % 8)
    head = struct.pack("<Q", len(body)) + body
    return {"tensors": tensors, "skipped": skipped, "header": head, "total_bytes": len(head) + offset}


def _js_order_deep(v):
    if isinstance(v, dict):
        return {k: _js_order_deep(x) for k, x in _js_key_order(v).items()}
    if isinstance(v, list):
        return [_js_order_deep(x) for x in v]
    return v


def write_safetensors(model, out, want: str = "keep", on_progress: Optional[Callable[[Dict[str, Any]], None]] = None):
    """Writes the model to out (a binary file object). Memory stays bounded by one window."""
    p = plan(model, want)
    out.write(p["header"])
    written = len(p["header"])
    for i, t in enumerate(p["tensors"]):
        n = 0
        for chunk in t["tensor"].chunks(t["read_as"]):
            out.write(chunk)
            n += len(chunk)
            written += len(chunk)
            if on_progress:
                on_progress({"tensor": t["name"], "index": i, "count": len(p["tensors"]), "bytes_written": written, "total_bytes": p["total_bytes"]})
        if n != t["byte_length"]:
            raise OmnimodelError("SIZE_MISMATCH", f'tensor "{t["name"]}" produced {n} bytes, expected {t["byte_length"]}', file=model.source.name)
    return {"tensors": len(p["tensors"]), "skipped": p["skipped"], "bytes": written}
