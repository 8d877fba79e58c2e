// `omnimodel scan FILE|DIR|URL`: findings of code that would run on load; exit codes are a contract.

import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Severity } from "../model.js";
import { scanPath } from "../scan/walk.js";
import { toSarif } from "../scan/sarif.js";
import { renderTable } from "../scan/table.js";
import { packageVersion } from "../scan/version.js";
import { boolFlag, choiceFlag, stringFlag, UsageError } from "./args.js";
import { out } from "./output.js";
import type { Verb } from "./verb.js";

const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;

function sarifBase(target: string, kind: "file" | "directory"): string | undefined {
  if (/^https?:\/\//i.test(target)) return undefined;
  const dir = kind === "directory" ? resolve(target) : dirname(resolve(target));
  return pathToFileURL(dir).href.replace(/\/?$/, "/");
}

export const scanVerb: Verb = {
  name: "scan",
  summary: "look for code that would run when the model is loaded",
  synopsis: "FILE|DIR|URL [--json | --sarif] [--fail-on SEVERITY]",
  positionals: ["FILE"],
  options: {
    json: { type: "boolean", help: "the report as JSON" },
    sarif: { type: "boolean", help: "the report as SARIF 2.1.0" },
    "fail-on": { type: "string", valueName: "SEVERITY", help: "critical, high (default), medium, low or info" },
    format: { type: "string", valueName: "ID", help: "skip detection and read as this format id" },
  },
  details: "exit status: 0 when every finding is below --fail-on, 1 at or above it, 2 when unreadable",
  async run(a) {
    const target = a.positionals[0];
    if (boolFlag(a, "json") && boolFlag(a, "sarif")) throw new UsageError("scan", "--json and --sarif exclude each other");
    const failOn: Severity = choiceFlag("scan", a, "fail-on", SEVERITIES) ?? "high";
    const report = await scanPath(target, { failOn, format: stringFlag(a, "format") });
    if (boolFlag(a, "sarif")) out(JSON.stringify(toSarif(report, { version: packageVersion(), baseUri: sarifBase(target, report.kind) })));
    else if (boolFlag(a, "json")) {
      // a single file keeps the flat {file, format, findings, highest} shape next to the full report
      const f = report.files[0];
      const flat = report.kind === "file" ? { file: target, format: f.format, findings: f.findings, highest: f.highest } : {};
      out(JSON.stringify({ ...flat, ...report }));
    } else out(renderTable(report));
    return report.exitCode;
  },
};
