// Keras configs naming callables outside Keras (assembly/formats/keras/keras-callables.ts), in the
// three places a Keras config lives: .keras config.json, legacy .h5 model_config, TF.js
// modelTopology. Files written by Keras 3.15.1 and edited (tests/fixtures/scan/keras-callables).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "scan", "keras-callables");
const EXPECTED = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8"));

async function scanOne(path: string) {
  await sdk();
  const { scanPath } = await import("../dist/ts/scan/index.js");
  return (await scanPath(path)).files[0];
}

describe("Keras function-valued and registered configs", () => {
  for (const [rel, level] of Object.entries(EXPECTED.cases as Record<string, string>)) {
    it(`${rel}: ${level}`, async () => {
      const p = join(DIR, rel);
      expect(createHash("sha256").update(readFileSync(p)).digest("hex")).toBe(EXPECTED.sha256[rel]);
      const f = await scanOne(p);
      expect(f.status).toBe("scanned");
      expect(f.format).toBe(rel.endsWith("model.json") ? "tfjs" : "keras");
      if (level === "benign") {
        expect(f.findings.filter((x: any) => ["medium", "high", "critical"].includes(x.severity)).map((x: any) => x.message)).toEqual([]);
        return;
      }
      expect(f.highest).toBe(level);
      const hit = f.findings.find((x: any) => x.severity === level && x.code.startsWith("keras-"))!;
      expect(hit.message).toMatch(rel.includes("getoutput") ? /subprocess\.getoutput/ : rel.includes("exec") ? /builtins>exec/ : /acme_layers\.activations\.swishy/);
      expect(hit.location).toMatch(/layers\[\d\]/);
    });
  }
});
