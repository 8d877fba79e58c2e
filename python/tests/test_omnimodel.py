"""Tests of the omnimodel Python package. The same file runs under pytest on CPython (wasmtime
backend) and inside Pyodide in Node (tests/hosts/pyodide-run.mjs calls every test_* function),
so it uses plain asserts and no pytest fixtures.

Facts come from tests/conformance/facts.json, written by numpy/torch/safetensors
(tests/fixtures/hosts/generate.py), never by omnimodel.
"""

import hashlib
import io
import json
import os
import sys
import tempfile
import threading

import omnimodel
from omnimodel import OmnimodelError

ROOT = os.environ.get("OMNIMODEL_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures", "hosts")
IS_PYODIDE = sys.platform == "emscripten"

with open(os.path.join(ROOT, "tests", "conformance", "facts.json")) as _f:
    FACTS = json.load(_f)["cases"]


def fixture(name):
    return os.path.join(FIX, name)


def sha(b) -> str:
    return hashlib.sha256(bytes(b)).hexdigest()


def raises(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except OmnimodelError as e:
        assert e.code == code, f"expected {code}, got {e.code}: {e}"
        return e
    raise AssertionError(f"expected OmnimodelError {code}, nothing was raised")


def observe(src, **kw):
    """What this host sees of a model, in the shape of a facts.json case."""
    try:
        m = omnimodel.open(src, **kw)
    except OmnimodelError as e:
        return {"error": e.code}
    with m:
        tensors = []
        for t in m.tensor_list:
            raw = t.read()
            obs = {"name": t.name, "dtype": t.dtype, "shape": list(t.shape), "byteLength": t.byte_length, "sha256": sha(raw)}
            try:
                obs["f32_sha256"] = sha(t.read("F32"))
            except OmnimodelError as e:
                obs["f32_error"] = e.code
            tensors.append(obs)
        return {"format": m.format, "highest": m.highest_severity, "metadata": m.metadata, "tensors": sorted(tensors, key=lambda t: t["name"])}


def mismatches(fact, obs):
    out = []
    if "error" in fact:
        if obs.get("error") != fact["error"]:
            out.append(f"error: expected {fact['error']}, got {obs.get('error') or 'no error'}")
        return out
    if "error" in obs:
        return [f"unexpected error {obs['error']}"]
    for k in ("format", "highest"):
        if k in fact and obs[k] != fact[k]:
            out.append(f"{k}: expected {fact[k]}, got {obs[k]}")
    for k, v in (fact.get("metadata") or {}).items():
        if obs["metadata"].get(k) != v:
            out.append(f"metadata[{k}]: expected {v!r}, got {obs['metadata'].get(k)!r}")
    if [t["name"] for t in obs["tensors"]] != [t["name"] for t in fact["tensors"]]:
        return out + [f"tensor names: expected {[t['name'] for t in fact['tensors']]}, got {[t['name'] for t in obs['tensors']]}"]
    for ft, ot in zip(fact["tensors"], obs["tensors"]):
        for k in ("dtype", "shape", "byteLength", "sha256", "f32_sha256"):
            if k in ft and ot.get(k) != ft[k]:
                out.append(f"{ft['name']}.{k}: expected {ft[k]}, got {ot.get(k)}")
    return out


def test_conformance_from_paths():
    bad = {}
    for case in FACTS:
        got = mismatches(case, observe(os.path.join(ROOT, case["file"])))
        if got:
            bad[case["file"]] = got
    assert not bad, bad
    assert len(FACTS) >= 8


def test_conformance_from_bytes():
    bad = {}
    for case in FACTS:
        with open(os.path.join(ROOT, case["file"]), "rb") as f:
            data = f.read()
        siblings = {}
        for s in case.get("siblings", []):
            with open(os.path.join(ROOT, os.path.dirname(case["file"]), s), "rb") as f:
                siblings[s] = f.read()
        got = mismatches(case, observe(data, name=os.path.basename(case["file"]), siblings=siblings))
        if got:
            bad[case["file"]] = got
    assert not bad, bad


def test_backend_matches_runtime():
    assert omnimodel.backend() == ("pyodide" if IS_PYODIDE else "wasmtime")


def test_inspect_and_mapping():
    with omnimodel.open(fixture("mixed.safetensors")) as m:
        assert m.format == "safetensors"
        assert m.metadata == {"producer": "generate.py"}
        assert set(m.tensors) == {"layer.weight", "layer.bias", "emb", "steps", "mask", "bytes", "scale", "empty"}
        w = m.tensors["layer.weight"]
        assert (w.dtype, w.shape, w.byte_length, w.size) == ("F32", (4, 3), 48, 12)
        assert m.index["format"] == "safetensors"
        assert m.highest_severity == "none"


def test_read_memoryview_formats_and_shapes():
    with omnimodel.open(fixture("mixed.safetensors")) as m:
        steps = m.tensors["steps"].read()
        assert (steps.format, steps.shape) == ("q", (2, 3))
        assert steps.tolist() == [[-3, -2, -1], [0, 1, 2]]
        assert m.tensors["mask"].read().tolist() == [True, False, True]
        assert m.tensors["bytes"].read().tolist() == list(range(0, 250, 10))
        scale = m.tensors["scale"].read()
        assert (scale.format, scale.shape, scale[()]) == ("d", (), 0.5)
        assert m.tensors["empty"].read().nbytes == 0
        # F16 and BF16 keep their bits; F32 reads give the values numpy/torch computed.
        bias = m.tensors["layer.bias"]
        assert bias.read().format == "H"
        fact = next(t for c in FACTS if c["file"].endswith("mixed.safetensors") for t in c["tensors"] if t["name"] == "layer.bias")
        f32 = bias.read("F32")
        assert f32.format == "f" and f32.shape == (3,)
        assert sha(f32) == fact["f32_sha256"]
        assert [round(x, 6) for x in f32.tolist()] == [round(x, 6) for x in fact["first_f32"]]


def test_read_into_and_chunks():
    with omnimodel.open(fixture("arrays.npz")) as m:
        y = m.tensors["y"]
        buf = bytearray(y.output_byte_length())
        assert y.read_into(buf) == 32
        assert memoryview(buf).cast("f").tolist() == [i * 0.25 for i in range(8)]
        assert b"".join(y.chunks()) == bytes(buf)
        raises("BAD_ARGUMENT", y.read_into, bytearray(4))
        raises("BAD_DTYPE", y.read, "F33")


def test_numpy_when_available():
    try:
        import numpy as np
    except ImportError:
        np = None
    with omnimodel.open(fixture("fortran_be.npy")) as m:
        t = m.tensor_list[0]
        if np is None:
            try:
                t.numpy()
            except ImportError:
                pass
            else:
                raise AssertionError("numpy() without numpy must raise ImportError")
            assert [round(v, 12) for v in t.read().tolist()[1]] == [round((4 * 1 + c) / 7.0, 12) for c in range(4)]
        else:
            a = t.numpy()
            assert a.dtype == np.dtype("<f8") and a.shape == (3, 4)
            assert np.array_equal(a, np.arange(12).reshape(3, 4) / 7.0)


def test_scan_findings():
    r = omnimodel.scan(fixture("trailing.npy"))
    assert r["format"] == "npy" and r["highest"] == "info"
    assert [f["code"] for f in r["findings"]] == ["trailing-bytes"]
    assert omnimodel.scan(fixture("empty.safetensors"))["highest"] == "low"


def test_convert_streams_safetensors_and_reads_back():
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.safetensors")
        r = omnimodel.convert(fixture("fortran_be.npy"), out)
        assert r["tensors"] == 1 and r["skipped"] == []
        assert os.path.getsize(out) == r["bytes"]
        with omnimodel.open(out) as m:
            assert m.format == "safetensors"
            assert m.metadata["format"] == "npy"
            (t,) = m.tensor_list
            assert (t.dtype, t.shape) == ("F64", (3, 4))
            case = next(c for c in FACTS if c["file"].endswith("fortran_be.npy"))
            assert sha(t.read()) == case["tensors"][0]["sha256"]
        # To a file object, converting floats to F16.
        bio = io.BytesIO()
        r = omnimodel.convert(fixture("mixed.safetensors"), bio, dtype="F16")
        with omnimodel.open(bio.getvalue()) as m:
            assert m.tensors["layer.weight"].dtype == "F16"
            assert m.tensors["steps"].dtype == "I64"
        raises("BAD_ARGUMENT", omnimodel.convert, fixture("mixed.safetensors"), bio, dtype="F8")


def test_convert_is_byte_identical_to_the_typescript_writer():
    # tests/hosts/run.sh converts every fixture with the TypeScript SDK into this directory.
    ref_dir = os.environ.get("OMNIMODEL_TS_CONVERTED_DIR")
    compared = 0
    for case in FACTS:
        if "error" in case:
            continue
        bio = io.BytesIO()
        if not case.get("tensors"):
            # nothing to write is refused, as the CLI and the other hosts refuse it
            raises("UNSUPPORTED", omnimodel.convert, os.path.join(ROOT, case["file"]), bio)
            assert bio.getvalue() == b""
            continue
        omnimodel.convert(os.path.join(ROOT, case["file"]), bio)
        data = bio.getvalue()
        header_len = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + header_len])
        assert list(header)[0] == "__metadata__" and header["__metadata__"]["format"] == case["format"]
        assert (8 + header_len) % 8 == 0
        if ref_dir:
            with open(os.path.join(ref_dir, os.path.basename(case["file"]) + ".safetensors"), "rb") as f:
                assert f.read() == data, case["file"]
            compared += 1
    assert compared > 0 or not ref_dir


