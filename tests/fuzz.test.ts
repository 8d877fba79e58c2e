// The fuzzer as a test: a fixed seed and a fixed count of mutated inputs over every fixture (and
// the corpus when it is beside the project), in supervised children. Anything but ok/typed fails.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/core";

describe("npm run fuzz", () => {
  it("a seeded pass of 6000 mutated inputs ends ok or typed for every format", () => {
    const out = mkdtempSync(join(tmpdir(), "omnimodel-fuzz-"));
    try {
      const r = spawnSync(process.execPath, [join(ROOT, "scripts", "fuzz", "fuzz.mjs"), "--seed", "1", "--count", "6000", "--minutes", "30", "--out", out], { encoding: "utf8", cwd: ROOT });
      const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
      expect(summary.failures, r.stdout).toEqual([]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(summary.mutatedInputs).toBe(6000);
      let typed = 0;
      for (const row of Object.values<any>(summary.counts)) typed += row.typed;
      expect(typed).toBeGreaterThan(0); // the mutations do reach the error paths
      expect(Object.keys(summary.counts).length).toBeGreaterThan(15);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 900_000);
});
