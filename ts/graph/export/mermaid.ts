// Mermaid flowchart (renders in GitHub Markdown): node ids become n0, n1, ... because mermaid ids
// allow few characters; labels are quoted with '#quot;' for quotes.

import type { Graph } from "../types.ts";

const label = (s: string) => `"${s.replace(/"/g, "#quot;").replace(/[\r\n]+/g, " ")}"`;

function body(g: Graph, lines: string[], ids: Map<string, string>, subgraphs: boolean): void {
  const id = (x: string) => {
    let v = ids.get(x);
    if (!v) ids.set(x, (v = `n${ids.size}`));
    return v;
  };
  for (const n of g.nodes) {
    const text = n.kind === "input" || n.kind === "output" ? n.name : n.name !== n.op ? `${n.op}<br/>${n.name}` : n.op;
    const t = label(text + (n.count ? ` x${n.count}` : ""));
    lines.push(n.kind === "input" || n.kind === "output" ? `  ${id(n.id)}([${t}])` : `  ${id(n.id)}[${t}]`);
  }
  for (const e of g.edges) lines.push(`  ${id(e.from)} -->|${label(e.tensor)}| ${id(e.to)}`);
  if (!subgraphs) return;
  for (const s of g.subgraphs) {
    lines.push(`  subgraph ${id(`graph:${s.id}`)}[${label(s.name || s.id)}]`);
    body(s, lines, ids, true);
    lines.push("  end");
  }
}

export function graphToMermaid(g: Graph, opts: { subgraphs?: boolean } = {}): string {
  const lines = ["flowchart TD"];
  body(g, lines, new Map(), !!opts.subgraphs);
  return lines.join("\n") + "\n";
}
