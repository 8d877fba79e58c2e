"""tensor.strings() on NumPy string arrays written by numpy (tests/fixtures/basic/generate.py)."""

import os

import pytest

import omnimodel
from omnimodel import OmnimodelError

ROOT = os.environ.get("OMNIMODEL_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIR = os.path.join(ROOT, "tests", "fixtures", "basic")


def test_string_arrays_read_as_strings():
    with omnimodel.open(os.path.join(DIR, "strings_U.npy")) as m:
        assert m.tensor_list[0].strings() == ["a", "bc", "def"]
    with omnimodel.open(os.path.join(DIR, "bytes_S.npy")) as m:
        assert m.tensor_list[0].strings() == ["xy", "z"]


def test_numeric_tensors_are_not_strings():
    with omnimodel.open(os.path.join(DIR, "arr_le_f4.npy")) as m:
        with pytest.raises(OmnimodelError) as e:
            m.tensor_list[0].strings()
        assert e.value.code == "UNREADABLE"
