"""The Python host's size cap and load: read()/numpy() refuse a tensor larger than
max_tensor_bytes with TOO_LARGE before allocating (the size comes from the file), chunks() still
streams it, and thousands of opens keep the process's memory flat. CPython only (Pyodide runs
test_omnimodel.py)."""

import os

import omnimodel
from omnimodel import OmnimodelError

ROOT = os.environ.get("OMNIMODEL_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOMB = os.path.join(ROOT, "tests", "fixtures", "hdf5", "shape_bomb.h5")
MIXED = os.path.join(ROOT, "tests", "fixtures", "hosts", "mixed.safetensors")
LATEST = os.path.join(ROOT, "tests", "fixtures", "hdf5", "latest.h5")


def code_of(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except OmnimodelError as e:
        return e.code, str(e)
    return None, ""


def test_declared_terabytes_are_too_large_by_default():
    with omnimodel.open(BOMB) as m:
        for name, size in (("chunked", 2 ** 42), ("contiguous", 2 ** 34)):
            t = m.tensors[name]
            for fn in (t.read, t.numpy):
                code, msg = code_of(fn)
                assert code == "TOO_LARGE", (name, code)
                assert f'"{name}"' in msg and str(size) in msg and "chunks()" in msg and "read_into()" in msg
        first = next(iter(m.tensors["chunked"].chunks()))
        assert 0 < len(first) <= 64 * 1024 * 1024 and first[:16] == bytes(16)


def test_the_cap_is_configurable():
    with omnimodel.open(MIXED, max_tensor_bytes=8) as m:
        assert m.max_tensor_bytes == 8
        assert code_of(m.tensors["layer.weight"].read)[0] == "TOO_LARGE"
        assert len(bytes(m.tensors["scale"].read())) == 8
        buf = bytearray(48)
        assert m.tensors["layer.weight"].read_into(buf) == 48


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_many_opens_keep_memory_flat():
    files = [MIXED, LATEST]

    def cycle(i):
        with omnimodel.open(files[i % 2]) as m:
            ts = m.tensor_list
            if ts:
                try:
                    ts[i % len(ts)].read()
                except OmnimodelError:
                    pass  # unsupported filters are typed errors; the cycle still opened and closed

    for i in range(200):
        cycle(i)
    before = rss()
    for i in range(200, 1000):
        cycle(i)
    assert rss() - before < 64 * 1024 * 1024