def test_typed_errors():
    e = raises("INCOMPLETE_BUFFER", omnimodel.open, fixture("truncated.safetensors"))
    assert isinstance(e, Exception) and "truncated.safetensors" in str(e)
    raises("SOURCE_MISSING", omnimodel.open, fixture("does-not-exist.safetensors"))
    raises("UNKNOWN_FORMAT", omnimodel.open, b"\x00" * 64)
    raises("BAD_ARGUMENT", omnimodel.open, 42)
    with omnimodel.open(fixture("stored.npz")) as m:
        t = m.tensors["x"]
    raises("BAD_ARGUMENT", t.read)  # the model is closed


def test_directory_and_sibling_containment():
    with tempfile.TemporaryDirectory() as d:
        with open(fixture("mixed.safetensors"), "rb") as f:
            data = f.read()
        with open(os.path.join(d, "model.safetensors"), "wb") as f:
            f.write(data)
        with open(os.path.join(d, "notes.txt"), "w") as f:
            f.write("hello")
        with omnimodel.open(d) as m:
            assert m.format == "safetensors" and os.path.basename(m.source.name) == "model.safetensors"
        from omnimodel._sources import resolve_inside

        raises("PATH_VIOLATION", resolve_inside, d, "../x", "model")
        raises("SOURCE_MISSING", resolve_inside, d, "missing.bin", "model")
        if hasattr(os, "symlink") and not IS_PYODIDE:
            outside = tempfile.mkdtemp()
            try:
                with open(os.path.join(outside, "secret.bin"), "wb") as f:
                    f.write(b"x")
                os.symlink(os.path.join(outside, "secret.bin"), os.path.join(d, "link.bin"))
                raises("PATH_VIOLATION", resolve_inside, d, "link.bin", "model")
            finally:
                os.remove(os.path.join(outside, "secret.bin"))
                os.rmdir(outside)


