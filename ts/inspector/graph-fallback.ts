// The page's own graph builders for TensorFlow and Keras indexes, and a layered layout small
// enough to run on 100k nodes in well under a second (longest-path layers, one barycenter sweep
// for the order within a layer, positions packed around the parents' mean). Used where the
// shared graph module (ts/graph) has no builder or layout yet.

import type { Model } from "../model.js";

import type { Graph, GraphNode, Layout } from "../graph/types.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? String(x[0]) : isObj(x) ? String(x.name ?? "") : String(x))) : []);

interface Io { name: string; shape?: (number | string)[]; dtype?: string }
const ioOf = (v: unknown): Io => (isObj(v) ? { name: String(v.name ?? ""), shape: Array.isArray(v.shape) ? (v.shape as (number | string)[]) : undefined, dtype: typeof v.elem_type === "string" ? v.elem_type : undefined } : { name: Array.isArray(v) ? String(v[0]) : String(v) });

/** ONNX-like graphs: nodes consume and produce named tensors. */
function tensorGraph(g: Obj, id: string, format: string, weights: Set<string>, kind: "onnx" | "tf"): Graph {
  const out: Graph = { id, name: String(g.name ?? id), format, kind: "graph", nodes: [], edges: [], inputs: [], outputs: [], subgraphs: [] };
  const producer = new Map<string, string>();
  const shapes = new Map<string, Io>();
  const inits = new Set([...strs(g.initializers), ...weights]);
  const ins = (Array.isArray(g.inputs) ? g.inputs : []).map(ioOf).filter((i) => !inits.has(i.name));
  const outs = (Array.isArray(g.outputs) ? g.outputs : []).map(ioOf);
  for (const i of [...ins, ...outs]) shapes.set(i.name, i);
  for (const i of ins) {
    const nid = `${id}:in:${i.name}`;
    out.nodes.push({ id: nid, name: i.name, op: "Input", attributes: {}, inputs: [], outputs: [i.name], weights: [], subgraphs: [], kind: "input" });
    out.inputs.push(nid);
    producer.set(i.name, nid);
  }
  const nodes = Array.isArray(g.nodes) ? (g.nodes as Obj[]) : [];
  nodes.forEach((n, k) => {
    const nid = `${id}:${k}`;
    const attrs = (isObj(n.attributes) ? n.attributes : isObj(n.attrs) ? n.attrs : {}) as Obj;
    const inputs = strs(n.inputs);
    const outputs = kind === "tf" ? [String(n.name)] : strs(n.outputs);
    const node: GraphNode = { id: nid, name: String(n.name ?? ""), op: String(n.op_type ?? n.op ?? "?"), attributes: {}, inputs, outputs, weights: inputs.filter((x) => inits.has(x)), subgraphs: [], kind: "op" };
    for (const [k2, v] of Object.entries(attrs)) {
      const gs = isObj(v) && Array.isArray(v.nodes) ? [v] : Array.isArray(v) && v.length && v.every((x) => isObj(x) && Array.isArray(x.nodes)) ? v : null;
      if (!gs) { node.attributes[k2] = v; continue; }
      gs.forEach((sg, j) => {
        const sub = tensorGraph(sg as Obj, `${nid}/${k2}${gs.length > 1 ? j : ""}`, format, inits, kind);
        sub.name = `${k2}${gs.length > 1 ? `[${j}]` : ""}`;
        out.subgraphs.push(sub);
        node.subgraphs.push(sub.id);
      });
    }
    out.nodes.push(node);
    for (const o of outputs) producer.set(o, nid);
  });
  for (const n of out.nodes) {
    for (const t of n.inputs) {
      const base = kind === "tf" ? t.replace(/^\^/, "").replace(/:\d+$/, "") : t;
      const from = producer.get(base);
      if (from && from !== n.id) out.edges.push({ from, to: n.id, tensor: t, shape: shapes.get(t)?.shape, dtype: shapes.get(t)?.dtype });
    }
  }
  for (const o of outs) {
    const nid = `${id}:out:${o.name}`;
    out.nodes.push({ id: nid, name: o.name, op: "Output", attributes: {}, inputs: [o.name], outputs: [], weights: [], subgraphs: [], kind: "output" });
    out.outputs.push(nid);
    const from = producer.get(o.name);
    if (from) out.edges.push({ from, to: nid, tensor: o.name, shape: o.shape, dtype: o.dtype });
  }
  return out;
}

