// Every pickle found anywhere is scanned with the same policy (tests/fixtures/scan-recursion,
// payloads written by pickle/numpy/zipfile/tarfile/joblib, never loaded), and a part that could
// not be scanned is a medium scan-incomplete finding: the summary says "incomplete" and
// `--fail-on medium` counts it. Plus the directory summary of a SavedModel with file operations.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "./helpers/core";

const DIR = join(FIXTURES, "scan-recursion");

async function scan(path: string, failOn?: string) {
  await import("../dist/bindings/node-index.js");
  const { scanPath } = await import("../dist/ts/scan/index.js");
  return scanPath(path, failOn ? { failOn: failOn as any } : {});
}

const show = (f: any) => `${f.status} ${f.highest}: ${f.findings.map((x: any) => `${x.severity} ${x.code} ${x.message}`).join(" | ")}`;

describe("payloads inside containers are critical", () => {
  const cases: [string, string][] = [
    ["npz-deflated-object.npz", "evil"],
    ["npz-stored-object.npz", "evil"],
    ["zip-npy-deflated.zip", "arrays/evil.npy"],
    ["zip-npy-stored.zip", "arrays/evil.npy"],
    ["zip-in-zip.zip", "inner.zip"],
    ["tar-in-zip.zip", "inner.tar"],
    ["zip-in-tar.tar", "inner.zip"],
    ["npz-in-tgz.tar.gz", "model/arrays.npz"],
    ["extra-pickle.mar", "index_to_name.pkl"],
    ["extra-pickle.tar.gz", "index_to_name.pkl"],
    ["joblib-side/model.pkl", "model.pkl_01.npy"],
  ];
  for (const [file, where] of cases) {
    it(`${file}: os.system found in ${where}`, async () => {
      const r = await scan(join(DIR, file));
      const f = r.files[0];
      expect(f.status, show(f)).toBe("scanned");
      expect(f.highest, show(f)).toBe("critical");
      const hit = f.findings.find((x: any) => x.severity === "critical" && x.code === "pickle-global" && x.message.includes("os.system"));
      expect(hit, show(f)).toBeDefined();
      expect(`${hit!.location} ${hit!.member ?? ""}`).toContain(where);
      expect(r.summary.coverage).toBe("complete");
    });
  }
});

describe("incomplete is not clean", () => {
  const cases: [string, RegExp][] = [
    ["incomplete-bzip2-member.zip", /data\.pkl.*compression method 12 \(bzip2\) is not supported/],
    ["incomplete-encrypted-member.zip", /data\.pkl.*encrypted/],
    ["incomplete-corrupt-child.zip", /inner\.zip.*compressed data is corrupt/],
    ["incomplete-unreadable-child.zip", /weights\/cut\.npy: the member could not be read \(TRUNCATED/],
    ["incomplete-deep-nesting.zip", /nested deeper than 4 levels were not scanned/],
  ];
  for (const [file, reason] of cases) {
    it(`${file}: a medium scan-incomplete finding with the reason`, async () => {
      const r = await scan(join(DIR, file));
      const f = r.files[0];
      const inc = f.findings.filter((x: any) => x.code === "scan-incomplete");
      expect(inc.length, show(f)).toBeGreaterThan(0);
      for (const x of inc) expect(x.severity).toBe("medium");
      expect(inc.some((x: any) => reason.test(x.message)), show(f)).toBe(true);
      expect(r.summary.coverage).toBe("incomplete");
      expect(r.summary.incomplete).toBe(1);
      expect(r.exitCode).toBe(RANK_HIGH_OR_ABOVE(f.highest) ? 1 : 0);
      expect((await scan(join(DIR, file), "medium")).exitCode).toBe(1);
    });
  }
  it("a complete scan says so", async () => {
    const r = await scan(join(FIXTURES, "scan-allowlist", "pandas-frame.pkl"));
    expect(r.summary.coverage).toBe("complete");
    expect(r.summary.incomplete).toBe(0);
  });
  it("the CLI table says incomplete and --fail-on medium exits 1", () => {
    const cli = join(ROOT, "bin", "omnimodel.js");
    const t = spawnSync(process.execPath, [cli, "scan", join(DIR, "incomplete-encrypted-member.zip")], { encoding: "utf8" });
    expect(t.stdout).toMatch(/scan incomplete: 1 file/);
    expect(t.status).toBe(0);
    const m = spawnSync(process.execPath, [cli, "scan", join(DIR, "incomplete-encrypted-member.zip"), "--fail-on", "medium"], { encoding: "utf8" });
    expect(m.status).toBe(1);
    const j = JSON.parse(spawnSync(process.execPath, [cli, "scan", "--json", join(DIR, "incomplete-bzip2-member.zip")], { encoding: "utf8" }).stdout);
    expect(j.summary.coverage).toBe("incomplete");
  });
});

describe("a tar.gz cut inside a pax extended header", () => {
  it("is a typed TRUNCATED error (it trapped in the tar walker)", async () => {
    await import("../dist/bindings/node-index.js");
    const { open } = await import("../dist/ts/open.js");
    const { OmnimodelError } = await import("../dist/ts/errors.js");
    const err = await open(join(DIR, "truncated-pax-header.tar.gz")).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OmnimodelError);
    expect((err as any).code).toBe("TRUNCATED");
    expect((err as Error).message).toMatch(/ends inside an extended header's data/);
  });
});

function RANK_HIGH_OR_ABOVE(level: string): boolean {
  return level === "high" || level === "critical";
}

describe("SavedModel directory: the summary agrees with the findings", () => {
  const sm = join(FIXTURES, "tf", "fileop_savedmodel");
  it("scanPath(DIR): ReadFile and WriteFile are high, and so is the summary", async () => {
    const r = await scan(sm);
    expect(r.kind).toBe("directory");
    const pb = r.files.find((f: any) => f.path === "saved_model.pb")!;
    expect(pb.findings.filter((x: any) => x.code === "file-op").map((x: any) => x.message.split(" ")[1]).sort()).toEqual(["ReadFile", "WriteFile"]);
    expect(pb.highest).toBe("high");
    expect(r.summary.highest).toBe("high");
    expect(r.summary.byLevel.high).toBe(1);
    expect(r.exitCode).toBe(1);
  });
  it("scan --json DIR has a top-level highest and the findings with their files", () => {
    const out = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), "scan", "--json", sm], { encoding: "utf8" });
    expect(out.status).toBe(1);
    const j = JSON.parse(out.stdout);
    expect(j.highest).toBe("high");
    expect(j.summary.highest).toBe("high");
    expect(j.findings.map((x: any) => `${x.file} ${x.severity}`)).toEqual(["saved_model.pb high", "saved_model.pb high"]);
  });
  it("the table's summary line says HIGH", () => {
    const out = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), "scan", sm], { encoding: "utf8" });
    expect(out.stdout).toMatch(/highest: HIGH; findings at or above high \(exit 1\)/);
  });
});
