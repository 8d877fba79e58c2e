"""omnimodel.batch with engine="local" (a process pool): the rows equal the CLI's
(`scan --from-list --jsonl` and `scan DIR --json`) for every file of the repository's fixtures
and samples (and of the model corpus when it is next to the repository), local and served over
loopback HTTP; reruns skip finished files; a killed worker loses only its in-flight files; a
5 GB file costs its header, in bytes fetched and in worker memory."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import batch_support as bs
from omnimodel import batch

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def served():
    srv = bs.RangeServer()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def everything(tmp_path_factory, served):
    """The whole set (paths and URLs), its list file, and the CLI's rows for it."""
    d = tmp_path_factory.mktemp("set")
    files = bs.file_set()
    url_of = {f: served.url(f) for f in files if not os.path.isabs(f) and f.endswith((".gguf", ".safetensors", ".pkl", ".pt", ".zip"))}
    urls = list(url_of.values())
    items = files + urls + ["missing/nothing.safetensors", "tests/fixtures", served.base + "missing.gguf"]
    lst = bs.write_list(str(d / "list.txt"), items)
    return {"items": items, "list": lst, "cli": bs.cli_rows(lst, str(d / "cli.jsonl")), "files": files, "urls": urls, "url_of": url_of}


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(bs.ROOT)  # the list has ROOT-relative paths, as the CLI is run from ROOT


def test_local_rows_equal_the_cli_rows(tmp_path, everything):
    stats = batch.scan(everything["list"], out=str(tmp_path / "out"), engine="local", concurrency=2)
    assert stats["rows"] == len(everything["items"]) == stats["scanned"] and stats["skipped"] == 0
    assert 0 < stats["worker_peak_rss"] < BOUND, stats  # each pool worker measured itself
    rows = bs.rows_by_source(str(tmp_path / "out" / "rows.jsonl"))
    assert bs.differences(rows, everything["cli"]) == []
    # the set covers findings, errors and URLs, so the comparison means something
    assert sum(r["highest"] == "critical" for r in rows.values()) > 100
    assert {r["error"] for r in rows.values()} >= {None, "UNKNOWN_FORMAT", "SOURCE_MISSING", "BAD_ARGUMENT", "IO"}
    # a file read over HTTP gives the row of the same file read from disk
    local = {u: f for f in everything["files"] for u in [everything["url_of"].get(f)] if u}
    assert len(local) == len(everything["urls"]) > 50
    for u, f in local.items():
        for c in ("format", "size", "tensors", "parameters", "highest", "error"):
            assert rows[u][c] == rows[f][c], (u, c)
        assert rows[u]["bytes_fetched"] > 0
    # rows.parquet holds the same rows
    import pyarrow.parquet as pq

    table = pq.read_table(str(tmp_path / "out" / "rows.parquet"))
    assert table.column_names == batch.COLUMNS
    assert {r["source"]: r for r in table.to_pylist()} == rows


def test_rows_equal_scan_json_for_every_file(tmp_path, everything):
    """`omnimodel scan DIR --json` reports each file as `scan` sees it; every row agrees."""
    batch.scan(everything["list"], out=str(tmp_path / "out"), engine="local", concurrency=2)
    rows = bs.rows_by_source(str(tmp_path / "out" / "rows.jsonl"))
    dirs = [os.path.join("tests", "fixtures"), "samples"] + ([bs.CORPUS] if os.path.isdir(bs.CORPUS) else [])
    checked = 0
    for d in dirs:
        report = bs.cli_scan_json(d)
        for f in report["files"]:
            if f["path"] == ".":
                continue
            r = rows[os.path.join(d, f["path"])]
            assert r["format"] == f["format"], f["path"]
            assert r["highest"] == f["highest"], f["path"]
            assert json.loads(r["findings"]) == f["findings"], f["path"]
            assert r["error"] == (f.get("error") or {}).get("code"), f["path"]
            checked += 1
    assert checked == len(everything["files"])


def test_a_rerun_skips_finished_files(tmp_path, everything):
    out = str(tmp_path / "out")
    half = everything["items"][::2]
    first = batch.scan(half, out=out, engine="local", concurrency=2)
    assert first["scanned"] == len(half)
    again = batch.scan(everything["list"], out=out, engine="local", concurrency=1)
    assert again["skipped"] == len(half) and again["scanned"] == len(everything["items"]) - len(half)
    rows = bs.rows_by_source(os.path.join(out, "rows.jsonl"))
    assert bs.differences(rows, everything["cli"]) == []
    # nothing was scanned twice: the journal has exactly one line per source
    lines = sum(1 for p in os.listdir(os.path.join(out, "parts")) for _ in open(os.path.join(out, "parts", p)))
    assert lines == len(everything["items"])
    third = batch.scan(everything["list"], out=out, engine="local")
    assert third["scanned"] == 0 and third["rows"] == len(everything["items"])


