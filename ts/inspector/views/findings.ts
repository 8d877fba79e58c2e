// Findings first: sorted by severity, each with its plain sentence and where it was found.

import { severityRank, type Finding } from "../../model.ts";
import { h } from "./dom.ts";

export function renderFindings(findings: Finding[]): HTMLElement {
  const sorted = [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  const list = h("ul", { class: "findings", "aria-label": "findings" });
  if (!sorted.length) {
    list.appendChild(h("li", { class: "finding none" }, "No findings: nothing in this file runs code when loaded, and nothing looked wrong."));
    return list;
  }
  for (const f of sorted) {
    list.appendChild(
      h("li", { class: `finding sev-${f.severity}`, "data-severity": f.severity, "data-code": f.code },
        h("span", { class: "sev" }, f.severity.toUpperCase()),
        h("span", { class: "msg" }, f.message),
        f.impact && f.impact !== f.message ? h("span", { class: "impact" }, f.impact) : null,
        h("span", { class: "where" }, [f.code, f.location].filter(Boolean).join(" · ")),
      ),
    );
  }
  return list;
}
