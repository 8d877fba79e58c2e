// The graph card's tools around the canvas: a search box (node names, ops, tensor names) with
// its hits, fit-to-view, and a line saying what is shown. The canvas itself is graph-canvas.ts.

import type { GraphView } from "../protocol.ts";
import { count, h } from "./dom.ts";
import { GraphCanvas, type GraphCanvasEvents } from "./graph-canvas.ts";

export interface GraphViewActions extends GraphCanvasEvents {
  search(query: string): void;
}

export class GraphPanel {
  readonly element: HTMLElement;
  private stage: HTMLElement;
  private info: HTMLElement;
  private hits: HTMLElement;
  private input: HTMLInputElement;
  canvas: GraphCanvas | null = null;

  constructor(private a: GraphViewActions) {
    this.input = h("input", { type: "search", id: "graph-search", class: "graph-search", placeholder: "Find a node or tensor by name", "aria-label": "find a node or tensor in the graph", autocomplete: "off" });
    let timer = 0;
    this.input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = window.setTimeout(() => a.search(this.input.value), 150);
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      clearTimeout(timer);
      a.search(this.input.value);
      this.jumpOnHits = true;
    });
    this.hits = h("ul", { class: "graph-hits", hidden: true });
    this.info = h("p", { class: "muted small graph-info" }, "Laying out the graph…");
    this.stage = h("div", { class: "graph-stage-slot" });
    const fit = h("button", { type: "button", class: "graph-fit", onclick: () => this.canvas?.fit() }, "Fit to view");
    this.element = h("div", { class: "graph-view" },
      h("div", { class: "tools" }, h("div", { class: "graph-find" }, this.input, this.hits), fit),
      this.stage, this.info);
  }

  private jumpOnHits = false;

  show(v: GraphView): void {
    // the whole graph replacing its first view keeps the place the user is looking at
    const keep = this.canvas?.partial ? this.canvas.transform() : null;
    this.stage.replaceChildren();
    this.canvas = new GraphCanvas(v, this.a);
    this.stage.appendChild(this.canvas.element);
    if (keep) this.canvas.setTransform(keep);
    else this.canvas.initialView();
    const what = v.kind === "blocks" ? "blocks derived from tensor names (this format stores no graph)" : "nodes";
    // the views shown so far, oldest first ("first:1500/100000 whole:100002"), for tests and tools
    const d = this.element.dataset;
    d.shown = `${d.shown ? d.shown + " " : ""}${v.partial ? `first:${v.partial.nodes}/${v.partial.total}` : `whole:${v.ops.length}`}`;
    if (v.partial) {
      this.info.textContent = `First view: the first ${count(v.partial.nodes)} of ${count(v.partial.total)} nodes, drawn while the whole graph is laid out…`;
      this.canvas.element.dataset.partial = String(v.partial.total);
      return;
    }
    const edges = v.edgeFrom.length === 1 ? "1 edge" : `${count(v.edgeFrom.length)} edges`;
    this.info.textContent = `${count(v.ops.length)} ${what}, ${edges} · graph built in ${v.millis.build.toFixed(0)} ms and laid out in ${v.millis.layout.toFixed(0)} ms in the worker · drag to pan, wheel to zoom, double-click a node with ▸ to expand its subgraphs`;
    this.canvas.element.dataset.buildMs = v.millis.build.toFixed(0);
    this.canvas.element.dataset.layoutMs = v.millis.layout.toFixed(0);
  }

  failed(message: string): void {
    this.info.textContent = `The graph could not be drawn: ${message}`;
    this.info.classList.add("error-text");
  }

  showHits(query: string, hits: { node: number; label: string }[]): void {
    if (query !== this.input.value) return;
    this.hits.replaceChildren(...hits.slice(0, 20).map((x) => h("li", {},
      h("button", { type: "button", class: "link mono", "data-node": x.node, onclick: () => this.jump(x.node) }, x.label))));
    if (!hits.length && query.trim()) this.hits.appendChild(h("li", { class: "muted" }, "No node or tensor has that name."));
    this.hits.hidden = !query.trim();
    if (this.jumpOnHits && hits.length) this.jump(hits[0].node);
    this.jumpOnHits = false;
  }

  jump(node: number): void {
    this.hits.hidden = true;
    this.canvas?.focus(node);
    this.a.select(node);
  }
}
