"""ExecuTorch, OpenVINO IR and Core ML through the Python host: the same core, so the same values
as the library oracles in each fixture folder's expected.json; the OpenVINO .bin and the Core ML
package's model and weights are siblings the Python source resolves."""

import hashlib
import json
import os

import omnimodel

ROOT = os.environ.get("OMNIMODEL_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures")


def expected(folder):
    with open(os.path.join(FIX, folder, "expected.json")) as f:
        return json.load(f)["files"]


def sha(a):
    return hashlib.sha256(a.tobytes()).hexdigest()


def test_executorch_constants_and_delegate_finding():
    e = expected("pte")["xnnpack.pte"]["plans"][0]["tensors"]["0"]
    m = omnimodel.open(os.path.join(FIX, "pte", "xnnpack.pte"))
    assert m.format == "executorch"
    assert sha(m.tensor("forward/value_0").read()) == e["sha256"]
    assert [f["code"] for f in m.findings] == ["executorch-delegate"]


def test_openvino_consts_from_the_sibling_bin():
    e = {c["name"]: c for c in expected("openvino")["quant.xml"]["constants"]}
    m = omnimodel.open(os.path.join(FIX, "openvino", "quant.xml"))
    assert m.format == "openvino"
    for name in ("w_u8", "w_scale", "w_bf16", "w_u4"):
        assert sha(m.tensor(name).read()) == e[name]["sha256"], name


def test_coreml_package_folder_and_blob_weights():
    e = expected("coreml")["program_f32.mlpackage"]["tensors"]
    m = omnimodel.open(os.path.join(FIX, "coreml", "program_f32.mlpackage"))
    assert m.format == "coreml"
    assert sha(m.tensor("w").read()) == e["w"]["sha256"]
    assert sha(m.tensor("bias").read()) == e["bias"]["sha256"]
