"""Model and Tensor: the index the core produced, plus reads driven through the same loop."""

import json
from typing import Any, Dict, Iterator, List, Optional

from ._backend import MASK, Core
from ._driver import SourceTable, drive, steps
from ._dtypes import COMPLEX, DTYPE_CODES, ML_DTYPES, MEMORYVIEW_FORMAT, NUMPY_DTYPE
from ._errors import OmnimodelError

SEVERITIES = ["info", "low", "medium", "high", "critical"]
CHUNK = 8 * 1024 * 1024

# read()/numpy() allocate the whole tensor and the size comes from the file, which may lie by
# terabytes: above this many bytes they refuse with TOO_LARGE before allocating. chunks() and
# read_into() are bounded by the caller. open(..., max_tensor_bytes=N) changes it per model.
DEFAULT_MAX_TENSOR_BYTES = 2 * 1024 * 1024 * 1024


def _size_text(n: int) -> str:
    v, u = float(n), 0
    units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    while v >= 1024 and u < len(units) - 1:
        v /= 1024
        u += 1
    return f"{n} bytes" if u == 0 else f"{n} bytes ({v:.1f} {units[u]})"


def _too_large(what: str, n: int, cap: int, file) -> OmnimodelError:
    return OmnimodelError("TOO_LARGE", f"{what} needs {_size_text(n)}, over the {_size_text(cap)} read() may allocate; "
                          "read it in bounded windows with chunks(), or into a buffer of your own with read_into() "
                          "(or raise max_tensor_bytes)", file=file)


def severity_rank(s: str) -> int:
    return SEVERITIES.index(s) + 1 if s in SEVERITIES else 0


# Arrays from this size on are backed by an anonymous mmap of their own.
_MMAP_FROM = 4 * 1024 * 1024


def _destination(n: int):
    """A writable uint8 array of n bytes for a read to fill.

    Not np.empty for large arrays: numpy asks the kernel for transparent huge pages on them
    (madvise), and where THP defrag is "madvise" (a common default) the first touch then waits
    for memory compaction: reading 1 GiB of tensors took 3.5-7 s that way against 1.3-3 s with
    pages of an anonymous mapping, which the kernel gives zeroed on first write without a
    filling pass (bytearray would memset every byte first). The array keeps the mapping alive
    and unmaps it when it is freed."""
    import numpy as np

    if n >= _MMAP_FROM:
        try:
            import mmap

            return np.frombuffer(mmap.mmap(-1, n), dtype=np.uint8)
        except (ImportError, OSError, ValueError):  # no mmap (Pyodide) or no address space left
            pass
    return np.empty(n, dtype=np.uint8)


