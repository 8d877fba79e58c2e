// `omnimodel inspect FILE|DIR|URL [--json]`: the index, as a human summary or as JSON.

import { resolve } from "node:path";
import { open } from "../open.ts";
import { severityRank, type Finding, type Model } from "../model.ts";
import { boolFlag, stringFlag, UsageError } from "./args.ts";
import { OmnimodelError } from "../errors.ts";
import { human, out } from "./output.ts";
import { arrayDescriptor, arrayPreviews, arrayText, parameterText, valueText } from "./inspect-format.ts";
import type { Verb } from "./verb.ts";
import { inspectBom, writeBoms } from "./bom.ts";
import { graph } from "../graph/index.ts";
import { graphSummary } from "../graph/summary.ts";

export function printFindings(findings: Finding[]): void {
  if (!findings.length) {
    out("findings: none");
    return;
  }
  out(`findings (${findings.length}):`);
  const sorted = [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  for (const f of sorted) out(`  [${f.severity.toUpperCase()}] ${f.code}: ${f.message}${f.location ? `  (${f.location})` : ""}`);
}

async function printModel(m: Model, file: string, full: boolean): Promise<void> {
  out(`${file}`);
  if (m.source.baseName && m.source.name !== file && !file.startsWith("http")) out(`entry: ${entryOf(m, file)}`);
  out(`format: ${m.format}${m.formatVersion ? ` (${m.formatVersion})` : ""}`);
  printFindings(m.findings);
  const total = m.tensors.reduce((a, t) => a + t.byteLength, 0);
  out(`tensors: ${m.tensors.length}, data: ${human(total)}`);
  out(`parameters: ${parameterText(m)}`);
  const limit = full ? Infinity : 200;
  const nameW = Math.min(60, Math.max(4, ...m.tensors.slice(0, 200).map((t) => t.name.length)));
  for (const t of m.tensors.slice(0, limit)) {
    out(`  ${t.name.padEnd(nameW)}  ${t.dtype.padEnd(8)}  [${t.shape.join(", ")}]  ${human(t.byteLength)}`);
  }
  if (m.tensors.length > limit) out(`  ... ${m.tensors.length - limit} more (--full or --json for all)`);
  const meta = Object.entries(m.metadata ?? {});
  if (meta.length) {
    const previews = await arrayPreviews(m, /^https?:/i.test(file));
    out(`metadata (${meta.length}):`);
    const shown = full ? meta.length : 60;
    for (const [k, v] of meta.slice(0, shown)) {
      const d = arrayDescriptor(v);
      out(`  ${k}: ${d ? arrayText(d, previews.get(k) ?? null) : valueText(v, full)}`);
    }
    if (meta.length > shown) out(`  ... ${meta.length - shown} more (--full or --json for all)`);
  }
  // The summary is a convenience: a member model that cannot be opened must not fail inspect.
  const g = await graph(m).catch(() => null);
  if (g) for (const line of graphSummary(g)) out(line);
  if (m.children.length) {
    out(`children (${m.children.length}):`);
    for (const c of m.children.slice(0, full ? Infinity : 50)) out(`  ${c.name}${c.format ? ` (${c.format})` : ""}  ${human(c.size)}`);
  }
}

/** The file a directory opened through (`1/saved_model.pb`), relative to the directory given. */
function entryOf(m: Model, dir: string): string {
  const name = m.source.name;
  const d = dir.replace(/\/+$/, "");
  const abs = resolve(d);
  return name.startsWith(abs + "/") ? name.slice(abs.length + 1) : name.startsWith(d + "/") ? name.slice(d.length + 1) : m.source.baseName;
}

export const inspectVerb: Verb = {
  name: "inspect",
  summary: "format, tensors, metadata, graph and findings of a model",
  synopsis: "FILE|DIR|URL [--json | --bom [--out F]] [--full] [--format ID]",
  positionals: ["FILE"],
  options: {
    json: { type: "boolean", help: "print the index as JSON (the contract in the README)" },
    format: { type: "string", valueName: "ID", help: "skip detection and read as this format id" },
    full: { type: "boolean", help: "show every tensor, metadata value and child whole" },
    bom: { type: "boolean", help: "a CycloneDX 1.6 ML-BOM of the model: hashes, format, parameters, licence, findings" },
    out: { type: "string", valueName: "F", help: "with --bom: write the document to F" },
  },
  async run(a) {
    const file = a.positionals[0];
    if (boolFlag(a, "json") && boolFlag(a, "bom")) throw new UsageError("inspect", "--json and --bom exclude each other");
    if (stringFlag(a, "out") !== undefined && !boolFlag(a, "bom")) throw new UsageError("inspect", "--out goes with --bom");
    if (boolFlag(a, "bom")) {
      const { report, bom } = await inspectBom(file, stringFlag(a, "format"));
      // a model that cannot be opened fails as inspect always does: exit 2 with the error
      const f = report.files[0];
      if (f.status !== "scanned" && f.error) throw new OmnimodelError(f.error.code as never, f.error.message);
      writeBoms([bom], stringFlag(a, "out"), false);
      return 0;
    }
    const m = await open(file, { format: stringFlag(a, "format") });
    try {
      if (boolFlag(a, "json")) out(JSON.stringify(m.index));
      else await printModel(m, file, boolFlag(a, "full"));
    } finally {
      await m.close();
    }
    return 0;
  },
};
