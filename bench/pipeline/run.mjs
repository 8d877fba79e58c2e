// Read-all of a ~1 GB safetensors file from the page cache: omnimodel in Node (and in CPython
// with --python) against the physical references and the tools a user would otherwise pick.
// Every reader runs in a fresh process per round; rounds rotate the order (A/B interleaved), so
// each ratio compares runs taken under the same load. Prints medians, min-max of per-round
// ratios, load average at start and end, the core count; writes bench/out/pipeline/read-all.json.
//
//   node bench/pipeline/run.mjs [--rounds 5] [--file F] [--megabytes 1024] [--python PY] [--threads N]
//
// --threads N adds readAll / read_all through the pool of N workers.
//
// --python PY adds the CPython readers (omnimodel from python/src, safetensors.numpy.load_file,
// numpy.fromfile); PY needs numpy and safetensors (bench/pipeline/README.md pins them).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeSafetensors } from "./make-file.mjs";
import { summarize, table } from "./stats.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const rounds = Number(arg("--rounds", "5"));
const python = arg("--python", null);
const threads = arg("--threads", null);
const file = arg("--file", join(tmpdir(), `omnimodel-pipeline-${arg("--megabytes", "1024")}.safetensors`));
if (!existsSync(file)) makeSafetensors(file, Number(arg("--megabytes", "1024")));

const node = (variant, extra = []) => () => JSON.parse(execFileSync(process.execPath, [join(HERE, "node-reader.mjs"), variant, file, ...extra], { encoding: "utf8" }));
const py = (variant, extra = []) => () => JSON.parse(execFileSync(python, [join(HERE, "py_reader.py"), variant, file, ...extra], {
  encoding: "utf8", env: { ...process.env, PYTHONPATH: join(ROOT, "python", "src"), OMNIMODEL_WASM: join(ROOT, "build", "omnimodel.wasm") },
}));
const cat = () => {
  const t0 = performance.now();
  const r = spawnSync("sh", ["-c", 'cat "$0" > /dev/null', file]);
  if (r.status !== 0) throw new Error("cat failed");
  return { seconds: (performance.now() - t0) / 1000, maxRssMB: null };
};

const readers = {
  "cat FILE > /dev/null": cat,
  "native memcpy (Node Buffer.copy)": node("native-memcpy"),
  "in-wasm memcpy (memory.copy)": node("wasm-memcpy"),
  "Node: new arrays + readSync": node("fs-fresh"),
  "Node: omnimodel read() every tensor": node("omnimodel"),
  "Node: omnimodel readInto() one reused buffer": node("omnimodel-into"),
};
if (threads) readers[`Node: omnimodel readAll, threads ${threads}`] = node("omnimodel", [threads]);
if (python) {
  readers["CPython: numpy.fromfile per tensor"] = py("np-fromfile");
  readers["CPython: safetensors.numpy.load_file"] = py("safetensors");
  readers["CPython: omnimodel numpy() every tensor"] = py("py-omnimodel");
  if (threads) readers[`CPython: omnimodel read_all, threads ${threads}`] = py("py-omnimodel", [threads]);
}
// ratio rows: [name, numerator, denominator] of times; > 1 means the denominator is faster
const ratios = [
  ["omnimodel Node / cat", "Node: omnimodel read() every tensor", "cat FILE > /dev/null"],
  ["omnimodel Node readInto reused / cat", "Node: omnimodel readInto() one reused buffer", "cat FILE > /dev/null"],
  ["omnimodel Node / new arrays + readSync", "Node: omnimodel read() every tensor", "Node: new arrays + readSync"],
];
if (python) {
  ratios.push(["safetensors.numpy / omnimodel Node", "CPython: safetensors.numpy.load_file", "Node: omnimodel read() every tensor"]);
  ratios.push(["safetensors.numpy / omnimodel CPython", "CPython: safetensors.numpy.load_file", "CPython: omnimodel numpy() every tensor"]);
  ratios.push(["omnimodel CPython / cat", "CPython: omnimodel numpy() every tensor", "cat FILE > /dev/null"]);
}

if (threads) {
  ratios.push([`omnimodel Node threads ${threads} / cat`, `Node: omnimodel readAll, threads ${threads}`, "cat FILE > /dev/null"]);
  if (python) ratios.push([`safetensors.numpy / omnimodel CPython threads ${threads}`, "CPython: safetensors.numpy.load_file", `CPython: omnimodel read_all, threads ${threads}`]);
}
const names = Object.keys(readers);
const load0 = loadavg();
for (const n of names) readers[n](); // warm: the file in the page cache, compile caches filled
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const n of order) samples[n].push(readers[n]());
}
const result = { ...summarize({ bench: "read-all", file, samples, ratios, load: [load0, loadavg()], cores: cpus().length, rounds }), bytes: statSync(file).size };
mkdirSync(join(ROOT, "bench", "out", "pipeline"), { recursive: true });
writeFileSync(join(ROOT, "bench", "out", "pipeline", "read-all.json"), JSON.stringify(result, null, 2));
console.log(table(result));
