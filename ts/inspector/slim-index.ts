// The index as the page receives it. The page draws the graph from packed buffers the worker
// lays out (graph-worker.ts); from index.graph it shows only the op counts, the inputs and
// outputs, and a tree that opens 500 children at a time. Posting a 100,000-node graph whole
// cost a structured clone of the full node list on both sides of the worker boundary (about
// a second at that size), for nothing the page shows. Long lists are cut here, with their op
// counts kept, so the summary reads the same.

import type { ModelIndex } from "../model.ts";
import { isObj, NODE_LISTS, opOf, type Obj } from "./graph-ops.ts";

/** Lists longer than this are cut to their first KEEP items. */
export const LONG_LIST = 5000;
const KEEP = 500;


function cut(list: unknown[]): unknown[] {
  return [...list.slice(0, KEEP).map(slim), `… ${(list.length - KEEP).toLocaleString("en-US")} more (drawn in the graph view)`];
}

function slim(v: unknown): unknown {
  if (Array.isArray(v)) return v.length > LONG_LIST ? cut(v) : v.map(slim);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (NODE_LISTS.includes(k) && Array.isArray(x) && x.length > LONG_LIST) {
      // the op table is computed from the full list before it is cut
      if (!isObj(v.ops)) {
        const ops: Record<string, number> = {};
        for (const n of x) {
          const op = opOf(n);
          if (op) ops[op] = (ops[op] ?? 0) + 1;
        }
        out.ops = ops;
      }
      if (typeof v.node_count !== "number") out.node_count = x.length;
      out[k] = cut(x);
    } else out[k] = slim(x);
  }
  return out;
}

/**
 * The index with its graph's long lists cut and without its tensor list (the page has the
 * tensors as table rows already; 40,000 descriptors cloned twice cost 0.4 s at 100,000 nodes).
 */
export function indexForPage(index: ModelIndex): ModelIndex {
  return { ...index, tensors: [], graph: index.graph ? (slim(index.graph) as ModelIndex["graph"]) : index.graph };
}