class Tensor:
    def __init__(self, model: "Model", position: int, info: Dict[str, Any]):
        self._model = model
        self._position = position
        self.name: str = info["name"]
        self.dtype: str = info["dtype"]
        self.shape = tuple(int(d) for d in info["shape"])
        self.byte_length = int(info["byteLength"])
        self.info = info.get("info")

    def __repr__(self):
        return f"Tensor({self.name!r}, {self.dtype}, {list(self.shape)})"

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def output_byte_length(self, dtype: Optional[str] = None) -> int:
        h = self._model._open_read(self._position, dtype)
        try:
            return int(self._model._core.read_output_length(h))
        finally:
            self._model._core.job_close(h)

    def read_into(self, buffer, dtype: Optional[str] = None) -> int:
        """Reads every value into buffer (a writable buffer of at least output_byte_length
        bytes): little-endian, C order. Returns the bytes written."""
        dest = memoryview(buffer).cast("B")
        model, core = self._model, self._model._core
        h = model._open_read(self._position, dtype)
        written = 0
        try:
            total = int(core.read_output_length(h))
            if len(dest) < total:
                raise OmnimodelError("BAD_ARGUMENT", f"the buffer holds {len(dest)} bytes; the tensor needs {total}", file=model.source.name)
            for s in steps(core, h, model._table):
                if s[0] == "output":
                    _, p, n, off = s
                    core.copy_to(p, n, dest[off:off + n])
                    written += n
                else:
                    _, src, src_off, n, off = s
                    for done in range(0, n, CHUNK):
                        k = min(CHUNK, n - done)
                        src.readinto(dest[off + done:off + done + k], src_off + done)
                    written += n
        finally:
            core.job_close(h)
        return written

    def _checked_length(self, dtype: Optional[str]) -> int:
        n = self.output_byte_length(dtype)
        cap = self._model.max_tensor_bytes
        if n > cap:
            raise _too_large(f'tensor "{self.name}"', n, cap, self._model.source.name)
        return n

    def read(self, dtype: Optional[str] = None) -> memoryview:
        """The values as a memoryview of the right format and shape (bytes for types Python has
        no format for; complex types get a trailing axis of 2)."""
        dt = dtype or self.dtype
        buf = bytearray(self._checked_length(dtype))
        self.read_into(buf, dtype)
        mv = memoryview(buf)
        fmt = MEMORYVIEW_FORMAT.get(dt)
        if fmt is None:
            return mv
        shape = list(self.shape) + ([2] if dt in COMPLEX else [])
        if any(d == 0 for d in shape):
            return mv.cast(fmt)  # memoryview cannot carry a zero-length axis
        return mv.cast(fmt, shape)

    def numpy(self, dtype: Optional[str] = None):
        """The values as a numpy array (needs numpy). BF16/F8 use ml_dtypes when it is installed,
        else their bits as unsigned integers."""
        import numpy as np

        dt = dtype or self.dtype
        buf = _destination(self._checked_length(dtype))
        self.read_into(buf, dtype)
        npdt = NUMPY_DTYPE.get(dt)
        if dt in ML_DTYPES:
            try:
                import ml_dtypes

                npdt = getattr(ml_dtypes, ML_DTYPES[dt])
            except ImportError:
                pass
        if npdt is None:
            return buf
        return buf.view(npdt).reshape(self.shape)

    def strings(self) -> list:
        """The values of a string tensor (dtype STR: NumPy 'U' and 'S' arrays), in C order."""
        model, core = self._model, self._model._core
        h = core.strings_open(model._handle, self._position)
        if h <= 0:
            raise OmnimodelError("NOT_FOUND", f'tensor "{self.name}" cannot be read', file=model.source.name)
        parts, total = [], 0
        try:
            for s in steps(core, h, model._table):
                if s[0] == "output":
                    total += s[2]
                    if total > model.max_tensor_bytes:
                        raise _too_large(f'the strings of tensor "{self.name}"', total, model.max_tensor_bytes, model.source.name)
                    parts.append(core.read(s[1], s[2]))
        finally:
            core.job_close(h)
        data = b"".join(parts)
        out, i = [], 0
        while i + 4 <= len(data):
            n = int.from_bytes(data[i:i + 4], "little")
            out.append(data[i + 4:i + 4 + n].decode("utf-8", "replace"))
            i += 4 + n
        return out

    def chunks(self, dtype: Optional[str] = None) -> Iterator[bytes]:
        """The values in order as bytes chunks of bounded size (for tensors too large to hold)."""
        model, core = self._model, self._model._core
        h = model._open_read(self._position, dtype)
        try:
            for s in steps(core, h, model._table):
                if s[0] == "output":
                    yield core.read(s[1], s[2])
                else:
                    _, src, src_off, n, _ = s
                    for done in range(0, n, CHUNK):
                        k = min(CHUNK, n - done)
                        b = bytearray(k)
                        src.readinto(memoryview(b), src_off + done)
                        yield bytes(b)
        finally:
            core.job_close(h)


MAX_CHILD_IN_MEMORY = 1024 * 1024 * 1024


def _has_items(data: bytearray, want: int, item: int) -> bool:
    """Whether `data` (a metadata array's output so far) holds its first `want` elements."""
    if item:
        return len(data) >= want * item
    pos = 0
    for _ in range(want):
        if pos + 4 > len(data):
            return False
        pos += 4 + int.from_bytes(data[pos:pos + 4], "little")
    return pos <= len(data)


class Tensors(dict):
    """name -> Tensor, in the order the file lists them (the first of duplicate names wins)."""


