// One graph node in the side panel: op, name, attributes, where its inputs come from and its
// outputs go (with tensor names and shapes), the weights it uses (each opens the tensor's
// statistics below), and its subgraphs.

import type { GraphEnd, GraphNodeDetail } from "../protocol.ts";
import { h, shapeText } from "./dom.ts";
import { renderTree } from "./tree.ts";

export interface NodePanelActions {
  weight(tensor: number): void;
  jump(node: number): void;
  toggle(node: number): void;
}

function ends(label: string, list: GraphEnd[], a: NodePanelActions): HTMLElement | null {
  if (!list.length) return null;
  return h("div", { class: `node-ends node-${label.toLowerCase()}` },
    h("h4", {}, `${label} (${list.length})`),
    h("ul", {}, ...list.slice(0, 200).map((e) => h("li", {},
      h("span", { class: "mono tensor-name" }, e.tensor || "—"),
      e.shape ? h("span", { class: "mono muted" }, ` ${shapeText(e.shape as number[])}`) : null,
      e.dtype ? h("span", { class: "mono muted" }, ` ${e.dtype}`) : null,
      e.node >= 0 ? h("button", { type: "button", class: "link", onclick: () => a.jump(e.node) }, label === "Inputs" ? `from ${e.name}` : `to ${e.name}`) : null,
    ))),
  );
}

/** Attributes as key: value rows; lists of plain values inline, anything nested as a tree. */
function attributeRows(attrs: Record<string, unknown>): HTMLElement {
  const keys = Object.keys(attrs);
  if (!keys.length) return h("p", { class: "muted" }, "No attributes.");
  const plain = (v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v);
  return h("dl", { class: "attr-grid" }, ...keys.flatMap((k) => {
    const v = attrs[k];
    const text = plain(v) ? String(v) : Array.isArray(v) && v.length <= 64 && v.every(plain) ? `[${v.join(", ")}]` : null;
    return [h("dt", { class: "mono" }, k), h("dd", { class: "mono", "data-attr": k }, text ?? renderTree(v, k))];
  }));
}

export function renderNodeDetail(d: GraphNodeDetail, a: NodePanelActions): HTMLElement {
  const n = d.node;
  const attrs = attributeRows(n.attributes);
  return h("div", { class: "node-detail", "data-node": d.index, "data-op": n.op },
    h("h3", { class: "mono", title: n.name }, n.op, n.name ? h("span", { class: "muted" }, `  ${n.name}`) : null),
    n.count ? h("p", { class: "muted" }, `${n.count} repeated blocks`) : null,
    h("h4", {}, "Attributes"),
    h("div", { class: "node-attributes" }, attrs),
    ends("Inputs", d.incoming, a),
    ends("Outputs", d.outgoing, a),
    d.weights.length
      ? h("div", { class: "node-weights" },
          h("h4", {}, `Weights (${d.weights.length})`),
          h("ul", {}, ...d.weights.slice(0, 500).map((w) => h("li", {},
            w.tensor >= 0
              ? h("button", { type: "button", class: "link mono", "data-tensor": w.tensor, onclick: () => a.weight(w.tensor) }, w.name)
              : h("span", { class: "mono" }, w.name)))))
      : null,
    d.subgraphs.length
      ? h("div", { class: "node-subgraphs" },
          h("h4", {}, `Subgraphs (${d.subgraphs.length})`),
          h("ul", {}, ...d.subgraphs.map((s) => h("li", { class: "mono" }, `${s.name} · ${s.nodes} nodes`))),
          h("button", { type: "button", class: "toggle-subgraphs", onclick: () => a.toggle(d.index) }, "Expand / fold in place"))
      : null,
  );
}
