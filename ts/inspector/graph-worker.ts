// The worker's half of the graph view: builds the model's graph once, lays out what is shown
// (the top graph plus the subgraphs the user expanded), and packs it into typed arrays so a
// 100k-node view crosses to the page as a few transferable buffers, not 100k objects.

import type { Model } from "../model.ts";
import { layoutGraph, modelGraph, type Graph, type GraphNode } from "./graph-api.ts";
import { NODE_LISTS } from "./graph-ops.ts";
import { KIND, type GraphEnd, type GraphNodeDetail, type GraphView } from "./protocol.ts";

interface Shown {
  graph: Graph;
  index: Map<string, number>;
  /** The subgraph each expanded cluster came from, with the node ids it contributed. */
  clusters: { label: string; ids: string[] }[];
}

let built: { model: Model; root: Graph; byId: Map<string, Graph>; millis: number } | null = null;
let shown: Shown | null = null;
const expanded = new Set<string>();

export function forgetGraph(): void {
  built = null;
  shown = null;
  expanded.clear();
}

function root(model: Model): NonNullable<typeof built> {
  if (built?.model === model) return built;
  const t0 = performance.now();
  const g = modelGraph(model);
  const byId = new Map<string, Graph>();
  const walk = (x: Graph) => {
    byId.set(x.id, x);
    for (const s of x.subgraphs) walk(s);
  };
  walk(g);
  built = { model, root: g, byId, millis: performance.now() - t0 };
  return built;
}

/** The top graph with each expanded node's subgraphs drawn below it, joined by an edge. */
function flatten(top: Graph, byId: Map<string, Graph>, expand: Set<string>): Shown {
  const g: Graph = { ...top, nodes: [...top.nodes], edges: [...top.edges] };
  const clusters: Shown["clusters"] = [];
  const visit = (nodes: GraphNode[], depth: number) => {
    for (const n of nodes) {
      if (!expand.has(n.id) || depth > 8) continue;
      for (const sid of n.subgraphs) {
        const sub = byId.get(sid);
        if (!sub) continue;
        g.nodes.push(...sub.nodes);
        g.edges.push(...sub.edges);
        const has = new Set(sub.edges.map((e) => e.to));
        for (const s of sub.nodes) if (!has.has(s.id)) g.edges.push({ from: n.id, to: s.id, tensor: "" });
        clusters.push({ label: `${n.name || n.op} · ${sub.name}`, ids: sub.nodes.map((s) => s.id) });
        visit(sub.nodes, depth + 1);
      }
    }
  };
  visit(top.nodes, 0);
  const index = new Map<string, number>();
  g.nodes.forEach((n, i) => index.set(n.id, i));
  return { graph: g, index, clusters };
}

const shapeText = (s?: (number | string)[]) => (s ? `[${s.join(", ")}]` : "");

/** Lays out the graph; `toggle` expands or folds the subgraphs of that node of the current view. */
export function graphView(model: Model, toggle?: number): { view: GraphView; transfer: ArrayBuffer[] } {
  const b = root(model);
  const t = toggle === undefined ? undefined : shown?.graph.nodes[toggle];
  if (t?.subgraphs.length) {
    if (expanded.has(t.id)) expanded.delete(t.id);
    else expanded.add(t.id);
  }
  shown = flatten(b.root, b.byId, expanded);
  const t0 = performance.now();
  const lay = layoutGraph(shown.graph);
  return pack(shown, lay, { build: b.millis, layout: performance.now() - t0 });
}

// A graph this large first gets a view of its first nodes, drawn while the whole is built and
// laid out (about 2 s at 100,000 nodes). Graph formats list nodes in topological order (ONNX
// requires it; TensorFlow and Keras writers keep it), so the first nodes are the top of the
// picture and every edge among them is known.
export const FIRST_VIEW_MIN = 4000;
export const FIRST_VIEW_NODES = 1500;


function longestNodeList(v: unknown, depth = 0): number {
  if (!v || typeof v !== "object" || depth > 3) return 0;
  let best = 0;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(x)) {
      if (NODE_LISTS.includes(k)) best = Math.max(best, x.length);
      else if (depth < 2) for (const y of x.slice(0, 16)) best = Math.max(best, longestNodeList(y, depth + 1));
    } else best = Math.max(best, longestNodeList(x, depth + 1));
  }
  return best;
}

/** The graph with its long node lists cut to their first `keep` nodes, and no outputs (not reached yet). */
function prefixOf(v: unknown, keep: number, depth = 0): unknown {
  if (!v || typeof v !== "object" || depth > 3) return v;
  if (Array.isArray(v)) return depth < 3 ? v.map((x) => prefixOf(x, keep, depth + 1)) : v;
  const out: Record<string, unknown> = {};
  let cut = false;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (NODE_LISTS.includes(k) && Array.isArray(x) && x.length > keep) {
      out[k] = x.slice(0, keep);
      cut = true;
    } else out[k] = prefixOf(x, keep, depth + 1);
  }
  if (cut && Array.isArray(out.outputs)) out.outputs = [];
  return out;
}

/** The first view of a large graph, or null when the graph is small or already built. */
export function firstView(model: Model): { view: GraphView; transfer: ArrayBuffer[] } | null {
  if (built?.model === model) return null;
  const total = longestNodeList(model.index.graph);
  if (total < FIRST_VIEW_MIN) return null;
  const t0 = performance.now();
  const g = modelGraph({ format: model.format, graph: prefixOf(model.index.graph, FIRST_VIEW_NODES), tensors: model.tensors, metadata: model.metadata });
  const index = new Map<string, number>();
  g.nodes.forEach((x, i) => index.set(x.id, i));
  const t1 = performance.now();
  const lay = layoutGraph(g);
  const packed = pack({ graph: g, index, clusters: [] }, lay, { build: t1 - t0, layout: performance.now() - t1 });
  packed.view.partial = { nodes: FIRST_VIEW_NODES, total };
  return packed;
}