class Model:
    def __init__(self, core: Core, handle: int, table: SourceTable, index: Dict[str, Any],
                 max_tensor_bytes: Optional[int] = None):
        self.max_tensor_bytes = DEFAULT_MAX_TENSOR_BYTES if max_tensor_bytes is None else int(max_tensor_bytes)
        self._core = core
        self._handle = handle
        self._table = table
        self._closed = False
        self.index = index
        self.format: str = index["format"]
        self.format_version = index.get("formatVersion")
        self.metadata: Dict[str, Any] = index.get("metadata") or {}
        self.findings: List[Dict[str, Any]] = index.get("findings") or []
        self.children: List[Dict[str, Any]] = index.get("children") or []
        self.tensor_list = [Tensor(self, i, t) for i, t in enumerate(index.get("tensors") or [])]
        self.tensors = Tensors()
        for t in self.tensor_list:
            self.tensors.setdefault(t.name, t)
        self._open_options = (None, None, None)  # format, core options, threads: what pool threads need

    def read_all(self, dtype: Optional[str] = None, threads: Optional[int] = None) -> list:
        """numpy() of every tensor, in index order. Local files of 256 MiB or more are read by one
        thread per core (threads chooses; 1 reads on this thread); the values are the same."""
        from ._pool import POOL_MAX_TENSOR, pool_for

        if self._closed:
            raise OmnimodelError("BAD_ARGUMENT", "the model is closed", file=self.source.name)
        pool = pool_for(self, threads)
        if pool is None:
            return [t.numpy(dtype) for t in self.tensor_list]
        try:
            jobs = [pool.numpy(i, dtype) if t.output_byte_length(dtype) <= POOL_MAX_TENSOR else None for i, t in enumerate(self.tensor_list)]
            return [j.result() if j is not None else self.tensor_list[i].numpy(dtype) for i, j in enumerate(jobs)]
        finally:
            pool.close()

    def graph(self) -> Dict[str, Any]:
        """The model's graph in the format-neutral shape of `omnimodel graph --format json`:
        {id, name, format, kind, nodes, edges, inputs, outputs, subgraphs}. Files without a graph
        give the block view (kind "blocks") from tensor names. The index's own graph, as the
        format wrote it, stays in `index["graph"]`."""
        from ._graph import model_graph
        return model_graph(self.index)

    def __repr__(self):
        return f"Model({self.format}, {len(self.tensor_list)} tensors, {self.source.name!r})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def source(self):
        return self._table.main

    def tensor(self, name: str) -> Optional[Tensor]:
        """The tensor with this name (None when there is none)."""
        return self.tensors.get(name)

    @property
    def parameter_count(self) -> int:
        """Total element count over all tensors."""
        return sum(t.size for t in self.tensor_list)

    @property
    def parameters_by_dtype(self) -> Dict[str, int]:
        """Parameters (elements) per stored dtype, largest first."""
        by: Dict[str, int] = {}
        for t in self.tensor_list:
            by[t.dtype] = by.get(t.dtype, 0) + t.size
        return dict(sorted(by.items(), key=lambda kv: -kv[1]))

    def open_child(self, ref, format: Optional[str] = None, options: Optional[Dict[str, Any]] = None) -> "Model":
        """Opens an archive member (see `children`, by index or name) as a model of its own.
        A stored member is read in place; a compressed one is inflated into memory (up to 1 GiB)."""
        if self._closed:
            raise OmnimodelError("BAD_ARGUMENT", "the model is closed", file=self.source.name)
        from ._sources import BytesSource, SliceSource

        i = ref if isinstance(ref, int) else next((k for k, c in enumerate(self.children) if c.get("name") == ref), -1)
        if not (0 <= i < len(self.children)):
            raise OmnimodelError("NOT_FOUND", f"no child {json.dumps(ref)} ({len(self.children)} children)", file=self.source.name)
        child = self.children[i]
        core = self._core
        name = f"{self.source.name}!{child['name']}"
        h = core.child_open(self._handle, i)
        if h <= 0:
            from ._errors import ERROR_NAMES
            code = ERROR_NAMES[-h] if -h < len(ERROR_NAMES) else "ERROR"
            raise OmnimodelError(code, f'"{child["name"]}" cannot be opened (encrypted, or stored with a method that is not read)', file=self.source.name)
        try:
            gen = steps(core, h, self._table)
            first = next(gen, None)
            size = int(child["size"])
            if first is not None and first[0] == "copy" and first[3] == size:
                source = SliceSource(first[1], first[2], size, name)
            else:
                if size > MAX_CHILD_IN_MEMORY:
                    raise OmnimodelError("LIMIT", f'"{child["name"]}" is compressed and larger than the 1 GiB it may take in memory', file=self.source.name)
                buf = bytearray(size)
                s = first
                while s is not None:
                    if s[0] == "output":
                        buf[s[3]:s[3] + s[2]] = core.read(s[1], s[2])
                    else:
                        view = memoryview(buf)[s[4]:s[4] + s[3]]
                        s[1].readinto(view, s[2])
                    s = next(gen, None)
                source = BytesSource(buf, name)  # the inflated member itself, not a copy
        finally:
            core.job_close(h)
        return open_source(core, source, format=format, options=options)

    @property
    def highest_severity(self) -> str:
        best = max((severity_rank(f.get("severity", "")) for f in self.findings), default=0)
        return SEVERITIES[best - 1] if best else "none"

    def metadata_array(self, key: str, limit: Optional[int] = None) -> list:
        """All elements of a metadata array as a list (str, int, float or bool), including arrays
        the index shows only as {type, length, offset} (GGUF tokenizer vocabularies). ``limit``
        reads only the first ``limit`` elements, stopping as soon as they have arrived."""
        if self._closed:
            raise OmnimodelError("BAD_ARGUMENT", "the model is closed", file=self.source.name)
        core = self._core
        h = core.with_string(key, lambda p, n: core.metadata_array(self._handle, p, n))
        if h <= 0:
            code = {14: "UNSUPPORTED", 22: "NOT_FOUND"}.get(-h, "BAD_ARGUMENT")
            why = {"UNSUPPORTED": "is an array of arrays, which is not streamed", "NOT_FOUND": "is not a metadata array of this model"}.get(code, "cannot be read")
            raise OmnimodelError(code, f'metadata "{key}" {why}', file=self.source.name)
        try:
            desc = json.loads(core.string(core.job_result(h), core.job_result_length(h) & MASK))
            want = desc["length"] if limit is None else max(0, min(desc["length"], int(limit)))
            item = 0 if desc["dtype"] == "STR" else memoryview(b"").cast(MEMORYVIEW_FORMAT[desc["dtype"]]).itemsize
            data = bytearray()
            gen = steps(core, h, self._table)
            for s in gen:
                if len(data) + s[2] > self.max_tensor_bytes:
                    raise _too_large(f'metadata "{key}"', len(data) + s[2], self.max_tensor_bytes, self.source.name)
                data += core.read(s[1], s[2])  # only outputs: array jobs never ask for copies
                if want < desc["length"] and _has_items(data, want, item):
                    gen.close()
                    break
        finally:
            core.job_close(h)
        if desc["dtype"] != "STR":
            return memoryview(bytes(data[:want * item])).cast(MEMORYVIEW_FORMAT[desc["dtype"]]).tolist()
        # Strings: a u32 little-endian byte count, then the bytes, per element (bindings/ABI.md).
        out, pos = [], 0
        for _ in range(want):
            n = int.from_bytes(data[pos:pos + 4], "little")
            out.append(bytes(data[pos + 4:pos + 4 + n]).decode("utf-8", "replace"))
            pos += 4 + n
        return out

    def _open_read(self, position: int, dtype: Optional[str]) -> int:
        if self._closed:
            raise OmnimodelError("BAD_ARGUMENT", "the model is closed", file=self.source.name)
        code = 0
        if dtype is not None:
            if dtype not in DTYPE_CODES:
                raise OmnimodelError("BAD_DTYPE", f'unknown dtype "{dtype}"', file=self.source.name)
            code = DTYPE_CODES[dtype]
        h = self._core.read_open(self._handle, position, code)
        if h <= 0:
            raise OmnimodelError("NOT_FOUND", f"tensor #{position} cannot be read", file=self.source.name)
        return h

    def close(self):
        if self._closed:
            return
        self._closed = True
        self._core.job_close(self._handle)
        self._table.close()


