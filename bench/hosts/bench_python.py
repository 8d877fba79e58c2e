"""Python side of bench/hosts (CPython with wasmtime, or Pyodide): cold start (import omnimodel,
instantiate the core, first inspect) and the best of three reads of every tensor, as F32 and as
stored, into a preallocated buffer. Prints one JSON line.  Usage: bench_python.py MODEL"""

import json
import sys
import time

t0 = time.perf_counter()
import omnimodel  # noqa: E402

m = omnimodel.open(sys.argv[1])
cold = (time.perf_counter() - t0) * 1000
reads = {}
for name, t in m.tensors.items():
    for label, dtype in (("F32", "F32"), ("stored", None)):
        buf = bytearray(t.output_byte_length(dtype))
        best = float("inf")
        for _ in range(3):
            s = time.perf_counter()
            t.read_into(buf, dtype)
            best = min(best, (time.perf_counter() - s) * 1000)
        reads[f"{name}/{label}"] = {"bytes": len(buf), "ms": best}
m.close()
print(json.dumps({"cold_ms": cold, "reads": reads, "backend": omnimodel.backend()}))
