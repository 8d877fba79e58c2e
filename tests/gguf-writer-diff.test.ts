// `omnimodel diff A B`: the gguf-py-written fixture against itself and against our Q8_0 file of
// it (whose values tests/gguf-writer.test.ts checks against gguf-py's quantizer).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/core";

const DIR = join(ROOT, "tests", "fixtures", "gguf-writer", "convert");
const SRC = join(DIR, "source.gguf");
const dir = mkdtempSync(join(tmpdir(), "omnimodel-diff-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });

describe("diff", () => {
  it("a file equals itself (exit 0)", () => {
    const r = cli("diff", SRC, SRC);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/6 tensors compared: within tolerance 0/);
  });

  it("a quantized copy differs by about a quantization step; --tolerance decides the exit status", () => {
    const q = join(dir, "q8.gguf");
    expect(cli("convert", SRC, q, "--type", "Q8_0").status).toBe(0);
    const r = cli("diff", SRC, q, "--json");
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout);
    const attn = d.tensors.find((t: { name: string }) => t.name === "blk.0.attn_q.weight");
    expect(attn.dtype).toEqual(["F32", "Q8_0"]);
    expect(attn.maxAbs).toBeGreaterThan(0);
    expect(attn.maxAbs).toBeLessThan(0.05);
    expect(attn.cosine).toBeGreaterThan(0.9999);
    expect(attn.cosine).toBeLessThan(1);
    const norm = d.tensors.find((t: { name: string }) => t.name === "blk.0.attn_norm.weight");
    expect(norm.maxAbs).toBe(0); // vectors stay F32
    expect(d.metadata).toEqual([{ key: "general.file_type", b: 7 }]);
    expect(cli("diff", SRC, q, "--tolerance", "0.05").status).toBe(0);
  });

  it("missing tensors and shape changes are differences", () => {
    const npz = join(DIR, "source.npz"); // same arrays under other names
    const r = cli("diff", SRC, npz, "--json");
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout);
    expect(d.onlyInA).toContain("blk.0.attn_q.weight");
    expect(d.onlyInB).toContain("blk_0_attn_q_weight");
  });

  it("refuses a bad tolerance", () => {
    expect(cli("diff", SRC, SRC, "--tolerance", "abc").stderr).toMatch(/not a non-negative number/);
  });
});
