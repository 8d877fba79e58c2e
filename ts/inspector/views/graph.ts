// The graph summary (ONNX, Keras, TensorFlow): op counts, inputs and outputs, from index.graph.
// Formats describe their graphs in slightly different words; this reads the common ones and
// shows anything else as a tree.

import { h } from "./dom.js";
import { renderTree } from "./tree.js";

type Obj = Record<string, unknown>;

function opCounts(g: Obj): Map<string, number> | null {
  for (const k of ["ops", "op_counts", "opCounts", "operators"]) {
    const v = g[k];
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const m = new Map<string, number>();
      for (const [op, n] of Object.entries(v as Obj)) if (typeof n === "number") m.set(op, n);
      if (m.size) return m;
    }
  }
  const nodes = g.nodes ?? g.node ?? g.layers;
  if (Array.isArray(nodes)) {
    const m = new Map<string, number>();
    for (const n of nodes) {
      const o = n && typeof n === "object" ? (n as Obj) : {};
      const op = o.op ?? o.op_type ?? o.opType ?? o.class_name ?? o.type;
      if (typeof op === "string") m.set(op, (m.get(op) ?? 0) + 1);
    }
    if (m.size) return m;
  }
  return null;
}

function ioText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v && typeof v === "object") {
    const o = v as Obj;
    const parts = [o.name, o.elem_type ?? o.dtype ?? o.type, Array.isArray(o.shape) ? `[${o.shape.join(", ")}]` : undefined].filter((x) => x !== undefined && x !== null);
    if (parts.length) return parts.join("  ");
  }
  return JSON.stringify(v);
}

function ioList(label: string, v: unknown): HTMLElement | null {
  if (!Array.isArray(v) || !v.length) return null;
  return h("div", { class: "io" }, h("h4", {}, `${label} (${v.length})`), h("ul", {}, ...v.slice(0, 100).map((x) => h("li", { class: "mono" }, ioText(x)))));
}

export function renderGraph(graph: unknown): HTMLElement | null {
  if (!graph || typeof graph !== "object") return null;
  const g = graph as Obj;
  const box = h("div", { class: "graph" });
  const ops = opCounts(g);
  if (ops) {
    const total = [...ops.values()].reduce((a, b) => a + b, 0);
    const rows = [...ops.entries()].sort((a, b) => b[1] - a[1]);
    box.appendChild(h("table", { class: "ops" },
      h("thead", {}, h("tr", {}, h("th", {}, "op"), h("th", { class: "num" }, "count"))),
      h("tbody", {}, ...rows.map(([op, n]) => h("tr", {}, h("td", { class: "mono" }, op), h("td", { class: "num" }, n)))),
      h("tfoot", {}, h("tr", {}, h("td", {}, `${rows.length} op types`), h("td", { class: "num" }, total))),
    ));
  }
  const io = h("div", { class: "io-lists" });
  for (const [label, key] of [["Inputs", "inputs"], ["Outputs", "outputs"]] as const) {
    const l = ioList(label, g[key] ?? g[key.slice(0, -1)]);
    if (l) io.appendChild(l);
  }
  if (io.childNodes.length) box.appendChild(io);
  box.appendChild(h("details", {}, h("summary", {}, "Graph as stored in the index"), renderTree(g, "graph")));
  return box;
}
