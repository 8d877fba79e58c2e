"""model.graph() returns the graph the Node SDK builds, for the same files: golden.json is the
Node output (tests/fixtures/graph/write-golden.mjs; tests/graph.test.ts keeps it current). Plain
asserts so the Pyodide runner can call it too."""

import json
import os

import omnimodel

ROOT = os.environ.get("OMNIMODEL_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

with open(os.path.join(ROOT, "tests", "fixtures", "graph", "golden.json")) as _f:
    GOLDEN = json.load(_f)


def _norm(v):
    # JSON numbers: 2.0 in Python equals 2 in JavaScript
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def test_graph_equals_node_output():
    assert len(GOLDEN) >= 10
    for rel, want in GOLDEN.items():
        with omnimodel.open(os.path.join(ROOT, rel)) as m:
            got = json.loads(json.dumps(m.graph()))
        assert _norm(got) == _norm(want), rel


def test_graph_shape():
    with omnimodel.open(os.path.join(ROOT, "tests", "fixtures", "onnx", "structure.onnx")) as m:
        g = m.graph()
        assert m.index["graph"]["name"] == "structure"
    assert g["kind"] == "graph" and g["format"] == "onnx"
    assert set(g) == {"id", "name", "format", "kind", "nodes", "edges", "inputs", "outputs", "subgraphs"}
    ops = [n for n in g["nodes"] if n["kind"] == "op"]
    assert len(ops) == len(m.index["graph"]["nodes"])
