// The ML-BOM outputs: `scan --cyclonedx` (one CycloneDX document per file of the scan) and
// `inspect --bom` (one for the model as inspect opens it, a folder model included).

import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Model, Severity } from "../model.ts";
import { toCycloneDx, type BomFacts } from "../scan/cyclonedx.ts";
import { factsOfModel, hfSidecars, sha256OfFile } from "../scan/bom-node.ts";
import type { FileReport, ScanReport } from "../scan/report.ts";
import { finishReport, scanInput } from "../scan/scan.ts";
import { scanPath } from "../scan/walk.ts";
import { packageVersion } from "../scan/version.ts";
import { out } from "./output.ts";

const isUrl = (s: string) => /^https?:\/\//i.test(s);

export interface Bom {
  /** The file's path as the scan report gives it. */
  path: string;
  document: Record<string, unknown>;
}

/** Facts kept while each model is open, keyed by the report path. */
function collector(): { facts: Map<string, BomFacts>; onModel: (path: string, m: Model) => Promise<void> } {
  const facts = new Map<string, BomFacts>();
  return { facts, onModel: async (path, m) => { facts.set(path, await factsOfModel(m)); } };
}

async function documentsFor(report: ScanReport, facts: Map<string, BomFacts>, absPath: (f: FileReport) => string | null, isDir: boolean): Promise<Bom[]> {
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const boms: Bom[] = [];
  for (const f of report.files) {
    if (f.status === "skipped") continue; // README, LICENSE: not models
    const abs = absPath(f);
    const known = facts.get(f.path) ?? {};
    const more: BomFacts = abs ? { ...hfSidecars(abs, isDir) } : {};
    if (!known.sha256 && abs && !isDir) more.sha256 = await sha256OfFile(abs);
    boms.push({ path: f.path, document: toCycloneDx(f, { ...known, ...more }, { version: packageVersion(), timestamp }) });
  }
  return boms;
}

export async function scanBoms(target: string, failOn: Severity, format?: string): Promise<{ report: ScanReport; boms: Bom[] }> {
  const c = collector();
  const report = await scanPath(target, { failOn, format, onModel: c.onModel });
  const abs = (f: FileReport) => (isUrl(target) || f.path === "." ? null : report.kind === "directory" ? join(target, f.path) : target);
  return { report, boms: await documentsFor(report, c.facts, abs, false) };
}

/** One document for the model `inspect` opens (a file, a folder model, a URL). */
export async function inspectBom(target: string, format?: string): Promise<{ report: ScanReport; bom: Bom }> {
  const c = collector();
  let size = 0;
  let dir = false;
  if (!isUrl(target)) {
    try { const st = statSync(target); size = st.isDirectory() ? 0 : st.size; dir = st.isDirectory(); } catch { /* open reports it */ }
  }
  const report = finishReport(target, "file", [await scanInput(target, target, size, format ? { format } : {}, c.onModel)], "high");
  const [bom] = await documentsFor(report, c.facts, () => (isUrl(target) ? null : target), dir);
  return { report, bom };
}

/** A report path as a file name: `sub/model.bin` -> `sub__model.bin.cdx.json`. */
export function bomFileName(path: string): string {
  return path.replace(/^\/+/, "").replace(/[\\/]/g, "__").replace(/[^\w.@+-]/g, "_") + ".cdx.json";
}

/**
 * One document: to OUT or stdout. Several (a folder): into the folder OUT, one file each, or to
 * stdout one document a line (JSON Lines).
 */
export function writeBoms(boms: Bom[], outPath: string | undefined, folder: boolean): void {
  if (!folder) {
    const text = JSON.stringify(boms[0]?.document ?? {}, null, 2);
    if (outPath) writeFileSync(outPath, text + "\n");
    else out(text);
    return;
  }
  if (!outPath) {
    for (const b of boms) out(JSON.stringify(b.document));
    return;
  }
  mkdirSync(outPath, { recursive: true });
  for (const b of boms) writeFileSync(join(outPath, bomFileName(b.path)), JSON.stringify(b.document, null, 2) + "\n");
}
