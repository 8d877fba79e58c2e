"""Writes the benchmark's HDF5 files with h5py (not committed; run by run.mjs into a temp dir).

    python bench/hdf5/make_files.py OUT_DIR
"""
import os
import sys

import h5py
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

# Large contiguous float32 datasets (Keras weights are written this way).
with h5py.File(os.path.join(out, "contiguous.h5"), "w") as f:
    for i in range(4):
        f.create_dataset("w%d" % i, data=rng.standard_normal((1024, 4096)).astype("f4"))

# Chunked with gzip + shuffle (typical scientific data); smooth values so they compress.
with h5py.File(os.path.join(out, "chunked_gzip.h5"), "w") as f:
    x = np.cumsum(rng.standard_normal((2048, 2048)), axis=1).astype("f4")
    f.create_dataset("g", data=x, chunks=(256, 256), compression="gzip", shuffle=True)
    f.create_dataset("plain", data=x, chunks=(128, 512))

# Many small datasets in nested groups (a Keras model with hundreds of layers).
with h5py.File(os.path.join(out, "many_small.h5"), "w") as f:
    for layer in range(400):
        g = f.create_group("model_weights/layer_%03d/layer_%03d" % (layer, layer))
        g.create_dataset("kernel:0", data=rng.standard_normal((32, 32)).astype("f4"))
        g.create_dataset("bias:0", data=rng.standard_normal((32,)).astype("f4"))
