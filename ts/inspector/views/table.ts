// The tensor table: sortable, filterable, grouped by name prefix, with totals. Rows are
// focusable; Enter or a click selects a tensor, arrow keys move between rows.

import { namePrefix } from "../names.ts";
import type { TensorRow } from "../protocol.ts";
import { bytes, count, h, clear, shapeText, shortCount } from "./dom.ts";

type Key = "index" | "name" | "dtype" | "shape" | "bytes" | "params";
const MAX_ROWS = 3000;
const LAZY_ROWS = 1000;

interface Group {
  prefix: string;
  rows: number[];
  bytes: number;
  params: number;
}

const COLUMNS: [Key, string][] = [["name", "Name"], ["dtype", "dtype"], ["shape", "Shape"], ["params", "Parameters"], ["bytes", "Size"]];

export class TensorTable {
  readonly element: HTMLElement;
  private filter = "";
  private sortKey: Key = "index";
  private desc = false;
  private depth: number;
  private readonly collapsed = new Set<string>();
  private selected = -1;
  private readonly body = h("tbody");
  private readonly foot = h("tfoot");
  private readonly head = h("thead");

  constructor(private readonly rows: TensorRow[], private readonly onSelect: (i: number) => void) {
    this.depth = rows.length > 40 ? 2 : 0;
    const search = h("input", { type: "search", placeholder: "Filter by name or dtype", "aria-label": "filter tensors", class: "filter" });
    search.addEventListener("input", () => {
      this.filter = search.value.trim().toLowerCase();
      this.render();
    });
    const group = h("select", { "aria-label": "group by name prefix" });
    for (const [v, label] of [[0, "no grouping"], [1, "1 level"], [2, "2 levels"], [3, "3 levels"], [4, "4 levels"]] as const) {
      group.appendChild(h("option", { value: v, selected: v === this.depth }, label));
    }
    group.addEventListener("change", () => {
      this.depth = Number(group.value);
      this.collapsed.clear();
      this.render();
    });
    this.element = h("div", { class: "tensor-table" },
      h("div", { class: "tools" }, search, h("label", {}, "Group by prefix ", group)),
      h("div", { class: "scroll" }, h("table", { class: "tensors" }, this.head, this.body, this.foot)),
    );
    this.body.addEventListener("keydown", (e) => this.onKey(e));
    // A table of thousands of rows is built when it comes near the viewport: at the top of the
    // page the graph's first view is waiting for the main thread, and building and laying out
    // 3,000 rows took it about a second.
    if (rows.length <= LAZY_ROWS || typeof IntersectionObserver === "undefined") this.render();
    else {
      this.body.appendChild(h("tr", {}, h("td", { colspan: COLUMNS.length, class: "muted" }, `${count(rows.length)} tensors`)));
      const seen = new IntersectionObserver((entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        seen.disconnect();
        this.render();
      }, { rootMargin: "400px" });
      seen.observe(this.element);
    }
  }

  select(i: number): void {
    this.selected = i;
    for (const tr of this.body.querySelectorAll("tr.sel")) tr.classList.remove("sel");
    const tr = this.body.querySelector<HTMLElement>(`tr[data-index="${i}"]`);
    if (tr) {
      tr.classList.add("sel");
      for (const r of this.body.querySelectorAll<HTMLElement>('tr[tabindex="0"]')) r.tabIndex = -1;
      tr.tabIndex = 0;
    }
  }

