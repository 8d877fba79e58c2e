// Pyodide side of bench/hosts: loads Pyodide in Node, installs the local wheel offline, mounts
// the model's directory and runs bench_python.py inside. Adds "runtime_load_ms" (Pyodide itself).
// Usage: node bench/hosts/bench-pyodide.mjs WHEEL MODEL
import { readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const here = dirname(fileURLToPath(import.meta.url));
const [wheel, model] = process.argv.slice(2).map((p) => resolve(p));
const t0 = performance.now();
const py = await loadPyodide();
const loadMs = performance.now() - t0;
py.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel");
py.FS.mkdirTree("/model");
py.mountNodeFS("/model", dirname(model));
let line = "";
py.setStdout({ batched: (s) => (line += s) });
py.globals.set("ARGS", ["bench_python.py", `/model/${basename(model)}`]);
await py.runPythonAsync(`import sys; sys.argv = list(ARGS)\n` + readFileSync(join(here, "bench_python.py"), "utf8"));
console.log(JSON.stringify({ ...JSON.parse(line), runtime_load_ms: loadMs }));
