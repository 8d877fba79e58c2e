// Writes an ONNX model of any number of nodes, for the page's tests and benchmark: a stack of
// residual blocks (two MatMul branches, Add, Relu, a residual Add), every MatMul with its own
// 4x4 initializer, so the graph has fan-out, fan-in and weights like a real network.
// Encoded with protobufjs from the ONNX field numbers (tests/fixtures/protobuf/onnx-subset.proto).
//
// usage: node bench/graph/onnx-graph-gen.mjs NODES OUT.onnx

import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ModelProto = protobuf.loadSync(join(ROOT, "tests", "fixtures", "protobuf", "onnx-subset.proto")).lookupType("onnx.ModelProto");

export const NODES_PER_BLOCK = 5;

const tensorType = (dims) => ({ tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } });

/** The model's bytes: ceil(nodes / 5) blocks, so at least `nodes` op nodes. */
export function onnxGraphBytes(nodes) {
  const blocks = Math.max(1, Math.ceil(nodes / NODES_PER_BLOCK));
  const node = [];
  const initializer = [];
  const weight = (name) => {
    initializer.push({ name, dims: [4, 4], dataType: 1, floatData: Array.from({ length: 16 }, (_, i) => ((i * 7 + name.length) % 11) / 10 - 0.5) });
    return name;
  };
  let prev = "x";
  for (let b = 0; b < blocks; b++) {
    const p = `blocks.${b}`;
    node.push({ name: `${p}/left`, opType: "MatMul", input: [prev, weight(`${p}.left.weight`)], output: [`${p}.l`] });
    node.push({ name: `${p}/right`, opType: "MatMul", input: [prev, weight(`${p}.right.weight`)], output: [`${p}.r`] });
    node.push({ name: `${p}/merge`, opType: "Add", input: [`${p}.l`, `${p}.r`], output: [`${p}.m`] });
    node.push({ name: `${p}/act`, opType: "Relu", input: [`${p}.m`], output: [`${p}.a`] });
    node.push({ name: `${p}/residual`, opType: "Add", input: [`${p}.a`, prev], output: [`${p}.out`] });
    prev = `${p}.out`;
  }
  return ModelProto.encode(ModelProto.fromObject({
    irVersion: 9, producerName: "omnimodel-bench", opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: `residual_${blocks}`,
      node,
      initializer,
      input: [{ name: "x", type: tensorType(["batch", 4]) }],
      output: [{ name: prev, type: tensorType(["batch", 4]) }],
    },
  })).finish();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [n, out] = process.argv.slice(2);
  if (!n || !out) {
    console.error("usage: node bench/graph/onnx-graph-gen.mjs NODES OUT.onnx");
    process.exit(2);
  }
  const bytes = onnxGraphBytes(Number(n));
  writeFileSync(out, bytes);
  console.log(`${out}: ${Math.ceil(Number(n) / NODES_PER_BLOCK) * NODES_PER_BLOCK} nodes, ${bytes.length} bytes`);
}
