"""One row per input: open it with the core (structure only, nothing runs), keep the findings
of the file and of the archive members inside it, count what was fetched. The rules are the
CLI's (`omnimodel scan --json`, ts/scan/scan.ts) so both produce the same row for a file."""

import json
import re
import os
import time
from typing import Any, Dict, List, Optional

from .._backend import core as _core
from .._errors import OmnimodelError
from .._model import SEVERITIES, open_source, severity_rank
from .._sources import FileSource, SliceSource, Source, UrlSource

# The columns, in order; the CLI's `scan --from-list --jsonl` writes the same keys.
COLUMNS = ["source", "format", "size", "tensors", "parameters", "bytes_fetched", "highest", "findings", "error",
           "error_message", "seconds"]

MAX_CHILD_DEPTH = 4
MAX_CHILDREN = 1000


class Counter:
    def __init__(self):
        self.n = 0


class CountingSource(Source):
    """Passes reads through and adds their length to a shared counter (siblings included)."""

    def __init__(self, inner: Source, counter: Counter):
        self.inner = inner
        self.counter = counter
        self.name = inner.name
        self.size = inner.size

    @property
    def base_name(self):
        return self.inner.base_name

    def readinto(self, dest, offset):
        self.inner.readinto(dest, offset)
        self.counter.n += len(dest)

    def sibling(self, rel):
        s = self.inner.sibling(rel)
        if isinstance(s, UrlSource):
            self.counter.n += 1  # its one-byte size probe
        return CountingSource(s, self.counter)

    def close(self):
        self.inner.close()


def _offset_in_root(src, offset: int, root):
    """ts/source.ts offsetInRoot: the byte's offset in the scanned file through stored members."""
    while src is not root:
        if not isinstance(src, SliceSource):
            return None
        offset += src.start
        src = src.parent
    return offset


def _own_offset(location: str):
    """ts/scan/scan.ts memberOffsetOf: "(file offset N)" or a plain "offset N"; else None."""
    m = re.search(r"\(file offset (\d+)\)", location)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"offset (\d+)", location)
    return int(m.group(1)) if m else None


def incomplete_finding(reason: str, location: str = "", member: Optional[str] = None) -> Dict[str, Any]:
    """ts/scan/scan.ts incompleteFinding: a part that was not scanned is a medium finding."""
    f = {"severity": "medium", "code": "scan-incomplete", "message": reason, "location": location,
         "impact": "Part of the file was not scanned, so it may hold code that runs on load."}
    if member is not None:
        f["member"] = member
    return f


def scan_children(model, out: List[Dict[str, Any]], depth: int, root=None, prefix: str = "") -> None:
    root = model.source if root is None else root
    at = prefix.rstrip("/")
    if depth >= MAX_CHILD_DEPTH:
        n = sum(1 for c in model.children if c.get("readable") and c.get("format"))
        if n:
            out.append(incomplete_finding(f"{at}: {n} archive member(s) nested deeper than {MAX_CHILD_DEPTH} levels were not scanned", at, at))
        return
    if len(model.children) > MAX_CHILDREN:
        out.append(incomplete_finding(f"{at + ': ' if at else ''}the archive has {len(model.children)} members; only the first {MAX_CHILDREN} were scanned",
                                      at, at or None))
    for i, c in enumerate(model.children[:MAX_CHILDREN]):
        if not c.get("readable") or not c.get("format"):
            continue
        try:
            child = model.open_child(i)
        except OmnimodelError as e:
            # the member looked like a model but could not be read: what it holds is unknown
            out.append(incomplete_finding(f"{c['name']}: the member could not be read ({e.code}: {e})", c["name"], prefix + c["name"]))
            continue
        with child:
            member = prefix + c["name"]
            for f in child.findings:
                loc = f.get("location") or ""
                off = _own_offset(loc)
                file_offset = None if off is None else _offset_in_root(child.source, off, root)
                inner = re.match(r"^(.*), offset (\d+)", loc)
                row = {**f, "location": f"{c['name']}: {loc}" if loc else c["name"], "message": f"{c['name']}: {f['message']}",
                       "member": f"{member}/{inner.group(1)}" if inner else member}
                if inner:
                    row["memberOffset"] = int(inner.group(2))
                elif off is not None:
                    row["memberOffset"] = off
                if file_offset is not None:
                    row["fileOffset"] = file_offset
                out.append(row)
            scan_children(child, out, depth + 1, root, member + "/")


def highest_of(findings) -> str:
    best = max((severity_rank(f.get("severity", "")) for f in findings), default=0)
    return SEVERITIES[best - 1] if best else "none"


def parameters_of(tensors) -> Optional[int]:
    """The parameter count, or None past 2^53 (as ts/batch/row.ts: a count a row cannot state
    exactly for every reader, JSON in JavaScript or Parquet's int64, is left out)."""
    total = 0
    for t in tensors:
        n = 1
        for d in t.get("shape") or []:
            n *= int(d)
        total += n
    return total if total <= 2**53 - 1 else None


def to_source(item: str, counter: Counter) -> Source:
    if item.startswith("http://") or item.startswith("https://"):
        s: Source = UrlSource(item)
        counter.n += 1
    else:
        if os.path.isdir(item):
            raise OmnimodelError("BAD_ARGUMENT", "is a directory (list its files)", file=item)
        s = FileSource(item)
    return CountingSource(s, counter)


def row_for(item: str, with_index: bool = False) -> Dict[str, Any]:
    """The row for one path or URL; never raises for a bad input (the error is in the row)."""
    t0 = time.perf_counter()
    counter = Counter()
    row: Dict[str, Any] = {"source": item, "format": None, "size": None, "tensors": None, "parameters": None,
                           "bytes_fetched": 0, "highest": "none", "findings": "[]", "error": None, "error_message": None}
    index = None
    try:
        src = to_source(item, counter)
        row["size"] = src.size
        with open_source(_core(), src) as m:
            findings = list(m.findings)
            scan_children(m, findings, 0)
            tensors = m.index.get("tensors") or []
            row.update(format=m.format, tensors=len(tensors), parameters=parameters_of(tensors),
                       highest=highest_of(findings), findings=json.dumps(findings, ensure_ascii=False, separators=(",", ":")))
            index = m.index if with_index else None
    except OmnimodelError as e:
        findings = []
        if e.code == "PATH_VIOLATION":
            findings = [{"severity": "high", "code": "path-escape", "message": str(e), "location": "",
                         "impact": "Its loader would read a file outside the model's directory, named by the model file itself."}]
        # As the scanner: a 7-Zip/RAR archive or a stream not read here is an incomplete scan.
        if e.code == "UNKNOWN_FORMAT" and "which is not read here" in str(e):
            findings.append(incomplete_finding(str(e)))
        row.update(error=e.code, error_message=e.reason, findings=json.dumps(findings, separators=(",", ":")), highest=highest_of(findings))
    except Exception as e:  # a host-side failure (socket, OS) is still a row, never a lost batch
        row.update(error="ERROR", error_message=f"{type(e).__name__}: {e}")
    row["bytes_fetched"] = counter.n
    row["seconds"] = round(time.perf_counter() - t0, 6)
    if with_index:
        row["index"] = json.dumps(index, ensure_ascii=False, separators=(",", ":")) if index is not None else None
    return row


def rows_for(items, with_index: bool = False) -> List[Dict[str, Any]]:
    return [row_for(i, with_index) for i in items]
