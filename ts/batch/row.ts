// One row per input for batch scans: the same rules as `omnimodel scan` (ts/scan/scan.ts) plus
// what a hub index needs: tensor and parameter counts and the bytes fetched. The Python package
// (omnimodel.batch) writes the same columns, so rows from either compare field by field.

import { init, openSource, toSource } from "../open.ts";
import { OmnimodelError } from "../errors.ts";
import type { Source } from "../source.ts";
import type { ScanFinding } from "../scan/report.ts";
import { highestOf } from "../scan/report.ts";
import { impactOf, ready } from "../scan/explain.ts";
import { incompleteFinding, scanChildren } from "../scan/scan.ts";

export const COLUMNS = ["source", "format", "size", "tensors", "parameters", "bytes_fetched", "highest", "findings", "error",
  "error_message", "seconds"] as const;

export interface Row {
  source: string;
  format: string | null;
  size: number | null;
  tensors: number | null;
  parameters: number | null;
  bytes_fetched: number;
  highest: string;
  /** The findings as a JSON array (the objects of `scan --json`). */
  findings: string;
  error: string | null;
  error_message: string | null;
  seconds: number;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** Passes reads through and counts their bytes, siblings included. */
function counting(inner: Source, count: { n: number }): Source {
  const s: Source = {
    name: inner.name,
    baseName: inner.baseName,
    size: inner.size,
    async read(offset, length) {
      const b = await inner.read(offset, length);
      count.n += b.byteLength;
      return b;
    },
    close: inner.close ? () => inner.close!() : undefined,
  };
  if (inner.readSyncInto) {
    s.readSyncInto = (target, offset) => {
      inner.readSyncInto!(target, offset);
      count.n += target.byteLength;
    };
  }
  if (inner.sibling) {
    s.sibling = async (rel) => {
      const sib = await inner.sibling!(rel);
      if (isUrl(sib.name)) count.n += 1; // its one-byte size probe
      return counting(sib, count);
    };
  }
  return s;
}

/**
 * The parameter count, or null past 2^53: a count a row cannot state exactly for every reader
 * (JSON numbers in JavaScript, Parquet's int64) is left out rather than rounded or wrapped.
 */
function parametersOf(tensors: { shape: number[] }[]): number | null {
  let total = 0;
  for (const t of tensors) total += t.shape.reduce((a, d) => a * d, 1);
  return Number.isSafeInteger(total) ? total : null;
}

function reasonOf(e: OmnimodelError): string {
  const where = e.file ? `${e.file}: ` : "";
  return e.message.startsWith(where) ? e.message.slice(where.length) : e.message;
}

export async function rowFor(item: string): Promise<Row> {
  const t0 = performance.now();
  const count = { n: 0 };
  const row: Row = { source: item, format: null, size: null, tensors: null, parameters: null, bytes_fetched: 0, highest: "none",
    findings: "[]", error: null, error_message: null, seconds: 0 };
  try {
    const core = await init();
    await ready();
    const src = await toSource(item);
    if (isUrl(item)) count.n += 1; // the size probe
    row.size = src.size;
    const m = await openSource(core, counting(src, count));
    try {
      const findings: ScanFinding[] = m.findings.map((f) => ({ ...f, impact: impactOf(f, m.format) }));
      await scanChildren(m, findings, 0);
      const tensors = m.index.tensors ?? [];
      Object.assign(row, { format: m.format, tensors: tensors.length, parameters: parametersOf(tensors), highest: highestOf(findings),
        findings: JSON.stringify(findings) });
    } finally {
      await m.close();
    }
  } catch (e) {
    if (e instanceof OmnimodelError) {
      // As the scanner: a reference that leaves the model's directory is itself the finding.
      const findings: ScanFinding[] = e.code === "PATH_VIOLATION" ? [{ severity: "high", code: "path-escape", message: e.message, location: "",
        impact: "Its loader would read a file outside the model's directory, named by the model file itself." }] : [];
      // As the scanner: a 7-Zip/RAR archive or a stream not read here is an incomplete scan.
      if (e.code === "UNKNOWN_FORMAT" && /which is not read here/.test(e.message)) findings.push(incompleteFinding(e.message));
      Object.assign(row, { error: e.code, error_message: reasonOf(e), findings: JSON.stringify(findings), highest: highestOf(findings) });
    } else {
      row.error = "ERROR";
      row.error_message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
  }
  row.bytes_fetched = count.n;
  row.seconds = Math.round((performance.now() - t0) * 1000) / 1e6;
  return row;
}
