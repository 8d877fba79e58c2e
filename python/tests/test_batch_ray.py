"""omnimodel.batch on a local Ray cluster (ray.init(num_cpus=2)): an actor pool over the
repository's fixtures and samples (and the model corpus when it is next to the repository),
local and served over loopback HTTP; the rows equal the CLI's. An actor killed mid-run is
restarted by Ray and the run completes with at most its in-flight batch scanned twice."""

import os
import signal
import threading
import time

import pytest

import batch_support as bs
from omnimodel import batch
from omnimodel.batch._engines import BATCH
from omnimodel.batch._journal import read_rows

import ray  # noqa: E402  (installed by .ci/install-hosts.sh; a missing Ray is a failure)


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(bs.ROOT)


def test_ray_rows_equal_the_cli_rows(tmp_path):
    srv = bs.RangeServer()
    try:
        files = bs.file_set()
        items = files + [srv.url(f) for f in files if not os.path.isabs(f) and f.endswith((".gguf", ".safetensors", ".pkl"))]
        lst = bs.write_list(str(tmp_path / "list.txt"), items)
        cli = bs.cli_rows(lst, str(tmp_path / "cli.jsonl"))
        stats = batch.scan(lst, out=str(tmp_path / "out"), engine="ray", concurrency=2)
        assert stats["scanned"] == stats["rows"] == len(items)
        rows = bs.rows_by_source(str(tmp_path / "out" / "rows.jsonl"))
        assert bs.differences(rows, cli) == []
        # two actors, each with its own journal part
        assert len(os.listdir(tmp_path / "out" / "parts")) == 2
        again = batch.scan(lst, out=str(tmp_path / "out"), engine="ray")
        assert again["skipped"] == len(items) and again["scanned"] == 0
    finally:
        srv.close()


def test_a_killed_actor_loses_only_its_in_flight_files(tmp_path):
    slow = bs.RangeServer(delay=0.03)
    try:
        items = [slow.url(f) for f in bs.file_set() if f.endswith((".safetensors", ".gguf", ".npy"))][:60]
        out = tmp_path / "out"
        parts = out / "parts"
        result = {}
        t = threading.Thread(target=lambda: result.update(batch.scan(items, out=str(out), engine="ray", concurrency=2)))
        t.start()
        victim = None
        deadline = time.time() + 180
        while victim is None and time.time() < deadline:
            time.sleep(0.05)
            for p in os.listdir(parts) if parts.is_dir() else []:
                if len(list(read_rows(str(parts / p)))) >= 3:
                    victim = int(p.split("-")[0])
                    os.kill(victim, signal.SIGKILL)
                    break
        assert victim is not None, "no actor journaled 3 rows in time"
        before = {r["source"]: r for p in os.listdir(parts) for r in read_rows(str(parts / p))}
        t.join(300)
        assert not t.is_alive() and result["rows"] == len(items)
        rows = bs.rows_by_source(str(out / "rows.jsonl"))
        assert set(rows) == set(items) and not [r for r in rows.values() if r["error"] in ("IO", "ERROR")]
        for s, r in before.items():
            assert rows[s] == r  # a row journaled before the kill is kept as it was
        pids = {int(p.split("-")[0]) for p in os.listdir(parts)}
        assert len(pids) >= 3, "the killed actor was not replaced"
        lines = sum(len(list(read_rows(str(parts / p)))) for p in os.listdir(parts))
        assert len(items) <= lines <= len(items) + BATCH, "more than the killed actor's batch was scanned twice"
    finally:
        slow.close()


BOUND = 256 * 1024 * 1024  # the documented per-worker bound (README, "Scanning a hub")


def test_an_actor_reports_its_own_memory_under_the_bound_with_a_5gb_file(tmp_path):
    big = str(tmp_path / "big.safetensors")
    size = bs.sparse_safetensors(big)
    srv = bs.RangeServer(extra={"big.safetensors": big})
    try:
        items = [big, srv.url("big.safetensors")] + bs.file_set()[:40]
        stats = batch.scan(bs.write_list(str(tmp_path / "list.txt"), items), out=str(tmp_path / "out"), engine="ray", concurrency=2)
        # each actor measured itself (getrusage of its own process); the largest is reported
        assert 32 * 1024 * 1024 < stats["worker_peak_rss"] < BOUND, stats
        rows = bs.rows_by_source(str(tmp_path / "out" / "rows.jsonl"))
        assert rows[big]["size"] == size and rows[srv.url("big.safetensors")]["bytes_fetched"] < 1024 * 1024
    finally:
        srv.close()
