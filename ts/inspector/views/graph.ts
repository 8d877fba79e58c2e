// The graph summary (ONNX, Keras, TensorFlow): op counts, inputs and outputs, from index.graph.
// The formats describe graphs in their own words: ONNX nodes have `op_type`, TensorFlow nodes
// `op` (inside `meta_graphs`, with most TF2 work in `functions`), Keras layers `class`. Anything
// else is still shown, as a tree.

import { isObj, opOf, type Obj } from "../graph-ops.ts";
import { h } from "./dom.ts";
import { renderTree } from "./tree.ts";

function opCounts(g: Obj): Map<string, number> | null {
  for (const k of ["ops", "op_counts", "opCounts"]) {
    const v = g[k];
    if (isObj(v)) {
      const m = new Map<string, number>();
      for (const [op, n] of Object.entries(v)) if (typeof n === "number") m.set(op, n);
      if (m.size) return m;
    }
  }
  const nodes = g.nodes ?? g.node ?? g.layers;
  if (!Array.isArray(nodes)) return null;
  const m = new Map<string, number>();
  for (const n of nodes) {
    const op = opOf(n);
    if (op) m.set(op, (m.get(op) ?? 0) + 1);
  }
  return m.size ? m : null;
}

function opTable(ops: Map<string, number>): HTMLElement {
  const total = [...ops.values()].reduce((a, b) => a + b, 0);
  const rows = [...ops.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return h("table", { class: "ops" },
    h("thead", {}, h("tr", {}, h("th", {}, "op"), h("th", { class: "num" }, "count"))),
    h("tbody", {}, ...rows.map(([op, n]) => h("tr", {}, h("td", { class: "mono" }, op), h("td", { class: "num" }, n)))),
    h("tfoot", {}, h("tr", {}, h("td", {}, `${rows.length} op types`), h("td", { class: "num" }, total))),
  );
}

/**
 * Keras names a model's inputs and outputs by where they come from: [layer, node, tensor]
 * (Keras 2) or a `__keras_tensor__` whose config holds that `keras_history` (Keras 3). Shown as
 * the layer's name, with `:tensor` when the layer has several outputs.
 */
export function kerasRef(v: unknown): string | null {
  if (isObj(v) && isObj(v.config) && Array.isArray(v.config.keras_history)) return kerasRef(v.config.keras_history);
  if (!Array.isArray(v) || v.length < 1 || typeof v[0] !== "string") return null;
  if (!v.slice(1).every((x) => typeof x === "number" || isObj(x))) return null;
  const tensor = typeof v[2] === "number" ? v[2] : 0;
  return tensor ? `${v[0]}:${tensor}` : v[0];
}

export function ioText(v: unknown): string {
  if (typeof v === "string") return v;
  const keras = kerasRef(v);
  if (keras !== null) return keras;
  if (isObj(v)) {
    const parts = [v.name, v.elem_type ?? v.dtype ?? v.type, Array.isArray(v.shape) ? `[${v.shape.join(", ")}]` : undefined].filter((x) => x !== undefined && x !== null);
    if (parts.length) return parts.join("  ");
  }
  return JSON.stringify(v);
}

function ioList(label: string, v: unknown): HTMLElement | null {
  if (!Array.isArray(v) || !v.length) return null;
  return h("div", { class: "io" }, h("h4", {}, `${label} (${v.length})`), h("ul", {}, ...v.slice(0, 100).map((x) => h("li", { class: "mono" }, ioText(x)))));
}

/** Keras layer graphs list layers only: inputs are the InputLayers, outputs the layers nobody consumes. */
function derivedIO(g: Obj): [unknown[], unknown[]] | null {
  const nodes = g.nodes;
  if (!Array.isArray(nodes) || !nodes.every((n) => isObj(n) && typeof n.class === "string")) return null;
  const used = new Set<string>();
  for (const n of nodes as Obj[]) for (const i of Array.isArray(n.inputs) ? n.inputs : []) used.add(String(i));
  const names = (f: (n: Obj) => boolean) => (nodes as Obj[]).filter(f).map((n) => String(n.name));
  return [names((n) => n.class === "InputLayer"), names((n) => !used.has(String(n.name)) && n.class !== "InputLayer")];
}

function summary(g: Obj): HTMLElement {
  const box = h("div", { class: "graph-part" });
  const ops = opCounts(g);
  if (ops) box.appendChild(opTable(ops));
  const derived = derivedIO(g);
  const io = h("div", { class: "io-lists" });
  for (const [i, [label, key]] of ([["Inputs", "inputs"], ["Outputs", "outputs"]] as const).entries()) {
    const l = ioList(label, g[key] ?? derived?.[i]);
    if (l) io.appendChild(l);
  }
  if (io.childNodes.length) box.appendChild(io);
  const fns = g.functions;
  if (Array.isArray(fns) && fns.length) {
    box.appendChild(h("h4", {}, `Functions (${fns.length})`));
    box.appendChild(h("ul", { class: "functions" }, ...fns.slice(0, 200).map((f) => {
      const o = isObj(f) ? f : {};
      const sig = `${o.name ?? "?"}(${Array.isArray(o.inputs) ? o.inputs.join(", ") : ""}) -> ${Array.isArray(o.outputs) ? o.outputs.join(", ") : ""}`;
      const detail = [typeof o.node_count === "number" ? `${o.node_count} nodes` : "", Array.isArray(o.ops) ? o.ops.join(" ") : ""].filter(Boolean).join(": ");
      return h("li", {}, h("span", { class: "mono" }, sig), detail ? h("span", { class: "muted" }, `  ${detail}`) : null);
    })));
  }
  return box;
}

export function renderGraph(graph: unknown): HTMLElement | null {
  if (!isObj(graph)) return null;
  const box = h("div", { class: "graph" });
  const metas = graph.meta_graphs;
  if (Array.isArray(metas) && metas.length) {
    metas.forEach((m, i) => {
      if (metas.length > 1) box.appendChild(h("h3", {}, `Meta graph ${i}`));
      if (isObj(m)) box.appendChild(summary(m));
    });
  } else box.appendChild(summary(graph));
  box.appendChild(h("details", {}, h("summary", {}, "Graph as stored in the index"), renderTree(graph, "graph")));
  return box;
}
