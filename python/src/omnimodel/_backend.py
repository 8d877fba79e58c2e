"""The wasm core, instantiated once per process, behind one small interface for both backends:
wasmtime on CPython (reads go straight into wasm memory) and the JavaScript engine's
WebAssembly under Pyodide (one copy between the two heaps cannot be avoided there)."""

import os
import sys
from importlib import resources

from ._errors import OmnimodelError

ABI_MAJOR = 1
MASK = 0xFFFFFFFF

# Exports used by this host (bindings/ABI.md); resolved once.
FUNCTIONS = [
    "abi_version", "features", "alloc", "free", "index_open", "job_set_name", "job_set_options",
    "read_open", "read_output_length", "job_run", "job_need_source", "job_need_offset",
    "job_need_length", "job_need_name", "job_need_name_length", "job_feed", "job_commit",
    "job_source_found", "job_source_failed", "job_output_ptr", "job_output_length",
    "job_output_offset", "job_result", "job_result_length", "job_error_code", "job_error_offset",
    "job_error_message", "job_error_message_length", "job_close", "choose_entry", "dtype_code",
    "convert_plan", "strings_open", "metadata_array", "child_open", "gguf_plan", "quantize_rows",
    "dtype_byte_length",
]

IS_PYODIDE = sys.platform == "emscripten"


def wasm_bytes() -> bytes:
    override = os.environ.get("OMNIMODEL_WASM")
    if override:
        with open(override, "rb") as f:
            return f.read()
    try:
        return (resources.files("omnimodel") / "omnimodel.wasm").read_bytes()
    except FileNotFoundError:
        raise OmnimodelError("BAD_ARGUMENT", "omnimodel.wasm is missing from the package (build the wheel, or set OMNIMODEL_WASM)") from None


class Core:
    """Export functions as attributes (``core.job_run(h)``) plus memory access."""

    backend = ""

    def check_abi(self):
        v = self.abi_version() & MASK
        if v >> 16 != ABI_MAJOR:
            raise OmnimodelError("ABI_MISMATCH", f"omnimodel.wasm speaks ABI {v >> 16}.{v & 0xFFFF}; this package needs {ABI_MAJOR}.x")

    # -- memory ---------------------------------------------------------------------------
    def read(self, ptr: int, n: int) -> bytes:
        raise NotImplementedError

    def write(self, ptr: int, data) -> None:
        raise NotImplementedError

    def copy_to(self, ptr: int, n: int, dest: memoryview) -> None:
        """Copies n bytes at ptr into dest (a writable byte memoryview of length n)."""
        raise NotImplementedError

    def fill(self, ptr: int, n: int, readinto) -> None:
        """Lets readinto(memoryview) write n bytes at ptr: zero-copy where the backend allows."""
        raise NotImplementedError

    # -- strings --------------------------------------------------------------------------
    def string(self, ptr: int, n: int) -> str:
        return self.read(ptr & MASK, n & MASK).decode("utf-8", "replace") if n else ""

    def with_string(self, s: str, fn):
        b = s.encode("utf-8")
        p = self.alloc(max(len(b), 1)) & MASK
        if not p:
            raise OmnimodelError("NO_MEMORY", "the core could not allocate memory for a string")
        try:
            if b:
                self.write(p, b)
            return fn(p, len(b))
        finally:
            self.free(p)


class WasmtimeCore(Core):
    backend = "wasmtime"

    def __init__(self, data: bytes, compiled=None):
        import wasmtime

        if compiled is not None:  # another instance of an already compiled module (pool threads)
            self._engine, module = compiled
            self._init_instance(wasmtime, module)
            return
        # Cranelift takes seconds to compile the core; wasmtime's own on-disk cache (keyed by
        # the module's hash and wasmtime's version) brings later starts to tens of milliseconds.
        # OMNIMODEL_WASMTIME_CACHE=0 turns it off.
        config = wasmtime.Config()
        if os.environ.get("OMNIMODEL_WASMTIME_CACHE", "1") != "0":
            try:
                config.cache = True
            except Exception:  # no writable cache directory: compile every time
                config = wasmtime.Config()
        self._engine = wasmtime.Engine(config)
        module = wasmtime.Module(self._engine, data)
        if len(module.imports):
            raise OmnimodelError("BAD_ARGUMENT", "omnimodel.wasm must have no imports")
        self._init_instance(wasmtime, module)

    def new_instance(self) -> "WasmtimeCore":
        """A second instance of the same module with a store of its own, for another thread:
        wasmtime-py calls wasm through ctypes, which releases the GIL, so instances in different
        threads run on different cores."""
        return WasmtimeCore(b"", (self._engine, self._module))

    def _init_instance(self, wasmtime, module):
        self._module = module
        self._store = store = wasmtime.Store(self._engine)
        instance = wasmtime.Instance(store, module, [])
        ex = instance.exports(store)
        self._memory = ex["memory"]
        f64 = wasmtime.ValType.f64()
        named = [(wasmtime.ValType.i32(), "i32"), (wasmtime.ValType.i64(), "i64"), (f64, "f64"), (wasmtime.ValType.f32(), "f32")]
        kind = lambda t: next((k for v, k in named if v == t), None)  # noqa: E731
        for name in FUNCTIONS:
            f = ex[name]
            ty = f.type(store)
            fast = _bind_unchecked(f, store, [kind(t) for t in ty.params], [kind(t) for t in ty.results])
            floats = [i for i, t in enumerate(ty.params) if t == f64]
            setattr(self, name, fast or _bind(f, store, floats))
        self.check_abi()

    def _view(self, ptr: int, n: int) -> memoryview:
        # A ctypes array over linear memory: valid until the next call that may grow memory.
        return memoryview(self._memory.get_buffer_ptr(self._store, n, ptr)).cast("B")

    def read(self, ptr, n):
        return bytes(self._view(ptr, n)) if n else b""

    def write(self, ptr, data):
        if len(data):
            self._view(ptr, len(data))[:] = data

    def copy_to(self, ptr, n, dest):
        if n:
            dest[:n] = self._view(ptr, n)

    def fill(self, ptr, n, readinto):
        if n:
            readinto(self._view(ptr, n))


