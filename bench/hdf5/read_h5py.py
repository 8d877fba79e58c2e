"""h5py side of the benchmark: open FILE, read every dataset; prints {ms, bytes, maxRssKiB}."""
import json
import resource
import sys
import time

t0 = time.perf_counter()
import h5py  # noqa: E402  (import time counts, as node's module loading does)

n = 0
with h5py.File(sys.argv[1], "r") as f:
    def visit(name, obj):
        global n
        if isinstance(obj, h5py.Dataset):
            n += obj[()].nbytes
    f.visititems(visit)
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"tool": "h5py", "file": sys.argv[1], "ms": ms, "bytes": n, "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
