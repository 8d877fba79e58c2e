"""omnimodel: open any machine-learning model file (inspect, read tensors, scan, convert)
safely, without executing anything. The formats live in one WebAssembly core (omnimodel.wasm,
shipped in this package); CPython runs it with wasmtime, Pyodide with the JavaScript engine.

    import omnimodel
    with omnimodel.open("model.safetensors") as m:
        print(m.format, list(m.tensors))
        w = m.tensors["fc.weight"].numpy()
"""

import os
from typing import Any, Dict, Optional

from ._backend import IS_PYODIDE, core as _core
from ._errors import ERROR_NAMES, OmnimodelError
from ._model import Model, Tensor, open_source
from ._sources import BytesSource, FileSource, Source, UrlSource, list_directory

__all__ = ["open", "scan", "convert", "Model", "Tensor", "OmnimodelError", "Source", "FileSource", "BytesSource",
           "UrlSource", "backend", "ERROR_NAMES"]
__version__ = "0.1.0"


def backend() -> str:
    """"wasmtime" (CPython) or "pyodide"."""
    return _core().backend


def _choose_entry(core, d: str) -> str:
    paths = list_directory(d)
    import json

    i = core.with_string(json.dumps(paths), lambda p, n: core.choose_entry(p, n))
    if i < 0:
        raise OmnimodelError("UNKNOWN_FORMAT", f"no model file found in the directory ({len(paths)} files)", file=d)
    return paths[i]


def _to_source(src, name: Optional[str], siblings, headers) -> Source:
    if isinstance(src, Source):
        return src
    if isinstance(src, (bytes, bytearray, memoryview)):
        return BytesSource(src, name or "bytes", siblings)
    if isinstance(src, str) and (src.startswith("http://") or src.startswith("https://")):
        return UrlSource(src, headers)
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        if os.path.isdir(path):
            entry = _choose_entry(_core(), path)
            return FileSource(os.path.join(path, entry), os.path.abspath(path))
        return FileSource(path)
    raise OmnimodelError("BAD_ARGUMENT", "open() takes a path, a URL, bytes or a Source")


def open(src, *, format: Optional[str] = None, name: Optional[str] = None, siblings: Optional[Dict[str, Any]] = None,
         headers: Optional[Dict[str, str]] = None, options: Optional[Dict[str, Any]] = None, threads: Optional[int] = None,
         max_tensor_bytes: Optional[int] = None) -> Model:
    """Opens a model (a path, a directory, an http(s) URL, bytes, or a Source). Reads only what
    the index needs. ``siblings`` maps relative paths to bytes for multi-file models given as bytes.
    ``threads``: threads for read_all() and convert (1: this thread; unset: every core for local
    files of 256 MiB or more). ``max_tensor_bytes`` (default 2 GiB) is the largest array
    read()/numpy() allocate; larger tensors raise TOO_LARGE and are read with chunks() or read_into()."""
    core = _core()
    return open_source(core, _to_source(src, name, siblings, headers), format=format, options=options, threads=threads,
                       max_tensor_bytes=max_tensor_bytes)


def scan(src, **kwargs) -> Dict[str, Any]:
    """Opens, returns {"format", "findings", "highest"}, closes."""
    with open(src, **kwargs) as m:
        return {"format": m.format, "findings": m.findings, "highest": m.highest_severity}


def convert(src, dest, dtype: Optional[str] = None, on_progress=None, *, to: Optional[str] = None, type: Optional[str] = None,
            **kwargs) -> Dict[str, Any]:
    """Writes the model to dest (a path or a binary file object), streaming, as safetensors or GGUF:
    to="safetensors" or "gguf"; by default "gguf" when dest is a path ending in .gguf.
    safetensors: dtype "keep" (default), "F32", "F16" or "BF16"; threads=N as in open().
    GGUF: type = the ggml type of the matrices ("Q8_0", "Q4_K", ...; vectors stay F32), None keeps
    every tensor's stored type; the same bytes as `omnimodel convert IN OUT.gguf --type T`.
    Returns {"tensors", "skipped", "bytes"} (GGUF also "notes")."""
    if to is None:
        to = "gguf" if not hasattr(dest, "write") and os.fspath(dest).lower().endswith(".gguf") else "safetensors"
    if to == "gguf":
        return _convert_to_gguf(src, dest, dtype, type, on_progress, kwargs)
    if to != "safetensors":
        raise OmnimodelError("BAD_ARGUMENT", f'convert: cannot write "{to}" (safetensors or gguf)')
    if type is not None:
        raise OmnimodelError("BAD_ARGUMENT", "convert: type is for GGUF output; use dtype for safetensors")
    from ._convert import plan, write_safetensors

    dtype = dtype or "keep"
    if dtype not in ("keep", "F32", "F16", "BF16"):
        raise OmnimodelError("BAD_ARGUMENT", f'dtype must be keep, F32, F16 or BF16, not "{dtype}"')
    with open(src, **kwargs) as m:
        if hasattr(dest, "write"):
            return write_safetensors(m, dest, dtype, on_progress)
        planned = plan(m, dtype)  # before the file is created: a refusal leaves no empty file behind
        with builtins_open(os.fspath(dest), "wb") as f:
            return write_safetensors(m, f, dtype, on_progress, planned)


def _convert_to_gguf(src, dest, dtype, type, on_progress, kwargs) -> Dict[str, Any]:
    from ._convert_gguf import check_type, plan_gguf, write_gguf

    if dtype is not None:
        raise OmnimodelError("BAD_ARGUMENT", "convert: dtype is for safetensors output; use type for GGUF")
    from ._hf_llama import llama_edits_for

    check_type(type)  # before the source is opened
    with open(src, **kwargs) as m:
        # a HF llama model (config.json beside it) gets llama.cpp's names, Q/K order and metadata
        edits = llama_edits_for(src, m, type) if isinstance(src, (str, os.PathLike)) and not str(src).startswith(("http://", "https://")) else None
        planned = plan_gguf(m, type, edits)
        if hasattr(dest, "write"):
            return write_gguf(m, dest, type, on_progress, planned)
        path = os.fspath(dest)
        partial = path + ".partial"  # renamed into place only when every byte was written, as the CLI does
        try:
            with builtins_open(partial, "wb") as f:
                r = write_gguf(m, f, type, on_progress, planned)
            os.replace(partial, path)
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise
        return r


import builtins as _builtins  # noqa: E402  (open() above shadows the builtin)

builtins_open = _builtins.open
