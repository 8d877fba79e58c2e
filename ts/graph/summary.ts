// The graph in a few lines for `inspect`: node count, the most frequent ops, inputs, outputs.

import { allGraphs, opCounts } from "./build.ts";
import type { Graph } from "./types.ts";

const list = (xs: string[], max: number) => (xs.length > max ? `${xs.slice(0, max).join(", ")}, ... (${xs.length})` : xs.join(", "));

export function graphSummary(g: Graph, topN = 12): string[] {
  const opsOnly = g.nodes.filter((n) => n.kind === "op" || n.kind === "block").length;
  if (g.kind === "blocks") {
    const blocks = g.nodes.filter((n) => n.kind === "block").map((n) => `${n.name} x${n.count}`);
    return blocks.length ? [`blocks (from tensor names): ${list(blocks, 6)}`] : [];
  }
  const subs = allGraphs(g).length - 1;
  const lines = [`graph: ${opsOnly} nodes, ${g.edges.length} edges${subs ? `, ${subs} subgraphs/functions` : ""}`];
  const ops = opCounts(g);
  if (ops.length) lines.push(`  ops: ${list(ops.map(([op, n]) => `${op} ${n}`), topN)}`);
  if (g.inputs.length) lines.push(`  inputs: ${list(g.inputs, 10)}`);
  if (g.outputs.length) lines.push(`  outputs: ${list(g.outputs, 10)}`);
  return lines;
}
