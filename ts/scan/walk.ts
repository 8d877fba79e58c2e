// `scan FILE|DIR|URL` on Node: a directory (a downloaded model repository) is walked and every
// file is scanned on its own content, whatever its name; the report ends with a summary.

import { lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Severity } from "../model.ts";
import { finishReport, incompleteFinding, scanInput, type ScanOptions } from "./scan.ts";
import type { FileReport, ScanReport } from "./report.ts";

const MAX_FILES = 50_000;
const MAX_DEPTH = 32;
/** Version-control internals are not model files and can be huge. */
const SKIP_DIRS = new Set([".git", ".hg", ".svn"]);

/** Relative paths (with `/`) of the regular files under dir; symlinked files are followed, symlinked folders are not. */
export function listFiles(dir: string): { files: string[]; truncated: boolean } {
  const files: string[] = [];
  let truncated = false;
  const walk = (abs: string, rel: string, depth: number) => {
    if (depth > MAX_DEPTH) { truncated = true; return; }
    const entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (files.length >= MAX_FILES) { truncated = true; return; }
      const childAbs = join(abs, e.name);
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(childAbs, childRel, depth + 1);
      } else if (e.isFile()) files.push(childRel);
      else if (e.isSymbolicLink()) {
        try {
          if (statSync(childAbs).isFile()) files.push(childRel);
        } catch { /* dangling link: nothing to scan */ }
      }
    }
  };
  walk(dir, "", 0);
  return { files, truncated };
}

export async function scanPath(target: string, options: ScanOptions = {}): Promise<ScanReport> {
  const failOn: Severity = options.failOn ?? "high";
  const open = options.format ? { format: options.format } : {};
  if (/^https?:\/\//i.test(target)) {
    return finishReport(target, "file", [await scanInput(target, target, 0, open, options.onModel)], failOn);
  }
  let st;
  try {
    st = lstatSync(target).isSymbolicLink() ? statSync(target) : lstatSync(target);
  } catch (e) {
    const r: FileReport = { path: target, format: null, loader: null, size: 0, findings: [], highest: "none", status: "unreadable",
      error: { code: "SOURCE_MISSING", message: `${target}: no such file or directory` } };
    return finishReport(target, "file", [r], failOn);
  }
  if (!st.isDirectory()) return finishReport(target, "file", [await scanInput(target, target, st.size, open, options.onModel)], failOn);
  const { files, truncated } = listFiles(target);
  const reports: FileReport[] = [];
  for (const rel of files) {
    const abs = join(target, rel);
    let size = 0;
    try { size = statSync(abs).size; } catch { /* reported by the open below */ }
    reports.push(await scanInput(abs, rel, size, open, options.onModel));
  }
  if (truncated) {
    const message = `more than ${MAX_FILES} files or deeper than ${MAX_DEPTH} levels: the rest was not scanned`;
    reports.push({ path: ".", format: null, loader: null, size: 0, findings: [incompleteFinding(message)], highest: "medium", status: "unreadable",
      error: { code: "LIMIT", message } });
  }
  return finishReport(target, "directory", reports, failOn);
}
