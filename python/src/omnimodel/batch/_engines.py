"""Two engines for one pipeline: each worker process holds one core and appends the row of every
file it finishes to its own journal part (`_journal.PartWriter`), so the driver only schedules.

- "ray": `ray.data.from_items(...).map_batches(Scanner, compute=ActorPoolStrategy(size=N))`,
  an actor pool; Ray Data restarts a killed actor and retries its batch (its defaults
  max_restarts=-1, max_task_retries=-1); rows already journaled stay, so at most one batch
  (BATCH files) per killed actor is scanned twice, and the first row of a source is kept.
- "local": the same batches in a `concurrent.futures` process pool; a killed worker breaks the
  pool, which is started again for the files not yet journaled (at most `MAX_RESTARTS` times)."""

import os
from typing import Callable, List, Optional

from ._journal import PartWriter, done_sources
from ._row import row_for

BATCH = 4
MAX_RESTARTS = 3


def peak_rss() -> int:
    """This process's peak resident memory in bytes (Linux reports KiB, macOS bytes); 0 where unknown."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if os.uname().sysname == "Darwin" else r * 1024


class Scanner:
    """One per worker process: the core is instantiated once, in the constructor."""

    def __init__(self, out: str, with_index: bool = False, cwd: Optional[str] = None):
        from .._backend import core

        # Relative paths in the list mean the driver's folder (a Ray worker starts elsewhere).
        if cwd and os.path.isdir(cwd):
            os.chdir(cwd)
        core()
        self.out = out
        self.with_index = with_index
        self.writer: Optional[PartWriter] = None

    def scan(self, items: List[str]) -> List[dict]:
        if self.writer is None:
            self.writer = PartWriter(self.out)
        rows = []
        for item in items:
            row = row_for(item, self.with_index)
            self.writer.write(row)
            rows.append({"source": row["source"], "bytes_fetched": row["bytes_fetched"]})
        # measured by the worker itself, so a Ray actor's memory is known without reaching into it
        peak = peak_rss()
        for r in rows:
            r["peak_rss"] = peak
        return rows

    # Ray calls the actor with a batch: {"source": array of str}.
    def __call__(self, batch):
        import numpy as np

        rows = self.scan([str(s) for s in batch["source"]])
        return {"source": np.array([r["source"] for r in rows], dtype=object),
                "bytes_fetched": np.array([r["bytes_fetched"] for r in rows], dtype=np.int64),
                "peak_rss": np.array([r["peak_rss"] for r in rows], dtype=np.int64)}


Progress = Callable[[int, int, int], None]  # files done, bytes fetched, the worker's peak RSS


def run_ray(todo: List[str], out: str, with_index: bool, concurrency: Optional[int], progress: Progress) -> None:
    try:
        import ray
    except ImportError as e:
        raise ImportError('engine="ray" needs Ray: pip install "omnimodel[ray]" (or use engine="local")') from e
    if not ray.is_initialized():
        ray.init()
    n = concurrency or max(1, int(ray.cluster_resources().get("CPU", 1)))
    ds = ray.data.from_items([{"source": s} for s in todo])
    ds = ds.map_batches(Scanner, fn_constructor_kwargs={"out": out, "with_index": with_index, "cwd": os.getcwd()}, batch_size=BATCH,
                        compute=ray.data.ActorPoolStrategy(size=n), num_cpus=1)
    for b in ds.iter_batches(batch_size=None, batch_format="numpy"):
        progress(len(b["source"]), int(b["bytes_fetched"].sum()), int(b["peak_rss"].max()) if len(b["peak_rss"]) else 0)


_worker: Optional[Scanner] = None


def _init_local(out: str, with_index: bool) -> None:
    global _worker
    _worker = Scanner(out, with_index)


def _scan_local(items: List[str]) -> List[dict]:
    assert _worker is not None
    return _worker.scan(items)


def run_local(todo: List[str], out: str, with_index: bool, concurrency: Optional[int], progress: Progress) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    n = concurrency or os.cpu_count() or 1
    ctx = multiprocessing.get_context("spawn")  # no inherited state: each worker starts its own core
    for attempt in range(MAX_RESTARTS + 1):
        if attempt:
            done = done_sources(out)
            todo = [s for s in todo if s not in done]
        if not todo:
            return
        try:
            with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_init_local, initargs=(out, with_index)) as pool:
                futures = [pool.submit(_scan_local, todo[i:i + BATCH]) for i in range(0, len(todo), BATCH)]
                for f in as_completed(futures):
                    rows = f.result()
                    progress(len(rows), sum(r["bytes_fetched"] for r in rows), max((r["peak_rss"] for r in rows), default=0))
            return
        except BrokenProcessPool:
            if attempt == MAX_RESTARTS:
                raise
