"""One measurement in a fresh process (peak memory is that reader's alone).
    python bench/pipeline/py_reader.py VARIANT FILE [THREADS]
Prints {"seconds", "bytes", "maxRssMB"} as JSON. Variants:
    py-omnimodel     omnimodel.open(FILE) and numpy() of every tensor (CPython + wasmtime)
    safetensors      safetensors.numpy.load_file(FILE)
    np-fromfile      numpy.fromfile per tensor at its offset (the limit for fresh arrays)
    numpy-load       numpy.load(FILE) of a .npy file
    py-omnimodel-npy omnimodel on a .npy file (numpy() of its one array)"""
import json
import os
import resource
import sys
import time

variant, path = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else None


def ranges(p):
    with open(p, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        h = json.loads(f.read(n))
    return [(8 + n + v["data_offsets"][0], v["data_offsets"][1] - v["data_offsets"][0], v["dtype"]) for k, v in h.items() if k != "__metadata__"]


def run():
    import numpy as np

    t0 = time.perf_counter()
    total = 0
    if variant in ("py-omnimodel", "py-omnimodel-npy"):
        import omnimodel

        with omnimodel.open(path) as m:
            # all alive, as a loaded state dict; with THREADS, read_all through the thread pool
            kept = m.read_all(threads=threads) if threads else [t.numpy() for t in m.tensor_list]
            total = sum(a.nbytes for a in kept)
    elif variant == "safetensors":
        from safetensors.numpy import load_file

        total = sum(a.nbytes for a in load_file(path).values())
    elif variant == "np-fromfile":
        with open(path, "rb") as f:
            kept = [np.fromfile(f, dtype=np.uint8, count=n, offset=off - f.tell()) for off, n, _ in ranges(path)]
            total = sum(a.nbytes for a in kept)
    elif variant == "numpy-load":
        total = np.load(path).nbytes
    else:
        raise SystemExit(f"unknown variant {variant}")
    return time.perf_counter() - t0, total


secs, total = run()
print(json.dumps({"seconds": secs, "bytes": total, "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
