// Graphviz DOT: one statement per node and edge, ids quoted (tensor and node names contain
// '/', ':' and '.'), subgraphs as clusters when asked for. `dot -Tsvg` reads it as is.

import type { Graph, GraphNode } from "../types.ts";

const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

function nodeStmt(n: GraphNode): string {
  const label = n.kind === "input" || n.kind === "output" ? n.name : n.name !== n.op ? `${n.op}\n${n.name}` : n.op;
  const shape = n.kind === "input" || n.kind === "output" ? "ellipse" : n.kind === "block" ? "box3d" : "box";
  return `  ${q(n.id)} [label=${q(label + (n.count ? ` (x${n.count})` : ""))}, shape=${shape}];`;
}

function body(g: Graph, lines: string[], subgraphs: boolean, indent: string): void {
  for (const n of g.nodes) lines.push(indent + nodeStmt(n).trimStart());
  for (const e of g.edges) {
    const label = e.shape ? `${e.tensor} [${e.shape.join(",")}]` : e.tensor;
    lines.push(`${indent}${q(e.from)} -> ${q(e.to)} [label=${q(label)}];`);
  }
  if (!subgraphs) return;
  g.subgraphs.forEach((s) => {
    lines.push(`${indent}subgraph ${q(`cluster_${s.id}`)} {`);
    lines.push(`${indent}  label=${q(s.name || s.id)};`);
    body(s, lines, true, indent + "  ");
    lines.push(`${indent}}`);
  });
}

export function graphToDot(g: Graph, opts: { subgraphs?: boolean } = {}): string {
  const lines = [`digraph ${q(g.name || "graph")} {`, "  node [fontname=\"Helvetica\", fontsize=10];", "  edge [fontname=\"Helvetica\", fontsize=8];"];
  body(g, lines, !!opts.subgraphs, "  ");
  lines.push("}");
  return lines.join("\n") + "\n";
}
