// `omnimodel inspect FILE|DIR|URL [--json]`: the index, as a human summary or as JSON.

import { open } from "../open.js";
import { severityRank, type Finding, type Model } from "../model.js";
import { boolFlag, stringFlag } from "./args.js";
import { human, out } from "./output.js";
import type { Verb } from "./verb.js";
import { graph } from "../graph/index.js";
import { graphSummary } from "../graph/summary.js";

function shortValue(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 100 ? s.slice(0, 97) + "..." : s;
}

export function printFindings(findings: Finding[]): void {
  if (!findings.length) {
    out("findings: none");
    return;
  }
  out(`findings (${findings.length}):`);
  const sorted = [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  for (const f of sorted) out(`  [${f.severity.toUpperCase()}] ${f.code}: ${f.message}${f.location ? `  (${f.location})` : ""}`);
}

async function printModel(m: Model, file: string): Promise<void> {
  out(`${file}`);
  out(`format: ${m.format}${m.formatVersion ? ` (${m.formatVersion})` : ""}`);
  printFindings(m.findings);
  const total = m.tensors.reduce((a, t) => a + t.byteLength, 0);
  out(`tensors: ${m.tensors.length}, parameters: ${m.parameterCount.toLocaleString("en-US")}, data: ${human(total)}`);
  const limit = 200;
  const nameW = Math.min(60, Math.max(4, ...m.tensors.slice(0, limit).map((t) => t.name.length)));
  for (const t of m.tensors.slice(0, limit)) {
    out(`  ${t.name.padEnd(nameW)}  ${t.dtype.padEnd(8)}  [${t.shape.join(", ")}]  ${human(t.byteLength)}`);
  }
  if (m.tensors.length > limit) out(`  ... ${m.tensors.length - limit} more (use --json for all)`);
  const meta = Object.entries(m.metadata ?? {});
  if (meta.length) {
    out(`metadata (${meta.length}):`);
    for (const [k, v] of meta.slice(0, 60)) out(`  ${k}: ${shortValue(v)}`);
    if (meta.length > 60) out(`  ... ${meta.length - 60} more (use --json for all)`);
  }
  // The summary is a convenience: a member model that cannot be opened must not fail inspect.
  const g = await graph(m).catch(() => null);
  if (g) for (const line of graphSummary(g)) out(line);
  if (m.children.length) {
    out(`children (${m.children.length}):`);
    for (const c of m.children.slice(0, 50)) out(`  ${c.name}${c.format ? ` (${c.format})` : ""}  ${human(c.size)}`);
  }
}

export const inspectVerb: Verb = {
  name: "inspect",
  summary: "format, tensors, metadata, graph and findings of a model",
  synopsis: "FILE|DIR|URL [--json] [--format ID]",
  positionals: ["FILE"],
  options: {
    json: { type: "boolean", help: "print the index as JSON (the contract in the README)" },
    format: { type: "string", valueName: "ID", help: "skip detection and read as this format id" },
  },
  async run(a) {
    const file = a.positionals[0];
    const m = await open(file, { format: stringFlag(a, "format") });
    try {
      if (boolFlag(a, "json")) out(JSON.stringify(m.index));
      else await printModel(m, file);
    } finally {
      await m.close();
    }
    return 0;
  },
};
