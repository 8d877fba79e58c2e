// `omnimodel scan` as a product: exit codes (0 below the threshold, 1 at or above, 2 unreadable),
// `scan DIR` over a model repository with a summary, `--json`, the human table, and `--sarif`
// checked against the required fields of the SARIF 2.1.0 schema.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "./helpers/core";

const SCAN = join(FIXTURES, "scan");
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-scan-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const RANK: Record<string, number> = { none: 0, info: 1, low: 2, medium: 3, high: 4, critical: 5 };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), "scan", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const MAL = join(SCAN, "malicious", "A02a-os-system.pkl");
const SAFE = join(SCAN, "benign", "weights.safetensors");

/** A small model repository: clean weights, a config, a README, and optionally a payload. */
function repo(name: string, extra: Record<string, string> = {}): string {
  const d = join(tmp, name);
  mkdirSync(join(d, "sub"), { recursive: true });
  copyFileSync(SAFE, join(d, "model.safetensors"));
  copyFileSync(join(SCAN, "benign", "torch-state-dict-legacy.pt"), join(d, "sub", "pytorch_model.bin"));
  writeFileSync(join(d, "README.md"), "# a model\n");
  mkdirSync(join(d, ".git"), { recursive: true });
  copyFileSync(MAL, join(d, ".git", "ignored-object"));
  for (const [to, from] of Object.entries(extra)) copyFileSync(from, join(d, to));
  return d;
}

describe("scan exit codes", () => {
  it("a malicious file exits 1 and a clean one 0 at the default threshold (high)", () => {
    expect(cli(MAL).code).toBe(1);
    expect(cli(SAFE).code).toBe(0);
  });
  it("--fail-on moves the threshold: exit 1 exactly when the highest finding reaches it", () => {
    for (const f of [MAL, SAFE, join(SCAN, "benign", "numpy-object.npy"), join(SCAN, "malicious", "B19-EXT1-ext-ext1.pkl")]) {
      const highest = JSON.parse(cli("--json", f).out).highest;
      for (const level of ["critical", "high", "medium", "low", "info"]) {
        const want = RANK[highest] >= RANK[level] ? 1 : 0;
        expect(cli(f, "--fail-on", level).code, `${f} ${highest} vs ${level}`).toBe(want);
      }
    }
  });
  it("unreadable input exits 2: missing file, not a model, a bad --fail-on", () => {
    expect(cli(join(tmp, "nope.pkl")).code).toBe(2);
    const txt = join(tmp, "plain.txt");
    writeFileSync(txt, "just some text, not a model\n");
    expect(cli(txt).code).toBe(2);
    expect(cli(SAFE, "--fail-on", "severe").code).toBe(2);
  });
});

describe("scan DIR", () => {
  it("walks every file (by content, not name), skips non-model files and .git, and exits by the worst finding", () => {
    const d = repo("infected", { "notes.txt": MAL });
    const r = cli("--json", d);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.kind).toBe("directory");
    const paths = j.files.map((f: any) => f.path).sort();
    expect(paths).toEqual(["README.md", "model.safetensors", "notes.txt", "sub/pytorch_model.bin"]);
    const notes = j.files.find((f: any) => f.path === "notes.txt");
    expect(notes.highest).toBe("critical");
    expect(j.files.find((f: any) => f.path === "README.md").status).toBe("skipped");
    expect(j.summary).toMatchObject({ files: 4, skipped: 1, unreadable: 0, highest: "critical" });
    expect(j.summary.scanned).toBe(3);
    expect(j.exitCode).toBe(1);
  });
  it("a clean repository exits 0; one with an unreadable model file exits 2", () => {
    const clean = repo("clean");
    expect(cli(clean).code).toBe(0);
    const broken = repo("broken");
    const st = readFileSync(SAFE);
    writeFileSync(join(broken, "truncated.safetensors"), st.subarray(0, st.length - 5));
    const r = cli("--json", broken);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).summary.unreadable).toBe(1);
  });
  it("the human table lists each file with findings, the plain sentence, and a summary line", () => {
    const d = repo("table", { "evil.pkl": MAL });
    const r = cli(d);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/evil\.pkl\s+pickle\s+CRITICAL\s+\d/);
    expect(r.out).toMatch(/CRITICAL\s+pickle-global: pickle\.load would import os\.system/);
    expect(r.out).toMatch(/files by highest finding: critical 1, /);
    expect(r.out).toMatch(/\(exit 1\)\s*$/);
  });
});