/** Keras: layers consume layers by name. */
function layerGraph(g: Obj, id: string, format: string, tensorNames: string[]): Graph {
  const out: Graph = { id, name: String(g.name ?? "model"), format, kind: "graph", nodes: [], edges: [], inputs: [], outputs: [], subgraphs: [] };
  const byName = new Map<string, string>();
  (g.nodes as Obj[]).forEach((n, k) => {
    const name = String(n.name);
    const nid = `${id}:${k}`;
    byName.set(name, nid);
    const weights = tensorNames.filter((t) => t.split(/[/.]/).includes(name));
    const node: GraphNode = { id: nid, name, op: String(n.class), attributes: isObj(n.config) ? (n.config as Obj) : {}, inputs: strs(n.inputs), outputs: [name], weights, subgraphs: [], kind: n.class === "InputLayer" ? "input" : "op" };
    out.nodes.push(node);
    if (node.kind === "input") out.inputs.push(nid);
  });
  for (const n of out.nodes) for (const i of n.inputs) { const f = byName.get(i); if (f) out.edges.push({ from: f, to: n.id, tensor: i }); }
  for (const o of strs(g.outputs)) { const f = byName.get(o); if (f && !out.outputs.includes(f)) out.outputs.push(f); }
  return out;
}

/** Formats without a graph: tensors grouped by name, `layers.N.` runs folded into one block. */
function blockGraph(model: Model): Graph {
  const out: Graph = { id: "blocks", name: model.source.name, format: model.format, kind: "blocks", nodes: [], edges: [], inputs: [], outputs: [], subgraphs: [] };
  const groups = new Map<string, { weights: string[]; indices: Set<string> }>();
  for (const t of model.tensors) {
    const parts = t.name.split(/[/.]/);
    const at = parts.findIndex((p) => /^\d+$/.test(p));
    const key = at > 0 ? parts.slice(0, at).join(".") + ".N" : parts.length > 1 ? parts.slice(0, -1).join(".") : "(top level)";
    let gr = groups.get(key);
    if (!gr) groups.set(key, (gr = { weights: [], indices: new Set() }));
    gr.weights.push(t.name);
    if (at > 0) gr.indices.add(parts[at]);
  }
  let prev: string | null = null;
  for (const [key, gr] of groups) {
    const id = `blocks:${out.nodes.length}`;
    out.nodes.push({ id, name: key, op: gr.indices.size ? `block ×${gr.indices.size}` : "tensors", attributes: { tensors: gr.weights.length }, inputs: [], outputs: [], weights: gr.weights, subgraphs: [], kind: "block", count: gr.indices.size || undefined });
    if (prev) out.edges.push({ from: prev, to: id, tensor: "" });
    prev = id;
  }
  return out;
}

export function fallbackGraph(model: Model): Graph {
  const g = model.graph;
  const names = model.tensors.map((t) => t.name);
  if (isObj(g)) {
    const metas = g.meta_graphs;
    if (Array.isArray(metas) && isObj(metas[0]) && Array.isArray(metas[0].nodes)) return tensorGraph(metas[0], "g", model.format, new Set(), "tf");
    if (Array.isArray(g.nodes) && g.nodes.length) {
      const first = g.nodes[0] as Obj;
      if (typeof first.class === "string") return layerGraph(g, "g", model.format, names);
      return tensorGraph(g, "g", model.format, new Set(), typeof first.op === "string" ? "tf" : "onnx");
    }
  }
  return blockGraph(model);
}

// ---- layout ----

const ROW = 56;
const GAP = 16;

