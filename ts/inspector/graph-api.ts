// The graph model and layout the page draws. The format-neutral model (GraphNode, GraphEdge,
// Graph) and its layered layout live in one place; this module is the page's only door to them,
// so the worker and the views import nothing else.

export type { Graph, GraphEdge, GraphNode, Layout } from "./graph-fallback.js";
export { layoutGraph, modelGraph } from "./graph-fallback.js";