class _RangeServer:
    """A local HTTP server that honours single Range requests (http.server does not)."""

    def __init__(self, directory, ignore_ranges=False):
        import http.server

        root = directory
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                path = os.path.join(root, os.path.basename(self.path))
                if not os.path.isfile(path):
                    self.send_error(404)
                    return
                size = os.path.getsize(path)
                rng = self.headers.get("Range", "")
                outer.requests.append(rng)
                if not rng.startswith("bytes=") or ignore_ranges:
                    self.send_response(200)
                    self.send_header("Content-Length", str(size))
                    self.end_headers()
                    with open(path, "rb") as f:
                        self.wfile.write(f.read())
                    return
                a, b = rng[6:].split("-")
                a, b = int(a), min(int(b), size - 1)
                with open(path, "rb") as f:
                    f.seek(a)
                    body = f.read(b - a + 1)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {a}-{b}/{size}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_url_with_range_requests():
    if IS_PYODIDE:
        # No synchronous HTTP in Pyodide under Node: the error says what to do instead.
        e = raises("UNSUPPORTED", omnimodel.open, "http://127.0.0.1:9/mixed.safetensors")
        assert "pyfetch" in str(e)
        return
    srv = _RangeServer(FIX)
    try:
        case = next(c for c in FACTS if c["file"].endswith("mixed.safetensors"))
        assert not mismatches(case, observe(srv.url + "mixed.safetensors"))
        assert all(r.startswith("bytes=") for r in srv.requests)
        raises("IO", omnimodel.open, srv.url + "missing.safetensors")
    finally:
        srv.close()


