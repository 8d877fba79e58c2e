// One tensor: its facts, statistics from the core's kernel, a histogram and the first values.

import type { TensorRow, TensorStats } from "../protocol.ts";
import { bytes, count, h, num, shapeText } from "./dom.ts";
import { drawHistogram } from "./histogram.ts";

export function renderTensorHeader(row: TensorRow, onExport: () => void): HTMLElement {
  return h("div", { class: "tensor-head" },
    h("h3", { class: "mono", title: row.name }, row.name),
    h("dl", { class: "facts" },
      h("dt", {}, "dtype"), h("dd", { class: "mono" }, row.dtype),
      h("dt", {}, "shape"), h("dd", { class: "mono" }, shapeText(row.shape)),
      h("dt", {}, "parameters"), h("dd", {}, count(row.parameters)),
      h("dt", {}, "stored size"), h("dd", {}, bytes(row.byteLength)),
    ),
    numeric(row.dtype)
      ? h("button", { type: "button", class: "export-npy", onclick: onExport }, "Export as .npy")
      : h("button", { type: "button", class: "export-npy", disabled: true, title: `${row.dtype} values are not numbers` }, "Export as .npy"),
  );
}

export function renderStats(s: TensorStats): HTMLElement {
  const canvas = h("canvas", {
    class: "histogram", role: "img", "aria-label": `histogram of ${s.count} finite values from ${num(s.lo)} to ${num(s.hi)}`,
    "data-lo": String(s.lo), "data-hi": String(s.hi), "data-counts": s.hist.join(","),
  });
  // data-value keeps the exact number next to the rounded text (for copying, and for tests)
  const rows: [string, string, number | string, string?][] = [
    ["min", num(s.min), s.min],
    ["max", num(s.max), s.max],
    ["mean", num(s.mean), s.mean],
    ["std", num(s.std), s.std],
    ["zeros", `${count(s.zeros)} (${pct(s.zeros, s.total)})`, s.zeros],
    ["NaN", count(s.nan), s.nan, s.nan ? "bad" : undefined],
    ["+Inf / -Inf", `${count(s.posInf)} / ${count(s.negInf)}`, `${s.posInf}/${s.negInf}`, s.posInf + s.negInf ? "bad" : undefined],
    ["values", count(s.total), s.total],
  ];
  const el = h("div", { class: "stats", "data-tensor": s.tensor },
    s.converted ? h("p", { class: "note" }, `${s.dtype} values ${/^(Q|IQ|TQ)/.test(s.dtype) ? "dequantized" : "converted"} to F32 by the core before the statistics.`) : null,
    h("dl", { class: "stat-grid" }, ...rows.flatMap(([k, v, exact, cls]) => [h("dt", {}, k), h("dd", { class: `mono ${cls ?? ""}`, "data-stat": k, "data-value": String(exact), title: String(exact) }, v)])),
    s.hist.length ? canvas : h("p", { class: "muted" }, "No finite values: no histogram."),
    h("h4", {}, `First ${s.preview.length} values`),
    h("p", { class: "preview mono" }, s.preview.map(num).join("  ") + (s.total > s.preview.length ? "  …" : "")),
    h("p", { class: "muted small" }, `Computed in ${s.millis.toFixed(0)} ms over streamed windows; NaN and ±Inf are excluded from min, max, mean and std.`),
  );
  if (s.hist.length) requestAnimationFrame(() => drawHistogram(canvas, s.hist, s.lo, s.hi, num));
  return el;
}

// Strings, Python objects, raw bytes and structured records have no numeric values.
function numeric(dtype: string): boolean {
  return !["STR", "RAW", "OBJECT"].includes(dtype) && !dtype.includes("[") && !/^[<>|]/.test(dtype);
}

function pct(a: number, b: number): string {
  return b ? `${((a / b) * 100).toFixed(a && a < b / 1000 ? 3 : 1)}%` : "0%";
}
