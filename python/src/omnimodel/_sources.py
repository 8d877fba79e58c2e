"""Where model bytes come from: local files (positional reads straight into the destination),
bytes in memory, and http(s) URLs read with Range requests. Sibling files (shards, external
data) must stay inside the model's directory after symlinks are followed (bindings/ABI.md)."""

import os
import posixpath
from typing import Dict, Optional

from ._backend import IS_PYODIDE
from ._errors import OmnimodelError


class Source:
    name = ""
    size = 0

    @property
    def base_name(self) -> str:
        return self.name.replace("\\", "/").rstrip("/").split("/")[-1]

    def readinto(self, dest: memoryview, offset: int) -> None:
        """Fills dest with the bytes at offset."""
        raise NotImplementedError

    def sibling(self, rel: str) -> "Source":
        raise OmnimodelError("SOURCE_MISSING", "this source cannot open sibling files", file=self.name)

    def close(self) -> None:
        pass


class FileSource(Source):
    def __init__(self, path: str, root: Optional[str] = None):
        self.path = os.fspath(path)
        self.name = self.path
        self.root = root or os.path.dirname(os.path.abspath(self.path))
        try:
            self._f = open(self.path, "rb", buffering=0)
        except FileNotFoundError as e:
            raise OmnimodelError("SOURCE_MISSING", "no such file", file=self.path) from e
        except IsADirectoryError as e:
            raise OmnimodelError("BAD_ARGUMENT", "is a directory", file=self.path) from e
        except OSError as e:
            raise OmnimodelError("IO", e.strerror or str(e), file=self.path) from e
        self.size = os.fstat(self._f.fileno()).st_size

    def readinto(self, dest, offset):
        if self._f is None:
            raise OmnimodelError("IO", "the file is closed", file=self.path)
        f = self._f
        f.seek(offset)
        done, n = 0, len(dest)
        while done < n:
            got = f.readinto(dest[done:])
            if not got:
                raise OmnimodelError("IO", f"the file ended at {offset + done} while reading {n} bytes at {offset}", file=self.path, offset=offset + done)
            done += got

    def sibling(self, rel):
        here = os.path.relpath(os.path.dirname(os.path.abspath(self.path)), self.root)
        target = resolve_inside(self.root, os.path.normpath(os.path.join(here, rel)), self.path)
        return FileSource(target, self.root)

    def close(self):
        if self._f is not None:
            self._f.close()
        self._f = None


def resolve_inside(root: str, rel: str, referrer: str) -> str:
    """rel (relative to root) must name an existing file whose real path is inside root's."""
    parts = rel.replace("\\", "/").split("/")
    if os.path.isabs(rel) or ".." in parts:
        raise OmnimodelError("PATH_VIOLATION", f'"{rel}" is not a relative path inside the model\'s directory', file=referrer)
    candidate = os.path.join(root, rel)
    if not os.path.exists(candidate):
        raise OmnimodelError("SOURCE_MISSING", f'"{rel}" does not exist next to the model', file=referrer)
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    r = os.path.relpath(real, real_root)
    if r == "." or r == ".." or r.startswith(".." + os.sep) or os.path.isabs(r):
        raise OmnimodelError("PATH_VIOLATION", f'"{rel}" leads outside the model\'s directory (through a symlink)', file=referrer)
    return candidate


class SliceSource(Source):
    """A byte range of another source: a stored archive member opened as a model of its own."""

    def __init__(self, parent: Source, start: int, size: int, name: str):
        self.parent = parent  # the source this is a byte range of
        self.start = start  # where the range begins in it
        self.size = size
        self.name = name

    def readinto(self, dest, offset):
        if offset < 0 or offset + len(dest) > self.size:
            raise OmnimodelError("IO", f"{len(dest)} bytes at {offset} run past the end ({self.size} bytes)", file=self.name, offset=offset)
        self.parent.readinto(dest, self.start + offset)

    def sibling(self, rel):
        return self.parent.sibling(rel)


