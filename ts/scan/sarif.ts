// SARIF 2.1.0 output (OASIS sarif-v2.1.0, the format code-scanning dashboards ingest). One run,
// one rule per finding code, one result per finding; files that could not be read become
// tool execution notifications, so a dashboard shows that the scan was incomplete.

import type { Severity } from "../model.ts";
import { levelRank, type ScanReport } from "./report.ts";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

type SarifLevel = "error" | "warning" | "note" | "none";

function sarifLevel(s: Severity): SarifLevel {
  if (s === "critical" || s === "high") return "error";
  if (s === "medium") return "warning";
  return "note";
}

/** GitHub code scanning reads `security-severity` (0-10) from rule properties. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.8", high: "8.0", medium: "5.5", low: "3.0", info: "1.0" };

/** FNV-1a over UTF-16 code units: a stable id so dashboards match a finding across runs. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

function encodePath(p: string): string {
  return p.split("/").map(encodeURIComponent).join("/");
}

/** Findings may carry whole source files; dashboards need the gist, the JSON output has it all. */
function clipDetail(d: unknown): unknown {
  const text = JSON.stringify(d);
  if (text === undefined || text.length <= 4000) return d;
  return { clipped: text.slice(0, 4000) };
}

export interface SarifOptions {
  /** The tool version (package.json). */
  version: string;
  /** file: URI of the folder paths are relative to, ending in `/`; omitted for URL targets. */
  baseUri?: string;
}

interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { "security-severity": string; tags: string[] };
}

export function toSarif(report: ScanReport, options: SarifOptions): Record<string, unknown> {
  const rules: Rule[] = [];
  const ruleIndex = new Map<string, number>();
  const worst = new Map<string, Severity>();
  for (const f of report.files) for (const x of f.findings) {
    const w = worst.get(x.code);
    if (!w || levelRank(x.severity) > levelRank(w)) worst.set(x.code, x.severity);
  }
  for (const [code, sev] of [...worst.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    ruleIndex.set(code, rules.length);
    rules.push({
      id: code,
      name: code.replace(/(^|-)([a-z])/g, (_, _d, c: string) => c.toUpperCase()),
      shortDescription: { text: `omnimodel finding ${code}` },
      defaultConfiguration: { level: sarifLevel(sev) },
      properties: { "security-severity": SECURITY_SEVERITY[sev], tags: ["security", "model-file"] },
    });
  }
  const base = options.baseUri ? "SCANROOT" : undefined;
  const artifacts = report.files.map((f) => ({
    location: base ? { uri: encodePath(f.path), uriBaseId: base } : { uri: f.path },
    ...(f.size ? { length: f.size } : {}),
    ...(f.format ? { properties: { format: f.format } } : {}),
  }));
  const results: Record<string, unknown>[] = [];
  const notifications: Record<string, unknown>[] = [];
  report.files.forEach((f, i) => {
    const artifactLocation = { ...artifacts[i].location, index: i };
    for (const x of f.findings) {
      // A finding inside an archive member points at the byte in the scanned file when the members
      // on the way are stored (read in place); inside a compressed member the file has no such
      // byte, so the member and the offset in it are given as a logical location instead.
      const physicalLocation: Record<string, unknown> = { artifactLocation };
      const logicalLocations: Record<string, unknown>[] = [];
      if (x.member !== undefined) {
        if (x.fileOffset !== undefined) physicalLocation.region = { byteOffset: x.fileOffset };
        logicalLocations.push({
          name: x.member,
          kind: "member",
          fullyQualifiedName: x.memberOffset !== undefined ? `${x.member}@${x.memberOffset}` : x.member,
          ...(x.memberOffset !== undefined ? { properties: { byteOffset: x.memberOffset } } : {}),
        });
      } else {
        // "member, offset N (file offset M)": a stored member of this file (the core adds M);
        // "member, offset N": inside a compressed member; "offset N": the file itself
        const loc = x.location ?? "";
        const inMember = /^(.*), offset (\d+)(?: \(file offset (\d+)\))?$/.exec(loc);
        const plain = /^offset (\d+)$/.exec(loc);
        if (inMember) {
          if (inMember[3] !== undefined) physicalLocation.region = { byteOffset: Number(inMember[3]) };
          logicalLocations.push({ name: inMember[1], kind: "member", fullyQualifiedName: `${inMember[1]}@${inMember[2]}`, properties: { byteOffset: Number(inMember[2]) } });
        } else if (plain) physicalLocation.region = { byteOffset: Number(plain[1]) };
      }
      results.push({
        ruleId: x.code,
        ruleIndex: ruleIndex.get(x.code),
        level: sarifLevel(x.severity),
        message: { text: `${x.impact} ${x.message}`.trim() },
        locations: [{ physicalLocation, ...(logicalLocations.length ? { logicalLocations } : {}) }],
        partialFingerprints: { "omnimodel/v1": fingerprint(`${f.path}|${x.code}|${x.message}|${x.location ?? ""}`) },
        properties: { severity: x.severity, format: f.format, ...(x.location ? { location: x.location } : {}), ...(x.detail !== undefined ? { detail: clipDetail(x.detail) } : {}) },
      });
    }
    if (f.status === "unreadable" && f.error) {
      notifications.push({
        level: "error",
        message: { text: `${f.path} was not scanned: ${f.error.code}: ${f.error.message}` },
        locations: [{ physicalLocation: { artifactLocation } }],
      });
    }
  });
  const run: Record<string, unknown> = {
    tool: { driver: { name: "omnimodel", version: options.version, semanticVersion: options.version, rules } },
    artifacts,
    results,
    invocations: [{ executionSuccessful: report.summary.unreadable === 0, toolExecutionNotifications: notifications }],
    properties: { summary: report.summary, failOn: report.failOn },
  };
  if (base) run.originalUriBaseIds = { [base]: { uri: options.baseUri } };
  return { $schema: SARIF_SCHEMA, version: "2.1.0", runs: [run] };
}
