// The graph of a model in one vocabulary, whatever the format wrote: ONNX nodes, TensorFlow
// NodeDefs, Keras layers and TorchScript calls all become GraphNodes joined by GraphEdges.
// Everything here is plain JSON (no classes, no maps), so a Graph crosses a worker boundary, is
// printed by `omnimodel graph --format json` and is what Python's `model.graph()` returns.

export type NodeKind = "op" | "input" | "output" | "block";

export interface GraphNode {
  /** Unique within the whole Graph tree (subgraph node ids carry their graph's id as a prefix). */
  id: string;
  /** The name the file gives the node (falls back to the op when the file has none). */
  name: string;
  /** Operator / layer class / block pattern. */
  op: string;
  /** As stored; nested graphs are replaced by `{ "graph": <subgraph id> }`. */
  attributes: Record<string, unknown>;
  /** Tensor (edge) names consumed, in the file's order; weights included. */
  inputs: string[];
  /** Tensor (edge) names produced. */
  outputs: string[];
  /** Names in model.tensors this node uses (initializers, variables, layer weights). */
  weights: string[];
  /** Ids into Graph.subgraphs (If/Loop/Scan bodies, called functions, nested Keras models). */
  subgraphs: string[];
  kind: NodeKind;
  /** For a block of the block view: how many times it repeats. */
  count?: number;
}

export interface GraphEdge {
  /** Node id of the producer (an op or an input node). */
  from: string;
  /** Node id of the consumer (an op or an output node). */
  to: string;
  tensor: string;
  shape?: (number | string)[];
  dtype?: string;
}

export interface Graph {
  id: string;
  name: string;
  format: string;
  /** "graph": the file's own graph; "blocks": derived from tensor names (no graph in the file). */
  kind: "graph" | "blocks";
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Tensor names of the graph's inputs (the node of input `x` has kind "input"). */
  inputs: string[];
  /** Tensor names of the graph's outputs. */
  outputs: string[];
  /** Every graph referenced by a node of this one (and, for functions, by the whole model). */
  subgraphs: Graph[];
}

export interface LayoutNode { id: string; x: number; y: number; w: number; h: number }
/** points = x0,y0,x1,y1,... from the border of `from` to the border of `to`. */
export interface LayoutEdge { from: string; to: string; points: number[] }

export interface Layout {
  width: number;
  height: number;
  /** (x, y) is the top-left corner. */
  nodes: LayoutNode[];
  edges: LayoutEdge[];
}

/** What modelGraph needs from a model: the index fields (a Model or `inspect --json` output). */
export interface GraphSource {
  format: string;
  graph: unknown;
  tensors: { name: string; dtype: string; shape: (number | string | bigint)[] }[];
  metadata?: Record<string, unknown>;
}
