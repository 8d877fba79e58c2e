// A layered (Sugiyama-style) layout, top to bottom, in near-linear time so that a 100,000-node
// graph lays out in well under a second: cycles broken by an iterative DFS, longest-path layers,
// dummy nodes on long edges (bounded), barycentric crossing-reduction sweeps keeping the best
// order by an exact crossing count, and x coordinates by weighted isotonic regression (each layer
// placed as close as its order allows to the mean of its neighbours). Pure: no DOM, no globals,
// so it runs in a Web Worker or a worker_thread. Why not dagre or elkjs: docs/design-notes.md.

import type { Graph, GraphNode, Layout } from "./types.ts";
import { crossings, orderLayers } from "./layout-order.ts";
import { placeLayer } from "./layout-place.ts";

export interface LayoutOptions {
  /** Width and height of a node's box (default: from its op and name lengths). */
  nodeSize?: (n: GraphNode) => [number, number];
  /** Vertical gap between layers. */
  rankSep?: number;
  /** Horizontal gap between boxes. */
  nodeSep?: number;
  /** Crossing-reduction sweeps (default: 8 below 20k layered nodes, else 4). */
  sweeps?: number;
}

export function defaultNodeSize(n: GraphNode): [number, number] {
  if (n.kind === "input" || n.kind === "output") return [Math.min(240, Math.max(48, n.name.length * 6.5 + 20)), 24];
  const label = Math.max(n.op.length * 7.2, n.name !== n.op ? n.name.length * 6 : 0);
  return [Math.min(240, Math.max(48, label + 20)), n.name !== n.op ? 38 : 26];
}

