// The human report: one table row per file, then the findings of each file worst first (the
// plain sentence, then the technical detail), then the summary line with the exit decision.

import { severityRank } from "../model.ts";
import type { ScanReport } from "./report.ts";

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : "..." + s.slice(s.length - n + 3);
}

const CODE_LINES = 10;

/** Source text a format module attached to a finding (TorchScript, handlers, decoded Lambda names). */
function codeOf(detail: unknown): string | null {
  if (!detail || typeof detail !== "object") return null;
  const d = detail as Record<string, unknown>;
  for (const k of ["code", "source"]) if (typeof d[k] === "string" && (d[k] as string).trim()) return d[k] as string;
  return null;
}

export function renderTable(r: ScanReport, options: { showClean?: boolean } = {}): string {
  const lines: string[] = [];
  const s = r.summary;
  const what = r.kind === "directory" ? `${s.files} files: ${s.scanned} scanned, ${s.skipped} not model files, ${s.unreadable} unreadable` : "1 file";
  lines.push(`omnimodel scan ${r.target} (${what})`);
  lines.push("");
  const rows = r.files.filter((f) => options.showClean || r.kind === "file" || f.findings.length || f.status === "unreadable");
  const pathW = Math.min(60, Math.max(4, ...rows.map((f) => f.path.length)));
  if (rows.length) {
    lines.push(`${pad("FILE", pathW)}  ${pad("FORMAT", 14)}  ${pad("HIGHEST", 10)}  FINDINGS`);
    for (const f of rows) {
      const level = f.status === "scanned" ? f.highest.toUpperCase() : f.status;
      lines.push(`${pad(clip(f.path, pathW), pathW)}  ${pad(f.format ?? "-", 14)}  ${pad(level, 10)}  ${f.findings.length}`);
    }
  } else lines.push("no findings in any file");
  for (const f of r.files) {
    if (!f.findings.length && f.status !== "unreadable") continue;
    lines.push("");
    lines.push(`${f.path}${f.loader ? `  (loaded with ${f.loader})` : ""}`);
    if (f.error) lines.push(`  not scanned: ${f.error.code}: ${f.error.message}`);
    const sorted = [...f.findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
    for (const x of sorted) {
      lines.push(`  ${pad(x.severity.toUpperCase(), 9)} ${x.code}: ${x.impact}`);
      const code = codeOf(x.detail);
      if (code) {
        const shown = code.split("\n").filter((l) => l.trim()).slice(0, CODE_LINES);
        lines.push(`  ${" ".repeat(9)} code (shown, never run):`);
        for (const l of shown) lines.push(`  ${" ".repeat(11)}| ${l.length > 120 ? l.slice(0, 117) + "..." : l}`);
      }
      if (x.message !== x.impact || x.location) lines.push(`  ${" ".repeat(9)} ${x.message === x.impact ? "" : x.message}${x.location ? `  [${x.location}]` : ""}`);
    }
  }
  lines.push("");
  const counts = (["critical", "high", "medium", "low", "info"] as const).map((l) => `${l} ${s.byLevel[l]}`).join(", ");
  const verdict = r.exitCode === 1 ? `findings at or above ${r.failOn}` : r.exitCode === 2 ? "some model files could not be read" : `nothing at or above ${r.failOn}`;
  lines.push(`files by highest finding: ${counts}, none ${s.byLevel.none}`);
  lines.push(`highest: ${s.highest.toUpperCase()}; ${verdict} (exit ${r.exitCode})`);
  if (s.coverage === "incomplete") lines.push(`scan incomplete: ${s.incomplete} file${s.incomplete === 1 ? "" : "s"} with parts that could not be scanned (scan-incomplete findings); not clean`);
  return lines.join("\n");
}
