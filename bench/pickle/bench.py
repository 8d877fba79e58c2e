#!/usr/bin/env python3
"""Index time of a large PyTorch state dict: omnimodel vs torch.load(weights_only=True, mmap=True)
vs pickle.load of the same data.pkl stream, in one run. Usage (from the repository root, after
`npm run build`):

    python bench/pickle/bench.py [n_tensors ...]

Writes the checkpoints to bench/out/pickle/ and prints a table (median of 7 runs each).
torch 2.9.1, numpy 2.3.4, Python 3.11.
"""
import collections
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
import zipfile

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "bench", "out", "pickle")
RUNS = 7


def make(n):
    path = os.path.join(OUT, f"state-dict-{n}.pt")
    if not os.path.exists(path):
        torch.manual_seed(0)
        sd = collections.OrderedDict()
        for i in range(n):
            # a transformer-like mix of names and shapes; small tensors keep the file small, the
            # pickle (what both sides parse) is as large as for big tensors
            sd[f"model.layers.{i // 8}.block.{i % 8}.weight"] = torch.randn(4, 4)
        torch.save(sd, path)
        torch.save(sd, path.replace(".pt", "-legacy.pt"), _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(path) as z:
        name = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        pkl = z.read(name)
    pkl_path = path + ".data.pkl"
    with open(pkl_path, "wb") as f:
        f.write(pkl)
    return path, pkl_path, pkl


class StubUnpickler(pickle.Unpickler):
    """Builds the same object graph as torch.load minus the tensors: storages and rebuild
    functions are stubs, so the time is the pickle VM's."""

    def persistent_load(self, pid):
        return pid

    def find_class(self, module, name):
        if module == "torch._utils" and name.startswith("_rebuild"):
            return lambda *a: a
        if module == "torch":
            return name
        return super().find_class(module, name)


def timed(fn):
    ts = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)


def main():
    os.makedirs(OUT, exist_ok=True)
    sizes = [int(x) for x in sys.argv[1:]] or [1000, 10000]
    rows = []
    for n in sizes:
        path, pkl_path, pkl = make(n)
        t_torch = timed(lambda: torch.load(path, weights_only=True, mmap=True))
        t_pickle = timed(lambda: StubUnpickler(open(pkl_path, "rb")).load())
        ours = json.loads(subprocess.run(["node", os.path.join(ROOT, "bench", "pickle", "ours.mjs"), pkl_path, path, str(RUNS), path.replace(".pt", "-legacy.pt")],
                                         capture_output=True, text=True, check=True).stdout)
        rows.append((n, len(pkl), t_torch, t_pickle, ours))
    print("| tensors | data.pkl bytes | torch.load(weights_only, mmap) ms | pickle.load (stub classes) ms | omnimodel machine: parse ms | parse+fold+scan+JSON ms | SDK open zip ms | SDK open legacy ms |")
    print("|---|---|---|---|---|---|---|---|")
    for n, size, tt, tp, o in rows:
        def cell(k):
            s = o.get(k, {})
            return f"{s['ms']:.1f}" if "ms" in s else "error: " + s.get("error", "?")[-50:]
        print(f"| {n} | {size} | {tt:.1f} | {tp:.1f} | {o['parse']['ms']:.1f} | {o['machine']['ms']:.1f} | {cell('sdk')} | {cell('sdk_legacy')} |")
    print()
    for n, size, tt, tp, o in rows:
        full = o["machine"]["ms"]
        print(f"{n} tensors: parse+fold+scan is {tt / full:.1f}x faster than torch.load(weights_only=True, mmap=True); "
              f"parse alone is {tp / o['parse']['ms']:.2f}x the speed of pickle.load")


if __name__ == "__main__":
    main()
