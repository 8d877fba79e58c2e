// How the formats name a node's op in index.graph: ONNX `op_type`, TensorFlow `op`, Keras layers
// `class` (and a few spellings of the same). Shared by the page's summary and the worker's
// cutting of long node lists.

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

export function opOf(n: unknown): string | null {
  if (!isObj(n)) return null;
  const op = n.op_type ?? n.op ?? n.opType ?? n.class ?? n.class_name ?? n.type;
  return typeof op === "string" ? op : null;
}

/** The keys under which index.graph lists its nodes (ONNX/Keras `nodes`, TF GraphDef `node`, `layers`). */
export const NODE_LISTS = ["nodes", "node", "layers"];
