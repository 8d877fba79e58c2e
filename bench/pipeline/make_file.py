"""The pipeline benchmark's model written by the reference library: 1 GB of F32 and F16
tensors through safetensors.numpy.save_file (numpy==2.2.6, safetensors==0.6.2).
    python bench/pipeline/make_file.py OUT [MEGABYTES=1024]"""
import sys

import numpy as np
from safetensors.numpy import save_file

out, mb = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1024
rng = np.random.default_rng(0)
tensors = {}
for i in range(max(1, mb // 16)):
    if i % 8 == 7:
        tensors[f"layers.{i}.half"] = rng.standard_normal((4096, 2048), dtype=np.float32).astype(np.float16)
    else:
        tensors[f"layers.{i}.weight"] = rng.standard_normal((4096, 1024), dtype=np.float32)
save_file(tensors, out)
