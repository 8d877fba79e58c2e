// Keras 2 (.h5 model_config) and Keras 3 (.keras config.json) layer graphs, and TF.js layers
// models when their topology is listed the same way. The index lists layers as
// {name, class, inputs}, nested layers under "outer/inner" paths; a container layer (a nested
// Functional or Sequential model, or a wrapper) gets its layers as a subgraph. Layers with no
// inbound connections inside a container are a Sequential stack: chained in order. The layer
// configs (attributes) are the index's per-layer `config`; older indexes without it get them from
// the Keras 2 model_config when the file has one.

import { GraphBuilder, isObj, str, strs, type Obj } from "../builder.ts";
import type { Graph, GraphSource } from "../types.ts";

interface Layer { path: string; local: string; cls: string; inputs: string[]; config?: Obj }

/** First element of every connection: Keras 2 [["a",0,0],...], Keras 3 ["a",0,0] or [["a",0,0]]. */
export function layerRefs(v: unknown): string[] {
  if (!Array.isArray(v)) return typeof v === "string" ? [v] : [];
  if (v.length >= 1 && typeof v[0] === "string" && (v.length === 1 || typeof v[1] === "number")) return [v[0]];
  return v.flatMap(layerRefs);
}

/** layer name -> config, from a Keras 2 model_config JSON string (nested models included). */
function configs(meta: Record<string, unknown> | undefined): Map<string, Obj> {
  const out = new Map<string, Obj>();
  const ra = meta?.root_attributes;
  const raw = isObj(ra) ? ra.model_config : undefined;
  if (typeof raw !== "string" || raw.length > 64 * 1024 * 1024) return out;
  let cfg: unknown;
  try { cfg = JSON.parse(raw); } catch { return out; }
  const walk = (m: unknown, prefix: string, depth: number) => {
    if (!isObj(m) || depth > 16) return;
    const c = m.config;
    const layers = Array.isArray(c) ? c : isObj(c) && Array.isArray(c.layers) ? c.layers : [];
    for (const L of layers) {
      if (!isObj(L)) continue;
      const lc = isObj(L.config) ? L.config : {};
      const nm = str(L.name ?? lc.name);
      const path = prefix ? `${prefix}/${nm}` : nm;
      const { layers: _nested, ...rest } = lc;
      out.set(path, rest);
      walk(L, path, depth + 1);
    }
  };
  walk(cfg, "", 0);
  return out;
}

/** Keras 3's to_snake_case, which names a layer's weight store after its class. */
export function snakeCase(name: string): string {
  return name.replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * Keras 3 weight-store folders -> layer paths: "layers/dense_1/" is the second Dense of its
 * container, "layers/sequential/layers/dense/" the first Dense inside the first Sequential.
 * Files that keep the store's own names (TF.js layers models converted from .keras) are matched
 * through this.
 */
function storeFolders(children: Map<string, Layer[]>): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (container: string, prefix: string, depth: number) => {
    const counts = new Map<string, number>();
    for (const l of children.get(container) ?? []) {
      const base = snakeCase(l.cls);
      const k = counts.get(base) ?? 0;
      counts.set(base, k + 1);
      const folder = `${prefix}layers/${k ? `${base}_${k}` : base}/`;
      out.set(folder, l.path);
      if (children.has(l.path) && depth < 16) walk(l.path, folder, depth + 1);
    }
  };
  walk("", "", 0);
  return out;
}