export function layoutGraph(g: Graph): Layout {
  const n = g.nodes.length;
  const index = new Map<string, number>();
  g.nodes.forEach((v, i) => index.set(v.id, i));
  const w = new Float64Array(n), h = new Float64Array(n);
  g.nodes.forEach((v, i) => {
    w[i] = Math.min(240, Math.max(70, 14 + 7 * Math.max(v.op.length, Math.min(v.name.length, 30))));
    h[i] = v.kind === "op" || v.kind === "block" ? 36 : 26;
  });
  const from = new Int32Array(g.edges.length), to = new Int32Array(g.edges.length);
  const indeg = new Int32Array(n);
  g.edges.forEach((e, k) => { from[k] = index.get(e.from) ?? -1; to[k] = index.get(e.to) ?? -1; if (from[k] >= 0 && to[k] >= 0) indeg[to[k]]++; });
  // adjacency in CSR form
  const outStart = new Int32Array(n + 1);
  for (let k = 0; k < from.length; k++) if (from[k] >= 0 && to[k] >= 0) outStart[from[k] + 1]++;
  for (let i = 0; i < n; i++) outStart[i + 1] += outStart[i];
  const outList = new Int32Array(outStart[n]);
  const fill = outStart.slice(0, n);
  for (let k = 0; k < from.length; k++) if (from[k] >= 0 && to[k] >= 0) outList[fill[from[k]]++] = to[k];
  // longest-path layers (Kahn); nodes on cycles go one layer below what was placed
  const layer = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let qh = 0, qt = 0;
  for (let i = 0; i < n; i++) if (indeg[i] === 0) { queue[qt++] = i; layer[i] = 0; }
  let maxLayer = 0;
  const order: number[] = [];
  const done = new Uint8Array(n);
  let cursor = 0;
  for (;;) {
    while (qh < qt) {
      const v = queue[qh++];
      order.push(v);
      done[v] = 1;
      for (let k = outStart[v]; k < outStart[v + 1]; k++) {
        const u = outList[k];
        if (layer[u] < layer[v] + 1) layer[u] = layer[v] + 1;
        if (layer[u] > maxLayer) maxLayer = layer[u];
        if (--indeg[u] === 0) queue[qt++] = u;
      }
    }
    if (qt >= n) break;
    let pick = -1;
    for (; cursor < n; cursor++) if (!done[cursor]) { pick = cursor; break; }
    if (pick < 0) break;
    indeg[pick] = 0;
    if (layer[pick] < 0) layer[pick] = maxLayer + 1;
    queue[qt++] = pick;
  }
  // x: each node wants the mean of its parents' centres; a layer is packed left to right
  const layers: number[][] = Array.from({ length: maxLayer + 2 }, () => []);
  for (const v of order) layers[Math.max(0, layer[v])].push(v);
  const cx = new Float64Array(n), sum = new Float64Array(n), cnt = new Int32Array(n);
  const y = new Float64Array(n);
  let top = 0, minX = Infinity, maxX = -Infinity;
  for (const row of layers) {
    if (!row.length) continue;
    const want = row.map((v) => (cnt[v] ? sum[v] / cnt[v] : NaN));
    const idx = row.map((_, i) => i).sort((a, b) => (want[a] || 0) - (want[b] || 0) || a - b);
    let x = -Infinity, total = 0, shift = 0;
    for (const i of idx) {
      const v = row[i];
      const left = Math.max(Number.isNaN(want[i]) ? x : want[i] - w[v] / 2, x);
      cx[v] = (Number.isFinite(left) ? left : 0) + w[v] / 2;
      x = cx[v] + w[v] / 2 + GAP;
      if (!Number.isNaN(want[i])) { shift += want[i] - cx[v]; total++; }
    }
    const d = total ? shift / total : 0;
    let rowH = 0;
    for (const v of row) rowH = Math.max(rowH, h[v]);
    for (const v of row) {
      cx[v] += d;
      y[v] = top + (rowH - h[v]) / 2;
      minX = Math.min(minX, cx[v] - w[v] / 2);
      maxX = Math.max(maxX, cx[v] + w[v] / 2);
      for (let k = outStart[v]; k < outStart[v + 1]; k++) { sum[outList[k]] += cx[v]; cnt[outList[k]]++; }
    }
    top += rowH + ROW - 36;
  }
  if (!n) minX = maxX = 0;
  const nodes = g.nodes.map((v, i) => ({ id: v.id, x: cx[i] - w[i] / 2 - minX, y: y[i], w: w[i], h: h[i] }));
  const edges = g.edges.map((e, k) => {
    const a = from[k], b = to[k];
    if (a < 0 || b < 0) return { from: e.from, to: e.to, points: [] };
    return { from: e.from, to: e.to, points: [cx[a] - minX, y[a] + h[a], cx[b] - minX, y[b]] };
  });
  return { width: maxX - minX, height: Math.max(0, top - (ROW - 36)), nodes, edges };
}
