// Indexing a large ONNX model: omnimodel's index against protobufjs decoding the whole
// ModelProto and against onnx.load(load_external_data=False), in one run, each in its own process
// so peak memory (max RSS) is its own. Time is measured inside each process around the call
// (startup excluded); every figure is the best of N runs.
//
//   node bench/onnx/bench.mjs [--size-mb 1024] [--runs 3] [--python /path/to/python] [--readme]
//
// The model (inline raw_data initializers and MatMul/Add/Relu nodes) is generated once into the
// system temp directory by streaming, so the generator itself stays small in memory.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

const here = dirname(fileURLToPath(import.meta.url));
const rootDir = join(here, "..", "..");
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
const sizeMb = Number(opt("--size-mb", "1024"));
const runs = Number(opt("--runs", "3"));
const python = opt("--python", "python3");
const proto = join(rootDir, "tests", "fixtures", "protobuf", "onnx-subset.proto");

function varint(n) {
  const out = [];
  let v = BigInt(n);
  while (v >= 0x80n) { out.push(Number((v & 0x7fn) | 0x80n)); v >>= 7n; }
  out.push(Number(v));
  return Buffer.from(out);
}
const len = (field, payloadLen) => Buffer.concat([varint((field << 3) | 2), varint(payloadLen)]);

function generate(path, mb) {
  const root = protobuf.loadSync(proto);
  const Node = root.lookupType("onnx.NodeProto");
  const ValueInfo = root.lookupType("onnx.ValueInfoProto");
  const TensorHead = root.lookupType("onnx.TensorProto");
  const rows = 256, cols = 1024; // 1 MiB of float32 per initializer
  const count = Math.max(1, Math.round(mb));
  const raw = Buffer.alloc(rows * cols * 4);
  for (let i = 0; i < raw.length; i += 4) raw.writeFloatLE(((i / 4) % 97) / 97 - 0.5, i);
  const pieces = []; // [buffer | {raw: true}] in order, with their encoded lengths
  let graphLen = 0;
  const add = (field, payload) => {
    const head = len(field, payload.length);
    pieces.push(head, payload);
    graphLen += head.length + payload.length;
  };
  add(2, Buffer.from("bench"));
  add(11, Buffer.from(ValueInfo.encode({ name: "x", type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: cols }] } } } }).finish()));
  let prev = "x";
  for (let i = 0; i < count; i++) {
    const w = `layer.${i}.weight`;
    for (const [op, ins, out, attrs] of [["MatMul", [prev, w], `mm${i}`, []], ["Add", [`mm${i}`, prev], `add${i}`, []], ["LeakyRelu", [`add${i}`], `act${i}`, [{ name: "alpha", f: 0.01, type: 1 }]]]) {
      add(1, Buffer.from(Node.encode({ name: `${op}_${i}`, opType: op, input: ins, output: [out], attribute: attrs }).finish()));
    }
    prev = `act${i}`;
    const head = Buffer.from(TensorHead.encode({ dims: [rows, cols], dataType: 1, name: w }).finish());
    const rawHead = len(9, raw.length);
    const tensorLen = head.length + rawHead.length + raw.length;
    const th = len(5, tensorLen);
    pieces.push(th, head, rawHead, { raw: true });
    graphLen += th.length + tensorLen;
  }
  add(12, Buffer.from(ValueInfo.encode({ name: prev, type: { tensorType: { elemType: 1 } } }).finish()));
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "w");
  const top = Buffer.concat([varint(8), varint(10), len(2, 5), Buffer.from("bench"), len(8, 4), Buffer.from([0x10, 21, 0x0a, 0]), len(7, graphLen)]);
  writeSync(fd, top);
  for (const p of pieces) writeSync(fd, p.raw ? raw : p);
  closeSync(fd);
}

