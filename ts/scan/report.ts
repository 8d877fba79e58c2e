// The scanner's report types and the rules that turn findings into an exit code. Shared by the
// JSON, SARIF and table outputs so the three always agree.

import { severityRank, type Finding, type Severity } from "../model.ts";

export type Level = Severity | "none";

/** A finding as the scanner reports it: the core's finding plus one plain sentence on its impact. */
export interface ScanFinding extends Finding {
  /** What the file would do when loaded with its usual loader, in one sentence. */
  impact: string;
  /** For a finding inside an archive member: the member's path (`a.zip!inner.tar!x.pkl` as `inner.tar/x.pkl`). */
  member?: string;
  /** The finding's byte offset inside that member. */
  memberOffset?: number;
  /** The same byte's offset in the scanned file, when every member on the way is stored (read in place). */
  fileOffset?: number;
}

export interface FileReport {
  /** Path as given (file) or relative to the scanned directory, with `/`. */
  path: string;
  /** Format id, or null when the file could not be read. */
  format: string | null;
  /** The loader a user would normally call on this file. */
  loader: string | null;
  size: number;
  findings: ScanFinding[];
  highest: Level;
  /** Set when the file could not be scanned: an unreadable model (error) or not a model (skipped). */
  status: "scanned" | "skipped" | "unreadable";
  error?: { code: string; message: string };
}

export interface ScanSummary {
  files: number;
  scanned: number;
  skipped: number;
  unreadable: number;
  /** Number of files whose highest finding is at each level. */
  byLevel: Record<Level, number>;
  highest: Level;
  /** "incomplete" when some part of some file could not be scanned (a scan-incomplete finding, or a model file that could not be read), else "complete". */
  coverage: "complete" | "incomplete";
  /** Files with at least one scan-incomplete finding. */
  incomplete: number;
}

export interface ScanReport {
  target: string;
  kind: "file" | "directory";
  failOn: Severity;
  summary: ScanSummary;
  files: FileReport[];
  exitCode: 0 | 1 | 2;
}

export const LEVELS: Level[] = ["critical", "high", "medium", "low", "info", "none"];

export function levelRank(l: Level): number {
  return l === "none" ? 0 : severityRank(l);
}

export function highestOf(findings: { severity: Severity }[]): Level {
  let best: Level = "none";
  for (const f of findings) if (levelRank(f.severity) > levelRank(best)) best = f.severity;
  return best;
}

export function summarize(files: FileReport[]): ScanSummary {
  const byLevel = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
  let highest: Level = "none";
  const incomplete = files.filter((f) => f.findings.some((x) => x.code === INCOMPLETE)).length;
  for (const f of files) {
    if (f.status !== "scanned" && f.findings.length === 0) continue;
    byLevel[f.highest]++;
    if (levelRank(f.highest) > levelRank(highest)) highest = f.highest;
  }
  return {
    files: files.length,
    scanned: files.filter((f) => f.status === "scanned").length,
    skipped: files.filter((f) => f.status === "skipped").length,
    unreadable: files.filter((f) => f.status === "unreadable").length,
    byLevel,
    highest,
    coverage: incomplete || files.some((f) => f.status === "unreadable") ? "incomplete" : "complete",
    incomplete,
  };
}

/** The code of the finding that marks a part of a file as not scanned. */
export const INCOMPLETE = "scan-incomplete";

/**
 * 1 when any finding reaches the threshold (a finding wins over an unreadable file: it is the
 * more useful answer), else 2 when a model file could not be read, else 0. Files that are not
 * models at all (README, LICENSE) never change the exit code.
 */
export function exitCodeFor(files: FileReport[], failOn: Severity): 0 | 1 | 2 {
  const threshold = severityRank(failOn);
  if (files.some((f) => levelRank(f.highest) >= threshold)) return 1;
  if (files.some((f) => f.status === "unreadable")) return 2;
  return 0;
}
