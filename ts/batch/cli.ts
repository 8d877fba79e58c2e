// The CLI end of `scan --from-list LIST --jsonl OUT`: checks the flags, runs the batch, prints a
// one-line summary on stderr; the exit status follows `scan`'s contract over every row in OUT.

import { existsSync } from "node:fs";
import type { Severity } from "../model.ts";
import { severityRank } from "../model.ts";
import { levelRank, type Level } from "../scan/report.ts";
import { UsageError } from "../cli/args.ts";
import { err, human } from "../cli/output.ts";
import { runBatch } from "./run.ts";

export async function batchVerbRun(list: string | undefined, out: string | undefined,
  o: { concurrency?: number; progress: boolean; failOn: Severity }): Promise<number> {
  if (list === undefined) throw new UsageError("scan", "--jsonl needs --from-list LIST");
  if (out === undefined) throw new UsageError("scan", "--from-list needs --jsonl OUT");
  if (!existsSync(list)) throw new UsageError("scan", `${list}: no such list file`);
  const r = await runBatch(list, out, { concurrency: o.concurrency, progress: o.progress || process.stderr.isTTY === true });
  const threshold = severityRank(o.failOn);
  const flagged = r.rows.filter((x) => levelRank(x.highest as Level) >= threshold).length;
  const unreadable = r.rows.filter((x) => x.error !== null && x.error !== "UNKNOWN_FORMAT").length;
  err(`${r.sources} sources: ${r.scanned} scanned, ${r.skipped} already in ${out}; ${flagged} at or above ${o.failOn}, ${unreadable} unreadable; ${human(r.bytesFetched)} fetched`);
  return flagged ? 1 : unreadable ? 2 : 0;
}
