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
    """An http(s) URL read with Range requests (CPython; under Pyodide, fetch the bytes yourself)."""

    def __init__(self, url: str, headers: Optional[Dict[str, str]] = None):
        if IS_PYODIDE:
            raise OmnimodelError("UNSUPPORTED", "Pyodide cannot read URLs synchronously; fetch the bytes (pyodide.http.pyfetch) and pass them to open()", file=url)
        import urllib.parse

        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https"):
            raise OmnimodelError("BAD_ARGUMENT", f"only http(s) URLs can be read, not {u.scheme}:", file=url)
        self.url = self.name = url
        self._headers = dict(headers or {})
        status, hdrs, body = self._get(0, 1)
        if status == 200:
            raise OmnimodelError("UNSUPPORTED", "the server ignores Range requests, so the file cannot be read in pieces", file=url)
        cr = hdrs.get("Content-Range") or ""
        total = cr.rsplit("/", 1)[-1].strip()
        if not total.isdigit():
            raise OmnimodelError("IO", "the server did not report the file size (Content-Range)", file=url)
        self.size = int(total)

    @property
    def base_name(self):
        import urllib.parse

        return urllib.parse.unquote(urllib.parse.urlsplit(self.url).path.rsplit("/", 1)[-1])

    def _get(self, offset, length):
        import urllib.error
        import urllib.request

        req = urllib.request.Request(self.url, headers={**self._headers, "Range": f"bytes={offset}-{offset + length - 1}"})
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                return res.status, res.headers, res.read()
        except urllib.error.HTTPError as e:
            raise OmnimodelError("IO", f"HTTP {e.code} {e.reason}", file=self.url, offset=offset) from e
        except urllib.error.URLError as e:
            raise OmnimodelError("IO", str(e.reason), file=self.url, offset=offset) from e

    def readinto(self, dest, offset):
        n = len(dest)
        if not n:
            return
        status, _, body = self._get(offset, n)
        if status != 206:
            raise OmnimodelError("IO", f"HTTP {status} for bytes {offset}-{offset + n - 1}", file=self.url, offset=offset)
        if len(body) != n:
            raise OmnimodelError("IO", f"the server sent {len(body)} of {n} bytes", file=self.url, offset=offset)
        dest[:] = body

    def sibling(self, rel):
        import urllib.parse

        base = urllib.parse.urljoin(self.url, ".")
        target = urllib.parse.urljoin(base, rel)
        b, t = urllib.parse.urlsplit(base), urllib.parse.urlsplit(target)
        if (b.scheme, b.netloc) != (t.scheme, t.netloc) or not posixpath.normpath(t.path).startswith(b.path):
            raise OmnimodelError("PATH_VIOLATION", f'"{rel}" resolves outside the model\'s directory', file=self.url)
        return UrlSource(target, self._headers)


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