/** layer name -> stored weights: Keras 2 "model_weights/<layer>/...", Keras 3 store paths. */
function weightsByLayer(src: GraphSource, folders: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (layer: string, t: string) => {
    const l = out.get(layer) ?? [];
    l.push(t);
    out.set(layer, l);
  };
  const h5 = src.metadata?.weights_hdf5;
  const attrs = isObj(h5) && isObj(h5.attributes) ? h5.attributes : {};
  const stores: [string, string][] = Object.entries(attrs).filter(([k, v]) => k.endsWith("/vars") && isObj(v) && typeof v.name === "string").map(([k, v]) => [k + "/", str((v as Obj).name)]);
  for (const t of src.tensors) {
    const n = t.name;
    if (n.startsWith("model_weights/")) { add(n.split("/")[1], n); continue; }
    const s = stores.find(([p]) => n.startsWith(p));
    if (s) { add(s[1], n); continue; }
    const m = /^((?:layers\/[^/]+\/)+)vars\/\d+$/.exec(n);
    const layer = m ? folders.get(m[1]) : undefined;
    if (layer !== undefined) { add(layer, n); continue; }
    // TF.js and other Keras-named weights: "<layer path>/<weight>"
    const cut = n.lastIndexOf("/");
    if (cut > 0) add(n.slice(0, cut), n);
  }
  return out;
}

export function kerasGraph(src: GraphSource): Graph | null {
  const g = src.graph;
  if (!isObj(g) || !Array.isArray(g.nodes) || !g.nodes.length) return null;
  const layers: Layer[] = g.nodes.filter(isObj).map((n) => {
    const path = str(n.name);
    return { path, local: path.slice(path.lastIndexOf("/") + 1), cls: str(n.class, "?"), inputs: strs(n.inputs), config: isObj(n.config) ? n.config : undefined };
  });
  const paths = new Set(layers.map((l) => l.path));
  const parentOf = (p: string) => {
    const c = p.lastIndexOf("/");
    return c > 0 && paths.has(p.slice(0, c)) ? p.slice(0, c) : "";
  };
  const children = new Map<string, Layer[]>();
  for (const l of layers) {
    const p = parentOf(l.path);
    children.set(p, [...(children.get(p) ?? []), l]);
  }
  const cfg = configs(src.metadata);
  const weights = weightsByLayer(src, storeFolders(children));

  const build = (container: string, id: string, prefix: string, ins: string[], outs: string[], depth: number): Graph => {
    const b = new GraphBuilder(id, container || str(src.metadata?.model_class, "model"), src.format, prefix);
    const members = children.get(container) ?? [];
    const containerClass = container ? layers.find((l) => l.path === container)?.cls : str(src.metadata?.model_class);
    const full = (name: string) => (container ? `${container}/${name}` : name);
    const sequential = members.every((l) => !l.inputs.length || l.cls === "InputLayer") && members.length > 1;
    members.forEach((l, i) => {
      const subgraphs: string[] = [];
      const nodeId = `${prefix}n${i}`;
      if (children.has(l.path) && depth < 16) {
        const sid = `${nodeId}.layers`;
        b.subgraphs.push(build(l.path, sid, `${sid}/`, [], [], depth + 1));
        subgraphs.push(sid);
      }
      let inputs = l.inputs.map(full);
      if (sequential && i > 0 && !inputs.length) inputs = [members[i - 1].path];
      const attributes: Record<string, unknown> = { ...(l.config ?? cfg.get(l.path) ?? {}) };
      const n = b.add({ name: l.local, op: l.cls, attributes, inputs, outputs: [l.path], subgraphs, weights: weights.get(l.local) ?? weights.get(l.path) ?? [] }, `n${i}`);
      // a Sequential's InputLayer is not one of its layers (Keras leaves it out of .layers)
      if (l.cls === "InputLayer" && containerClass === "Sequential") n.kind = "input";
    });
    const consumed = new Set(members.flatMap((l) => l.inputs.map(full)));
    if (sequential) members.slice(0, -1).forEach((l) => consumed.add(l.path));
    const outputs = outs.length ? outs : members.filter((l) => !consumed.has(l.path) && l.cls !== "InputLayer").map((l) => l.path);
    const graph = b.finish([], outputs.map((name) => ({ name })), new Set());
    graph.inputs = ins.length ? ins : members.filter((l) => l.cls === "InputLayer").map((l) => l.path);
    return graph;
  };
  return build("", "main", "", [...new Set(layerRefs(g.inputs))], [...new Set(layerRefs(g.outputs))], 0);
}