// Required properties from the OASIS SARIF 2.1.0 JSON schema (sarif-spec sarif-2.1/schema/sarif-schema-2.1.0.json):
// sarifLog {version, runs}; run {tool}; tool {driver}; toolComponent {name}; result {message};
// message {text | id}; reportingDescriptor {id}; invocation {executionSuccessful};
// notification {message}; plus the enums and minimums the schema declares.
// Property names each object may have (sarif-schema-2.1.0.json declares additionalProperties: false).
const SARIF_KEYS: Record<string, string[]> = {
  sarifLog: ["$schema", "inlineExternalProperties", "properties", "runs", "version"],
  run: ["addresses", "artifacts", "automationDetails", "baselineGuid", "columnKind", "conversion", "defaultEncoding", "defaultSourceLanguage", "externalPropertyFileReferences", "graphs", "invocations", "language", "logicalLocations", "newlineSequences", "originalUriBaseIds", "policies", "properties", "redactionTokens", "results", "runAggregates", "specialLocations", "taxonomies", "threadFlowLocations", "tool", "translations", "versionControlProvenance", "webRequests", "webResponses"],
  tool: ["driver", "extensions", "properties"],
  toolComponent: ["associatedComponent", "contents", "dottedQuadFileVersion", "downloadUri", "fullDescription", "fullName", "globalMessageStrings", "guid", "informationUri", "isComprehensive", "language", "localizedDataSemanticVersion", "locations", "minimumRequiredLocalizedDataSemanticVersion", "name", "notifications", "organization", "product", "productSuite", "properties", "releaseDateUtc", "rules", "semanticVersion", "shortDescription", "supportedTaxonomies", "taxa", "translationMetadata", "version"],
  reportingDescriptor: ["defaultConfiguration", "deprecatedGuids", "deprecatedIds", "deprecatedNames", "fullDescription", "guid", "help", "helpUri", "id", "messageStrings", "name", "properties", "relationships", "shortDescription"],
  reportingConfiguration: ["enabled", "level", "parameters", "properties", "rank"],
  multiformatMessageString: ["markdown", "properties", "text"],
  artifact: ["contents", "description", "encoding", "hashes", "lastModifiedTimeUtc", "length", "location", "mimeType", "offset", "parentIndex", "properties", "roles", "sourceLanguage"],
  artifactLocation: ["description", "index", "properties", "uri", "uriBaseId"],
  result: ["analysisTarget", "attachments", "baselineState", "codeFlows", "correlationGuid", "fingerprints", "fixes", "graphTraversals", "graphs", "guid", "hostedViewerUri", "kind", "level", "locations", "message", "occurrenceCount", "partialFingerprints", "properties", "provenance", "rank", "relatedLocations", "rule", "ruleId", "ruleIndex", "stacks", "suppressions", "taxa", "webRequest", "webResponse", "workItemUris"],
  location: ["annotations", "id", "logicalLocations", "message", "physicalLocation", "properties", "relationships"],
  physicalLocation: ["address", "artifactLocation", "contextRegion", "properties", "region"],
  region: ["byteLength", "byteOffset", "charLength", "charOffset", "endColumn", "endLine", "message", "properties", "snippet", "sourceLanguage", "startColumn", "startLine"],
  message: ["arguments", "id", "markdown", "properties", "text"],
  invocation: ["account", "arguments", "commandLine", "endTimeUtc", "environmentVariables", "executableLocation", "executionSuccessful", "exitCode", "exitCodeDescription", "exitSignalName", "exitSignalNumber", "machine", "notificationConfigurationOverrides", "processId", "processStartFailureMessage", "properties", "responseFiles", "ruleConfigurationOverrides", "startTimeUtc", "stderr", "stdin", "stdout", "stdoutStderr", "toolConfigurationNotifications", "toolExecutionNotifications", "workingDirectory"],
  notification: ["associatedRule", "descriptor", "exception", "level", "locations", "message", "properties", "threadId", "timeUtc"],
};