def _bind_unchecked(f, store, params, results):
    """A call through wasmtime's unchecked entry point with the types looked up once.

    wasmtime-py's Func.__call__ fetches the function's type and builds a typed value for every
    argument on every call: about 0.17 ms a call, most of the time of opening a small file (15
    calls). The core's exports take and return only numbers, so the raw values are written
    straight into one ctypes array. None when this wasmtime-py lacks the pieces (the checked
    call is used then)."""
    if None in params or None in results or len(results) > 1:
        return None
    try:
        from ctypes import byref

        from wasmtime import WasmtimeError
        from wasmtime import _ffi as ffi
        from wasmtime._func import enter_wasm

        raw = ffi.wasmtime_val_raw * max(1, len(params), len(results))
        call_unchecked = ffi.wasmtime_func_call_unchecked
        fref = byref(f._func)
        context = store._context
    except (ImportError, AttributeError):
        return None
    n = max(1, len(params), len(results))
    setters = [(i, k) for i, k in enumerate(params)]
    rkind = results[0] if results else None

    count = len(params)

    def call(*a):
        if len(a) != count:
            raise TypeError(f"expected {count} arguments, got {len(a)}")
        buf = raw()
        for i, k in setters:
            v = a[i]
            if k == "i32":
                buf[i].i32 = v
            elif k == "i64":
                buf[i].i64 = v
            else:
                setattr(buf[i], k, float(v))
        with enter_wasm(store) as trap:
            error = call_unchecked(context(), fref, buf, n, trap)
            if error:
                raise WasmtimeError._from_ptr(error)
        return getattr(buf[0], rkind) if rkind else None

    return call


def _bind(f, store, floats):
    # wasmtime-py converts only floats to f64 parameters (offsets and sizes): cast those.
    if not floats:
        return lambda *a: f(store, *a)

    def call(*a):
        a = list(a)
        for i in floats:
            a[i] = float(a[i])
        return f(store, *a)

    return call


class PyodideCore(Core):
    backend = "pyodide"

    def __init__(self, data: bytes):
        import js
        from pyodide.ffi import to_js

        self._js = js
        module = js.WebAssembly.Module.new(to_js(data))
        if js.WebAssembly.Module.imports(module).length:
            raise OmnimodelError("BAD_ARGUMENT", "omnimodel.wasm must have no imports")
        instance = js.WebAssembly.Instance.new(module, js.Object.new())
        ex = instance.exports
        self._memory = ex.memory
        for name in FUNCTIONS:
            f = getattr(ex, name)
            setattr(self, name, f)
        self.check_abi()

    def _u8(self, ptr, n):
        return self._js.Uint8Array.new(self._memory.buffer, ptr, n)

    def read(self, ptr, n):
        return self._u8(ptr, n).to_bytes() if n else b""

    def write(self, ptr, data):
        if len(data):
            self._u8(ptr, len(data)).assign(data)

    def copy_to(self, ptr, n, dest):
        if n:
            self._u8(ptr, n).assign_to(dest[:n])

    def fill(self, ptr, n, readinto):
        if n:
            tmp = bytearray(n)
            readinto(memoryview(tmp))
            # Memory may not grow between feed and commit, but re-take the view anyway.
            self._u8(ptr, n).assign(tmp)


_core = None


def core() -> Core:
    global _core
    if _core is None:
        data = wasm_bytes()
        _core = PyodideCore(data) if IS_PYODIDE else WasmtimeCore(data)
    return _core
