// The graph API of the SDK: graph(model) builds the format-neutral graph of any model (for a
// TorchServe archive, of the model inside it), layoutGraph places it, and the exporters write
// SVG, DOT and mermaid.

import type { Model } from "../model.ts";
import { modelGraph } from "./build.ts";
import type { Graph } from "./types.ts";

/** Formats whose graph is that of a member model (the archive's serialized model). */
const WRAPPERS = new Set(["torchserve-mar"]);

/** The graph of `model`; archives that wrap one model (.mar) give that model's graph. */
export async function graph(model: Model): Promise<Graph> {
  if (WRAPPERS.has(model.format)) {
    const child = model.children.find((c) => c.format && c.readable !== false && !WRAPPERS.has(c.format));
    if (child) {
      const inner = await model.openChild(child.name);
      try {
        const g = modelGraph(inner);
        g.name = `${child.name} (in ${model.format})`;
        return g;
      } finally {
        await inner.close();
      }
    }
  }
  return modelGraph(model);
}

export { modelGraph, allGraphs, opCounts } from "./build.ts";
export { layoutGraph, defaultNodeSize, type LayoutOptions } from "./layout.ts";
export { graphToSvg, type SvgOptions } from "./export/svg.ts";
export { graphToDot } from "./export/dot.ts";
export { graphToMermaid } from "./export/mermaid.ts";
export type { Graph, GraphNode, GraphEdge, Layout, LayoutNode, LayoutEdge, NodeKind, GraphSource } from "./types.ts";
