"""Batch scanning throughput: omnimodel.batch (local pool, 1 and 2 workers; Ray, 2 actors) against
picklescan and modelscan run file by file on the same set, interleaved round by round.

    python bench/batch/bench.py [--rounds 3] [--ray]

The set: every file under tests/fixtures/ and samples/ (plus the model corpus next to the
repository when present), read from disk, and the same GGUF/safetensors/pickle files again as
http:// URLs from a loopback Range server. Prints per run files/s and bytes fetched per file, the
median over rounds with the min-max, the load average, and `cat FILES > /dev/null` as the floor.
Needs: pip install "omnimodel[ray]" picklescan==1.0.5 modelscan==0.8.8 (the versions measured).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "tests"))
import batch_support as bs  # noqa: E402

from omnimodel import batch  # noqa: E402


def run_omnimodel(items, engine, n):
    out = tempfile.mkdtemp(prefix="bench-batch-")
    try:
        t0 = time.perf_counter()
        st = batch.scan(items, out=out, engine=engine, concurrency=n)
        dt = time.perf_counter() - t0
        key = f"omnimodel {engine} x{n} ({'urls' if items and items[0].startswith('http') else 'files'})"
        PEAK[key] = max(PEAK.get(key, 0), st["worker_peak_rss"])
        return dt, st["bytes_fetched"]
    finally:
        shutil.rmtree(out, ignore_errors=True)


# How many of the files each pickle scanner looked inside (they pass over names they do not know);
# omnimodel reads every file's format.
SCANNED = {}
# The largest peak RSS a worker process or Ray actor reported of itself, per run.
PEAK = {}


def run_picklescan(files):
    from picklescan.scanner import scan_file_path

    t0 = time.perf_counter()
    scanned = 0
    for f in files:
        try:
            scanned += 1 if scan_file_path(f).scanned_files else 0
        except Exception:
            pass
    SCANNED["picklescan x1 (files)"] = scanned
    return time.perf_counter() - t0, sum(os.path.getsize(f) for f in files)


def run_modelscan(files):
    from modelscan.modelscan import ModelScan

    t0 = time.perf_counter()
    scanned = 0
    for f in files:
        try:
            scanned += 1 if ModelScan().scan(f)["summary"]["scanned"]["total_scanned"] else 0
        except Exception:
            pass
    SCANNED["modelscan x1 (files)"] = scanned
    return time.perf_counter() - t0, sum(os.path.getsize(f) for f in files)


def floor(files):
    t0 = time.perf_counter()
    subprocess.run(["cat", *files], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ray", action="store_true", help="also run engine=ray with 2 actors (ray.init(num_cpus=2))")
    a = ap.parse_args()
    os.chdir(bs.ROOT)
    files = bs.file_set()
    srv = bs.RangeServer()
    urls = [srv.url(f) for f in files if not os.path.isabs(f) and f.endswith((".gguf", ".safetensors", ".pkl", ".pt"))]
    runs = {
        "omnimodel local x1 (files)": lambda: run_omnimodel(files, "local", 1),
        "omnimodel local x2 (files)": lambda: run_omnimodel(files, "local", 2),
        "omnimodel local x1 (urls)": lambda: run_omnimodel(urls, "local", 1),
        "omnimodel local x2 (urls)": lambda: run_omnimodel(urls, "local", 2),
        "picklescan x1 (files)": lambda: run_picklescan(files),
        "modelscan x1 (files)": lambda: run_modelscan(files),
    }
    if a.ray:
        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        runs["omnimodel ray x2 (files)"] = lambda: run_omnimodel(files, "ray", 2)
        runs["omnimodel ray x2 (urls)"] = lambda: run_omnimodel(urls, "ray", 2)
        # the pool's start-up (actors, each compiling its core) and Ray Data's planning, with
        # almost no work: subtracted from the runs above it gives the steady rate
        runs["omnimodel ray x2 (start-up: 8 files)"] = lambda: run_omnimodel(files[:8], "ray", 2)
    times = {k: [] for k in runs}
    fetched = {}
    floors = []
    for _ in range(a.rounds):  # interleaved: every run once per round
        floors.append(floor(files))
        for k, fn in runs.items():
            s, b = fn()
            times[k].append(s)
            fetched[k] = b
    n_of = {k: 8 if "8 files" in k else len(urls) if "urls" in k else len(files) for k in runs}
    res = {"load_average": os.getloadavg(), "cpus": os.cpu_count(), "files": len(files), "urls": len(urls),
           "bytes_on_disk": sum(os.path.getsize(f) for f in files), "cat_floor_s": statistics.median(floors), "runs": {}}
    for k in runs:
        med = statistics.median(times[k])
        res["runs"][k] = {"files_per_s": round(n_of[k] / med, 1), "min_max_files_per_s": [round(n_of[k] / max(times[k]), 1), round(n_of[k] / min(times[k]), 1)],
                          "bytes_per_file": round(fetched[k] / n_of[k]), "seconds": [round(t, 2) for t in times[k]]}
        if k in SCANNED:
            res["runs"][k]["files_looked_into"] = SCANNED[k]
        if k in PEAK:
            res["runs"][k]["worker_peak_rss_mib"] = round(PEAK[k] / 1048576, 1)
    srv.close()
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
