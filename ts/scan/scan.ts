// Scanning one input: open it with the core (which reads the structure, never runs it), keep its
// findings, add the plain-language impact, and classify failures: "skipped" for files that are
// not models at all, "unreadable" for model files the core could not read.

import { open, type ModelInput, type OpenOptions } from "../open.ts";
import { OmnimodelError } from "../errors.ts";
import type { Model, Severity } from "../model.ts";
import { offsetInRoot, type Source } from "../source.ts";
import { impactOf, loaderFor, ready } from "./explain.ts";
import { exitCodeFor, highestOf, summarize, type FileReport, type ScanFinding, type ScanReport } from "./report.ts";

export interface ScanOptions {
  /** Findings at or above this level make the exit code 1 (default "high"). */
  failOn?: Severity;
  /** Skip detection and use this format id. */
  format?: string;
  /** Called with each model while it is open, before its report is made (the ML-BOM reads its counts and hash). */
  onModel?: ModelHook;
}

export type ModelHook = (path: string, m: Model) => Promise<void>;

/** Errors that mean "this is not a model file", as opposed to a model file that is broken. */
const NOT_A_MODEL = new Set(["UNKNOWN_FORMAT"]);

export async function scanInput(input: ModelInput, path: string, size: number, options: OpenOptions = {}, onModel?: ModelHook): Promise<FileReport> {
  await ready();
  let m;
  try {
    m = await open(input, options);
  } catch (e) {
    const code = e instanceof OmnimodelError ? e.code : "ERROR";
    const message = e instanceof Error ? e.message : String(e);
    // The resolver refused a reference that leaves the model's directory (bindings/ABI.md): that
    // is itself the finding, whatever else the file holds.
    const findings: ScanFinding[] = code === "PATH_VIOLATION" ? [{
      severity: "high", code: "path-escape", message, location: "",
      impact: "Its loader would read a file outside the model's directory, named by the model file itself.",
    }] : [];
    // A 7-Zip or RAR archive, an xz/zstd/bzip2 stream (the core says "which is not read here"):
    // what it holds is unknown, so it is an incomplete scan, never a skipped non-model.
    const unreadContainer = code === "UNKNOWN_FORMAT" && /which is not read here/.test(message);
    if (unreadContainer) findings.push(incompleteFinding(message));
    return {
      path, format: null, loader: null, size, findings, highest: highestOf(findings),
      status: NOT_A_MODEL.has(code) && !unreadContainer ? "skipped" : "unreadable",
      error: { code, message },
    };
  }
  try {
    const format = m.format;
    const findings: ScanFinding[] = m.findings.map((f) => ({ ...f, impact: impactOf(f, format) }));
    await scanChildren(m, findings, 0);
    if (onModel) await onModel(path, m);
    return { path, format, loader: loaderFor(format), size, findings, highest: highestOf(findings), status: "scanned" };
  } finally {
    await m.close();
  }
}

// Archives inside archives are scanned too: a child's findings are reported with its name, the
// member path, and the byte offset both inside the member and, for members stored in place, in
// the scanned file (SARIF points at that byte).

/**
 * The byte offset in its own model's source that a core finding's location gives: "offset N", or
 * the "(file offset N)" the core adds to "member, offset M" for members stored in place; null
 * when the location names a member whose bytes were decompressed (no position in the source).
 */
function memberOffsetOf(location: string | undefined): number | null {
  const l = location ?? "";
  const file = /\(file offset (\d+)\)/.exec(l);
  if (file) return Number(file[1]);
  const plain = /^offset (\d+)$/.exec(l);
  return plain ? Number(plain[1]) : null;
}

const MAX_CHILD_DEPTH = 4;
const MAX_CHILDREN = 1000;

/** A part of the input that was not scanned: a medium finding, so "incomplete" is never "clean". */
export function incompleteFinding(reason: string, location = "", member?: string): ScanFinding {
  return {
    severity: "medium", code: "scan-incomplete", message: reason, location,
    impact: "Part of the file was not scanned, so it may hold code that runs on load.",
    ...(member !== undefined ? { member } : {}),
  };
}

export async function scanChildren(m: Model, out: ScanFinding[], depth: number, root: Source = m.source, prefix = ""): Promise<void> {
  const scannable = m.children.filter((c) => c.readable && c.format);
  if (depth >= MAX_CHILD_DEPTH) {
    const at = prefix.replace(/\/$/, "");
    if (scannable.length) out.push(incompleteFinding(`${at}: ${scannable.length} archive member(s) nested deeper than ${MAX_CHILD_DEPTH} levels were not scanned`, at, at));
    return;
  }
  if (m.children.length > MAX_CHILDREN) {
    const at = prefix.replace(/\/$/, "");
    out.push(incompleteFinding(`${at ? at + ": " : ""}the archive has ${m.children.length} members; only the first ${MAX_CHILDREN} were scanned`, at, at || undefined));
  }
  const kids = m.children.slice(0, MAX_CHILDREN);
  for (let i = 0; i < kids.length; i++) {
    const c = kids[i];
    if (!c.readable || !c.format) continue; // not a model format (or already reported as unreadable by the core)
    let child: Model;
    try {
      child = await m.openChild(i);
    } catch (e) {
      // the member looked like a model but could not be read: what it holds is unknown
      const code = e instanceof OmnimodelError ? e.code : "ERROR";
      const why = e instanceof Error ? e.message : String(e);
      out.push(incompleteFinding(`${c.name}: the member could not be read (${code}: ${why})`, c.name, prefix + c.name));
      continue;
    }
    try {
      const member = prefix + c.name;
      for (const f of child.findings) {
        const off = memberOffsetOf(f.location);
        const fileOffset = off === null ? null : offsetInRoot(child.source, off, root);
        // "inner.pkl, offset N": the finding is in a member of the child; name that member
        const inner = /^(.*), offset (\d+)/.exec(f.location ?? "");
        out.push({
          ...f,
          location: `${c.name}${f.location ? ": " + f.location : ""}`,
          message: `${c.name}: ${f.message}`,
          impact: impactOf(f, child.format),
          member: inner ? `${member}/${inner[1]}` : member,
          ...(inner ? { memberOffset: Number(inner[2]) } : off !== null ? { memberOffset: off } : {}),
          ...(fileOffset !== null ? { fileOffset } : {}),
        });
      }
      await scanChildren(child, out, depth + 1, root, member + "/");
    } finally {
      await child.close();
    }
  }
}

export function finishReport(target: string, kind: "file" | "directory", files: FileReport[], failOn: Severity): ScanReport {
  // A single file the user named must be a model: "not a model" is then an unreadable input.
  if (kind === "file") for (const f of files) if (f.status === "skipped") f.status = "unreadable";
  return { target, kind, failOn, summary: summarize(files), files, exitCode: exitCodeFor(files, failOn) };
}