def test_url_without_range_support_streams_with_an_info_finding():
    if IS_PYODIDE:
        return  # no synchronous HTTP there (see the test above)
    srv = _RangeServer(FIX, ignore_ranges=True)
    try:
        case = next(c for c in FACTS if c["file"].endswith("mixed.safetensors"))
        # Everything as with Range support, but the info finding raises "highest" to info.
        assert mismatches(case, observe(srv.url + "mixed.safetensors")) == ["highest: expected none, got info"]
        with omnimodel.open(srv.url + "mixed.safetensors") as m:
            f = [x for x in m.findings if x["code"] == "range-unsupported"]
            assert len(f) == 1 and f[0]["severity"] == "info"
        # Small windows: reads that go back restart the download, and the bytes stay the file's.
        path = fixture("mixed.safetensors")
        data = open(path, "rb").read()
        src = omnimodel.UrlSource(srv.url + "mixed.safetensors", head_bytes=8, window_bytes=16)
        for off, n in [(0, 8), (40, 30), (2, 4), (len(data) - 10, 10), (20, 5)]:
            buf = bytearray(n)
            src.readinto(memoryview(buf), off)
            assert bytes(buf) == data[off:off + n], (off, n)
        assert src.requests == 2
        src.close()
    finally:
        srv.close()


def test_parity_helpers_parameter_count_tensor_and_metadata_limit():
    with omnimodel.open(fixture("mixed.safetensors")) as m:
        assert m.parameter_count == sum(t.size for t in m.tensor_list) > 0
        by = m.parameters_by_dtype
        assert sum(by.values()) == m.parameter_count
        assert list(by.values()) == sorted(by.values(), reverse=True)
        assert m.tensor("layer.weight") is m.tensors["layer.weight"]
        assert m.tensor("nope") is None
    arrays = os.path.join(ROOT, "tests", "fixtures", "gguf-arrays", "arrays-le.gguf")
    with omnimodel.open(arrays) as m:
        checked = 0
        for key, v in m.metadata.items():
            if isinstance(v, dict) and str(v.get("type", "")).startswith("ARRAY[") and "ARRAY[ARRAY" not in v["type"]:
                full = m.metadata_array(key)
                assert len(full) == v["length"] > 3
                same = lambda a, b: [repr(x) for x in a] == [repr(x) for x in b]  # NaN != NaN
                assert same(m.metadata_array(key, limit=3), full[:3])
                assert same(m.metadata_array(key, limit=10**9), full)
                checked += 1
        assert checked >= 10


def test_open_child_reads_stored_and_deflated_members():
    import zipfile

    with open(fixture("mixed.safetensors"), "rb") as f:
        inner = f.read()
    with omnimodel.open(inner) as direct:
        want = {t.name: bytes(t.read()) for t in direct.tensor_list}
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        bio = io.BytesIO()
        with zipfile.ZipFile(bio, "w", compression=method) as z:
            z.writestr("weights/model.safetensors", inner)
        with omnimodel.open(bio.getvalue(), name="outer.zip") as outer:
            assert [c["name"] for c in outer.children] == ["weights/model.safetensors"]
            for ref in ("weights/model.safetensors", 0):
                with outer.open_child(ref) as child:
                    assert child.format == "safetensors"
                    assert {t.name: bytes(t.read()) for t in child.tensor_list} == want
            raises("NOT_FOUND", outer.open_child, "nope")


def test_wasmtime_calls_take_the_unchecked_path():
    # The pinned wasmtime-py range has the pieces the fast call path uses; if an upgrade drops
    # one, calls fall back to the checked path (2-3x slower on small files): this says so.
    from omnimodel._backend import core

    c = core()
    if c.backend != "wasmtime":  # Pyodide calls the browser's WebAssembly directly
        return
    assert c.index_open.__qualname__.startswith("_bind_unchecked"), c.index_open.__qualname__
    try:
        c.index_open()
        raise AssertionError("a call with a missing argument was accepted")
    except TypeError:
        pass
    h = c.index_open(5)
    assert h > 0
    c.job_close(h)
