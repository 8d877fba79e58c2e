// Pickles of NumPy arrays as several versions of numpy, dill, joblib and torch write them
// (tests/fixtures/pickle-writers/generate.sh): every array reads back with the bytes the writing
// library itself loads, converts to safetensors, and dill's array wrapper is a tensor, not a finding.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "pickle-writers");
const EXP: Record<string, { writer: string; arrays: Record<string, { dtype: string; shape: number[]; sha256: string }>; malicious?: boolean }> =
  JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-pickle-writers-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (v: ArrayBufferView) => createHash("sha256").update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest("hex");
const HIGH = new Set(["critical", "high"]);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("arrays as each writer pickles them", () => {
  const files = Object.keys(EXP).filter((f) => !EXP[f].malicious);
  it("covers numpy 1.x and 2.x, protocols 0-2, six dill versions, joblib and torch", () => {
    expect(files.filter((f) => /^np1-p[012]\.pkl$/.test(f))).toHaveLength(3);
    expect(files.filter((f) => /^np2-p[012]\.pkl$/.test(f))).toHaveLength(3);
    expect(new Set(files.filter((f) => f.startsWith("dill")).map((f) => f.split("-")[0])).size).toBeGreaterThanOrEqual(6);
    expect(files.some((f) => f.startsWith("joblib") && f.endsWith("-p0.pkl"))).toBe(true);
    expect(files.some((f) => f.startsWith("torch") && f.includes("legacy"))).toBe(true);
  });

  for (const name of files) {
    it(`${name}: every array reads bit for bit as ${EXP[name].writer.split(",")[0]} loads it`, async () => {
      const { open } = await sdk();
      const m = await open(join(DIR, name));
      try {
        for (const [tn, f] of Object.entries(EXP[name].arrays)) {
          const t = m.tensor(tn);
          expect(t, `${name}: ${tn}`).toBeDefined();
          expect(t!.shape, tn).toEqual(f.shape);
          expect(sha(await t!.read()), `${name}: ${tn}`).toBe(f.sha256);
        }
      } finally {
        await m.close();
      }
    });
  }

  it("protocol 0-2 arrays convert to safetensors with their values (none skipped)", async () => {
    const { open } = await sdk();
    for (const name of ["np1-p0.pkl", "np2-p1.pkl", "np2-p2.pkl", "torch2.9.1-np2-legacy.pt"]) {
      const out = join(tmp, name + ".safetensors");
      const r = cli("convert", join(DIR, name), out);
      expect(r.code, r.err).toBe(0);
      expect(r.err).not.toMatch(/skipped (?!.*OBJECT)/);
      const m = await open(out);
      for (const [tn, f] of Object.entries(EXP[name].arrays)) {
        const t = m.tensor(tn);
        expect(t, `${name}: ${tn}`).toBeDefined();
        expect(sha(await t!.read()), `${name}: ${tn}`).toBe(f.sha256);
      }
      await m.close();
    }
  });

  it("the long protocol-2 array is read from its text in windows (more than a MiB of text)", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, "np2-p2.pkl"));
    const t = m.tensor("large")!;
    let n = 0;
    const h = createHash("sha256");
    for await (const c of t.chunks()) {
      n++;
      h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    }
    expect(h.digest("hex")).toBe(EXP["np2-p2.pkl"].arrays.large.sha256);
    expect(t.byteLength).toBe(280_000 * 4);
    await m.close();
  });
});

describe("dill", () => {
  const arrays = Object.keys(EXP).filter((f) => f.startsWith("dill") && f.endsWith("-arrays.pkl"));
  const functions = Object.keys(EXP).filter((f) => f.startsWith("dill") && f.endsWith("-function.pkl"));

  it.each(arrays)("%s: arrays are tensors and nothing is reported at high or above", async (name) => {
    const { open } = await sdk();
    const m = await open(join(DIR, name));
    expect(m.tensors.length).toBe(Object.keys(EXP[name].arrays).length);
    expect(m.findings.filter((f: any) => HIGH.has(f.severity))).toEqual([]);
    await m.close();
    const scan = cli("scan", "--json", join(DIR, name));
    expect(scan.code).toBe(0);
    expect(["none", "info", "low", "medium"]).toContain(JSON.parse(scan.out).highest);
  });

  it.each(functions)("%s: the dill function keeps its critical findings, and the arrays are listed", async (name) => {
    const { open } = await sdk();
    const m = await open(join(DIR, name));
    const crit = m.findings.filter((f: any) => f.severity === "critical").map((f: any) => f.message);
    expect(crit.some((s: string) => s.includes("dill._dill._create_function"))).toBe(true);
    expect(crit.some((s: string) => s.includes("_create_array"))).toBe(false);
    for (const tn of Object.keys(EXP[name].arrays)) expect(m.tensor(tn), tn).toBeDefined();
    await m.close();
  });

  it("_create_array around any callable but numpy's reconstruct stays critical", async () => {
    const name = Object.keys(EXP).find((f) => f.startsWith("mal-dill"))!;
    const { open } = await sdk();
    const m = await open(join(DIR, name));
    expect(m.findings.some((f: any) => f.severity === "critical" && f.message.includes("dill._dill._create_array"))).toBe(true);
    expect(m.tensor("x")).toBeUndefined();
    expect(m.tensor("w")).toBeDefined();
    await m.close();
  });
});

describe("long protocol-0 lines", () => {
  // Text opcodes of protocol 0 carry their argument as one line, up to 16 MiB; decoding one used
  // to cost time quadratic in its length (minutes for a MiB). Each of these is a few MiB.
  const MiB = 1 << 20;
  const cases: Array<[string, Buffer]> = [
    ["UNICODE", Buffer.concat([Buffer.from("V"), Buffer.alloc(3 * MiB, "a"), Buffer.from("\n.")])],
    ["INT", Buffer.concat([Buffer.from("I"), Buffer.alloc(3 * MiB, "7"), Buffer.from("\n.")])],
    ["LONG", Buffer.concat([Buffer.from("L"), Buffer.alloc(3 * MiB, "9"), Buffer.from("L\n.")])],
    ["FLOAT", Buffer.concat([Buffer.from("F"), Buffer.alloc(3 * MiB, "1"), Buffer.from("\n.")])],
  ];
  for (const [op, bytes] of cases) {
    it(`${op} with a 3 MiB argument is read (or refused) at once`, async () => {
      const { open } = await sdk();
      try {
        const m = await open(new Uint8Array(bytes), { format: "pickle" });
        await m.close();
      } catch (e: any) {
        expect(e.name).toBe("OmnimodelError");
      }
    }, 20_000);
  }
});
