// Draws a laid-out graph (GraphView, packed by the worker) on one canvas. Only what is inside
// the viewport is drawn, and the detail follows the zoom: labels when they are readable, op
// names only when small, bare boxes when far out. Wheel zooms around the cursor, drag pans,
// a click selects, a double click expands or folds a node's subgraphs.

import { KIND, type GraphView } from "../protocol.ts";
import { h } from "./dom.ts";

const PALETTE = ["#3b6fd6", "#2e9e5b", "#b7791f", "#9b4dca", "#d9480f", "#1c8c9c", "#c2255c", "#5c6ac4"];

function hue(op: string): string {
  let x = 0;
  for (let i = 0; i < op.length; i++) x = (x * 31 + op.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(x) % PALETTE.length];
}

export interface GraphCanvasEvents {
  select(node: number): void;
  toggle(node: number): void;
}

export class GraphCanvas {
  readonly element: HTMLElement;
  private canvas: HTMLCanvasElement;
  private ctx: CanvasRenderingContext2D;
  private s = 1;
  private tx = 0;
  private ty = 0;
  private dirty = false;
  private frames = 0;
  private selected = -1;
  private colors: string[];
  private edgeBox: Float32Array;

  constructor(private v: GraphView, private on: GraphCanvasEvents) {
    this.canvas = h("canvas", { class: "graph-canvas", tabindex: 0, role: "img", "aria-label": `graph of ${v.ops.length} nodes; drag to pan, wheel to zoom, click a node for its details` });
    this.ctx = this.canvas.getContext("2d")!;
    let ops = 0;
    for (let i = 0; i < v.kinds.length; i++) if (v.kinds[i] === KIND.op || v.kinds[i] === KIND.block) ops++;
    this.element = h("div", { class: "graph-stage", "data-kind": v.kind, "data-nodes": v.ops.length, "data-ops": ops, "data-edges": v.edgeFrom.length, "data-clusters": v.clusters.length }, this.canvas);
    this.colors = v.ops.map((op, i) => (v.kinds[i] === KIND.input ? "#2e9e5b" : v.kinds[i] === KIND.output ? "#c2255c" : hue(op)));
    // each edge's bounding box, so culling an edge is four comparisons
    const m = v.edgeFrom.length;
    this.edgeBox = new Float32Array(4 * m);
    for (let k = 0; k < m; k++) {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let p = v.edgeStart[k]; p < v.edgeStart[k + 1]; p += 2) {
        x0 = Math.min(x0, v.edgePoints[p]); x1 = Math.max(x1, v.edgePoints[p]);
        y0 = Math.min(y0, v.edgePoints[p + 1]); y1 = Math.max(y1, v.edgePoints[p + 1]);
      }
      this.edgeBox.set([x0, y0, x1, y1], 4 * k);
    }
    this.listen();
    new ResizeObserver(() => this.resize()).observe(this.element);
  }

  /** A first view of a large graph: drawn and movable, but its nodes are not the worker's. */
  get partial(): boolean { return !!this.v.partial; }

  transform(): { s: number; tx: number; ty: number } { return { s: this.s, tx: this.tx, ty: this.ty }; }

  setTransform(t: { s: number; tx: number; ty: number }): void {
    this.resize();
    this.s = t.s;
    this.tx = t.tx;
    this.ty = t.ty;
    this.request();
  }

  /** The first view: the whole graph when it is readable that way, else its top at a readable size. */
  initialView(): void {
    this.resize();
    const { w, hgt } = this.size();
    const fit = Math.min(w / Math.max(1, this.v.width), hgt / Math.max(1, this.v.height)) * 0.95;
    if (fit >= 0.35) return this.fit();
    this.s = 0.6;
    this.tx = w / 2 - (this.v.width * this.s) / 2;
    if (this.v.width * this.s > w) this.tx = 10;
    this.ty = 12;
    this.request();
  }

  fit(): void {
    const { w, hgt } = this.size();
    this.s = Math.min(2, Math.min(w / Math.max(1, this.v.width), hgt / Math.max(1, this.v.height)) * 0.95);
    this.tx = (w - this.v.width * this.s) / 2;
    this.ty = (hgt - this.v.height * this.s) / 2;
    this.request();
  }

  /** Centres a node at a readable zoom and marks it. */
  focus(i: number): void {
    const b = this.v.boxes;
    const { w, hgt } = this.size();
    this.s = Math.max(this.s, 1);
    this.tx = w / 2 - (b[4 * i] + b[4 * i + 2] / 2) * this.s;
    this.ty = hgt / 2 - (b[4 * i + 1] + b[4 * i + 3] / 2) * this.s;
    this.select(i);
  }

  select(i: number): void {
    this.selected = i;
    this.element.dataset.selected = String(i);
    this.request();
  }

  private size(): { w: number; hgt: number } {
    return { w: this.canvas.clientWidth || 800, hgt: this.canvas.clientHeight || 560 };
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const { w, hgt } = this.size();
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(hgt * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(hgt * dpr);
    }
    this.request();
  }

  private request(): void {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => {
      this.dirty = false;
      this.draw();
    });
  }

  private hit(px: number, py: number): number {
    const x = (px - this.tx) / this.s, y = (py - this.ty) / this.s;
    const b = this.v.boxes;
    for (let i = 0; i < this.v.ops.length; i++) {
      if (x >= b[4 * i] && y >= b[4 * i + 1] && x <= b[4 * i] + b[4 * i + 2] && y <= b[4 * i + 1] + b[4 * i + 3]) return i;
    }
    return -1;
  }

  private listen(): void {
    const c = this.canvas;
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      const px = e.clientX - r.left, py = e.clientY - r.top;
      const k = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
      const s = Math.min(4, Math.max(1e-5, this.s * k));
      this.tx = px - ((px - this.tx) * s) / this.s;
      this.ty = py - ((py - this.ty) * s) / this.s;
      this.s = s;
      this.request();
    }, { passive: false });
    let drag: { x: number; y: number; moved: boolean } | null = null;
    c.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      drag.moved = true;
      this.tx += dx;
      this.ty += dy;
      drag.x = e.clientX;
      drag.y = e.clientY;
      this.request();
    });
    c.addEventListener("pointerup", (e) => {
      const wasDrag = drag?.moved;
      drag = null;
      // a first view's node numbers are not the worker's: details come with the whole graph
      if (wasDrag || this.partial) return;
      const r = c.getBoundingClientRect();
      const i = this.hit(e.clientX - r.left, e.clientY - r.top);
      if (i >= 0) {
        this.select(i);
        this.on.select(i);
      }
    });
    c.addEventListener("dblclick", (e) => {
      const r = c.getBoundingClientRect();
      const i = this.hit(e.clientX - r.left, e.clientY - r.top);
      if (i >= 0 && this.v.nest[i] && !this.partial) this.on.toggle(i);
    });
    c.addEventListener("keydown", (e) => {
      const step = 60;
      if (e.key === "ArrowLeft") this.tx += step;
      else if (e.key === "ArrowRight") this.tx -= step;
      else if (e.key === "ArrowUp") this.ty += step;
      else if (e.key === "ArrowDown") this.ty -= step;
      else if (e.key === "+" || e.key === "=") this.s *= 1.25;
      else if (e.key === "-") this.s /= 1.25;
      else if (e.key === "f") return this.fit();
      else return;
      e.preventDefault();
      this.request();
    });
  }

  private dotColors: Uint32Array | null = null;
  private dotImage: ImageData | null = null;

  private drawDots(x0: number, y0: number, x1: number, y1: number, dpr: number, t0: number): void {
    const v = this.v, b = v.boxes, s = this.s;
    const W = this.canvas.width, H = this.canvas.height;
    if (!this.dotColors) {
      // "#rrggbb" -> little-endian RGBA words for the pixel buffer
      this.dotColors = Uint32Array.from(this.colors, (c) => {
        const n = parseInt(c.slice(1), 16);
        return (0xff << 24) | ((n & 0xff) << 16) | (n & 0xff00) | ((n >> 16) & 0xff);
      });
    }
    if (this.dotImage?.width !== W || this.dotImage?.height !== H) this.dotImage = new ImageData(W, H);
    const px = new Uint32Array(this.dotImage.data.buffer);
    px.fill(0);
    let drawn = 0;
    for (let i = 0; i < v.ops.length; i++) {
      const x = b[4 * i], y = b[4 * i + 1];
      if (x > x1 || y > y1 || x + b[4 * i + 2] < x0 || y + b[4 * i + 3] < y0) continue;
      const cx = Math.floor(((x + b[4 * i + 2] / 2) * s + this.tx) * dpr), cy = Math.floor(((y + b[4 * i + 3] / 2) * s + this.ty) * dpr);
      if (cx < 0 || cy < 0 || cx + 1 >= W || cy + 1 >= H) continue;
      const c = this.dotColors[i], at = cy * W + cx;
      px[at] = c; px[at + 1] = c; px[at + W] = c; px[at + W + 1] = c;
      drawn++;
    }
    this.ctx.putImageData(this.dotImage, 0, 0);
    this.finishFrame(drawn, 0, "dots", t0);
  }

  private draw(): void {
    const t0 = performance.now();
    const v = this.v, ctx = this.ctx, s = this.s, b = v.boxes;
    const dpr = this.canvas.width / Math.max(1, this.canvas.clientWidth || 1);
    const style = getComputedStyle(this.element);
    const fg = style.getPropertyValue("--fg").trim() || "#1d2330";
    const line = style.getPropertyValue("--axis").trim() || "#667085";
    const card = style.getPropertyValue("--card").trim() || "#fff";
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(dpr * s, 0, 0, dpr * s, dpr * this.tx, dpr * this.ty);
    // the viewport in graph coordinates, with a margin
    const { w, hgt } = this.size();
    const x0 = -this.tx / s - 20, y0 = -this.ty / s - 20, x1 = (w - this.tx) / s + 20, y1 = (hgt - this.ty) / s + 20;
    const lod = s >= 0.55 ? 2 : s >= 0.22 ? 1 : 0;

    for (const c of v.clusters) {
      if (c.x > x1 || c.y > y1 || c.x + c.w < x0 || c.y + c.h < y0) continue;
      ctx.setLineDash([6, 4]);
      ctx.strokeStyle = line;
      ctx.lineWidth = 1 / s;
      ctx.strokeRect(c.x, c.y, c.w, c.h);
      ctx.setLineDash([]);
      if (lod) {
        ctx.fillStyle = line;
        ctx.font = "11px system-ui, sans-serif";
        ctx.fillText(c.label, c.x + 6, c.y + 12);
      }
    }

    // So far out that a node is under two pixels: nodes as dots in one pixel buffer, no edges
    // (a path of 100,000 sub-pixel boxes and their edges took 160 ms a frame; this takes a few).
    if (lod === 0 && s * 24 < 2) return this.drawDots(x0, y0, x1, y1, dpr, t0);

    // edges: one path for all that cross the viewport
    const eb = this.edgeBox, m = v.edgeFrom.length;
    let drawnEdges = 0;
    ctx.beginPath();
    for (let k = 0; k < m; k++) {
      if (eb[4 * k] > x1 || eb[4 * k + 1] > y1 || eb[4 * k + 2] < x0 || eb[4 * k + 3] < y0) continue;
      const p0 = v.edgeStart[k], p1 = v.edgeStart[k + 1];
      if (p1 - p0 < 4) continue;
      drawnEdges++;
      const p = v.edgePoints;
      ctx.moveTo(p[p0], p[p0 + 1]);
      if (p1 - p0 === 4 && lod) {
        const my = (p[p0 + 1] + p[p0 + 3]) / 2;
        ctx.bezierCurveTo(p[p0], my, p[p0 + 2], my, p[p0 + 2], p[p0 + 3]);
      } else for (let q = p0 + 2; q < p1; q += 2) ctx.lineTo(p[q], p[q + 1]);
    }
    ctx.strokeStyle = line;
    ctx.lineWidth = Math.max(1 / s, 0.6);
    ctx.globalAlpha = lod ? 0.8 : 0.5;
    ctx.stroke();
    ctx.globalAlpha = 1;

    // nodes: visible ones, batched by colour when there are no labels
    const visible: number[] = [];
    for (let i = 0; i < v.ops.length; i++) {
      const x = b[4 * i], y = b[4 * i + 1];
      if (x > x1 || y > y1 || x + b[4 * i + 2] < x0 || y + b[4 * i + 3] < y0) continue;
      visible.push(i);
    }
    if (lod === 0) {
      const byColor = new Map<string, number[]>();
      for (const i of visible) {
        const list = byColor.get(this.colors[i]);
        if (list) list.push(i);
        else byColor.set(this.colors[i], [i]);
      }
      const min = 1.5 / s; // keep far-away nodes a pixel or two wide
      for (const [color, list] of byColor) {
        ctx.fillStyle = color;
        ctx.beginPath();
        for (const i of list) ctx.rect(b[4 * i], b[4 * i + 1], Math.max(b[4 * i + 2], min), Math.max(b[4 * i + 3], min));
        ctx.fill();
      }
    } else {
      ctx.textBaseline = "middle";
      for (const i of visible) {
        const x = b[4 * i], y = b[4 * i + 1], bw = b[4 * i + 2], bh = b[4 * i + 3];
        const block = v.kinds[i] === KIND.block;
        ctx.fillStyle = card;
        ctx.strokeStyle = this.colors[i];
        ctx.lineWidth = v.nest[i] ? 2.5 : 1.2;
        ctx.beginPath();
        ctx.roundRect(x, y, bw, bh, v.kinds[i] === KIND.op || block ? 5 : bh / 2);
        ctx.fill();
        ctx.stroke();
        ctx.fillStyle = this.colors[i];
        ctx.fillRect(x, y, 4, bh);
        ctx.fillStyle = fg;
        const op = v.kinds[i] === KIND.op || block ? v.ops[i] : v.names[i];
        if (lod === 2 && v.kinds[i] === KIND.op || lod === 2 && block) {
          ctx.font = "600 11px system-ui, sans-serif";
          ctx.fillText(fitText(ctx, op, bw - 12), x + 9, y + bh / 2 - 7);
          ctx.font = "10px ui-monospace, monospace";
          ctx.fillStyle = line;
          ctx.fillText(fitText(ctx, v.names[i] + (v.nest[i] ? (v.nest[i] === 2 ? "  ▾" : "  ▸") : ""), bw - 12), x + 9, y + bh / 2 + 7);
        } else {
          ctx.font = "600 11px system-ui, sans-serif";
          ctx.fillText(fitText(ctx, op, bw - 12), x + 9, y + bh / 2);
        }
      }
      // block-view edges only say "next block": no labels there
      if (lod === 2 && drawnEdges < 600 && v.kind === "graph") this.edgeLabels(x0, y0, x1, y1);
    }
    if (this.selected >= 0) {
      const i = this.selected;
      ctx.strokeStyle = "#f59f00";
      ctx.lineWidth = Math.max(3, 3 / s);
      ctx.strokeRect(b[4 * i] - 3, b[4 * i + 1] - 3, b[4 * i + 2] + 6, b[4 * i + 3] + 6);
    }
    this.finishFrame(visible.length, drawnEdges, ["boxes", "ops", "labels"][lod], t0);
  }

  private finishFrame(drawnNodes: number, drawnEdges: number, lod: string, t0: number): void {
    const s = this.s;
    this.frames++;
    if (this.frames === 1) performance.mark(this.partial ? "omnimodel:graph-first-frame" : "omnimodel:whole-graph-first-frame");
    const d = this.element.dataset;
    d.frames = String(this.frames);
    // how long this frame's drawing took (the graph benchmark reads it while panning and zooming)
    d.drawMs = (performance.now() - t0).toFixed(1);
    d.drawnNodes = String(drawnNodes);
    d.drawnEdges = String(drawnEdges);
    d.lod = lod;
    d.scale = s.toPrecision(3);
    d.view = `${this.tx.toFixed(1)},${this.ty.toFixed(1)},${s}`;
  }

  private edgeLabels(x0: number, y0: number, x1: number, y1: number): void {
    const v = this.v, ctx = this.ctx, p = v.edgePoints;
    ctx.font = "9px ui-monospace, monospace";
    ctx.fillStyle = getComputedStyle(this.element).getPropertyValue("--muted").trim() || "#667085";
    for (let k = 0; k < v.edgeFrom.length; k++) {
      const label = v.edgeLabels[k];
      const q = v.edgeStart[k];
      if (!label || v.edgeStart[k + 1] - q < 4) continue;
      const mx = (p[q] + p[q + 2]) / 2 + 4, my = (p[q + 1] + p[q + 3]) / 2;
      if (mx < x0 || mx > x1 || my < y0 || my > y1) continue;
      ctx.fillText(fitText(ctx, label, 160), mx, my);
    }
  }
}

function fitText(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0, hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(text.slice(0, mid) + "…").width <= width) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + "…";
}