def test_a_killed_worker_loses_only_its_in_flight_files(tmp_path):
    slow = bs.RangeServer(delay=0.03)  # every request waits, so files are in flight when the kill comes
    try:
        items = [slow.url(f) for f in bs.file_set() if f.endswith((".safetensors", ".gguf", ".npy"))][:60]
        out = str(tmp_path / "out")
        result = {}
        t = threading.Thread(target=lambda: result.update(batch.scan(items, out=out, engine="local", concurrency=2)))
        t.start()
        victim, before = None, None
        deadline = time.time() + 120
        while victim is None and time.time() < deadline:
            time.sleep(0.05)
            for p in os.listdir(os.path.join(out, "parts")) if os.path.isdir(os.path.join(out, "parts")) else []:
                with open(os.path.join(out, "parts", p)) as f:
                    n = sum(1 for _ in f)
                if n >= 3:
                    victim = int(p.split("-")[0])
                    os.kill(victim, signal.SIGKILL)
                    break
        assert victim is not None, "no worker journaled 3 rows in time"
        # every row journaled before the kill is still there and never redone
        before = {r["source"]: r for p in os.listdir(os.path.join(out, "parts")) for r in _rows(os.path.join(out, "parts", p))}
        t.join(300)
        assert not t.is_alive()
        rows = bs.rows_by_source(os.path.join(out, "rows.jsonl"))
        assert set(rows) == set(items) and not [r for r in rows.values() if r["error"] in ("IO", "ERROR")]
        for s, r in before.items():
            assert rows[s] == r
        lines = sum(1 for p in os.listdir(os.path.join(out, "parts")) for _ in _rows(os.path.join(out, "parts", p)))
        assert lines == len(items), "a file was scanned twice"
        assert len(os.listdir(os.path.join(out, "parts"))) > 2, "the pool was not started again"
    finally:
        slow.close()


def _rows(path):
    from omnimodel.batch._journal import read_rows

    return list(read_rows(path))


BOUND = 256 * 1024 * 1024  # the documented per-worker bound (README, "Scanning a hub")


def test_a_5gb_file_costs_its_header(tmp_path):
    big = str(tmp_path / "big.safetensors")
    size = bs.sparse_safetensors(big)
    assert size > 5_000_000_000 and os.stat(big).st_blocks * 512 < 1024 * 1024
    srv = bs.RangeServer(extra={"big.safetensors": big})
    try:
        items = [big, srv.url("big.safetensors")] + [srv.url(f) for f in bs.file_set() if f.endswith((".gguf", ".safetensors"))]
        lst = bs.write_list(str(tmp_path / "list.txt"), items)
        # A separate driver process, so RUSAGE_CHILDREN sees only its pool's workers.
        code = ("import json, resource, sys; from omnimodel import batch; "
                "batch.scan(sys.argv[1], out=sys.argv[2], engine='local', concurrency=1); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        r = subprocess.run([sys.executable, "-c", code, lst, str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, r.stderr
        peak = int(r.stdout.split()[-1])
        assert 0 < peak < BOUND, peak
        rows = bs.rows_by_source(str(tmp_path / "out" / "rows.jsonl"))
        for s in (big, srv.url("big.safetensors")):
            assert rows[s]["size"] == size and rows[s]["tensors"] == 2 and rows[s]["parameters"] == 1_300_000_004
            assert rows[s]["bytes_fetched"] < 1024 * 1024, rows[s]
        headers = sorted(r["bytes_fetched"] for s, r in rows.items() if s.startswith("http") and r["format"] in ("gguf", "safetensors"))
        assert len(headers) > 10 and headers[len(headers) // 2] < 1024 * 1024
    finally:
        srv.close()


def test_inspect_rows_carry_the_index(tmp_path):
    import omnimodel

    items = ["samples/tiny-mlp.safetensors", "tests/fixtures/hosts/small.gguf", "tests/fixtures/hosts/truncated.safetensors"]
    batch.inspect(items, out=str(tmp_path / "out"), engine="local", concurrency=1)
    rows = bs.rows_by_source(str(tmp_path / "out" / "rows.jsonl"))
    for s in items[:2]:
        with omnimodel.open(s) as m:
            assert json.loads(rows[s]["index"]) == m.index
    with open(os.path.join(bs.ROOT, "tests", "conformance", "facts.json")) as f:
        expected = next(c["error"] for c in json.load(f)["cases"] if c["file"].endswith(items[2]))
    assert rows[items[2]]["index"] is None and rows[items[2]]["error"] == expected


def test_bad_arguments():
    with pytest.raises(ValueError):
        batch.scan([], out="unused", engine="spark")
    with pytest.raises(ValueError):
        batch.scan([], out="unused", engine="local", concurrency=0)
