// TFLite, torch.export, ExecuTorch, OpenVINO IR and Core ML: their index.graph lists operator
// nodes in ONNX's words, {name?, op_type, inputs, outputs, attributes?, ...}, in execution order,
// with the graph's inputs and outputs as names or {name, dtype, shape}. Inputs that name a
// stored tensor nobody produces are weights; the other keys of a node (TFLite's options type,
// OpenVINO's operation set, a delegate's index) are shown as attributes. torch.export lifts
// parameters, buffers and constants to graph inputs ({kind, name, target}): those names are
// read as the stored tensor they stand for.

import { GraphBuilder, isObj, shapeOf, str, strs, type Obj, type ValueInfo } from "../builder.ts";
import type { Graph, GraphSource } from "../types.ts";

const NODE_KEYS = new Set(["name", "op_type", "inputs", "outputs", "attributes"]);

function ends(v: unknown, lifted: Map<string, string>): ValueInfo[] {
  if (!Array.isArray(v)) return [];
  const out: ValueInfo[] = [];
  for (const x of v) {
    if (isObj(x)) {
      if (lifted.has(str(x.name))) continue;
      out.push({ name: str(x.name), shape: shapeOf(x.shape), dtype: x.dtype === undefined ? undefined : str(x.dtype) });
    } else out.push({ name: str(x) });
  }
  return out;
}

export function nodeListGraph(src: GraphSource): Graph | null {
  const g = src.graph;
  if (!isObj(g) || !Array.isArray(g.nodes) || !g.nodes.length) return null;
  const lifted = new Map<string, string>();
  for (const i of Array.isArray(g.inputs) ? g.inputs : []) {
    if (isObj(i) && typeof i.target === "string" && i.target && i.kind !== "user_input") lifted.set(str(i.name), i.target);
  }
  const b = new GraphBuilder("main", str(g.name, src.format), src.format, "");
  for (const t of src.tensors) b.describe({ name: t.name, shape: shapeOf(t.shape), dtype: t.dtype });
  const produced = new Set<string>();
  g.nodes.forEach((raw, i) => {
    const n: Obj = isObj(raw) ? raw : {};
    const attributes: Record<string, unknown> = { ...(isObj(n.attributes) ? n.attributes : {}) };
    for (const [k, v] of Object.entries(n)) if (!NODE_KEYS.has(k)) attributes[k] = v;
    const outputs = strs(n.outputs);
    for (const o of outputs) produced.add(o);
    b.add({ name: str(n.name), op: str(n.op_type, "?"), attributes, inputs: strs(n.inputs).map((x) => lifted.get(x) ?? x), outputs }, `n${i}`);
  });
  const weights = new Set(src.tensors.map((t) => t.name).filter((t) => !produced.has(t)));
  return b.finish(ends(g.inputs, lifted), ends(g.outputs, lifted), weights);
}
