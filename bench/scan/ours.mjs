// omnimodel's side of the scan evaluation: reads a JSON list of paths on stdin and prints one
// JSON object per path: {path, highest, status, findings} (the same code path as `omnimodel scan`).
import { scanPath } from "../../dist/ts/scan/walk.js";
import "../../dist/bindings/node.js";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = {};
for (const p of JSON.parse(input)) {
  const t0 = performance.now();
  const r = await scanPath(p);
  // a directory (a SavedModel, a model repository) is judged by its summary over every file
  const f = r.kind === "directory"
    ? { highest: r.summary.highest, status: r.summary.scanned ? "scanned" : "unreadable", format: "directory", error: null,
        findings: r.files.flatMap((x) => x.findings.map((y) => ({ ...y, message: `${x.path}: ${y.message}` }))) }
    : r.files[0];
  out[p] = {
    highest: f.highest, status: f.status, format: f.format, error: f.error?.code ?? null,
    findings: f.findings.map((x) => `${x.severity} ${x.code}: ${x.message}`.slice(0, 300)),
    ms: performance.now() - t0,
  };
}
process.stdout.write(JSON.stringify(out));
