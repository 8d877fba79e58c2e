"""model.metadata_array(key) against gguf-py's GGUFReader values (written by
tests/fixtures/gguf-arrays/gen_arrays.py into expected.json), in both byte orders."""

import json
import os
import struct

import omnimodel
from omnimodel import OmnimodelError

ROOT = os.environ.get("OMNIMODEL_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIR = os.path.join(ROOT, "tests", "fixtures", "gguf-arrays")

with open(os.path.join(DIR, "expected.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)

FORMATS = {"UINT8": "B", "INT8": "b", "UINT16": "H", "INT16": "h", "UINT32": "I", "INT32": "i",
           "UINT64": "Q", "INT64": "q", "FLOAT32": "f", "FLOAT64": "d", "BOOL": "?"}


def test_metadata_arrays_match_gguf_py():
    for name in EXPECTED["files"]:
        with omnimodel.open(os.path.join(DIR, name)) as m:
            for key, exp in EXPECTED["arrays"].items():
                got = m.metadata_array(key)
                if "strings" in exp:
                    assert got == exp["strings"], (name, key)
                    continue
                fmt = FORMATS[exp["type"][len("ARRAY["):-1]]
                # Bit for bit (NaN included): re-pack the values and compare the bytes.
                assert len(got) == exp["length"], (name, key)
                assert struct.pack("<%d%s" % (len(got), fmt), *got).hex() == exp["le_hex"], (name, key)


def test_metadata_array_errors():
    with omnimodel.open(os.path.join(DIR, "arrays-le.gguf")) as m:
        for key, code in (("test.nested", "UNSUPPORTED"), ("general.architecture", "NOT_FOUND")):
            try:
                m.metadata_array(key)
            except OmnimodelError as e:
                assert e.code == code, (key, e.code)
            else:
                raise AssertionError(f"{key}: no error")