  // One row is in the tab order (the selected one, else the first); arrows move within the table,
  // so Tab leaves it instead of walking through thousands of rows.
  private focusRow(tr: HTMLElement): void {
    for (const r of this.body.querySelectorAll<HTMLElement>('tr[tabindex="0"]')) r.tabIndex = -1;
    tr.tabIndex = 0;
    tr.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const tr = (e.target as HTMLElement).closest("tr");
    if (!tr) return;
    const rows = [...this.body.querySelectorAll<HTMLElement>("tr[tabindex]")];
    const at = rows.indexOf(tr as HTMLElement);
    const move: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: rows.length - 1, PageDown: at + 20, PageUp: at - 20 };
    if (e.key in move && at >= 0) {
      const next = rows[Math.max(0, Math.min(rows.length - 1, move[e.key]))];
      if (next) this.focusRow(next);
      e.preventDefault();
    } else if (e.key === "Enter" || e.key === " ") {
      tr.click();
      e.preventDefault();
    }
  }

  private matches(r: TensorRow): boolean {
    if (!this.filter) return true;
    return r.name.toLowerCase().includes(this.filter) || r.dtype.toLowerCase() === this.filter;
  }

  private prefix(name: string): string {
    return namePrefix(name, this.depth);
  }

  private compare(a: number, b: number): number {
    const ra = this.rows[a], rb = this.rows[b];
    let c = 0;
    switch (this.sortKey) {
      case "index": c = a - b; break;
      case "name": c = ra.name < rb.name ? -1 : ra.name > rb.name ? 1 : 0; break;
      case "dtype": c = ra.dtype.localeCompare(rb.dtype); break;
      case "shape": c = ra.shape.length - rb.shape.length || ra.parameters - rb.parameters; break;
      case "bytes": c = ra.byteLength - rb.byteLength; break;
      case "params": c = ra.parameters - rb.parameters; break;
    }
    return (this.desc ? -c : c) || a - b;
  }

  private renderHead(): void {
    clear(this.head);
    const tr = h("tr");
    for (const [key, label] of COLUMNS) {
      const active = this.sortKey === key;
      const arrow = active ? (this.desc ? " ▼" : " ▲") : "";
      const th = h("th", { "aria-sort": active ? (this.desc ? "descending" : "ascending") : "none", class: key === "params" || key === "bytes" ? "num" : "" },
        h("button", { type: "button", class: "sort", "data-key": key, onclick: () => this.sortBy(key) }, label + arrow));
      tr.appendChild(th);
    }
    this.head.appendChild(tr);
  }

  private sortBy(key: Key): void {
    if (this.sortKey === key) {
      if (this.desc) {
        this.sortKey = "index"; // third click: back to file order
        this.desc = false;
      } else this.desc = true;
    } else {
      this.sortKey = key;
      this.desc = key === "bytes" || key === "params";
    }
    this.render();
    (this.head.querySelector(`button[data-key="${key}"]`) as HTMLElement | null)?.focus();
  }

  render(): void {
    this.renderHead();
    clear(this.body);
    clear(this.foot);
    const visible: number[] = [];
    for (let i = 0; i < this.rows.length; i++) if (this.matches(this.rows[i])) visible.push(i);
    visible.sort((a, b) => this.compare(a, b));
    let shown = 0;
    const addRow = (i: number, nested: boolean) => {
      if (shown++ >= MAX_ROWS) return;
      const r = this.rows[i];
      const tr = h("tr", { tabindex: -1, "data-index": i, "data-name": r.name, class: (nested ? "nested " : "") + (i === this.selected ? "sel" : ""), onclick: () => this.onSelect(i) },
        h("td", { class: "name", title: r.name }, r.name),
        h("td", { class: "dtype" }, r.dtype),
        h("td", { class: "shape" }, shapeText(r.shape)),
        h("td", { class: "num", title: count(r.parameters) }, count(r.parameters)),
        h("td", { class: "num" }, bytes(r.byteLength)),
      );
      this.body.appendChild(tr);
    };
    if (this.depth === 0) for (const i of visible) addRow(i, false);
    else {
      const groups = new Map<string, Group>();
      for (const i of visible) {
        const p = this.prefix(this.rows[i].name);
        let g = groups.get(p);
        if (!g) groups.set(p, (g = { prefix: p, rows: [], bytes: 0, params: 0 }));
        g.rows.push(i);
        g.bytes += this.rows[i].byteLength;
        g.params += this.rows[i].parameters;
      }
      const order = [...groups.values()];
      if (this.sortKey === "bytes" || this.sortKey === "params") {
        const k = this.sortKey === "bytes" ? "bytes" : "params";
        order.sort((a, b) => (this.desc ? b[k] - a[k] : a[k] - b[k]));
      } else if (this.sortKey === "name") order.sort((a, b) => (a.prefix < b.prefix ? -1 : 1) * (this.desc ? -1 : 1));
      for (const g of order) {
        if (shown >= MAX_ROWS) break;
        const open = !this.collapsed.has(g.prefix);
        const toggle = () => {
          if (open) this.collapsed.add(g.prefix);
          else this.collapsed.delete(g.prefix);
          this.render();
          const again = this.body.querySelector<HTMLElement>(`tr.group[data-prefix="${CSS.escape(g.prefix)}"]`);
          if (again) this.focusRow(again);
        };
        this.body.appendChild(h("tr", { class: "group", tabindex: -1, "data-prefix": g.prefix, "aria-expanded": String(open), onclick: toggle },
          h("td", { class: "name" }, `${open ? "▾" : "▸"} ${g.prefix}`, h("span", { class: "muted" }, `  ${g.rows.length} tensors`)),
          h("td"), h("td"),
          h("td", { class: "num" }, count(g.params)),
          h("td", { class: "num" }, bytes(g.bytes)),
        ));
        shown++;
        if (open) for (const i of g.rows) addRow(i, true);
      }
    }
    const entry = this.body.querySelector<HTMLElement>("tr.sel") ?? this.body.querySelector<HTMLElement>("tr[tabindex]");
    if (entry) entry.tabIndex = 0;
    if (shown > MAX_ROWS) this.body.appendChild(h("tr", {}, h("td", { colspan: 5, class: "muted" }, `Showing the first ${MAX_ROWS} rows: filter or collapse groups to see the rest.`)));
    if (!visible.length) this.body.appendChild(h("tr", {}, h("td", { colspan: 5, class: "muted" }, this.rows.length ? "No tensor matches the filter." : "This file holds no tensors.")));
    let p = 0, b = 0;
    for (const i of visible) {
      p += this.rows[i].parameters;
      b += this.rows[i].byteLength;
    }
    const label = visible.length === this.rows.length ? `${count(visible.length)} tensors` : `${count(visible.length)} of ${count(this.rows.length)} tensors`;
    this.foot.appendChild(h("tr", { class: "totals" },
      h("td", {}, `Total: ${label}`), h("td"), h("td"),
      h("td", { class: "num", title: count(p) }, `${count(p)} (${shortCount(p)})`),
      h("td", { class: "num" }, bytes(b)),
    ));
  }
}
