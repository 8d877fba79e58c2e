// The omnimodel command line: inspect, dump, convert, scan. `--json` outputs and exit codes are
// a contract (README): scan exits 0 below the threshold, 1 at or above it, 2 when unreadable.

import { closeSync, openSync, writeSync, renameSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import "../bindings/node.js";
import { open } from "./open.js";
import { OmnimodelError } from "./errors.js";
import { severityRank, type Model, type Finding, type Severity } from "./model.js";
import { scanPath } from "./scan/walk.js";
import { toSarif } from "./scan/sarif.js";
import { renderTable } from "./scan/table.js";
import { packageVersion } from "./scan/version.js";
import { planSafetensors, safetensorsChunks, type ConvertDtype } from "./writers/safetensors.js";
import { npyForTensor } from "./writers/npy.js";
import { serve } from "./serve.js";

const USAGE = `omnimodel — open any ML model file safely

usage:
  omnimodel inspect FILE|DIR|URL [--json]
  omnimodel dump FILE TENSOR [--out OUT.npy] [--head N] [--dtype F32|F16|BF16]
  omnimodel convert IN OUT.safetensors [--dtype keep|F32|F16|BF16]
  omnimodel scan FILE|DIR|URL [--json | --sarif] [--fail-on critical|high|medium|low|info]
  omnimodel serve [FILE|DIR] [--port N] [--no-open]   the inspector page on localhost
`;

interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const valued = new Set(["--out", "--head", "--dtype", "--fail-on", "--format", "--port"]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) flags.set(a.slice(0, eq), a.slice(eq + 1));
      else if (valued.has(a)) flags.set(a, argv[++i] ?? "");
      else flags.set(a, true);
    } else positional.push(a);
  }
  return { positional, flags };
}

const out = (s: string) => process.stdout.write(s + "\n");
const err = (s: string) => process.stderr.write(s + "\n");

