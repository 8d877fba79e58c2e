// modelGraph: the graph of any model, from its index. Formats that record a graph get it in the
// common vocabulary (types.ts); the others get the block view derived from tensor names, so every
// model has a picture. Pure functions of the index: they run in a worker, in Node, or anywhere
// the index JSON is.

import { blockGraph } from "./formats/blocks.ts";
import { kerasGraph } from "./formats/keras.ts";
import { nodeListGraph } from "./formats/nodes.ts";
import { onnxGraph } from "./formats/onnx.ts";
import { tfGraph } from "./formats/tf.ts";
import { torchscriptGraph } from "./formats/torchscript.ts";
import type { Graph, GraphSource } from "./types.ts";

type FormatBuilder = (src: GraphSource) => Graph | null;

const isLayerList = (g: unknown): boolean => {
  const nodes = (g as { nodes?: unknown })?.nodes;
  return Array.isArray(nodes) && nodes.length > 0 && typeof (nodes[0] as { class?: unknown })?.class === "string";
};

const BUILDERS: Record<string, FormatBuilder> = {
  onnx: onnxGraph,
  "tf-graphdef": tfGraph,
  "tf-savedmodel": tfGraph,
  // graph models list GraphDef nodes (op); layers models list Keras layers (class)
  tfjs: (src) => (isLayerList(src.graph) ? kerasGraph(src) : tfGraph(src)),
  keras: kerasGraph,
  torchscript: torchscriptGraph,
  tflite: nodeListGraph,
  "torch-export": nodeListGraph,
  executorch: nodeListGraph,
  openvino: nodeListGraph,
  coreml: nodeListGraph,
};

/** The graph of a model (a Model, or an index as `inspect --json` prints it). */
export function modelGraph(model: GraphSource): Graph {
  const build = BUILDERS[model.format];
  const g = build ? build(model) : null;
  return g ?? blockGraph(model);
}

/** Every graph in the tree, depth first (the top graph first). */
export function allGraphs(g: Graph): Graph[] {
  const out: Graph[] = [];
  const walk = (x: Graph) => {
    out.push(x);
    for (const s of x.subgraphs) walk(s);
  };
  walk(g);
  return out;
}

/** Op counts of one graph (op nodes only), most frequent first. */
export function opCounts(g: Graph): [string, number][] {
  const m = new Map<string, number>();
  for (const n of g.nodes) if (n.kind === "op" || n.kind === "block") m.set(n.op, (m.get(n.op) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}
