// Metadata as a collapsible tree. Children are built when a node is first opened, so a GGUF
// vocabulary of 150k tokens costs nothing until someone looks at it.

import { h } from "./dom.ts";

const MAX_CHILDREN = 500;
const MAX_TEXT = 400;

function preview(v: unknown): string {
  if (Array.isArray(v)) return `[${v.length}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).length}}`;
  return "";
}

function leaf(key: string, v: unknown): HTMLElement {
  const text = typeof v === "string" ? JSON.stringify(v) : String(v);
  const li = h("li", { class: "leaf" }, h("span", { class: "key" }, key), ": ");
  const val = h("span", { class: `val t-${v === null ? "null" : typeof v}` }, text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) + "…" : text);
  li.appendChild(val);
  if (text.length > MAX_TEXT) {
    li.appendChild(h("button", { class: "link", type: "button", onclick: (e: Event) => { val.textContent = text; (e.target as HTMLElement).remove(); } }, `show all ${text.length} characters`));
  }
  return li;
}

function node(key: string, v: unknown, open = false): HTMLElement {
  if (!v || typeof v !== "object") return leaf(key, v);
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v as Record<string, unknown>);
  const details = h("details", {}, h("summary", {}, h("span", { class: "key" }, key), " ", h("span", { class: "muted" }, preview(v))));
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    const ul = h("ul", { class: "tree" });
    for (const [k, x] of entries.slice(0, MAX_CHILDREN)) ul.appendChild(node(k, x));
    if (entries.length > MAX_CHILDREN) ul.appendChild(h("li", { class: "muted" }, `… ${entries.length - MAX_CHILDREN} more entries`));
    details.appendChild(ul);
  };
  details.addEventListener("toggle", () => details.open && build());
  if (open) {
    details.open = true;
    build();
  }
  return h("li", {}, details);
}

export function renderTree(value: unknown, rootLabel: string): HTMLElement {
  const entries = value && typeof value === "object" ? Object.keys(value).length : 0;
  if (!entries) return h("p", { class: "muted" }, `No ${rootLabel}.`);
  return h("ul", { class: "tree root" }, node(rootLabel, value, true));
}
