// `omnimodel scan --from-list FILE --jsonl OUT`: the single-machine batch. OUT is its own journal:
// one row per line, appended and flushed as each file finishes, so a rerun (after a crash, a
// kill or a Ctrl-C) skips every source already in OUT and a killed run loses only the files that
// were in flight. Up to `concurrency` files are open at once (one core, interleaved on I/O).

import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { rowFor, type Row } from "./row.ts";
import { Progress } from "./progress.ts";

export interface BatchOptions {
  concurrency?: number;
  /** Print the progress line on stderr (the CLI turns it on for a TTY or --progress). */
  progress?: boolean;
}

export interface BatchResult {
  sources: number;
  skipped: number;
  scanned: number;
  bytesFetched: number;
  /** Every row in OUT: earlier runs' and this run's. */
  rows: Row[];
}

/** One path or URL a line; blank lines and `#` comments skipped; duplicates removed, order kept. */
export function readList(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const s = line.trim();
    if (s && !s.startsWith("#")) seen.add(s);
  }
  return [...seen];
}

/** The complete rows of a journal; a last line cut by a kill is ignored (its file is redone). */
export function readJournal(path: string): Row[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  lines.pop(); // after the last "\n": empty, or a torn line
  const rows: Row[] = [];
  for (const l of lines) {
    try {
      const r = JSON.parse(l);
      if (r && typeof r.source === "string") rows.push(r);
    } catch { /* a torn line in the middle (a killed writer, then a rerun): redone */ }
  }
  return rows;
}

async function rowOf(item: string): Promise<Row> {
  if (!/^https?:\/\//i.test(item)) {
    let dir = false;
    try { dir = statSync(item).isDirectory(); } catch { /* missing: rowFor reports it */ }
    if (dir) {
      return { source: item, format: null, size: null, tensors: null, parameters: null, bytes_fetched: 0, highest: "none", findings: "[]",
        error: "BAD_ARGUMENT", error_message: "is a directory (list its files)", seconds: 0 };
    }
  }
  return rowFor(item);
}

export async function runBatch(listFile: string, out: string, options: BatchOptions = {}): Promise<BatchResult> {
  const items = readList(readFileSync(listFile, "utf8"));
  const previous = readJournal(out);
  const done = new Set(previous.map((r) => r.source));
  const todo = items.filter((s) => !done.has(s));
  // A torn last line from a killed run must not glue onto the next row.
  if (existsSync(out)) {
    const text = readFileSync(out, "utf8");
    if (text.length && !text.endsWith("\n")) {
      const tfd = openSync(out, "a");
      writeSync(tfd, "\n");
      closeSync(tfd);
    }
  }
  const fd = openSync(out, "a");
  const progress = new Progress(todo.length, options.progress ?? false);
  const rows: Row[] = [...previous];
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < todo.length) {
      const item = todo[next++];
      const row = await rowOf(item);
      writeSync(fd, JSON.stringify(row) + "\n"); // one write per row: whole lines only
      rows.push(row);
      bytes += row.bytes_fetched;
      progress.tick(row.bytes_fetched);
    }
  };
  try {
    const n = Math.max(1, Math.min(options.concurrency ?? 4, todo.length || 1));
    await Promise.all(Array.from({ length: n }, worker));
  } finally {
    closeSync(fd);
    progress.end();
  }
  return { sources: items.length, skipped: items.length - todo.length, scanned: todo.length, bytesFetched: bytes, rows };
}
