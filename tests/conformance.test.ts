// Node's side of the host-conformance list (tests/conformance/facts.json): the same facts are
// checked by Deno, Chromium, workerd, CPython, Pyodide, Go and Rust (tests/hosts/run.sh).
import { readFileSync } from "node:fs";
import { join, basename } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, sdk } from "./helpers/core.js";
// @ts-ignore plain JS shared with the other JavaScript hosts
import { checkAll, mismatches, observe, siblingsOf } from "./conformance/check.mjs";

const facts = JSON.parse(readFileSync(join(ROOT, "tests", "conformance", "facts.json"), "utf8"));

describe("host conformance (Node)", () => {
  it("has a meaningful list: values, findings and errors", () => {
    expect(facts.cases.length).toBeGreaterThanOrEqual(8);
    expect(facts.cases.some((c: any) => c.error)).toBe(true);
    expect(facts.cases.some((c: any) => c.highest && c.highest !== "none")).toBe(true);
    expect(facts.cases.flatMap((c: any) => c.tensors ?? []).filter((t: any) => t.f32_sha256).length).toBeGreaterThan(5);
  });

  for (const c of facts.cases) {
    it(`${c.file} from a path`, async () => {
      const { open } = await sdk();
      expect(mismatches(c, await observe(open, join(ROOT, c.file)))).toEqual([]);
    });
  }

  it("every case from bytes", async () => {
    const { open } = await sdk();
    const load = (f: string) => new Uint8Array(readFileSync(join(ROOT, f)));
    const r = await checkAll(open, facts, load, async (f: string, c: any) => ({ name: basename(f), siblings: await siblingsOf(c, load) }));
    expect(r.failures).toEqual({});
    expect(r.passed).toBe(facts.cases.length);
  });

  it("the check fails on a wrong fact", async () => {
    const { open } = await sdk();
    const c = structuredClone(facts.cases.find((x: any) => x.file.endsWith("mixed.safetensors")));
    c.tensors[0].sha256 = "0".repeat(64);
    c.highest = "critical";
    const got = mismatches(c, await observe(open, join(ROOT, c.file)));
    expect(got.length).toBe(2);
  });
});