function checkSarif(log: any): string[] {
  const errs: string[] = [];
  const need = (cond: boolean, what: string) => { if (!cond) errs.push(what); };
  const keys = (o: any, kind: string, where: string) => {
    if (o === undefined) return;
    for (const k of Object.keys(o)) need(SARIF_KEYS[kind].includes(k), `${where}: "${k}" is not a ${kind} property`);
  };
  const isInt = (x: any, min = 0) => Number.isInteger(x) && x >= min;
  const message = (m: any, where: string) => need(m && (typeof m.text === "string" || typeof m.id === "string"), `${where}.message needs text or id`);
  const artifactLocation = (a: any, where: string, artifacts: any[]) => {
    need(a && typeof a.uri === "string" && a.uri.length > 0, `${where}.uri`);
    keys(a, "artifactLocation", where);
    if (a?.index !== undefined) need(isInt(a.index, -1) && a.index < artifacts.length, `${where}.index in range`);
    if (a?.uriBaseId !== undefined) need(typeof a.uriBaseId === "string", `${where}.uriBaseId`);
  };
  keys(log, "sarifLog", "log");
  need(log.version === "2.1.0", "version is 2.1.0");
  need(typeof log.$schema === "string" && /sarif/.test(log.$schema), "$schema");
  need(Array.isArray(log.runs), "runs is an array");
  for (const [ri, run] of (log.runs ?? []).entries()) {
    const w = `runs[${ri}]`;
    keys(run, "run", w);
    keys(run.tool, "tool", `${w}.tool`);
    keys(run.tool?.driver, "toolComponent", `${w}.tool.driver`);
    need(run.tool?.driver && typeof run.tool.driver.name === "string", `${w}.tool.driver.name`);
    const rules = run.tool?.driver?.rules ?? [];
    const ids = new Set<string>();
    for (const [k, rule] of rules.entries()) {
      need(typeof rule.id === "string", `${w}.rules[${k}].id`);
      keys(rule, "reportingDescriptor", `${w}.rules[${k}]`);
      keys(rule.defaultConfiguration, "reportingConfiguration", `${w}.rules[${k}].defaultConfiguration`);
      keys(rule.shortDescription, "multiformatMessageString", `${w}.rules[${k}].shortDescription`);
      need(!ids.has(rule.id), `${w}.rules ids unique`);
      ids.add(rule.id);
      const lvl = rule.defaultConfiguration?.level;
      if (lvl !== undefined) need(["none", "note", "warning", "error"].includes(lvl), `${w}.rules[${k}] level enum`);
      const sec = Number(rule.properties?.["security-severity"]);
      need(sec >= 0 && sec <= 10, `${w}.rules[${k}] security-severity 0-10`);
    }
    const artifacts = run.artifacts ?? [];
    for (const [k, a] of artifacts.entries()) {
      keys(a, "artifact", `${w}.artifacts[${k}]`);
      artifactLocation(a.location, `${w}.artifacts[${k}].location`, artifacts);
      if (a.length !== undefined) need(isInt(a.length, -1), `${w}.artifacts[${k}].length`);
    }
    if (run.originalUriBaseIds) for (const [k, v] of Object.entries<any>(run.originalUriBaseIds)) need(/^file:\/\/.*\/$/.test(v.uri), `${w}.originalUriBaseIds.${k} is a folder URI`);
    need(Array.isArray(run.results), `${w}.results`);
    for (const [k, r] of (run.results ?? []).entries()) {
      const rw = `${w}.results[${k}]`;
      keys(r, "result", rw);
      keys(r.message, "message", `${rw}.message`);
      message(r.message, rw);
      need(["none", "note", "warning", "error"].includes(r.level), `${rw}.level enum`);
      need(ids.has(r.ruleId), `${rw}.ruleId names a rule`);
      need(isInt(r.ruleIndex, -1) && rules[r.ruleIndex]?.id === r.ruleId, `${rw}.ruleIndex matches ruleId`);
      for (const loc of r.locations ?? []) {
        keys(loc, "location", `${rw}.location`);
        keys(loc.physicalLocation, "physicalLocation", `${rw}.physicalLocation`);
        keys(loc.physicalLocation?.region, "region", `${rw}.region`);
        artifactLocation(loc.physicalLocation?.artifactLocation, `${rw}.artifactLocation`, artifacts);
        const reg = loc.physicalLocation?.region;
        if (reg) need(isInt(reg.byteOffset) && (reg.byteLength === undefined || isInt(reg.byteLength)), `${rw}.region byteOffset`);
      }
    }
    for (const [k, inv] of (run.invocations ?? []).entries()) {
      need(typeof inv.executionSuccessful === "boolean", `${w}.invocations[${k}].executionSuccessful`);
      keys(inv, "invocation", `${w}.invocations[${k}]`);
      for (const note of inv.toolExecutionNotifications ?? []) keys(note, "notification", `${w}.invocations[${k}] notification`);
      for (const [n, note] of (inv.toolExecutionNotifications ?? []).entries()) message(note.message, `${w}.invocations[${k}].notifications[${n}]`);
    }
  }
  return errs;
}

