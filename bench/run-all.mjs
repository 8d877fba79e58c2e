// `npm run bench`: every benchmark that needs nothing beyond `npm ci` and the build, one after
// the other, then the README table from their output. Those needing Python peers are listed in
// bench/README.md (e.g. `node bench/pipeline/run.mjs --python PY`).
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const rounds = process.argv.includes("--rounds") ? ["--rounds", process.argv[process.argv.indexOf("--rounds") + 1]] : [];
const runs = [
  ["bench/pipeline/run.mjs", "--threads", String(cpus().length), ...rounds],
  ["bench/pipeline/dequant.mjs", ...rounds],
  ["bench/gguf/header-parse.mjs"],
  ["bench/formats/npy-vs-npyjs.mjs"],
  ["bench/inflate/bench.mjs"],
  ["bench/report.mjs"],
];
console.log(`${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")} at start`);
for (const [script, ...args] of runs) {
  console.log(`\n## node ${script} ${args.join(" ")}\n`);
  execFileSync(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, stdio: "inherit" });
}
console.log(`\nload average ${loadavg().map((x) => x.toFixed(2)).join(" ")} at end`);
