// The block view, for files that hold weights but no graph (safetensors, GGUF, state dicts, npz):
// tensor names such as `model.layers.N.*` or `blk.N.*` are grouped into one block per repeated
// family, with the number of repeats, and the rest into one node per module prefix. The blocks
// are chained in the order a transformer runs them (embeddings, repeated blocks, the rest, the
// head), which is a reading aid, not data flow the file records.

import type { Graph, GraphEdge, GraphNode, GraphSource } from "../types.ts";

// The first purely numeric path segment splits a name into family, index and rest.
const NUMBERED = /^(.*?)[./](\d+)(?:[./](.*))?$/;

interface Group {
  key: string;
  repeated: boolean;
  indices: Set<number>;
  tensors: string[];
  /** rest-of-name pattern (inner indices as N) -> [shape, dtype] of its first tensor */
  pattern: Map<string, string>;
  first: number;
}

/** Module prefix of an unnumbered tensor: its name without the last segment (weight, bias, ...). */
function modulePrefix(name: string): string {
  const cut = Math.max(name.lastIndexOf("."), name.lastIndexOf("/"));
  return cut > 0 ? name.slice(0, cut) : name;
}

function rank(g: Group): number {
  const k = g.key.toLowerCase();
  if (/embed|token_embd|wte|wpe|tok_embeddings|position/.test(k)) return 0;
  if (g.repeated) return 1;
  if (/(^|[._/])(lm_head|head|output|classifier|logits)([._/]|$)/.test(k) && !/output_norm/.test(k)) return 3;
  return 2;
}

export function blockGraph(src: GraphSource): Graph {
  const groups = new Map<string, Group>();
  src.tensors.forEach((t, i) => {
    const m = NUMBERED.exec(t.name);
    const key = m ? m[1] : modulePrefix(t.name);
    const gkey = (m ? "R" : "S") + key;
    let g = groups.get(gkey);
    if (!g) {
      g = { key, repeated: !!m, indices: new Set(), tensors: [], pattern: new Map(), first: i };
      groups.set(gkey, g);
    }
    g.tensors.push(t.name);
    const rest = m ? (m[3] ?? "") : t.name.slice(key.length + 1);
    if (m) g.indices.add(Number(m[2]));
    const pat = rest.replace(/(^|[./])\d+(?=[./]|$)/g, "$1N");
    if (!g.pattern.has(pat)) g.pattern.set(pat, `${t.dtype} [${t.shape.join(", ")}]`);
  });
  const ordered = [...groups.values()].sort((a, b) => rank(a) - rank(b) || a.first - b.first);
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  ordered.forEach((g, i) => {
    const idx = [...g.indices].sort((a, b) => a - b);
    const attributes: Record<string, unknown> = { tensors: Object.fromEntries(g.pattern) };
    if (g.repeated) attributes.indices = idx.length && idx[idx.length - 1] - idx[0] + 1 === idx.length ? `${idx[0]}..${idx[idx.length - 1]}` : idx;
    const leaf = g.key.split(/[./]/).pop() || g.key;
    const n: GraphNode = {
      id: `b${i}`,
      name: g.repeated ? `${g.key}.N` : g.key,
      op: g.repeated ? `${leaf} x${idx.length}` : leaf,
      attributes,
      inputs: i ? [`b${i - 1}`] : [],
      outputs: [`b${i}`],
      weights: g.tensors,
      subgraphs: [],
      kind: g.repeated ? "block" : "op",
    };
    if (g.repeated) n.count = idx.length;
    nodes.push(n);
    if (i) edges.push({ from: `b${i - 1}`, to: n.id, tensor: `b${i - 1}` });
  });
  return { id: "main", name: "blocks", format: src.format, kind: "blocks", nodes, edges, inputs: [], outputs: [], subgraphs: [] };
}
