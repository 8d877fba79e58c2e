// Whole-file dequantization (Q4_K GGUF -> F32, ~1 GiB of output) through the worker pool, against
// the single-thread kernel rate: the Q4_K kernel alone on one thread (kernel_to_f32, no I/O, no
// allocation), readAll({ dtype: "F32" }) with 1, 2 and every core's worth of threads, and the CLI's
// convert --threads N. A fresh process per reader and round, rounds rotate the order. Writes
// bench/out/pipeline/dequant.json.
//
//   node bench/pipeline/dequant.mjs [--rounds 5] [--file F.gguf] [--megabytes 1024]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeQ4KGguf } from "./make-file.mjs";
import { summarize, table } from "./stats.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const rounds = Number(arg("--rounds", "5"));
const file = arg("--file", join(tmpdir(), `omnimodel-pipeline-q4k-${arg("--megabytes", "1024")}.gguf`));
if (!existsSync(file)) makeQ4KGguf(file, Number(arg("--megabytes", "1024")));
const cores = cpus().length;

const node = (variant, threads) => () => JSON.parse(execFileSync(process.execPath, [join(HERE, "node-reader.mjs"), variant, file, String(threads)], { encoding: "utf8" }));
const threadCounts = [...new Set([1, 2, cores])];
const readers = { "Q4_K kernel alone, one thread": node("kernel", 1) };
for (const n of threadCounts) readers[`readAll F32, threads ${n}`] = node("omnimodel-f32", n);
for (const n of threadCounts) readers[`convert --dtype F32 --threads ${n}`] = node("convert", n);
// ratio rows: time of the one-thread kernel / time of the reader = the reader's rate in kernel rates
const ratios = [];
for (const n of threadCounts) ratios.push([`readAll threads ${n}, rate / one-thread kernel rate`, "Q4_K kernel alone, one thread", `readAll F32, threads ${n}`]);
for (const n of threadCounts) ratios.push([`convert threads ${n}, rate / one-thread kernel rate`, "Q4_K kernel alone, one thread", `convert --dtype F32 --threads ${n}`]);
for (const n of threadCounts.filter((n) => n > 1)) ratios.push([`readAll threads ${n} / threads 1 (speed-up)`, "readAll F32, threads 1", `readAll F32, threads ${n}`]);

const names = Object.keys(readers);
const load0 = loadavg();
for (const n of names) readers[n]();
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (const n of names.map((_, i) => names[(i + r) % names.length])) samples[n].push(readers[n]());
}
const outBytes = samples[names[0]][0].bytes;
const result = { ...summarize({ bench: "dequant", file, samples, ratios, load: [load0, loadavg()], cores, rounds }), bytes: outBytes, inputBytes: statSync(file).size };
mkdirSync(join(ROOT, "bench", "out", "pipeline"), { recursive: true });
writeFileSync(join(ROOT, "bench", "out", "pipeline", "dequant.json"), JSON.stringify(result, null, 2));
console.log(table(result));
