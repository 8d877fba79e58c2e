// Renders the pipeline benchmarks' results (bench/out/pipeline/*.json, written by
// bench/pipeline/run.mjs and dequant.mjs) into README.md's performance table, between the
// `<!-- pipeline-table -->` markers, so the figures there are always a run's output.
//   node bench/report.mjs [--check]     (--check: print the table, change nothing)
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { table } from "./pipeline/stats.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench", "out", "pipeline");
const parts = [];
for (const name of ["read-all", "dequant"]) {
  const f = join(OUT, `${name}.json`);
  if (existsSync(f)) parts.push(table(JSON.parse(readFileSync(f, "utf8"))));
}
if (!parts.length) {
  console.error("no results in bench/out/pipeline: run `npm run bench` first");
  process.exit(2);
}
const block = ["<!-- pipeline-table -->", "", ...parts.flatMap((p) => [p, ""]), "<!-- /pipeline-table -->"].join("\n");
if (process.argv.includes("--check")) {
  console.log(block);
  process.exit(0);
}
const readme = join(ROOT, "README.md");
const text = readFileSync(readme, "utf8");
const re = /<!-- pipeline-table -->[\s\S]*?<!-- \/pipeline-table -->/;
if (!re.test(text)) {
  console.error("README.md has no <!-- pipeline-table --> markers");
  process.exit(2);
}
writeFileSync(readme, text.replace(re, block));
console.log("README.md: pipeline table updated");
