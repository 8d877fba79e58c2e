// SVG of a graph from its layout: the same boxes and edge routes the page draws, as one
// self-contained file (inline style, no scripts) that any browser opens. Node boxes carry a
// <title> with the node's name and op so hovering shows them; edges carry the tensor name.

import { defaultNodeSize, layoutGraph } from "../layout.ts";
import type { Graph, GraphNode, Layout } from "../types.ts";

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));
const num = (v: number) => (Math.round(v * 10) / 10).toString();

/** A colour family per kind of operator, so the eye finds convolutions, matmuls and norms. */
export function opClass(n: GraphNode): string {
  if (n.kind !== "op") return n.kind;
  const op = n.op.toLowerCase();
  if (/conv|pool|resize|upsample/.test(op)) return "conv";
  if (/matmul|gemm|dense|linear|einsum|attention|embedding|lstm|gru|rnn/.test(op)) return "dense";
  if (/norm/.test(op)) return "norm";
  if (/relu|sigmoid|tanh|gelu|softmax|swish|silu|elu|activation|erf|clip/.test(op)) return "act";
  if (/const|variable|varhandle|placeholder|identity|read/.test(op)) return "const";
  if (/reshape|transpose|concat|split|slice|gather|squeeze|unsqueeze|flatten|shape|pad|tile|expand|cast|permute|view/.test(op)) return "shape";
  return "op";
}

const STYLE = `
text{font:11px ui-monospace,Menlo,Consolas,monospace;fill:#111}
.op rect{fill:#eceff4;stroke:#4c566a}
.dense rect{fill:#dbe8f7;stroke:#2e5e8c}
.conv rect{fill:#dff0dc;stroke:#3d7a35}
.norm rect{fill:#f4ecd8;stroke:#8a6d1f}
.act rect{fill:#f7dede;stroke:#9c3b3b}
.shape rect{fill:#ece4f3;stroke:#6a4c8a}
.const rect{fill:#f3f3f3;stroke:#999}
.input rect,.output rect{fill:#fff;stroke:#333;stroke-dasharray:3 2}
.block rect{fill:#e2f1f1;stroke:#2f7373;stroke-width:2}
rect{stroke-width:1}
.op-name{font-weight:bold}
.sub{fill:#555;font-size:10px}
path{fill:none;stroke:#888;stroke-width:1}
`;

export interface SvgOptions {
  layout?: Layout;
  /** Edge labels (tensor shapes) are drawn only below this many edges (default 2000). */
  labelEdgesBelow?: number;
}

function nodeLabel(n: GraphNode, x: number, y: number, w: number, h: number): string {
  const cx = num(x + w / 2);
  const maxChars = Math.max(4, Math.floor((w - 8) / 6.5));
  const clip = (s: string) => (s.length > maxChars ? s.slice(0, maxChars - 1) + "…" : s);
  const head = n.kind === "input" || n.kind === "output" ? n.name : n.count ? `${n.op}` : n.op;
  if (h >= 34 && n.name !== head) {
    return `<text x="${cx}" y="${num(y + 15)}" text-anchor="middle" class="op-name">${esc(clip(head))}</text>` +
      `<text x="${cx}" y="${num(y + 29)}" text-anchor="middle" class="sub">${esc(clip(n.name))}</text>`;
  }
  return `<text x="${cx}" y="${num(y + h / 2 + 4)}" text-anchor="middle" class="op-name">${esc(clip(head))}</text>`;
}

export function graphToSvg(g: Graph, opts: SvgOptions = {}): string {
  const layout = opts.layout ?? layoutGraph(g, { nodeSize: defaultNodeSize });
  const pad = 12;
  const W = layout.width + 2 * pad;
  const H = layout.height + 2 * pad;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${num(W)}" height="${num(H)}" viewBox="0 0 ${num(W)} ${num(H)}">`);
  parts.push(`<title>${esc(`${g.name} (${g.format}, ${g.nodes.length} nodes)`)}</title><style>${STYLE}</style>`);
  parts.push(`<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L8,4L0,8z" style="fill:#888;stroke:none"/></marker></defs>`);
  parts.push(`<g transform="translate(${pad},${pad})"><g class="edges">`);
  const labels = g.edges.length < (opts.labelEdgesBelow ?? 2000);
  layout.edges.forEach((e, i) => {
    const p = e.points;
    if (p.length < 4) return;
    let d = `M${num(p[0])},${num(p[1])}`;
    for (let k = 2; k < p.length; k += 2) d += `L${num(p[k])},${num(p[k + 1])}`;
    const ge = g.edges[i];
    const title = ge ? `${ge.tensor}${ge.shape ? ` [${ge.shape.join(", ")}]` : ""}${ge.dtype ? ` ${ge.dtype}` : ""}` : "";
    parts.push(`<path d="${d}" marker-end="url(#arrow)"><title>${esc(title)}</title></path>`);
    if (labels && ge?.shape && p.length >= 4) {
      const k = Math.floor(p.length / 4) * 2;
      const mx = (p[k - 2] + p[k]) / 2, my = (p[k - 1] + p[k + 1]) / 2;
      parts.push(`<text x="${num(mx + 4)}" y="${num(my)}" class="sub">${esc(ge.shape.join("×"))}</text>`);
    }
  });
  parts.push(`</g><g class="nodes">`);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  for (const ln of layout.nodes) {
    const n = byId.get(ln.id);
    if (!n) continue;
    const r = n.kind === "input" || n.kind === "output" ? 12 : 4;
    const tip = `${n.name} (${n.op})${n.count ? ` x${n.count}` : ""}${n.weights.length ? `\nweights: ${n.weights.slice(0, 8).join(", ")}${n.weights.length > 8 ? ", ..." : ""}` : ""}`;
    parts.push(`<g class="${opClass(n)}"><title>${esc(tip)}</title><rect x="${num(ln.x)}" y="${num(ln.y)}" width="${num(ln.w)}" height="${num(ln.h)}" rx="${r}"/>${nodeLabel(n, ln.x, ln.y, ln.w, ln.h)}</g>`);
  }
  parts.push(`</g></g></svg>\n`);
  return parts.join("");
}
