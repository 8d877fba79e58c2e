// The core's layout rules: one folder per format family under assembly/formats/, and no format
// module imports the registry (detection reaches them through format.ts), so the registry is the
// only module that knows every format and no import circle runs through it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/core";

const FORMATS = join(ROOT, "assembly", "formats");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : n.endsWith(".ts") ? [p] : [];
  });
}

describe("core layout", () => {
  it("format modules live in family folders; only shared infrastructure stays at the top", () => {
    const top = readdirSync(FORMATS).filter((n) => n.endsWith(".ts")).sort();
    expect(top).toEqual(["cursor.ts", "extensions.ts", "format.ts", "registry.ts"]);
  });

  it("no module under assembly/formats/ imports the registry", () => {
    const offenders = tsFiles(FORMATS)
      .filter((f) => !f.endsWith("registry.ts"))
      .filter((f) => /from\s+["'][./]*registry["']/.test(readFileSync(f, "utf8")))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it("every format module the registry lists is imported from a family folder", () => {
    const reg = readFileSync(join(FORMATS, "registry.ts"), "utf8");
    const specs = [...reg.matchAll(/from\s+"\.\/([^"]+)"/g)].map((m) => m[1]).filter((s) => s !== "format");
    expect(specs.length).toBeGreaterThan(15);
    for (const s of specs) expect(s, s).toMatch(/^[a-z0-9-]+\/[a-z0-9-]+$/);
  });
});
