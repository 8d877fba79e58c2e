#!/usr/bin/env node
// npm run fuzz -- --minutes N [--seed S] [--only FORMAT[,FORMAT]] [--count N] [--jobs N] ...
//
// Seeded mutation fuzzing of every parser over the project's fixtures and the corpus beside the
// project: each seed is first run unmutated (which also gives its format), then mutated copies
// are run in supervised child processes until the time or the count is up. Prints counts per
// format and outcome; writes one reproducer (bytes + a .json saying what was done) per distinct
// failure to the output folder. Exit status 1 when any input ended other than ok or typed.
// `--replay FILE...` runs saved inputs again (a reproducer's .json gives its name and folder).
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, extname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { makeRng, mutateBytes } from "./mutate.mjs";
import { mutateInside } from "./archives.mjs";
import { Supervisor } from "./supervisor.mjs";

const ROOT = resolve(import.meta.dirname, "..", "..");
const BAD = ["untyped", "trap", "timeout", "oom", "crash"];
const OUTCOMES = ["ok", "typed", "slow", ...BAD];
const MAX_SEED = 32 * 1024 * 1024;
const KEEP_PER_SIGNATURE = 3;
// Files next to fixtures that are not inputs: generator scripts and their records.
const NOT_SEEDS = /(^generate.*\.(py|sh|mjs)$|^requirements.*\.txt$|^expected.*\.json$|^README|\.md$|^MANIFEST\.json$|\.py$|\.sh$|\.mjs$)/;

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    minutes: { type: "string", default: "5" },
    count: { type: "string" },
    seed: { type: "string" },
    only: { type: "string" },
    corpus: { type: "string" },
    fixtures: { type: "string" },
    out: { type: "string", default: "fuzz-out" },
    jobs: { type: "string", default: "1" },
    "timeout-ms": { type: "string", default: "20000" },
    "rss-mb": { type: "string", default: "1024" },
    "cap-mb": { type: "string", default: "256" },
    "no-seeds": { type: "boolean", default: false },
    replay: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (opt.help) {
  console.log(`usage: npm run fuzz -- [--minutes N] [--count N] [--seed S] [--only FORMAT[,..]] [--jobs N]
  [--corpus DIR] [--fixtures DIR] [--out DIR] [--timeout-ms MS] [--rss-mb MB] [--cap-mb MB] [--no-seeds]
  npm run fuzz -- --replay FILE...`);
  process.exit(0);
}

const num = (k) => {
  const v = Number(opt[k]);
  if (!Number.isFinite(v) || v < 0) { console.error(`--${k}: not a number: ${opt[k]}`); process.exit(2); }
  return v;
};
const limits = { timeoutMs: num("timeout-ms"), rssBytes: num("rss-mb") * 2 ** 20, root: ROOT };
const cap = num("cap-mb") * 2 ** 20;
const outDir = resolve(opt.out);

function walk(dir, out = []) {
  for (const ent of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) walk(p, out);
    else if (ent.isFile() && !NOT_SEEDS.test(ent.name) && statSync(p).size <= MAX_SEED) out.push(p);
  }
  return out;
}

function seedPaths() {
  const fixtures = resolve(opt.fixtures ?? join(ROOT, "tests", "fixtures"));
  const corpus = opt.corpus ?? process.env.OMNIMODEL_FUZZ_CORPUS ?? join(ROOT, "..", "shared", "corpus");
  const dirs = [fixtures];
  if (existsSync(corpus)) dirs.push(resolve(corpus));
  else if (opt.corpus || process.env.OMNIMODEL_FUZZ_CORPUS) { console.error(`corpus not found: ${corpus}`); process.exit(2); }
  return { dirs, files: dirs.flatMap((d) => walk(d)) };
}

function signature(r) {
  const msg = String(r.first?.message ?? "").replace(/\d+/g, "N").replace(/"[^"]*"/g, "S").slice(0, 160);
  const frame = String(r.first?.stack ?? "").split("\n").find((l) => l.includes(" at ")) ?? "";
  return `${r.outcome}|${r.first?.name ?? ""}|${msg}|${frame.replace(/:\d+:\d+/g, "").trim()}`;
}