def open_source(core: Core, source, format: Optional[str] = None, options: Optional[Dict[str, Any]] = None, threads: Optional[int] = None,
                max_tensor_bytes: Optional[int] = None) -> Model:
    h = core.index_open(float(source.size))
    if h <= 0:
        raise OmnimodelError("BAD_ARGUMENT", f"cannot index a source of {source.size} bytes", file=source.name)
    table = SourceTable(source)
    try:
        core.with_string(source.base_name, lambda p, n: core.job_set_name(h, p, n))
        opts = dict(options or {})
        if format:
            opts["format"] = format
        if opts:
            rc = core.with_string(json.dumps(opts), lambda p, n: core.job_set_options(h, p, n))
            if rc != 0:
                raise OmnimodelError("BAD_ARGUMENT", "the core refused the options", file=source.name)
        drive(core, h, table)
        index = json.loads(core.string(core.job_result(h) & MASK, core.job_result_length(h) & MASK))
        extra = getattr(source, "findings", None)  # transport facts, e.g. a server without Range
        if extra:
            index["findings"] = list(index.get("findings") or []) + list(extra)
        model = Model(core, h, table, index, max_tensor_bytes)
        model._open_options = (format, options, threads)
        return model
    except BaseException:
        core.job_close(h)
        table.close()
        raise