function human(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

function shortValue(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 100 ? s.slice(0, 97) + "..." : s;
}

function printFindings(findings: Finding[]): void {
  if (!findings.length) {
    out("findings: none");
    return;
  }
  out(`findings (${findings.length}):`);
  const sorted = [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  for (const f of sorted) out(`  [${f.severity.toUpperCase()}] ${f.code}: ${f.message}${f.location ? `  (${f.location})` : ""}`);
}

function printModel(m: Model, file: string): void {
  out(`${file}`);
  out(`format: ${m.format}${m.formatVersion ? ` (${m.formatVersion})` : ""}`);
  printFindings(m.findings);
  const total = m.tensors.reduce((a, t) => a + t.byteLength, 0);
  out(`tensors: ${m.tensors.length}, parameters: ${m.parameterCount.toLocaleString("en-US")}, data: ${human(total)}`);
  const limit = 200;
  const nameW = Math.min(60, Math.max(4, ...m.tensors.slice(0, limit).map((t) => t.name.length)));
  for (const t of m.tensors.slice(0, limit)) {
    out(`  ${t.name.padEnd(nameW)}  ${t.dtype.padEnd(8)}  [${t.shape.join(", ")}]  ${human(t.byteLength)}`);
  }
  if (m.tensors.length > limit) out(`  ... ${m.tensors.length - limit} more (use --json for all)`);
  const meta = Object.entries(m.metadata ?? {});
  if (meta.length) {
    out(`metadata (${meta.length}):`);
    for (const [k, v] of meta.slice(0, 60)) out(`  ${k}: ${shortValue(v)}`);
    if (meta.length > 60) out(`  ... ${meta.length - 60} more (use --json for all)`);
  }
  if (m.children.length) {
    out(`children (${m.children.length}):`);
    for (const c of m.children.slice(0, 50)) out(`  ${c.name}${c.format ? ` (${c.format})` : ""}  ${human(c.size)}`);
  }
}

async function inspect(a: Args): Promise<number> {
  const file = a.positional[0];
  if (!file) return usage();
  const m = await open(file, { format: flagString(a, "--format") });
  try {
    if (a.flags.has("--json")) out(JSON.stringify(m.index));
    else printModel(m, file);
  } finally {
    await m.close();
  }
  return 0;
}

async function dump(a: Args): Promise<number> {
  const [file, name] = a.positional;
  if (!file || name === undefined) return usage();
  const m = await open(file);
  try {
    const t = m.tensor(name);
    if (!t) throw new OmnimodelError("NOT_FOUND", `no tensor named "${name}" (${m.tensors.length} tensors; see inspect)`, { file });
    const dtype = flagString(a, "--dtype");
    const outPath = flagString(a, "--out");
    if (outPath) {
      const { header, readAs } = npyForTensor(m.core, t, dtype);
      await writeStream(outPath, (async function* () {
        yield header;
        for await (const c of t.chunks(readAs ? { dtype: readAs } : {})) yield new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
      })());
      err(`wrote ${outPath}`);
      return 0;
    }
    const head = Number(flagString(a, "--head") ?? "20");
    const values = await t.read(dtype ? { dtype } : {});
    out(`${t.name}  ${dtype ?? t.dtype}  [${t.shape.join(", ")}]`);
    const shown = Array.from(values.subarray(0, head) as ArrayLike<number | bigint>, (v) => String(v));
    out(shown.join(" ") + (values.length > head ? ` ... (${values.length} values)` : ""));
  } finally {
    await m.close();
  }
  return 0;
}

async function writeStream(path: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, "w");
  try {
    for await (const c of chunks) {
      let done = 0;
      while (done < c.byteLength) done += writeSync(fd, c, done, c.byteLength - done);
    }
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

async function convert(a: Args): Promise<number> {
  const [input, output] = a.positional;
  if (!input || !output) return usage();
  const want = (flagString(a, "--dtype") ?? "keep") as ConvertDtype;
  if (!["keep", "F32", "F16", "BF16"].includes(want)) throw new OmnimodelError("BAD_ARGUMENT", `--dtype must be keep, F32, F16 or BF16, not ${want}`);
  const m = await open(input);
  try {
    const plan = planSafetensors(m, want);
    for (const s of plan.skipped) err(`skipped ${s.name} (${s.dtype}): ${s.reason}`);
    const tty = process.stderr.isTTY;
    let last = 0;
    await writeStream(output, safetensorsChunks(plan, (p) => {
      const now = Date.now();
      if (!tty || now - last < 100) return;
      last = now;
      const pct = ((p.bytesWritten / Math.max(1, p.totalBytes)) * 100).toFixed(1);
      const bar = "#".repeat(Math.round(Number(pct) / 4)).padEnd(25, ".");
      process.stderr.write(`\r[${bar}] ${pct}%  ${p.index + 1}/${p.count} ${p.tensor.slice(0, 40).padEnd(40)}`);
    }));
    if (tty) process.stderr.write("\n");
    err(`wrote ${output}: ${plan.tensors.length} tensors, ${human(plan.totalBytes)}`);
  } finally {
    await m.close();
  }
  return 0;
}

async function scanCmd(a: Args): Promise<number> {
  const target = a.positional[0];
  if (!target) return usage();
  const failOn = flagString(a, "--fail-on") ?? "high";
  if (severityRank(failOn) <= 0) throw new OmnimodelError("BAD_ARGUMENT", `--fail-on must be critical, high, medium, low or info, not ${failOn}`);
  const report = await scanPath(target, { failOn: failOn as Severity, format: flagString(a, "--format") });
  if (a.flags.has("--sarif")) out(JSON.stringify(toSarif(report, { version: packageVersion(), baseUri: sarifBase(target, report.kind) })));
  else if (a.flags.has("--json")) {
    // a single file keeps the flat {file, format, findings, highest} shape next to the full report
    const f = report.files[0];
    const flat = report.kind === "file" ? { file: target, format: f.format, findings: f.findings, highest: f.highest } : {};
    out(JSON.stringify({ ...flat, ...report }));
  } else out(renderTable(report));
  return report.exitCode;
}

function sarifBase(target: string, kind: "file" | "directory"): string | undefined {
  if (/^https?:\/\//i.test(target)) return undefined;
  const dir = kind === "directory" ? resolve(target) : dirname(resolve(target));
  return pathToFileURL(dir).href.replace(/\/?$/, "/");
}

function flagString(a: Args, name: string): string | undefined {
  const v = a.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

function usage(): number {
  err(USAGE);
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const a = parseArgs(rest);
  try {
    switch (cmd) {
      case "inspect": return await inspect(a);
      case "dump": return await dump(a);
      case "convert": return await convert(a);
      case "scan": return await scanCmd(a);
      case "serve": return await serve(a.positional[0], { port: flagString(a, "--port") ? Number(flagString(a, "--port")) : undefined, open: !a.flags.has("--no-open") });
      case "--help": case "-h": case "help": case undefined:
        out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        err(`unknown command "${cmd}"\n`);
        return usage();
    }
  } catch (e) {
    if (e instanceof OmnimodelError) {
      err(`error [${e.code}]: ${e.message}`);
      return 2;
    }
    err(`error: ${(e as Error)?.message ?? e}`);
    if (process.env.OMNIMODEL_DEBUG) err(String((e as Error)?.stack));
    return 2;
  }
}
