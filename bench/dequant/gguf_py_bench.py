"""Half of the dequantization benchmark: writes random blocks for every ggml type that gguf-py
can dequantize (finite f16 scales, as in the test fixtures) and times gguf.quants.dequantize
on them. The Node half (bench.mjs) times the wasm kernels on the same bytes in the same run.

usage: python gguf_py_bench.py OUT_DIR ELEMENTS
prints one JSON object: {type name: {"id", "elements", "file", "seconds"}}
"""
import json
import os
import sys
import time

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as T, quants

# f16 scale offsets inside each block (random bytes elsewhere)
SCALES = {
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0], "Q2_K": [80, 82],
    "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208], "IQ2_XXS": [0], "IQ2_XS": [0],
    "IQ3_XXS": [0], "IQ1_S": [0], "IQ4_NL": [0], "IQ3_S": [0], "IQ2_S": [0], "IQ4_XS": [0],
    "IQ1_M": [], "TQ1_0": [52], "TQ2_0": [64], "MXFP4": [], "NVFP4": [], "F16": None, "BF16": None,
}


def main() -> None:
    out_dir, n = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(1)
    result = {}
    for name, offs in SCALES.items():
        t = T[name]
        be, bb = GGML_QUANT_SIZES[t]
        nb = n // be
        if offs is None:  # F16 / BF16: finite random values
            data = (rng.standard_normal(n).astype(np.float32)).astype(np.float16 if name == "F16" else np.float32)
            data = data.view(np.uint8) if name == "F16" else quants.quantize(data.astype(np.float32), t).view(np.uint8)
        else:
            data = rng.integers(0, 256, size=(nb, bb), dtype=np.uint8)
            for o in offs:
                h = rng.integers(0, 1 << 16, size=nb, dtype=np.uint16)
                h[(h & 0x7C00) == 0x7C00] &= 0xBFFF
                data[:, o:o + 2] = h.view(np.uint8).reshape(-1, 2)
            if name == "IQ1_M":
                sc = data[:, 48:56].copy().view(np.uint16)
                sc[:, 3] &= 0xBFFF  # exponent of the assembled f16 scale below 31
                data[:, 48:56] = sc.view(np.uint8)
        data = np.ascontiguousarray(data).reshape(-1)
        path = os.path.join(out_dir, f"{name}.bin")
        data.tofile(path)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            quants.dequantize(data, t)
            best = min(best, time.perf_counter() - t0)
        result[name] = {"id": int(t), "elements": nb * be, "file": path, "seconds": best}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