class BytesSource(Source):
    def __init__(self, data, name: str = "bytes", siblings: Optional[Dict[str, object]] = None):
        self._data = memoryview(data).cast("B") if not isinstance(data, memoryview) or data.format != "B" else data
        self.name = name
        self.size = len(self._data)
        self._siblings = siblings or {}

    def readinto(self, dest, offset):
        n = len(dest)
        if offset + n > self.size:
            raise OmnimodelError("IO", f"{n} bytes at {offset} run past the end ({self.size} bytes)", file=self.name, offset=offset)
        dest[:] = self._data[offset:offset + n]

    def sibling(self, rel):
        s = self._siblings.get(rel)
        if s is None:
            raise OmnimodelError("SOURCE_MISSING", f'"{rel}" was not provided with the bytes (pass it in siblings=)', file=self.name)
        return BytesSource(s, rel, self._siblings)


class UrlSource(Source):
    """An http(s) URL read with Range requests (CPython; under Pyodide, fetch the bytes yourself).

    A server that ignores Range requests is read as one streamed download instead (see
    _StreamedBody): memory stays bounded, and the model gets an info finding saying so.
    """

    def __init__(self, url: str, headers: Optional[Dict[str, str]] = None, head_bytes: int = 1 << 20, window_bytes: int = 64 << 20):
        if IS_PYODIDE:
            raise OmnimodelError("UNSUPPORTED", "Pyodide cannot read URLs synchronously; fetch the bytes (pyodide.http.pyfetch) and pass them to open()", file=url)
        import urllib.parse

        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https"):
            raise OmnimodelError("BAD_ARGUMENT", f"only http(s) URLs can be read, not {u.scheme}:", file=url)
        self.url = self.name = url
        self._headers = dict(headers or {})
        self._limits = (head_bytes, window_bytes)
        self._stream = None
        self.findings = []
        res = self._open({**self._headers, "Range": "bytes=0-0"}, 0)
        if res.status == 200:
            length = res.headers.get("Content-Length") or ""
            if not length.isdigit():
                res.close()
                raise OmnimodelError("UNSUPPORTED", "the server ignores Range requests and does not report the file size (Content-Length), so the file cannot be read", file=url)
            self.size = int(length)
            self._stream = _StreamedBody(self, res, head_bytes, window_bytes)
            self.findings = [{
                "severity": "info", "code": "range-unsupported", "location": url,
                "message": f"the server ignores Range requests; the file is read as one streamed download ({self.size} bytes), restarted when a read goes back",
                "impact": "Inspecting this file may download all of it, more than once for formats read from the end (zip, npz, .keras).",
            }]
            return
        with res:
            res.read()
            cr = res.headers.get("Content-Range") or ""
        total = cr.rsplit("/", 1)[-1].strip()
        if res.status != 206 or not total.isdigit():
            raise OmnimodelError("IO", f"HTTP {res.status}: the server did not report the file size (Content-Range)", file=url)
        self.size = int(total)

    @property
    def base_name(self):
        import urllib.parse

        return urllib.parse.unquote(urllib.parse.urlsplit(self.url).path.rsplit("/", 1)[-1])

    def _open(self, headers, offset):
        import urllib.error
        import urllib.request

        try:
            return urllib.request.urlopen(urllib.request.Request(self.url, headers=headers), timeout=60)
        except urllib.error.HTTPError as e:
            raise OmnimodelError("IO", f"HTTP {e.code} {e.reason}", file=self.url, offset=offset) from e
        except urllib.error.URLError as e:
            raise OmnimodelError("IO", str(e.reason), file=self.url, offset=offset) from e

    def readinto(self, dest, offset):
        n = len(dest)
        if not n:
            return
        if self._stream is not None:
            self._stream.readinto(dest, offset)
            return
        with self._open({**self._headers, "Range": f"bytes={offset}-{offset + n - 1}"}, offset) as res:
            status, body = res.status, res.read(n + 1)
        if status != 206:
            raise OmnimodelError("IO", f"HTTP {status} for bytes {offset}-{offset + n - 1}", file=self.url, offset=offset)
        if len(body) != n:
            raise OmnimodelError("IO", f"the server sent {len(body)} of {n} bytes", file=self.url, offset=offset)
        dest[:] = body

    @property
    def requests(self):
        """GET requests of the streamed download so far (1 + restarts); 0 with Range support."""
        return self._stream.requests if self._stream is not None else 0

    def close(self):
        if self._stream is not None:
            self._stream.close()

    def sibling(self, rel):
        import urllib.parse

        base = urllib.parse.urljoin(self.url, ".")
        target = urllib.parse.urljoin(base, rel)
        b, t = urllib.parse.urlsplit(base), urllib.parse.urlsplit(target)
        if (b.scheme, b.netloc) != (t.scheme, t.netloc) or not posixpath.normpath(t.path).startswith(b.path):
            raise OmnimodelError("PATH_VIOLATION", f'"{rel}" resolves outside the model\'s directory', file=self.url)
        return UrlSource(target, self._headers, *self._limits)


