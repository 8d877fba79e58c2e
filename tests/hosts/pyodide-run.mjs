// Runs python/tests/test_omnimodel.py inside Pyodide in Node, with the locally built wheel
// installed offline (no network, no micropip): every test_* function is called and counted.
// Usage: node tests/hosts/pyodide-run.mjs path/to/omnimodel-*.whl
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const wheel = process.argv[2];
if (!wheel) throw new Error("usage: pyodide-run.mjs WHEEL");

const t0 = performance.now();
const py = await loadPyodide({ stdout: (s) => console.log(s), stderr: (s) => console.error(s) });
const loaded = performance.now();
// The wheel is unpacked into site-packages directly: it is pure Python plus omnimodel.wasm.
py.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel");
// The repository (fixtures, facts, the test file) is mounted read-only at the same path.
py.FS.mkdirTree(root);
py.mountNodeFS(root, root);
py.globals.set("TEST_FILE", join(root, "python", "tests", "test_omnimodel.py"));
py.globals.set("REPO", root);
// The TypeScript SDK's conversions of the fixtures, to compare bytes with the Python writer's.
const tsConverted = process.env.OMNIMODEL_TS_CONVERTED_DIR;
if (tsConverted) {
  py.FS.mkdirTree("/tmp/ts-converted");
  py.mountNodeFS("/tmp/ts-converted", tsConverted);
  py.globals.set("TS_CONVERTED", "/tmp/ts-converted");
} else py.globals.set("TS_CONVERTED", "");
const result = await py.runPythonAsync(`
import os, sys, time, traceback, importlib.util
os.environ["OMNIMODEL_REPO"] = REPO
if TS_CONVERTED:
    os.environ["OMNIMODEL_TS_CONVERTED_DIR"] = TS_CONVERTED
spec = importlib.util.spec_from_file_location("test_omnimodel", TEST_FILE)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
passed, failed = 0, 0
for name in sorted(n for n in dir(mod) if n.startswith("test_")):
    t = time.perf_counter()
    try:
        getattr(mod, name)()
        passed += 1
        print(f"  ok   {name} ({(time.perf_counter() - t) * 1000:.0f} ms)")
    except BaseException:
        failed += 1
        print(f"  FAIL {name}")
        traceback.print_exc()
import omnimodel
print("pyodide backend:", omnimodel.backend(), "| python", sys.version.split()[0])
(passed, failed)
`);
const [passed, failed] = result.toJs();
console.log(`pyodide: load ${(loaded - t0).toFixed(0)} ms, tests ${(performance.now() - loaded).toFixed(0)} ms`);
console.log(`pyodide: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
