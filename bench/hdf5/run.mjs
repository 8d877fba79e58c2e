// HDF5 benchmark: omnimodel vs h5wasm, jsfive (npm) and h5py, same files, one run, one process
// per (tool, file) so peak memory is the reader's own. Not a test.
//   node bench/hdf5/run.mjs [--python /path/to/python-with-h5py]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const py = args.includes("--python") ? args[args.indexOf("--python") + 1] : "python3";
const dir = mkdtempSync(join(tmpdir(), "h5bench-"));
execFileSync(py, [join(here, "make_files.py"), dir], { stdio: "inherit" });
const files = ["contiguous.h5", "chunked_gzip.h5", "many_small.h5"];
const tools = ["omnimodel", "h5wasm", "jsfive", "h5py"];
const results = [];
for (const f of files) {
  for (const tool of tools) {
    const path = join(dir, f);
    const r = tool === "h5py"
      ? spawnSync(py, [join(here, "read_h5py.py"), path], { encoding: "utf8" })
      : spawnSync(process.execPath, ["--max-old-space-size=8192", join(here, "readers.mjs"), tool, path], { encoding: "utf8" });
    const line = (r.stdout || "").trim().split("\n").pop();
    let res;
    try { res = JSON.parse(line); } catch { res = { tool, file: path, error: (r.stderr || r.stdout || "").trim().split("\n").slice(-2).join(" ").slice(0, 200) }; }
    res.file = f;
    results.push(res);
    console.log(JSON.stringify(res));
  }
}
writeFileSync(join(here, "results.json"), JSON.stringify({ node: process.version, date: new Date().toISOString(), results }, null, 1) + "\n");
console.log("\nfile              tool       ms        MiB read  peak RSS MiB");
for (const r of results) {
  if (r.error) { console.log(`${r.file.padEnd(17)} ${r.tool.padEnd(10)} ERROR ${r.error}`); continue; }
  console.log(`${r.file.padEnd(17)} ${r.tool.padEnd(10)} ${r.ms.toFixed(0).padStart(7)} ${(r.bytes / 2 ** 20).toFixed(1).padStart(9)} ${(r.maxRssKiB / 1024).toFixed(0).padStart(12)}`);
}
