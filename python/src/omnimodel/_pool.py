"""Threads that read whole tensors of one model for read_all and convert. Each thread has its own
wasm instance (same compiled module, its own store) and its own open of the file: wasmtime-py
calls wasm through ctypes, which releases the GIL, and file reads release it too, so the
threads run on separate cores. Under Pyodide there are no threads: everything stays on one."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional

from ._backend import IS_PYODIDE
from ._errors import OmnimodelError
from ._sources import FileSource

# Files at least this large use every core when no thread count is given.
POOL_MIN_FILE = 256 * 1024 * 1024
# Tensors larger than this are read on the calling thread, window by window (a pooled read holds
# the whole tensor, and several may be in flight).
POOL_MAX_TENSOR = 512 * 1024 * 1024


def choose_threads(requested: Optional[int], file_size: int) -> int:
    if requested is not None:
        if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
            raise OmnimodelError("BAD_ARGUMENT", f"threads must be a positive integer, not {requested!r}")
        return requested
    return (os.cpu_count() or 1) if file_size >= POOL_MIN_FILE else 1


class TensorPool:
    def __init__(self, model, threads: int, fmt: Optional[str], options: Optional[Dict[str, Any]]):
        src = model.source
        self.size = threads
        self._spec = (src.path, src.root, fmt, options)
        self._core = model._core
        self._local = threading.local()
        self._opened = []
        self._lock = threading.Lock()
        self._ex = ThreadPoolExecutor(threads, thread_name_prefix="omnimodel-pool")

    def _model(self):
        m = getattr(self._local, "model", None)
        if m is None:
            from ._model import open_source

            path, root, fmt, options = self._spec
            m = open_source(self._core.new_instance(), FileSource(path, root), format=fmt, options=options)
            self._local.model = m
            with self._lock:
                self._opened.append(m)
        return m

    def numpy(self, position: int, dtype: Optional[str] = None):
        """A future of tensor #position as numpy() returns it."""
        return self._ex.submit(lambda: self._model().tensor_list[position].numpy(dtype))

    def close(self):
        self._ex.shutdown(wait=True)
        for m in self._opened:
            m.close()


def pool_for(model, threads: Optional[int]) -> Optional[TensorPool]:
    """A pool when more than one thread is chosen and the model is a local file, else None."""
    fmt, options, default = model._open_options
    n = choose_threads(threads if threads is not None else default, model.source.size)
    if n <= 1 or IS_PYODIDE or not isinstance(model.source, FileSource) or not hasattr(model._core, "new_instance"):
        return None
    try:
        import numpy  # noqa: F401  (pooled reads come back as numpy arrays)
    except ImportError:
        return None
    return TensorPool(model, n, fmt, options)
