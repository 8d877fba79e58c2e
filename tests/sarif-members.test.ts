// SARIF locations of findings inside archive members: a stored member's finding points at the
// byte in the scanned file (member data start + offset in the member); a deflated member has no
// such byte, so the member and its offset are a logical location.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "./helpers/core";
import { zipOf } from "./helpers/zip";

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-sarif-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pkl = new Uint8Array(readFileSync(join(FIXTURES, "scan", "malicious", "A02a-os-system.pkl")));

function sarifOf(path: string) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), "scan", "--sarif", path], { encoding: "utf8" });
  expect(r.status).toBe(1);
  return JSON.parse(r.stdout).runs[0].results as any[];
}

function plainOffset(): number {
  const direct = sarifOf(join(FIXTURES, "scan", "malicious", "A02a-os-system.pkl"));
  const r = direct.find((x) => x.ruleId === "pickle-global");
  return r.locations[0].physicalLocation.region.byteOffset;
}

describe("SARIF locations inside archive members", () => {
  it("a stored member: byteOffset is the byte in the zip, equal to the member's byte", () => {
    const zip = zipOf("weights/evil.pkl", pkl, 0);
    const path = join(tmp, "stored.zip");
    writeFileSync(path, zip);
    const inner = plainOffset();
    const r = sarifOf(path).find((x) => x.ruleId === "pickle-global");
    const loc = r.locations[0];
    const at = loc.physicalLocation.region.byteOffset;
    const dataStart = 30 + "weights/evil.pkl".length; // local header + name, no extra field
    expect(at).toBe(dataStart + inner);
    expect(Buffer.from(zip.subarray(at, at + 8))).toEqual(Buffer.from(pkl.subarray(inner, inner + 8)));
    expect(loc.logicalLocations[0]).toMatchObject({ name: "weights/evil.pkl", kind: "member", fullyQualifiedName: `weights/evil.pkl@${inner}` });
  });

  it("a deflated member: no byte in the file, the member and its offset as a logical location", () => {
    const path = join(tmp, "deflated.zip");
    writeFileSync(path, zipOf("evil.pkl", pkl, 8));
    const inner = plainOffset();
    const r = sarifOf(path).find((x) => x.ruleId === "pickle-global");
    const loc = r.locations[0];
    expect(loc.physicalLocation.region).toBeUndefined();
    expect(loc.logicalLocations[0]).toMatchObject({ name: "evil.pkl", properties: { byteOffset: inner } });
  });

  it("a stored zip inside a stored zip: offsets add up through both", () => {
    const innerZip = zipOf("evil.pkl", pkl, 0);
    const outer = zipOf("nested/inner.zip", innerZip, 0);
    const path = join(tmp, "nested.zip");
    writeFileSync(path, outer);
    const r = sarifOf(path).find((x) => x.ruleId === "pickle-global");
    const at = r.locations[0].physicalLocation.region.byteOffset;
    const inner = plainOffset();
    expect(at).toBe(30 + "nested/inner.zip".length + 30 + "evil.pkl".length + inner);
    expect(r.locations[0].logicalLocations[0].name).toBe("nested/inner.zip/evil.pkl");
  });
});