/** Lays out `g`'s own nodes; edges come back index-aligned with g.edges. */
export function layoutGraph(g: Graph, opts: LayoutOptions = {}): Layout {
  const size = opts.nodeSize ?? defaultNodeSize;
  const rankSep = opts.rankSep ?? 36;
  const nodeSep = opts.nodeSep ?? 16;
  const n = g.nodes.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(g.nodes[i].id, i);
  const w = new Float64Array(n);
  const h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const wh = size(g.nodes[i]);
    w[i] = wh[0];
    h[i] = wh[1];
  }

  // Unique (from, to) pairs; edges map onto them. Edges are bucketed by source so a repeated
  // pair is found with a stamp per target (no hash map over 10^5+ numeric keys).
  const m0 = g.edges.length;
  const edgePair = new Int32Array(m0).fill(-1);
  const edgeRev = new Uint8Array(m0);
  const ea = new Int32Array(m0).fill(-1);
  const eb = new Int32Array(m0);
  const bucket = new Int32Array(n + 1);
  for (let e = 0; e < m0; e++) {
    const a = index.get(g.edges[e].from);
    const b = index.get(g.edges[e].to);
    if (a === undefined || b === undefined || a === b) continue;
    ea[e] = a;
    eb[e] = b;
    bucket[a + 1]++;
  }
  for (let i = 0; i < n; i++) bucket[i + 1] += bucket[i];
  const fillB = bucket.slice(0, n);
  const bySource = new Int32Array(bucket[n]);
  for (let e = 0; e < m0; e++) if (ea[e] >= 0) bySource[fillB[ea[e]]++] = e;
  const stamp = new Int32Array(n).fill(-1);
  const pairOf = new Int32Array(n);
  const pu: number[] = [];
  const pv: number[] = [];
  for (let a = 0; a < n; a++) {
    for (let k = bucket[a]; k < bucket[a + 1]; k++) {
      const e = bySource[k];
      const b = eb[e];
      if (stamp[b] !== a) {
        stamp[b] = a;
        pairOf[b] = pu.length;
        pu.push(a);
        pv.push(b);
      }
      edgePair[e] = pairOf[b];
    }
  }
  const pairs = pu.length;
  const rev = breakCycles(n, pu, pv);
  for (let p = 0; p < pairs; p++) if (rev[p]) [pu[p], pv[p]] = [pv[p], pu[p]];
  for (let e = 0; e < m0; e++) if (edgePair[e] >= 0) edgeRev[e] = rev[edgePair[e]];
  // A pair and its reverse both present: keep both (they get the same layers, drawn twice).

  const { layer, topo } = longestPath(n, pu, pv);

  // Dummy nodes for edges longer than one layer, at most ~3n of them; longer edges beyond the
  // budget are drawn straight.
  const budget = 3 * n + 10000;
  let dummies = 0;
  const chainStart = new Int32Array(pairs).fill(-1);
  const chainLen = new Int32Array(pairs);
  for (let p = 0; p < pairs; p++) {
    const span = layer[pv[p]] - layer[pu[p]];
    if (span > 1 && dummies + span - 1 <= budget) {
      chainStart[p] = n + dummies;
      chainLen[p] = span - 1;
      dummies += span - 1;
    }
  }
  const total = n + dummies;
  const lay = new Int32Array(total);
  lay.set(layer);
  // Initial order key: topological position; a dummy takes its source's.
  const key = new Float64Array(total);
  for (let i = 0; i < n; i++) key[topo[i]] = i;
  const segFrom: number[] = [];
  const segTo: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const u = pu[p];
    const v = pv[p];
    if (chainStart[p] < 0) {
      if (layer[v] - layer[u] === 1) { segFrom.push(u); segTo.push(v); }
      continue;
    }
    let prev = u;
    for (let k = 0; k < chainLen[p]; k++) {
      const d = chainStart[p] + k;
      lay[d] = layer[u] + 1 + k;
      key[d] = key[u] + 0.5;
      segFrom.push(prev); segTo.push(d);
      prev = d;
    }
    segFrom.push(prev); segTo.push(v);
  }
  let layers = 0;
  for (let i = 0; i < total; i++) if (lay[i] + 1 > layers) layers = lay[i] + 1;

  const sf = new Int32Array(segFrom);
  const st = new Int32Array(segTo);
  const order = orderLayers(total, layers, lay, key, sf, st, opts.sweeps ?? (total < 20000 ? 8 : 4));
  void crossings; // exported for tests and benchmarks

  // y: one band per layer, as tall as its tallest box.
  const bandH = new Float64Array(layers);
  for (let i = 0; i < n; i++) if (h[i] > bandH[lay[i]]) bandH[lay[i]] = h[i];
  const bandY = new Float64Array(layers);
  for (let l = 1; l < layers; l++) bandY[l] = bandY[l - 1] + bandH[l - 1] + rankSep;
  const ww = new Float64Array(total);
  ww.set(w);
  const cx = placeLayer(order, total, sf, st, ww, nodeSep, n);

  let minX = Infinity;
  let maxX = -Infinity;
  for (let i = 0; i < total; i++) {
    minX = Math.min(minX, cx[i] - ww[i] / 2);
    maxX = Math.max(maxX, cx[i] + ww[i] / 2);
  }
  if (!total) { minX = 0; maxX = 0; }
  const nodes = new Array<Layout["nodes"][number]>(n);
  const top = (i: number) => bandY[lay[i]] + (bandH[lay[i]] - h[i]) / 2;
  for (let i = 0; i < n; i++) nodes[i] = { id: g.nodes[i].id, x: cx[i] - w[i] / 2 - minX, y: top(i), w: w[i], h: h[i] };

  const pairPoints = new Array<number[]>(pairs);
  for (let p = 0; p < pairs; p++) {
    const u = pu[p];
    const v = pv[p];
    const pts = [cx[u] - minX, top(u) + h[u]];
    for (let k = 0; k < chainLen[p]; k++) {
      const d = chainStart[p] + k;
      pts.push(cx[d] - minX, bandY[lay[d]] + bandH[lay[d]] / 2);
    }
    pts.push(cx[v] - minX, top(v));
    pairPoints[p] = pts;
  }
  const edges = g.edges.map((e, i) => {
    const p = edgePair[i];
    if (p < 0) return { from: e.from, to: e.to, points: [] as number[] };
    const pts = pairPoints[p];
    return { from: e.from, to: e.to, points: edgeRev[i] ? reversePoints(pts) : pts };
  });
  const height = layers ? bandY[layers - 1] + bandH[layers - 1] : 0;
  return { width: maxX - minX, height, nodes, edges };
}