function pack(shown: Shown, lay: ReturnType<typeof layoutGraph>, millis: GraphView["millis"]): { view: GraphView; transfer: ArrayBuffer[] } {
  const g = shown.graph;
  const n = g.nodes.length;
  const boxes = new Float32Array(4 * n);
  for (const l of lay.nodes) {
    const i = shown.index.get(l.id);
    if (i === undefined) continue;
    boxes.set([l.x, l.y, l.w, l.h], 4 * i);
  }
  const m = lay.edges.length;
  const edgeFrom = new Uint32Array(m), edgeTo = new Uint32Array(m), edgeStart = new Uint32Array(m + 1);
  let pts = 0;
  for (const e of lay.edges) pts += e.points.length;
  const edgePoints = new Float32Array(pts);
  // layout edges follow the graph's edge order; match on the ends when they do not
  const edgeLabels: string[] = new Array(m);
  pts = 0;
  let byEnds: Map<string, (typeof g.edges)[number]> | null = null;
  lay.edges.forEach((e, k) => {
    edgeFrom[k] = shown.index.get(e.from) ?? 0;
    edgeTo[k] = shown.index.get(e.to) ?? 0;
    edgePoints.set(e.points, pts);
    pts += e.points.length;
    edgeStart[k + 1] = pts;
    let ge = g.edges[k];
    if (ge?.from !== e.from || ge?.to !== e.to) {
      byEnds ??= new Map(g.edges.map((x) => [`${x.from}\u0000${x.to}`, x]));
      ge = byEnds.get(`${e.from}\u0000${e.to}`)!;
    }
    edgeLabels[k] = ge ? [ge.tensor, shapeText(ge.shape)].filter(Boolean).join(" ") : "";
  });
  const kinds = new Uint8Array(n), nest = new Uint8Array(n), counts = new Uint32Array(n);
  g.nodes.forEach((v, i) => {
    kinds[i] = KIND[v.kind] ?? 0;
    nest[i] = v.subgraphs.length ? (expanded.has(v.id) ? 2 : 1) : 0;
    counts[i] = v.count ?? 0;
  });
  const clusters = shown.clusters.map((c) => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const id of c.ids) {
      const i = shown.index.get(id)!;
      x0 = Math.min(x0, boxes[4 * i]);
      y0 = Math.min(y0, boxes[4 * i + 1]);
      x1 = Math.max(x1, boxes[4 * i] + boxes[4 * i + 2]);
      y1 = Math.max(y1, boxes[4 * i + 1] + boxes[4 * i + 3]);
    }
    const pad = 10;
    return { label: c.label, x: x0 - pad, y: y0 - pad - 14, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad + 14 };
  });
  const view: GraphView = {
    id: g.id, name: g.name, format: g.format, kind: g.kind, width: lay.width, height: lay.height,
    ops: g.nodes.map((v) => v.op), names: g.nodes.map((v) => v.name), kinds, nest, counts, boxes,
    edgeFrom, edgeTo, edgeStart, edgePoints, edgeLabels, clusters, millis,
  };
  return { view, transfer: [boxes.buffer, edgeFrom.buffer, edgeTo.buffer, edgeStart.buffer, edgePoints.buffer, kinds.buffer, nest.buffer, counts.buffer] };
}

function current(): Shown {
  if (!shown) throw new Error("no graph is shown");
  return shown;
}

export function nodeDetail(model: Model, i: number): GraphNodeDetail {
  const s = current();
  const node = s.graph.nodes[i];
  if (!node) throw new Error(`no node #${i}`);
  const end = (id: string, e: { tensor: string; shape?: (number | string)[]; dtype?: string }): GraphEnd => {
    const k = s.index.get(id) ?? -1;
    const other = s.graph.nodes[k];
    return { node: k, name: other ? other.name || other.op : id, tensor: e.tensor, shape: e.shape, dtype: e.dtype };
  };
  const rows = new Map<string, number>();
  model.tensors.forEach((t, k) => rows.set(t.name, k));
  const b = root(model);
  return {
    index: i,
    node,
    incoming: s.graph.edges.filter((e) => e.to === node.id).map((e) => end(e.from, e)),
    outgoing: s.graph.edges.filter((e) => e.from === node.id).map((e) => end(e.to, e)),
    weights: node.weights.map((w) => ({ name: w, tensor: rows.get(w) ?? -1 })),
    subgraphs: node.subgraphs.map((id) => ({ id, name: b.byId.get(id)?.name ?? id, nodes: b.byId.get(id)?.nodes.length ?? 0 })),
  };
}

/** Nodes whose name or op, or a tensor they read or write, contains the query: exact names first. */
export function searchGraph(query: string, limit = 50): { node: number; label: string }[] {
  const s = current();
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const exact: { node: number; label: string }[] = [];
  const partial: { node: number; label: string }[] = [];
  s.graph.nodes.forEach((n, i) => {
    if (exact.length >= limit) return;
    const name = n.name.toLowerCase();
    const label = `${n.op} ${n.name}`;
    if (name === q) exact.push({ node: i, label });
    else if (partial.length < limit) {
      if (name.includes(q) || n.op.toLowerCase() === q) partial.push({ node: i, label });
      else {
        const t = [...n.outputs, ...n.inputs, ...n.weights].find((x) => x.toLowerCase().includes(q));
        if (t) partial.push({ node: i, label: `${label} · ${t}` });
      }
    }
  });
  return [...exact, ...partial].slice(0, limit);
}
