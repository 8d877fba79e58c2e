"""omnimodel.convert(..., to="gguf", type=T) writes the bytes `omnimodel convert IN OUT.gguf
--type T` writes (the CLI runs under Node here; its output is checked against gguf-py's
GGUFWriter in tests/gguf-writer.test.ts). The quantization runs in the core; this host only
writes the plan's parts, so the files must be identical."""

import io
import json
import os
import shutil
import subprocess

import pytest

import omnimodel
from omnimodel import OmnimodelError

ROOT = os.environ.get("OMNIMODEL_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(ROOT, "tests", "fixtures", "gguf-writer", "convert", "source.gguf")  # 64-value rows
ALL_TYPES = os.path.join(ROOT, "tests", "fixtures", "gguf", "all-types.gguf")  # 512-value rows, every ggml type
CLI = os.path.join(ROOT, "bin", "omnimodel.js")


def cli_convert(src, out, *args):
    node = shutil.which("node")
    assert node, "these tests compare with the CLI, which needs Node"
    r = subprocess.run([node, CLI, "convert", src, out, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(out, "rb") as f:
        return f.read()


@pytest.mark.parametrize("src,type", [(SOURCE, "Q8_0"), (SOURCE, "Q4_0"), (ALL_TYPES, "Q4_K"), (ALL_TYPES, "Q6_K"),
                                      (ALL_TYPES, "IQ4_XS"), (SOURCE, None)])
def test_gguf_bytes_equal_the_cli(tmp_path, src, type):
    want = cli_convert(src, str(tmp_path / "cli.gguf"), *(["--type", type] if type else []))
    out = tmp_path / "py.gguf"
    seen = []
    r = omnimodel.convert(src, out, type=type, on_progress=seen.append)
    got = out.read_bytes()
    assert len(got) == len(want)
    assert got == want
    assert r["bytes"] == len(got)
    assert len(seen) == r["tensors"] > 0
    assert seen[-1]["index"] == r["tensors"] - 1
    assert not os.path.exists(str(out) + ".partial")
    bio = io.BytesIO()  # a file object, to="gguf" said explicitly
    omnimodel.convert(src, bio, to="gguf", type=type)
    assert bio.getvalue() == want


def test_quantized_tensors_read_back_as_their_type(tmp_path):
    out = tmp_path / "q4k.gguf"
    r = omnimodel.convert(ALL_TYPES, out, type="Q4_K")
    with omnimodel.open(out) as m:
        assert m.tensors["quant.q6_k"].dtype == "Q4_K"  # 512-value rows fill Q4_K blocks
        assert m.tensors["quant.q8_0"].dtype == "F16"  # 64-value rows do not: F16, with a note
        assert m.metadata["general.file_type"] == 14
    assert "quant.q8_0" in [n["name"] for n in r["notes"]]


def test_bad_arguments_are_typed_errors_and_write_nothing(tmp_path):
    out = tmp_path / "bad.gguf"
    with pytest.raises(OmnimodelError) as e:
        omnimodel.convert(SOURCE, out, type="Q7_Z")
    assert e.value.code == "BAD_ARGUMENT" and 'cannot write GGUF type "Q7_Z"' in str(e.value)
    with pytest.raises(OmnimodelError) as e:
        omnimodel.convert(SOURCE, out, "F16")  # dtype is safetensors'
    assert e.value.code == "BAD_ARGUMENT"
    with pytest.raises(OmnimodelError) as e:
        omnimodel.convert(SOURCE, tmp_path / "x.safetensors", type="Q8_0")
    assert e.value.code == "BAD_ARGUMENT"
    with pytest.raises(OmnimodelError) as e:
        omnimodel.convert(SOURCE, out, to="onnx")
    assert e.value.code == "BAD_ARGUMENT"
    assert not out.exists() and not os.path.exists(str(out) + ".partial")


HF_TINY = os.path.join(ROOT, "tests", "fixtures", "hf-llama", "tiny")  # a HF Llama with config.json and tokenizer.model


@pytest.mark.parametrize("src,type", [(HF_TINY, None), (HF_TINY, "Q8_0"), (os.path.join(HF_TINY, "model.safetensors"), "Q4_0"),
                                      (os.path.join(ROOT, "tests", "fixtures", "hf-llama", "tiny-mistral"), None),
                                      (os.path.join(ROOT, "tests", "fixtures", "hf-llama", "tiny-qwen2"), "Q8_0")])
def test_hf_llama_gguf_bytes_equal_the_cli(tmp_path, src, type):
    # llama.cpp names, Q/K rows permuted per head, llama.* and tokenizer.ggml.* pairs: as the CLI writes them
    want = cli_convert(src, str(tmp_path / "cli.gguf"), *(["--type", type] if type else []))
    out = tmp_path / "py.gguf"
    omnimodel.convert(src, out, type=type)
    assert out.read_bytes() == want
    with omnimodel.open(out) as m:
        assert "blk.1.attn_q.weight" in m.tensors and "model.layers.1.self_attn.q_proj.weight" not in m.tensors
        arch = m.metadata["general.architecture"]
        cfg = os.path.join(src if os.path.isdir(src) else os.path.dirname(src), "config.json")
        with open(cfg) as f:
            assert m.metadata[f"{arch}.attention.head_count_kv"] == json.load(f)["num_key_value_heads"]
        assert m.metadata["tokenizer.ggml.model"] == "llama"


def test_hf_llama_f32_equals_llama_cpp_tensors(tmp_path):
    # the tensors of llama.cpp's convert_hf_to_gguf.py output for the same folder (the fixture's oracle)
    out = tmp_path / "py.gguf"
    omnimodel.convert(HF_TINY, out)
    with omnimodel.open(out) as ours, omnimodel.open(os.path.join(ROOT, "tests", "fixtures", "hf-llama", "llama-cpp-f32.gguf")) as theirs:
        assert [t.name for t in ours.tensor_list] == [t.name for t in theirs.tensor_list]
        for a, b in zip(ours.tensor_list, theirs.tensor_list):
            assert a.dtype == b.dtype and a.shape == b.shape, a.name
            assert bytes(a.read()) == bytes(b.read()), a.name
