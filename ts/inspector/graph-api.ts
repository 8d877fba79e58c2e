// The graph model and layout the page draws come from the shared graph module (ts/graph), the
// same ones `omnimodel graph` exports; this module is the page's only door to it, so the worker
// and the views import nothing else from there.

import type { Model } from "../model.ts";
import { modelGraph as sharedGraph } from "../graph/build.ts";
import type { Graph, GraphSource } from "../graph/types.ts";

export type { Graph, GraphEdge, GraphNode, Layout } from "../graph/types.ts";
export { layoutGraph } from "../graph/layout.ts";

export function modelGraph(model: Model | GraphSource): Graph {
  return sharedGraph(model);
}