const CHILD = {
  omnimodel: `
    const { open, init } = await import(${JSON.stringify(join(rootDir, "dist", "bindings", "node-index.js"))});
    await init(); // compiling the wasm module is a one-time cost, not indexing
    const t0 = performance.now();
    const m = await open(process.argv[1]);
    const n = m.tensors.length, nodes = m.graph.nodes.length;
    const ms = performance.now() - t0;
    await m.close();
    console.log(JSON.stringify({ ms, rssKb: process.resourceUsage().maxRSS, tensors: n, nodes }));`,
  protobufjs: `
    const { default: protobuf } = await import("protobufjs");
    const { readFileSync } = await import("node:fs");
    const T = protobuf.loadSync(${JSON.stringify(proto)}).lookupType("onnx.ModelProto");
    const t0 = performance.now();
    const msg = T.decode(readFileSync(process.argv[1]));
    const n = msg.graph.initializer.length, nodes = msg.graph.node.length;
    const ms = performance.now() - t0;
    console.log(JSON.stringify({ ms, rssKb: process.resourceUsage().maxRSS, tensors: n, nodes }));`,
  baseline: `
    await import(${JSON.stringify(join(rootDir, "dist", "bindings", "node-index.js"))});
    await import("protobufjs");
    console.log(JSON.stringify({ ms: 0, rssKb: process.resourceUsage().maxRSS }));`,
};
const PY = `
import json, resource, sys, time
import onnx
t0 = time.perf_counter()
m = onnx.load(sys.argv[1], load_external_data=False)
n, nodes = len(m.graph.initializer), len(m.graph.node)
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"ms": ms, "rssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "tensors": n, "nodes": nodes}))
`;

function runChild(kind, model) {
  const r = kind === "onnx"
    ? spawnSync(python, ["-c", PY, model], { encoding: "utf8", maxBuffer: 1 << 24 })
    : spawnSync(process.execPath, ["--input-type=module", "-e", CHILD[kind], model], { encoding: "utf8", cwd: rootDir, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${kind} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

const model = join(tmpdir(), "omnimodel-onnx-bench", `model-${sizeMb}mb.onnx`);
if (!existsSync(model)) {
  console.error(`generating ${model} ...`);
  generate(model, sizeMb);
}
const size = statSync(model).size;
const best = {};
for (let i = 0; i < runs; i++) {
  for (const kind of ["omnimodel", "protobufjs", "onnx", "baseline"]) {
    const r = runChild(kind, model);
    if (!best[kind] || r.ms < best[kind].ms) best[kind] = { ...r, rssKb: Math.min(r.rssKb, best[kind]?.rssKb ?? Infinity) };
    else best[kind].rssKb = Math.min(best[kind].rssKb, r.rssKb);
  }
}
const o = best.omnimodel, p = best.protobufjs, x = best.onnx, b = best.baseline;
if (o.tensors !== p.tensors || o.tensors !== x.tensors || o.nodes !== p.nodes) throw new Error(`disagreement: ${JSON.stringify(best)}`);
const mb = (kb) => (kb / 1024).toFixed(0);
const line = `Node ${process.version}, ${size.toLocaleString("en-US")}-byte model (${o.tensors} initializers of 1 MiB inline raw_data, ${o.nodes} nodes), best of ${runs} runs, each tool in its own process.`;
const table = [
  "| tool | time (ms) | peak RSS (MiB) | time vs omnimodel | peak RSS vs omnimodel |",
  "|---|---:|---:|---:|---:|",
  `| omnimodel index (wasm core, Node host) | ${o.ms.toFixed(0)} | ${mb(o.rssKb)} | 1x | 1x |`,
  `| protobufjs 8.8.1 decode of the whole ModelProto | ${p.ms.toFixed(0)} | ${mb(p.rssKb)} | ${(p.ms / o.ms).toFixed(1)}x | ${(p.rssKb / o.rssKb).toFixed(1)}x |`,
  `| onnx.load(load_external_data=False) | ${x.ms.toFixed(0)} | ${mb(x.rssKb)} | ${(x.ms / o.ms).toFixed(1)}x | ${(x.rssKb / o.rssKb).toFixed(1)}x |`,
  `| (Node process with the SDK and protobufjs imported, nothing read) | | ${mb(b.rssKb)} | | |`,
].join("\n");
console.log(line + "\n\n" + table);
if (args.includes("--readme")) {
  const readme = join(here, "README.md");
  const text = readFileSync(readme, "utf8");
  const marker = "<!-- results -->";
  writeFileSync(readme, text.slice(0, text.indexOf(marker) + marker.length) + "\n" + line + "\n\n" + table + "\n");
}
