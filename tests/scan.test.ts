// The scanner on every pattern of the pickle notes (tests/fixtures/scan, one or more malicious
// files per pattern, assembled opcode by opcode by generate.py) and on ordinary checkpoints written
// by the real libraries, through the same code path as `omnimodel scan`. Plus the shared corpus's
// real exploits and benign pickle-bearing files.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, corpusManifest } from "./helpers/core";

const SCAN = join(FIXTURES, "scan");
const CASES: any[] = JSON.parse(readFileSync(join(SCAN, "cases.json"), "utf8")).cases;
const RANK: Record<string, number> = { none: 0, info: 1, low: 2, medium: 3, high: 4, critical: 5 };

async function scanner() {
  await import("../dist/bindings/node-index.js");
  return import("../dist/ts/scan/index.js");
}

async function scanOne(path: string) {
  const { scanPath } = await scanner();
  const r = await scanPath(path);
  expect(r.files.length).toBe(1);
  return r.files[0];
}

// Cases the scanner does not meet yet, each with the reason and the module that owns the fix. They
// run as \`it.fails\`: the check must still fail, so a fix shows up as a failing test asking for the
// entry to be removed. Keys: fixture ids and corpus keys.
const KNOWN_GAPS: Record<string, string> = {};
const check = (key: string) => (KNOWN_GAPS[key] ? it.fails : it);

function describeFinding(f: any): string {
  return `${f.status} ${f.error ? f.error.code + " " : ""}${f.highest}: ${f.findings.map((x: any) => `${x.severity} ${x.code} ${x.message}`).join(" | ")}`;
}

describe("malicious fixtures: one or more per pattern", () => {
  // "suspicious" cases (an ONNX custom op domain) are checked at their own, lower, expected level
  const mal = CASES.filter((c) => c.label === "malicious" || c.label === "suspicious");
  it("covers every pattern 1-50 of the notes", () => {
    const patterns = new Set(mal.map((c) => c.pattern));
    const missing = [];
    for (let p = 1; p <= 50; p++) if (!patterns.has(p)) missing.push(p);
    expect(missing).toEqual([]);
  });
  it("every known gap names a real case", () => {
    const keys = new Set([...CASES.map((c) => c.id), ...Object.keys(corpusManifest().cases)]);
    for (const k of Object.keys(KNOWN_GAPS)) expect(keys.has(k), k).toBe(true);
  });
  for (const c of mal) {
    check(c.id)(`${c.id} (pattern ${c.pattern ?? "other formats"}): ${c.description}`, async () => {
      const f = await scanOne(join(SCAN, c.file));
      expect(RANK[f.highest], describeFinding(f)).toBeGreaterThanOrEqual(RANK[c.expect]);
      // every finding carries one plain sentence about what loading would do
      for (const x of f.findings) {
        expect(x.impact).toMatch(/[.!?]$/);
        expect(x.impact.split(/[.!?](\s|$)/).filter((s: string) => s.trim()).length).toBeLessThanOrEqual(2);
      }
    });
  }
});

describe("benign checkpoints written by the real libraries: scanned, never critical", () => {
  for (const c of CASES.filter((x) => x.label === "benign")) {
    check(c.id)(`${c.file}: ${c.description}`, async () => {
      const f = await scanOne(join(SCAN, c.file));
      expect(f.status, describeFinding(f)).toBe("scanned");
      expect(f.highest, describeFinding(f)).not.toBe("critical");
    });
  }
});

describe("shared corpus", () => {
  const manifest = corpusManifest().cases;
  const dir = join(CORPUS, "pickle", "malicious");
  for (const name of readdirSync(dir).sort()) {
    check(`pickle/malicious/${name}`)(`real exploit ${name}: critical or high`, async () => {
      const f = await scanOne(join(dir, name));
      expect(RANK[f.highest], describeFinding(f)).toBeGreaterThanOrEqual(RANK.high);
    });
  }
  const benign = Object.keys(manifest).filter((k) => {
    const c = manifest[k];
    if (k.startsWith("pickle/malicious/") || k.startsWith("pickle/invalid/") || k.endsWith("/") || c.valid === false) return false;
    return c.format.some((x: string) => ["pickle", "pytorch", "joblib", "torchscript"].includes(x));
  });
  for (const k of benign) {
    check(k)(`benign ${k}: scanned, never critical`, async () => {
      const f = await scanOne(join(CORPUS, k));
      expect(f.status, describeFinding(f)).toBe("scanned");
      expect(f.highest, describeFinding(f)).not.toBe("critical");
    });
  }
});

describe("the whole shared corpus as one directory scan", () => {
  it("no file outside pickle/malicious is critical; the manifest's high cases are at least high", async () => {
    const { scanPath } = await scanner();
    const manifest = corpusManifest().cases;
    const r = await scanPath(CORPUS);
    expect(r.kind).toBe("directory");
    expect(r.summary.files).toBeGreaterThan(200);
    for (const f of r.files) {
      if (f.path.startsWith("pickle/malicious/")) expect(RANK[f.highest], describeFinding(f)).toBeGreaterThanOrEqual(RANK.high);
      else expect(f.highest, `${f.path}: ${describeFinding(f)}`).not.toBe("critical");
      const c = manifest[f.path];
      if (c?.findings === "high") expect(RANK[f.highest], `${f.path}: ${describeFinding(f)}`).toBeGreaterThanOrEqual(RANK.high);
    }
    expect(r.exitCode).toBe(1);
  });
});
