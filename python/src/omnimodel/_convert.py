"""Streams a model as a safetensors file. The core decides what goes in (which tensors, which
dtype, unique names) and writes the header (`convert_plan`, bindings/ABI.md); this host writes
the header, then each listed tensor window by window, so memory stays bounded and every host
writes the same bytes."""

import json
from typing import Any, Callable, Dict, Optional

from ._dtypes import DTYPE_CODES
from ._errors import OmnimodelError

MASK = 0xFFFFFFFF
CODE_NAMES = {v: k for k, v in DTYPE_CODES.items()}


def plan(model, want: str = "keep"):
    core = model._core
    code = 0 if want == "keep" else DTYPE_CODES.get(want)
    if code is None or want not in ("keep", "F32", "F16", "BF16"):
        raise OmnimodelError("BAD_ARGUMENT", f"cannot convert to {want}; use keep, F32, F16 or BF16")
    h = core.convert_plan(model._handle, code)
    if h <= 0:
        raise OmnimodelError("BAD_ARGUMENT", "the model cannot be converted (is it closed?)", file=model.source.name)
    try:
        d = json.loads(core.string(core.job_result(h) & MASK, core.job_result_length(h) & MASK))
        header = core.read(core.job_output_ptr(h) & MASK, core.job_output_length(h) & MASK)
    finally:
        core.job_close(h)
    if not d["tensors"]:
        raise _nothing_to_convert(model, d["skipped"])
    tensors = [{"tensor": model.tensor_list[t["tensor"]], "name": t["name"], "dtype": t["dtype"],
                "read_as": CODE_NAMES.get(t["readAs"]) if t["readAs"] else None, "byte_length": t["byteLength"]}
               for t in d["tensors"]]
    return {"tensors": tensors, "skipped": d["skipped"], "header": header, "total_bytes": d["totalLength"]}


def _nothing_to_convert(model, skipped):
    # An empty safetensors file would look like success; a model with nothing to write is an error.
    if skipped:
        listed = "; ".join(f'{s["name"]}: {s["reason"]}' for s in skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
        why = f"none of its {len(skipped)} tensors can be written as safetensors ({listed})"
    else:
        why = f"the {model.format} file has no tensors"
    return OmnimodelError("UNSUPPORTED", f"nothing to convert: {why}", file=model.source.name)


def write_safetensors(model, out, want: str = "keep", on_progress: Optional[Callable[[Dict[str, Any]], None]] = None, planned=None, threads: Optional[int] = None):
    """Writes the model to out (a binary file object). Memory stays bounded by one window; with
    several threads (local files), by the tensors read ahead (POOL_AHEAD_BYTES). `planned` is a
    plan() made earlier (so a caller can refuse before creating the file)."""
    from ._pool import POOL_MAX_TENSOR, pool_for

    p = planned or plan(model, want)
    out.write(p["header"])
    written = len(p["header"])
    tensors = p["tensors"]
    pool = pool_for(model, threads)
    ahead, nxt, ahead_bytes = {}, 0, 0
    try:
        for i, t in enumerate(tensors):
            if pool is not None:
                nxt = max(nxt, i)
                while nxt < len(tensors) and nxt < i + 4 * pool.size and (nxt == i or ahead_bytes + tensors[nxt]["byte_length"] <= POOL_AHEAD_BYTES):
                    q = tensors[nxt]
                    if q["byte_length"] <= POOL_MAX_TENSOR:
                        ahead[nxt] = pool.numpy(q["tensor"]._position, q["read_as"])
                        ahead_bytes += q["byte_length"]
                    nxt += 1
            n = 0
            if i in ahead:
                arr = ahead.pop(i).result()
                ahead_bytes -= t["byte_length"]
                out.write(arr.reshape(-1).view("u1"))
                n = arr.nbytes
                written += n
                if on_progress:
                    on_progress({"tensor": t["name"], "index": i, "count": len(tensors), "bytes_written": written, "total_bytes": p["total_bytes"]})
            else:
                for chunk in t["tensor"].chunks(t["read_as"]):
                    out.write(chunk)
                    n += len(chunk)
                    written += len(chunk)
                    if on_progress:
                        on_progress({"tensor": t["name"], "index": i, "count": len(tensors), "bytes_written": written, "total_bytes": p["total_bytes"]})
            if n != t["byte_length"]:
                raise OmnimodelError("CORRUPT", f'tensor "{t["name"]}" produced {n} bytes, expected {t["byte_length"]}', file=model.source.name)
    finally:
        if pool is not None:
            for f in ahead.values():
                f.cancel()
            pool.close()
    return {"tensors": len(tensors), "skipped": p["skipped"], "bytes": written}


# Bytes of pooled reads in flight ahead of the writer (at least one tensor always is).
POOL_AHEAD_BYTES = 512 * 1024 * 1024
