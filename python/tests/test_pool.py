"""Reads and conversions through pool threads (each its own wasm instance) are bit for bit those
of one thread, and threads= takes positive integers only."""

import io
import os

import pytest

import omnimodel
from omnimodel import OmnimodelError

ROOT = os.environ.get("OMNIMODEL_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALL_TYPES = os.path.join(ROOT, "tests", "fixtures", "gguf", "all-types.gguf")


def test_read_all_through_threads_matches_one_thread():
    with omnimodel.open(ALL_TYPES) as m:
        assert any(t.dtype == "Q4_K" for t in m.tensor_list)
        for dtype in (None, "F32", "F16"):
            one = m.read_all(dtype, threads=1)
            for n in (2, 3):
                many = m.read_all(dtype, threads=n)
                assert len(many) == len(one) == len(m.tensor_list)
                for t, a, b in zip(m.tensor_list, one, many):
                    assert a.dtype == b.dtype and a.shape == b.shape, t.name
                    assert a.tobytes() == b.tobytes(), t.name
                    assert a.tobytes() == t.numpy(dtype).tobytes(), t.name


def test_convert_through_threads_writes_the_same_bytes():
    for dtype in ("keep", "F16"):
        one, two = io.BytesIO(), io.BytesIO()
        omnimodel.convert(ALL_TYPES, one, dtype, threads=1)
        omnimodel.convert(ALL_TYPES, two, dtype, threads=2)
        assert len(one.getvalue()) > 1000
        assert one.getvalue() == two.getvalue()


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_threads_must_be_a_positive_integer(bad):
    with omnimodel.open(ALL_TYPES) as m:
        with pytest.raises(OmnimodelError) as e:
            m.read_all(threads=bad)
        assert e.value.code == "BAD_ARGUMENT"