function reversePoints(p: number[]): number[] {
  const out = new Array<number>(p.length);
  for (let i = 0; i < p.length; i += 2) {
    out[p.length - 2 - i] = p[i];
    out[p.length - 1 - i] = p[i + 1];
  }
  return out;
}

function csr(n: number, from: ArrayLike<number>, to: ArrayLike<number>): { start: Int32Array; adj: Int32Array; eid: Int32Array } {
  const start = new Int32Array(n + 1);
  for (let i = 0; i < from.length; i++) start[from[i] + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const adj = new Int32Array(from.length);
  const eid = new Int32Array(from.length);
  for (let i = 0; i < from.length; i++) {
    const k = fill[from[i]]++;
    adj[k] = to[i];
    eid[k] = i;
  }
  return { start, adj, eid };
}

/** Marks the edges to reverse so the graph is acyclic: the back edges of an iterative DFS. */
function breakCycles(n: number, from: number[], to: number[]): Uint8Array {
  const rev = new Uint8Array(from.length);
  const { start, adj, eid } = csr(n, from, to);
  const state = new Uint8Array(n); // 0 new, 1 on the stack, 2 done
  const stack = new Int32Array(n);
  const next = new Int32Array(n);
  const indeg = new Int32Array(n);
  for (let i = 0; i < to.length; i++) indeg[to[i]]++;
  // Roots first (so a DAG has no reversals), then whatever a cycle left unvisited.
  const visit = (r: number) => {
    let sp = 0;
    stack[sp++] = r;
    state[r] = 1;
    next[r] = start[r];
    while (sp) {
      const u = stack[sp - 1];
      if (next[u] < start[u + 1]) {
        const k = next[u]++;
        const v = adj[k];
        if (state[v] === 1) rev[eid[k]] = 1;
        else if (state[v] === 0) {
          state[v] = 1;
          next[v] = start[v];
          stack[sp++] = v;
        }
      } else {
        state[u] = 2;
        sp--;
      }
    }
  };
  for (let r = 0; r < n; r++) if (!indeg[r] && !state[r]) visit(r);
  for (let r = 0; r < n; r++) if (!state[r]) visit(r);
  return rev;
}

/**
 * Longest-path layers over the (now acyclic) edges, then nodes without predecessors (graph
 * inputs, constants) moved down to just above their first consumer so they sit next to it.
 */
function longestPath(n: number, from: number[], to: number[]): { layer: Int32Array; topo: Int32Array } {
  const { start, adj } = csr(n, from, to);
  const indeg = new Int32Array(n);
  for (let i = 0; i < to.length; i++) indeg[to[i]]++;
  const topo = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (!indeg[i]) topo[tail++] = i;
  const layer = new Int32Array(n);
  const deg = indeg.slice();
  while (head < tail) {
    const u = topo[head++];
    for (let k = start[u]; k < start[u + 1]; k++) {
      const v = adj[k];
      if (layer[u] + 1 > layer[v]) layer[v] = layer[u] + 1;
      if (--deg[v] === 0) topo[tail++] = v;
    }
  }
  for (let i = tail - 1; i >= 0; i--) {
    const u = topo[i];
    if (indeg[u] || start[u] === start[u + 1]) continue;
    let min = Infinity;
    for (let k = start[u]; k < start[u + 1]; k++) min = Math.min(min, layer[adj[k]]);
    layer[u] = min - 1;
  }
  return { layer, topo };
}
