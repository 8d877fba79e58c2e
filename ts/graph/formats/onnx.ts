// ONNX: index.graph is {name, nodes[{name, op_type, domain, inputs, outputs, attributes}],
// inputs/outputs [{name, elem_type, shape}], initializers [names], functions[...]}. Attributes
// that hold graphs (If's then/else_branch, Loop and Scan bodies) become subgraphs, and a node
// whose (domain, op_type) names a model-local function points at that function's graph.

import { GraphBuilder, isObj, shapeOf, str, strs, type Obj, type ValueInfo } from "../builder.ts";
import type { Graph, GraphSource } from "../types.ts";

const isGraphValue = (v: unknown): v is Obj => isObj(v) && Array.isArray(v.nodes);

function valueInfos(v: unknown): ValueInfo[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (isObj(x) ? { name: str(x.name), shape: shapeOf(x.shape), dtype: x.elem_type === undefined ? undefined : str(x.elem_type) } : { name: str(x) }));
}

interface Ctx {
  format: string;
  tensorInfo: Map<string, ValueInfo>;
  /** "domain\u0000name" -> function graph id */
  functions: Map<string, string>;
}

const fnKey = (domain: string, name: string) => `${domain}\u0000${name}`;

function buildGraph(g: Obj, id: string, prefix: string, ctx: Ctx, extraInputs: ValueInfo[] = [], outputs?: ValueInfo[]): Graph {
  const b = new GraphBuilder(id, str(g.name, id), ctx.format, prefix);
  const weights = new Set(strs(g.initializers));
  const nodes = Array.isArray(g.nodes) ? g.nodes : [];
  for (let i = 0; i < nodes.length; i++) {
    const n = isObj(nodes[i]) ? (nodes[i] as Obj) : {};
    const localId = `n${i}`;
    const nodeId = prefix + localId;
    const attributes: Record<string, unknown> = {};
    const subgraphs: string[] = [];
    const attrs = isObj(n.attributes) ? n.attributes : {};
    for (const [k, v] of Object.entries(attrs)) {
      if (isGraphValue(v)) {
        const sid = `${nodeId}.${k}`;
        b.subgraphs.push(buildGraph(v, sid, `${sid}/`, ctx));
        subgraphs.push(sid);
        attributes[k] = { graph: sid };
      } else if (Array.isArray(v) && v.length && v.every(isGraphValue)) {
        attributes[k] = v.map((sg, j) => {
          const sid = `${nodeId}.${k}[${j}]`;
          b.subgraphs.push(buildGraph(sg as Obj, sid, `${sid}/`, ctx));
          subgraphs.push(sid);
          return { graph: sid };
        });
      } else attributes[k] = v;
    }
    const op = str(n.op_type, "?");
    const domain = str(n.domain);
    if (domain && domain !== "ai.onnx") attributes["domain"] ??= domain;
    const fn = ctx.functions.get(fnKey(domain, op));
    if (fn) subgraphs.push(fn);
    const inputs = strs(n.inputs);
    for (const t of inputs) {
      const vi = ctx.tensorInfo.get(t);
      if (vi) b.describe(vi);
    }
    b.add({ name: str(n.name), op, attributes, inputs, outputs: strs(n.outputs), subgraphs }, localId);
  }
  for (const t of weights) {
    const vi = ctx.tensorInfo.get(t);
    if (vi) b.describe(vi);
  }
  return b.finish([...valueInfos(g.inputs), ...extraInputs], outputs ?? valueInfos(g.outputs), weights);
}

export function onnxGraph(src: GraphSource): Graph | null {
  const g = src.graph;
  if (!isObj(g) || !Array.isArray(g.nodes)) return null;
  const tensorInfo = new Map<string, ValueInfo>();
  for (const t of src.tensors) tensorInfo.set(t.name, { name: t.name, shape: shapeOf(t.shape), dtype: t.dtype });
  const ctx: Ctx = { format: src.format, tensorInfo, functions: new Map() };
  const fns = Array.isArray(g.functions) ? g.functions.filter(isObj) : [];
  fns.forEach((f, i) => ctx.functions.set(fnKey(str(f.domain), str(f.name)), `fn${i}:${str(f.domain)}.${str(f.name)}`));
  const functionGraphs = fns.map((f, i) => {
    const id = `fn${i}:${str(f.domain)}.${str(f.name)}`;
    const body: Obj = { name: str(f.name), nodes: f.nodes, initializers: [] };
    const ins = strs(f.inputs).map((name) => ({ name }));
    const outs = strs(f.outputs).map((name) => ({ name }));
    return buildGraph(body, id, `${id}/`, ctx, ins, outs);
  });
  const main = buildGraph(g, "main", "", ctx);
  main.subgraphs.push(...functionGraphs);
  return main;
}