describe("scan --sarif", () => {
  it("a repository with a payload and a broken file gives valid SARIF 2.1.0", () => {
    const d = repo("sarif", { "evil.pkl": MAL, "model v2.pt": join(SCAN, "malicious", "D35-0x1-zip-flag-0x1.pt") });
    writeFileSync(join(d, "broken.safetensors"), readFileSync(SAFE).subarray(0, 20));
    const r = cli("--sarif", d);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.out);
    expect(checkSarif(log)).toEqual([]);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe("omnimodel");
    const evil = run.results.filter((x: any) => run.artifacts[x.locations[0].physicalLocation.artifactLocation.index].location.uri === "evil.pkl");
    expect(evil.some((x: any) => x.level === "error" && /os\.system/.test(x.message.text))).toBe(true);
    // spaces in names are percent-encoded URI references
    expect(run.artifacts.some((a: any) => a.location.uri === "model%20v2.pt")).toBe(true);
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications.some((n: any) => /broken\.safetensors/.test(n.message.text))).toBe(true);
  });
  it("the checker catches broken logs (it can fail)", () => {
    const log = JSON.parse(cli("--sarif", MAL).out);
    expect(checkSarif(log)).toEqual([]);
    const bad = structuredClone(log);
    bad.version = "2.0.0";
    delete bad.runs[0].tool.driver.name;
    bad.runs[0].results[0].level = "critical";
    bad.runs[0].results[0].ruleIndex = 99;
    bad.runs[0].results[0].severity = "critical";
    expect(checkSarif(bad).length).toBe(5);
  });
  it("a clean file gives an empty result list and exit 0", () => {
    const r = cli("--sarif", SAFE);
    expect(r.code).toBe(0);
    const log = JSON.parse(r.out);
    expect(checkSarif(log)).toEqual([]);
    expect(log.runs[0].results).toEqual([]);
    expect(log.runs[0].invocations[0].executionSuccessful).toBe(true);
  });
});
