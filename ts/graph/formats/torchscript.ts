// TorchScript archives: the core does not decompile the code (code/*.py is listed, not run), so
// the picture is the module tree from the pickled module objects (`pickle.objects` in the
// metadata): one node per module with its class, edges from a module to its submodules, and the
// tensors it holds as its weights. It shows the model's structure, not its data flow.

import { GraphBuilder, isObj, str } from "../builder.ts";
import type { Graph, GraphSource } from "../types.ts";

const MAX_MODULES = 200000;

export function torchscriptGraph(src: GraphSource): Graph | null {
  const root = src.metadata?.["pickle.objects"];
  if (!isObj(root) || typeof root.$class !== "string") return null;
  const b = new GraphBuilder("main", "modules", src.format, "");
  let count = 0;
  const visit = (obj: Record<string, unknown>, path: string, parentTensor: string | null, depth: number) => {
    if (count++ >= MAX_MODULES || depth > 64) return;
    const state = isObj(obj.state) ? obj.state : {};
    const weights: string[] = [];
    const attributes: Record<string, unknown> = {};
    const subs: [string, Record<string, unknown>][] = [];
    for (const [k, v] of Object.entries(state)) {
      if (isObj(v) && typeof v.$tensor === "string") weights.push(v.$tensor);
      else if (isObj(v) && typeof v.$class === "string" && isObj(v.state)) subs.push([k, v]);
      else if (v === null || typeof v !== "object") attributes[k] = v;
    }
    const cls = str(obj.$class).replace(/^__torch__\./, "");
    const tensor = path || "self";
    b.add({ name: path || "self", op: cls, attributes, inputs: parentTensor ? [parentTensor] : [], outputs: [tensor], weights });
    for (const [k, v] of subs) visit(v, path ? `${path}.${k}` : k, tensor, depth + 1);
  };
  visit(root, "", null, 0);
  return b.finish([], [], new Set());
}
