// TensorFlow graphs: a GraphDef (frozen .pb, TF.js graph models) and the first meta graph of a
// SavedModel, with the library functions (where TF2 keeps the computation) as subgraphs.
// NodeDefs name what they consume as "node", "node:k" (output k), "^node" (control dependency)
// and, inside functions, "node:arg:k" or a bare argument name; the node that is consumed is the
// part before the first ':'. Nodes do not list their outputs, so a node's outputs are the
// references others make to it.

import { GraphBuilder, isObj, str, strs, type Obj, type ValueInfo } from "../builder.ts";
import type { Graph, GraphSource } from "../types.ts";

const VARIABLE_OPS = new Set(["VarHandleOp", "VariableV2", "Variable", "VarIsInitializedOp"]);

interface Ctx {
  format: string;
  tensors: Set<string>;
  /** variable full name -> checkpoint key (SavedModel object graph) */
  checkpointKey: Map<string, string>;
  functionIds: Map<string, string>;
}

function producerOf(ref: string): string {
  const r = ref.startsWith("^") ? ref.slice(1) : ref;
  const c = r.indexOf(":");
  return c < 0 ? r : r.slice(0, c);
}

/** The weights a node stands for: a Const folded into tensors, or a variable's stored value. */
function nodeWeights(n: Obj, name: string, op: string, ctx: Ctx): string[] {
  if (ctx.tensors.has(name)) return [name];
  if (!VARIABLE_OPS.has(op)) return [];
  const attrs = isObj(n.attrs) ? n.attrs : {};
  const shared = str(attrs.shared_name) || name;
  for (const k of [ctx.checkpointKey.get(shared), `${shared}/.ATTRIBUTES/VARIABLE_VALUE`, shared]) if (k && ctx.tensors.has(k)) return [k];
  return [];
}

function build(id: string, name: string, prefix: string, rawNodes: unknown[], args: ValueInfo[], outputs: ValueInfo[] | null, ctx: Ctx): Graph {
  const b = new GraphBuilder(id, name, ctx.format, prefix);
  const nodes = rawNodes.filter(isObj);
  const names = new Set(nodes.map((n) => str(n.name)));
  // canonical tensor name of a reference: "a" -> "a:0" when a is a node; args stay bare
  const canon = (ref: string) => (ref.startsWith("^") || ref.includes(":") || !names.has(ref) ? ref : `${ref}:0`);
  const outs = new Map<string, string[]>();
  // what other nodes consume, and what a function returns, are a node's outputs
  const refs = [...nodes.map((n) => strs(n.inputs)), (outputs ?? []).map((o) => o.name)];
  for (const list of refs) {
    for (const r of list) {
      const p = producerOf(r);
      if (!names.has(p)) continue;
      const t = canon(r);
      const l = outs.get(p) ?? [];
      if (!l.includes(t)) l.push(t);
      outs.set(p, l);
    }
  }
  const placeholders: ValueInfo[] = [];
  const sinks: string[] = [];
  nodes.forEach((n, i) => {
    const nm = str(n.name);
    const op = str(n.op, "?");
    const attributes: Record<string, unknown> = { ...(isObj(n.attrs) ? n.attrs : {}) };
    if (n.device) attributes.device = n.device;
    const subgraphs: string[] = [];
    for (const [k, v] of Object.entries(attributes)) {
      const fn = isObj(v) && typeof v.func === "string" ? ctx.functionIds.get(v.func) : undefined;
      if (fn) {
        subgraphs.push(fn);
        attributes[k] = { func: (v as Obj).func, graph: fn };
      }
    }
    const o = outs.get(nm) ?? [`${nm}:0`];
    if (op === "Placeholder") placeholders.push({ name: `${nm}:0` });
    if (!outs.has(nm) && op !== "NoOp" && op !== "Const" && !VARIABLE_OPS.has(op)) sinks.push(`${nm}:0`);
    b.add({ name: nm, op, attributes, inputs: strs(n.inputs).map(canon), outputs: o, subgraphs, weights: nodeWeights(n, nm, op, ctx) }, `n${i}`);
  });
  const g = b.finish(args, outputs ?? [], new Set());
  if (!args.length) g.inputs = placeholders.map((p) => p.name);
  if (!outputs) g.outputs = sinks;
  return g;
}

function checkpointKeys(meta: Record<string, unknown> | undefined): Map<string, string> {
  const m = new Map<string, string>();
  const og = meta?.object_graph;
  if (Array.isArray(og)) for (const e of og) if (isObj(e) && e.full_name && e.checkpoint_key) m.set(str(e.full_name), str(e.checkpoint_key));
  return m;
}

export function tfGraph(src: GraphSource): Graph | null {
  let g = src.graph;
  if (!isObj(g)) return null;
  if (Array.isArray(g.meta_graphs)) {
    const mg = g.meta_graphs.find(isObj);
    if (!mg) return null;
    g = mg;
  }
  const o = g as Obj;
  if (!Array.isArray(o.nodes)) return null;
  const ctx: Ctx = { format: src.format, tensors: new Set(src.tensors.map((t) => t.name)), checkpointKey: checkpointKeys(src.metadata), functionIds: new Map() };
  const fns = Array.isArray(o.functions) ? o.functions.filter(isObj) : [];
  for (const f of fns) ctx.functionIds.set(str(f.name), `fn:${str(f.name)}`);
  const main = build("main", str(o.name, "graph"), "", o.nodes, [], null, ctx);
  for (const f of fns) {
    const id = `fn:${str(f.name)}`;
    const args = strs(f.inputs).map((name) => ({ name }));
    const ret = isObj(f.ret) ? f.ret : {};
    const outputs = strs(f.outputs).map((a) => ({ name: str(ret[a], a) }));
    // Bodies arrive with the index since the core lists them; older indexes had counts only.
    main.subgraphs.push(build(id, str(f.name), `${id}/`, Array.isArray(f.nodes) ? f.nodes : [], args, outputs, ctx));
  }
  return main;
}
