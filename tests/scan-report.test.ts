// The scanner's decisions on synthetic reports (no core involved): exit codes, the summary,
// SARIF levels and locations, and the impact sentences for each kind of finding.
import { describe, expect, it } from "vitest";

async function scan() {
  await import("../dist/bindings/node-index.js"); // the Node host: where the core's wasm is
  return import("../dist/ts/scan/index.js");
}

type F = { severity: "critical" | "high" | "medium" | "low" | "info"; code: string; message: string; location: string; impact: string };
const finding = (severity: F["severity"], code = "pickle-global", message = "os.system: imports from os", location = "offset 7"): F =>
  ({ severity, code, message, location, impact: "x." });
function file(path: string, status: "scanned" | "skipped" | "unreadable", findings: F[] = []) {
  const rank = ["none", "info", "low", "medium", "high", "critical"];
  const highest = findings.reduce((a, f) => (rank.indexOf(f.severity) > rank.indexOf(a) ? f.severity : a), "none" as string);
  return { path, format: status === "scanned" ? "pickle" : null, loader: null, size: 10, findings, highest: highest as any, status,
    ...(status === "scanned" ? {} : { error: { code: status === "skipped" ? "UNKNOWN_FORMAT" : "CORRUPT", message: "m" } }) };
}

describe("exit codes and summary", () => {
  it("a finding at the threshold wins over an unreadable file; skipped files never count", async () => {
    const { exitCodeFor, finishReport } = await scan();
    expect(exitCodeFor([file("a", "scanned", [finding("high")]), file("b", "unreadable")], "high")).toBe(1);
    expect(exitCodeFor([file("a", "scanned", [finding("medium")]), file("b", "unreadable")], "high")).toBe(2);
    expect(exitCodeFor([file("a", "scanned", [finding("medium")]), file("README.md", "skipped")], "high")).toBe(0);
    expect(exitCodeFor([file("a", "scanned", [finding("medium")])], "medium")).toBe(1);
    // a single named file that is not a model is unreadable, in a directory it is skipped
    expect(finishReport("x", "file", [file("x", "skipped")], "high").exitCode).toBe(2);
    expect(finishReport("d", "directory", [file("x", "skipped")], "high").exitCode).toBe(0);
  });
  it("the summary counts files by their highest finding", async () => {
    const { finishReport } = await scan();
    const r = finishReport("d", "directory", [
      file("a", "scanned", [finding("critical"), finding("low")]), file("b", "scanned", [finding("info")]), file("c", "scanned"),
      file("d", "skipped"), file("e", "unreadable"), file("f", "unreadable", [finding("high", "path-escape")]),
    ], "critical");
    expect(r.summary).toMatchObject({ files: 6, scanned: 3, skipped: 1, unreadable: 2, highest: "critical" });
    expect(r.summary.byLevel).toMatchObject({ critical: 1, high: 1, medium: 0, low: 0, info: 1, none: 1 });
    expect(r.exitCode).toBe(1);
  });
});

describe("SARIF mapping", () => {
  it("levels, rules (worst severity per code), byte offsets and base URIs", async () => {
    const { finishReport, toSarif } = await scan();
    const r = finishReport("d", "directory", [
      file("sub dir/a.pkl", "scanned", [finding("critical"), finding("low", "pickle-global", "x.y: unknown", "")]),
      file("b.npy", "scanned", [finding("medium", "pickled-object-array", "m", "offset 128")]),
    ], "high");
    const log: any = toSarif(r, { version: "1.2.3", baseUri: "file:///repo/" });
    const run = log.runs[0];
    expect(run.tool.driver.version).toBe("1.2.3");
    expect(run.originalUriBaseIds.SCANROOT.uri).toBe("file:///repo/");
    expect(run.artifacts[0].location).toEqual({ uri: "sub%20dir/a.pkl", uriBaseId: "SCANROOT" });
    expect(run.tool.driver.rules.map((x: any) => [x.id, x.defaultConfiguration.level])).toEqual([["pickle-global", "error"], ["pickled-object-array", "warning"]]);
    expect(run.results.map((x: any) => x.level)).toEqual(["error", "note", "warning"]);
    expect(run.results[0].locations[0].physicalLocation.region).toEqual({ byteOffset: 7 });
    expect(run.results[1].locations[0].physicalLocation.region).toBeUndefined();
    expect(run.results[2].locations[0].physicalLocation.artifactLocation.index).toBe(1);
  });
});

describe("impact sentences", () => {
  it("say what the usual loader would do, in one sentence", async () => {
    const { impactOf, ready } = await scan();
    await ready();
    const s = (sev: F["severity"], code: string, message: string, format: string) => impactOf({ severity: sev, code, message, location: "" }, format);
    expect(s("critical", "pickle-global", "os.system: imports from os", "pytorch")).toBe(
      "torch.load(weights_only=False) would import os.system, which can run code, start processes or reach files and the network.");
    expect(s("critical", "pickle-global", "nested: os.system: imports from os", "pickle")).toMatch(/^pickle\.load would import os\.system from a pickle nested inside this one/);
    expect(s("critical", "pickle-global", "<result of builtins.str>.<result of builtins.str>: global name assembled at run time (not a literal string)", "pickle"))
      .toMatch(/only computed while loading/);
    expect(s("high", "pickle-expansion", "shared references expand to about 1e9 values", "pickle")).toMatch(/^pickle\.load would build an enormous structure/);
    expect(s("high", "keras-lambda", "Lambda layer \"double\" carries marshal-ed Python bytecode that Keras runs when the model is loaded or called", "keras"))
      .toBe("When loaded with keras.models.load_model: Lambda layer \"double\" carries marshal-ed Python bytecode that Keras runs when the model is loaded or called.");
    expect(s("high", "zip-path-escape", "zip: member \"../x\" leaves the folder. More text.", "zip")).toBe("When loaded with an unzip tool: zip: member \"../x\" leaves the folder. More text.");
    expect(s("low", "extension-mismatch", "The file is named .mar but its content is zip; tools would misread it.", "zip")).toBe("The file is named .mar but its content is zip; tools would misread it.");
  });
});