class _StreamedBody:
    """The whole-file response of a server without Range support, read forward. Bytes already
    passed are kept only in the file's head and a window behind the position; a read behind both
    restarts the download and skips forward (the same rule as the TypeScript StreamedUrlSource)."""

    def __init__(self, owner, res, head_bytes, window_bytes):
        self.owner, self.res, self.pos, self.requests = owner, res, 0, 1
        self.head = bytearray()
        self.head_cap = min(head_bytes, owner.size)
        self.window = bytearray()  # the bytes [pos - len(window), pos)
        self.window_cap = min(window_bytes, owner.size)

    def readinto(self, dest, offset):
        n = len(dest)
        size = self.owner.size
        if offset < 0 or offset + n > size:
            raise OmnimodelError("IO", f"{n} bytes at {offset} run past the end ({size} bytes)", file=self.owner.url, offset=offset)
        out = memoryview(dest).cast("B")
        if offset + n <= len(self.head):
            out[:] = self.head[offset:offset + n]
            return
        start = self.pos - len(self.window)
        if offset < start:
            self.restart()
            start = 0
        if offset < self.pos:  # partly or wholly in the window
            k = min(self.pos - offset, n)
            out[:k] = self.window[offset - start:offset - start + k]
        else:
            k = 0
        while k < n:
            # Never read past what this call needs: the next read may start right there.
            goal = offset if self.pos < offset else offset + n
            chunk = self.res.read(min(1 << 20, goal - self.pos))
            if not chunk:
                raise OmnimodelError("IO", f"the server sent {self.pos} of {size} bytes", file=self.owner.url, offset=self.pos)
            at = self.pos
            self.keep(chunk)
            lo = max(offset + k - at, 0)
            if lo < len(chunk):
                m = min(len(chunk) - lo, n - k)
                out[k:k + m] = chunk[lo:lo + m]
                k += m

    def keep(self, chunk):
        if len(self.head) < self.head_cap:
            self.head += chunk[:self.head_cap - len(self.head)]
        self.window += chunk
        if len(self.window) > self.window_cap:
            del self.window[:len(self.window) - self.window_cap]
        self.pos += len(chunk)

    def restart(self):
        self.res.close()
        self.res = self.owner._open(dict(self.owner._headers), 0)
        if self.res.status != 200:
            raise OmnimodelError("IO", f"HTTP {self.res.status} when downloading the file again", file=self.owner.url)
        self.requests += 1
        self.pos = 0
        self.window = bytearray()

    def close(self):
        self.res.close()


MAX_LISTING = 20000


def list_directory(d: str, max_depth: int = 6):
    """Relative paths (with /) of the files under d, sorted; symlinked folders not followed."""
    out = []

    def walk(path, prefix, depth):
        if depth > max_depth or len(out) >= MAX_LISTING:
            return
        for ent in sorted(os.scandir(path), key=lambda e: e.name):
            if len(out) >= MAX_LISTING:
                return
            rel = f"{prefix}/{ent.name}" if prefix else ent.name
            if ent.is_dir(follow_symlinks=False):
                walk(ent.path, rel, depth + 1)
            elif ent.is_file() or ent.is_symlink():
                out.append(rel)

    walk(d, "", 0)
    return out
