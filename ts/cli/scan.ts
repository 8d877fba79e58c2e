// `omnimodel scan FILE|DIR|URL`: findings of code that would run on load; exit codes are a contract.

import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Severity } from "../model.ts";
import { scanPath } from "../scan/walk.ts";
import type { ScanReport } from "../scan/report.ts";
import { toSarif } from "../scan/sarif.ts";
import { renderTable } from "../scan/table.ts";
import { packageVersion } from "../scan/version.ts";
import { boolFlag, choiceFlag, intFlag, stringFlag, UsageError } from "./args.ts";
import { batchVerbRun } from "../batch/cli.ts";
import { out } from "./output.ts";
import { scanBoms, writeBoms } from "./bom.ts";
import type { Verb } from "./verb.ts";

const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;

function sarifBase(target: string, kind: "file" | "directory"): string | undefined {
  if (/^https?:\/\//i.test(target)) return undefined;
  const dir = kind === "directory" ? resolve(target) : dirname(resolve(target));
  return pathToFileURL(dir).href.replace(/\/?$/, "/");
}

export const scanVerb: Verb = {
  name: "scan",
  summary: "look for code that would run when the model is loaded",
  synopsis: "FILE|DIR|URL [--json | --sarif | --cyclonedx [--out F]] [--fail-on SEVERITY]  |  --from-list LIST --jsonl OUT [--concurrency N]",
  positionals: ["FILE?"],
  options: {
    json: { type: "boolean", help: "the report as JSON" },
    sarif: { type: "boolean", help: "the report as SARIF 2.1.0" },
    cyclonedx: { type: "boolean", help: "a CycloneDX 1.6 ML-BOM per model file (a folder: one a line, or one file each in --out DIR)" },
    out: { type: "string", valueName: "F", help: "with --cyclonedx: write the document to F (a folder scan: into the folder F)" },
    "fail-on": { type: "string", valueName: "SEVERITY", help: "critical, high (default), medium, low or info" },
    format: { type: "string", valueName: "ID", help: "skip detection and read as this format id" },
    "from-list": { type: "string", valueName: "LIST", help: "scan every path or URL in LIST (one a line), one JSON row each into --jsonl OUT; a rerun skips rows already in OUT" },
    jsonl: { type: "string", valueName: "OUT", help: "with --from-list: the rows file (appended, resumable)" },
    concurrency: { type: "string", valueName: "N", help: "with --from-list: files open at once (default 4)" },
    progress: { type: "boolean", help: "with --from-list: the progress line on stderr even when it is not a terminal" },
  },
  details: "exit status: 0 when every finding is below --fail-on, 1 at or above it, 2 when unreadable",
  async run(a) {
    const list = stringFlag(a, "from-list");
    if (list !== undefined || stringFlag(a, "jsonl") !== undefined) {
      if (a.positionals.length) throw new UsageError("scan", "--from-list takes no FILE");
      const failOn: Severity = choiceFlag("scan", a, "fail-on", SEVERITIES) ?? "high";
      return batchVerbRun(list, stringFlag(a, "jsonl"), { concurrency: intFlag("scan", a, "concurrency", { min: 1, max: 256 }), progress: boolFlag(a, "progress"), failOn });
    }
    const target = a.positionals[0];
    if (target === undefined) throw new UsageError("scan", "missing FILE");
    const outputs = ["json", "sarif", "cyclonedx"].filter((k) => boolFlag(a, k));
    if (outputs.length > 1) throw new UsageError("scan", `--${outputs[0]} and --${outputs[1]} exclude each other`);
    if (stringFlag(a, "out") !== undefined && !boolFlag(a, "cyclonedx")) throw new UsageError("scan", "--out goes with --cyclonedx");
    const failOn: Severity = choiceFlag("scan", a, "fail-on", SEVERITIES) ?? "high";
    if (boolFlag(a, "cyclonedx")) {
      const { report, boms } = await scanBoms(target, failOn, stringFlag(a, "format"));
      writeBoms(boms, stringFlag(a, "out"), report.kind === "directory");
      return report.exitCode;
    }
    const report = await scanPath(target, { failOn, format: stringFlag(a, "format") });
    if (boolFlag(a, "sarif")) out(JSON.stringify(toSarif(report, { version: packageVersion(), baseUri: sarifBase(target, report.kind) })));
    else if (boolFlag(a, "json")) {
      out(JSON.stringify(withTopLevel(target, report)));
    } else out(renderTable(report));
    return report.exitCode;
  },
};

/**
 * The JSON report with top-level `findings` and `highest` for both kinds: a single file keeps
 * its flat {file, format, findings, highest} shape; a directory lists every file's findings (each
 * with its `file`) and the summary's highest, so a reader of `.highest` never sees "none" next to
 * high findings listed under `.files`.
 */
export function withTopLevel(target: string, report: ScanReport): Record<string, unknown> {
  if (report.kind === "file") {
    const f = report.files[0];
    return { file: target, format: f.format, findings: f.findings, highest: f.highest, ...report };
  }
  const findings = report.files.flatMap((f) => f.findings.map((x) => ({ file: f.path, ...x })));
  return { findings, highest: report.summary.highest, ...report };
}
