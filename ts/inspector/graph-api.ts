// The graph model and layout the page draws. The format-neutral model lives in ts/graph; this
// module is the page's only door to it, so the worker and the views import nothing else. Where
// ts/graph has no builder for a format yet (it then answers with the block view), the page's
// own builder for TensorFlow and Keras indexes is used.

import type { Model } from "../model.js";
import { modelGraph as sharedGraph } from "../graph/build.js";
import type { Graph } from "../graph/types.js";
import { fallbackGraph } from "./graph-fallback.js";

export type { Graph, GraphEdge, GraphNode, Layout } from "../graph/types.js";
export { layoutGraph } from "./graph-fallback.js";

export function modelGraph(model: Model): Graph {
  const g = sharedGraph(model);
  if (g.kind === "graph") return g;
  const own = fallbackGraph(model);
  return own.kind === "graph" ? own : g;
}
