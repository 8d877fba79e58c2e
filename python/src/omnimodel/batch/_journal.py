"""The output folder is the run's journal, which is what makes a run resumable:

    OUT/parts/<pid>-<random>.jsonl   one file per worker process, one row per line, flushed after
                                     every row (a killed worker loses only the files it was on)
    OUT/rows.jsonl, OUT/rows.parquet the rows of every part, one per source, written at the end

A rerun reads the sources of every complete line in parts/ and skips them."""

import json
import os
import uuid
from typing import Iterable, Iterator, List, Set

from ._row import COLUMNS

PARTS = "parts"


def parts_dir(out: str) -> str:
    return os.path.join(out, PARTS)


def part_files(out: str) -> List[str]:
    d = parts_dir(out)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".jsonl"))


def read_rows(path: str) -> Iterator[dict]:
    """Complete rows of one part; a last line cut by a kill is ignored (its file is redone)."""
    with open(path, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                return
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and isinstance(row.get("source"), str):
                yield row


def done_sources(out: str) -> Set[str]:
    done: Set[str] = set()
    for p in part_files(out):
        for row in read_rows(p):
            done.add(row["source"])
    return done


class PartWriter:
    """Appends rows to this process's own part file."""

    def __init__(self, out: str):
        os.makedirs(parts_dir(out), exist_ok=True)
        self.path = os.path.join(parts_dir(out), f"{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl")
        self._f = open(self.path, "a", encoding="utf-8")

    def write(self, row: dict) -> None:
        # One write of a whole line, then flush: the kernel has it even if the process is killed.
        self._f.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._f.flush()

    def close(self) -> None:
        self._f.close()


def unique_rows(out: str) -> Iterator[dict]:
    seen: Set[str] = set()
    for p in part_files(out):
        for row in read_rows(p):
            if row["source"] not in seen:  # a file redone after a retry keeps its first row
                seen.add(row["source"])
                yield row


def arrow_schema(with_index: bool):
    import pyarrow as pa

    fields = [("source", pa.string()), ("format", pa.string()), ("size", pa.int64()), ("tensors", pa.int64()),
              ("parameters", pa.int64()), ("bytes_fetched", pa.int64()), ("highest", pa.string()),
              ("findings", pa.string()), ("error", pa.string()), ("error_message", pa.string()), ("seconds", pa.float64())]
    if with_index:
        fields.append(("index", pa.string()))
    return pa.schema(fields)


def _chunks(rows: Iterable[dict], n: int) -> Iterator[List[dict]]:
    buf: List[dict] = []
    for r in rows:
        buf.append(r)
        if len(buf) == n:
            yield buf
            buf = []
    if buf:
        yield buf


def finish(out: str, with_index: bool, parquet: bool = True) -> int:
    """Writes rows.jsonl (and rows.parquet when pyarrow is installed), streaming; returns the row count."""
    cols = COLUMNS + (["index"] if with_index else [])
    writer = None
    if parquet:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            parquet = False
    tmp_jsonl = os.path.join(out, "rows.jsonl.tmp")
    tmp_parquet = os.path.join(out, "rows.parquet.tmp")
    n = 0
    with open(tmp_jsonl, "w", encoding="utf-8") as jf:
        if parquet:
            schema = arrow_schema(with_index)
            writer = pq.ParquetWriter(tmp_parquet, schema)
        try:
            for chunk in _chunks(unique_rows(out), 10_000):
                for r in chunk:
                    jf.write(json.dumps({c: r.get(c) for c in cols}, ensure_ascii=False) + "\n")
                if writer is not None:
                    writer.write_table(pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in chunk], schema=schema))
                n += len(chunk)
        finally:
            if writer is not None:
                writer.close()
    os.replace(tmp_jsonl, os.path.join(out, "rows.jsonl"))
    if parquet:
        os.replace(tmp_parquet, os.path.join(out, "rows.parquet"))
    return n
