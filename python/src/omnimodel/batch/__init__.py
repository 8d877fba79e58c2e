"""Scanning or inspecting many model files (a hub, a bucket, a crawl), resumable and bounded.

    from omnimodel import batch
    batch.scan("urls.txt", out="scan-out")                    # on Ray (pip install "omnimodel[ray]")
    batch.scan(paths, out="scan-out", engine="local")         # a process pool, nothing more needed

One row per file (columns in `COLUMNS`), in OUT/rows.parquet and OUT/rows.jsonl; the same rows
as `omnimodel scan --from-list FILE --jsonl OUT`. URLs are read with Range requests only, so a
file costs its header, not its size. Rerunning with the same `out` skips every file already done.
"""

import os
import time
from typing import Callable, Iterable, List, Optional, Union

from ._journal import done_sources, finish
from ._row import COLUMNS, row_for

__all__ = ["scan", "inspect", "read_sources", "row_for", "COLUMNS"]

Sources = Union[str, "os.PathLike[str]", Iterable[str]]


def read_sources(sources: Sources) -> List[str]:
    """A list file (one path or URL a line; blank lines and lines starting with # skipped) or an
    iterable of paths and URLs; duplicates removed, order kept."""
    if isinstance(sources, (str, os.PathLike)):
        with open(os.fspath(sources), encoding="utf-8") as f:
            items = [line.strip() for line in f]
        items = [s for s in items if s and not s.startswith("#")]
    else:
        items = [os.fspath(s) for s in sources]
    return list(dict.fromkeys(items))


def _run(sources: Sources, out: str, engine: str, concurrency: Optional[int], with_index: bool,
         on_progress: Optional[Callable[[dict], None]]) -> dict:
    from ._engines import run_local, run_ray

    if engine not in ("ray", "local"):
        raise ValueError(f'engine must be "ray" or "local", not {engine!r}')
    if concurrency is not None and concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    out = os.path.abspath(os.fspath(out))
    os.makedirs(out, exist_ok=True)
    items = read_sources(sources)
    done = done_sources(out)
    todo = [s for s in items if s not in done]
    stats = {"sources": len(items), "skipped": len(items) - len(todo), "scanned": 0, "bytes_fetched": 0, "seconds": 0.0,
             "worker_peak_rss": 0}
    t0 = time.perf_counter()

    def progress(files: int, fetched: int, peak: int) -> None:
        stats["scanned"] += files
        stats["bytes_fetched"] += fetched
        stats["worker_peak_rss"] = max(stats["worker_peak_rss"], peak)
        stats["seconds"] = time.perf_counter() - t0
        if on_progress:
            on_progress(dict(stats))

    if todo:
        (run_ray if engine == "ray" else run_local)(todo, out, with_index, concurrency, progress)
    stats["rows"] = finish(out, with_index)
    stats["seconds"] = time.perf_counter() - t0
    return stats


def scan(sources: Sources, *, out, engine: str = "ray", concurrency: Optional[int] = None,
         on_progress: Optional[Callable[[dict], None]] = None) -> dict:
    """Scans every source (findings of code that would run on load, archive members included)
    and writes one row per file to OUT. Returns counts: sources, skipped (done by an earlier run),
    scanned, rows, bytes_fetched, seconds, and worker_peak_rss (bytes: the largest peak resident
    memory a worker process or Ray actor reported of itself)."""
    return _run(sources, out, engine, concurrency, False, on_progress)


def inspect(sources: Sources, *, out, engine: str = "ray", concurrency: Optional[int] = None,
            on_progress: Optional[Callable[[dict], None]] = None) -> dict:
    """As scan(), with one more column: `index`, the model's whole index as JSON (format,
    metadata, tensors with dtype/shape/offsets, findings, children)."""
    return _run(sources, out, engine, concurrency, True, on_progress)