class Report {
  constructor() {
    this.table = new Map(); // format -> outcome -> count
    this.signatures = new Map(); // signature -> { count, files }
    this.total = 0;
  }
  add(format, outcome) {
    if (!this.table.has(format)) this.table.set(format, Object.fromEntries(OUTCOMES.map((o) => [o, 0])));
    this.table.get(format)[outcome]++;
    this.total++;
  }
  bad() {
    let n = 0;
    for (const row of this.table.values()) for (const o of BAD) n += row[o];
    return n;
  }
  save(r, bytes, meta) {
    const sig = signature(r);
    const entry = this.signatures.get(sig) ?? { count: 0, files: [], outcome: r.outcome, message: r.first?.message, where: r.first?.where };
    entry.count++;
    this.signatures.set(sig, entry);
    if (entry.files.length >= KEEP_PER_SIGNATURE) return;
    const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
    const dir = join(outDir, r.outcome);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${meta.format}-${basename(meta.seed)}-${hash}${extname(meta.seed)}.bin`);
    writeFileSync(file, bytes);
    writeFileSync(`${file}.json`, JSON.stringify({ ...meta, outcome: r.outcome, ms: Math.round(r.ms), peakRss: r.peakRss, first: r.first }, null, 2));
    entry.files.push(relative(process.cwd(), file));
  }
  print(extra) {
    const rows = [...this.table.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const cols = OUTCOMES.filter((o) => rows.some(([, r]) => r[o] > 0) || o === "ok" || o === "typed" || BAD.includes(o));
    const w = Math.max(8, ...rows.map(([f]) => f.length));
    const line = (name, vals) => name.padEnd(w) + vals.map((v) => String(v).padStart(9)).join("");
    console.log(line("format", cols));
    const sum = Object.fromEntries(cols.map((c) => [c, 0]));
    for (const [f, r] of rows) {
      console.log(line(f, cols.map((c) => r[c])));
      for (const c of cols) sum[c] += r[c];
    }
    console.log(line("total", cols.map((c) => sum[c])));
    console.log(extra);
    for (const [, s] of this.signatures) if (BAD.includes(s.outcome)) console.log(`  ${s.outcome} x${s.count} at ${s.where}: ${String(s.message).split("\n")[0].slice(0, 200)}\n    ${s.files.join("\n    ")}`);
  }
}

async function replay(files) {
  const sup = new Supervisor(limits);
  let bad = 0;
  for (const f of files) {
    const meta = existsSync(`${f}.json`) ? JSON.parse(readFileSync(`${f}.json`, "utf8")) : {};
    const name = meta.name ?? basename(f);
    const r = await sup.run(new Uint8Array(readFileSync(f)), name, meta.dir && existsSync(meta.dir) ? meta.dir : undefined, cap);
    if (BAD.includes(r.outcome)) bad++;
    console.log(`${r.outcome.padEnd(8)} ${Math.round(r.ms)} ms ${f}${r.first ? `\n  ${r.first.where}: ${r.first.message?.split("\n")[0]}` : ""}`);
    if (r.first?.stack && BAD.includes(r.outcome)) console.log(r.first.stack.split("\n").slice(1, 12).join("\n"));
  }
  sup.kill();
  process.exit(bad ? 1 : 0);
}

async function main() {
  if (opt.replay) return replay(positionals);
  const seed = opt.seed !== undefined ? Number(opt.seed) >>> 0 : (Date.now() & 0x7fffffff);
  const minutes = num("minutes");
  const count = opt.count !== undefined ? num("count") : Infinity;
  const jobs = Math.max(1, Math.floor(num("jobs")));
  const only = opt.only ? new Set(opt.only.split(",")) : null;
  const deadline = Date.now() + minutes * 60_000;
  const { dirs, files } = seedPaths();
  console.error(`fuzz: seed ${seed}, ${files.length} seed files from ${dirs.map((d) => relative(process.cwd(), d) || ".").join(", ")}, ${jobs} job(s), ${minutes} min${count < Infinity ? `, ${count} inputs` : ""}`);

  const report = new Report();
  const sups = Array.from({ length: jobs }, () => new Supervisor(limits));
  const seeds = files.map((path) => ({ path, bytes: new Uint8Array(readFileSync(path)), format: "unknown" }));
  const t0 = Date.now();

  const handle = async (sup, bytes, s, what) => {
    let r = await sup.run(bytes, basename(s.path), resolve(s.path, ".."), cap);
    // A shared machine can stall any process: a timeout counts only if it happens twice.
    if (r.outcome === "timeout") {
      const again = await sup.run(bytes, basename(s.path), resolve(s.path, ".."), cap);
      if (again.outcome !== "timeout") r = { ...again, outcome: BAD.includes(again.outcome) ? again.outcome : "slow", first: again.first ?? r.first };
    }
    return r;
  };

  // Every seed once, unmutated: the fixtures must hold the promise too, and this names the format.
  let queue = seeds.slice();
  await Promise.all(sups.map(async (sup) => {
    for (let s; (s = queue.shift()); ) {
      const r = await handle(sup, s.bytes, s, "none");
      s.format = r.format ?? "unknown";
      if (only && !only.has(s.format)) continue;
      if (!opt["no-seeds"] || BAD.includes(r.outcome)) report.add(`${s.format}`, r.outcome);
      if (r.outcome !== "ok" && r.outcome !== "typed") report.save(r, s.bytes, { seed: relative(ROOT, s.path), format: s.format, mutation: "none", name: basename(s.path), dir: resolve(s.path, "..") });
    }
  }));
  const seedInputs = report.total;

  const groups = new Map();
  for (const s of seeds) {
    if (only && !only.has(s.format)) continue;
    if (!groups.has(s.format)) groups.set(s.format, []);
    groups.get(s.format).push(s);
  }
  const formats = [...groups.keys()].sort();
  if (!formats.length) { console.error(`no seeds of format ${opt.only}`); process.exit(2); }
  const r = makeRng(seed);
  let made = 0;
  let lastProgress = Date.now();
  // Inputs are generated in one sequence from the seed, whatever the number of jobs.
  const next = () => {
    if (made >= count || Date.now() >= deadline) return null;
    made++;
    const format = r.pick(formats);
    const s = r.pick(groups.get(format));
    const inside = r() < 0.5 ? mutateInside(s.bytes, r) : null;
    const m = inside ?? mutateBytes(s.bytes, r);
    return { s, format, bytes: m.bytes, what: m.what, n: made };
  };
  await Promise.all(sups.map(async (sup) => {
    for (let t; (t = next()); ) {
      const res = await handle(sup, t.bytes, t.s, t.what);
      report.add(t.format, res.outcome);
      if (res.outcome !== "ok" && res.outcome !== "typed") {
        report.save(res, t.bytes, { seed: relative(ROOT, t.s.path), format: t.format, mutation: t.what, fuzzSeed: seed, input: t.n, name: basename(t.s.path), dir: resolve(t.s.path, "..") });
      }
      if (Date.now() - lastProgress > 60_000) {
        lastProgress = Date.now();
        console.error(`fuzz: ${made} inputs, ${report.bad()} bad, ${((Date.now() - t0) / 60000).toFixed(1)} min`);
      }
    }
  }));
  for (const s of sups) s.kill();
  const secs = (Date.now() - t0) / 1000;
  mkdirSync(outDir, { recursive: true });
  const summary = { seed, seconds: Math.round(secs), seedInputs, mutatedInputs: made, counts: Object.fromEntries(report.table), failures: [...report.signatures.values()].filter((s) => BAD.includes(s.outcome)) };
  writeFileSync(join(outDir, "summary.json"), JSON.stringify(summary, null, 2));
  report.print(`${seedInputs} seeds + ${made} mutated inputs in ${secs.toFixed(0)} s (${(report.total / secs).toFixed(1)}/s), seed ${seed}; reproducers and summary.json in ${relative(process.cwd(), outDir) || "."}`);
  process.exit(report.bad() ? 1 : 0);
}

await main();
