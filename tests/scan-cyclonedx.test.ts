// The ML-BOM: `scan --cyclonedx` and `inspect --bom` documents validated by the CycloneDX
// library's strict JSON validator for spec 1.6, for each shape of input: a clean model, a malicious
// pickle (findings as vulnerabilities), a folder (one document per model file), a GGUF whose
// general.* keys give licence and provenance; and a broken document the validator must reject.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Spec, Validation } from "@cyclonedx/cyclonedx-library";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "./helpers/core";

const BOM = join(FIXTURES, "scan-bom");
const SCAN = join(FIXTURES, "scan");
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-bom-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);

type Doc = Record<string, any>;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function valid(doc: Doc): Promise<void> {
  const errors = await validator.validate(JSON.stringify(doc));
  expect(errors, JSON.stringify(errors)).toBeNull();
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const prop = (o: Doc, name: string) => (o.properties as { name: string; value: string }[] | undefined)?.filter((p) => p.name === name).map((p) => p.value);
const model = (d: Doc) => {
  expect(d.components).toHaveLength(1);
  expect(d.components[0].type).toBe("machine-learning-model");
  return d.components[0];
};

describe("CycloneDX 1.6 ML-BOM", () => {
  it("a clean safetensors file: hash, format, parameters and dtypes; no vulnerabilities", async () => {
    const f = join(SCAN, "benign", "weights.safetensors");
    const r = cli("scan", "--cyclonedx", f);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    await valid(d);
    expect(d.specVersion).toBe("1.6");
    const c = model(d);
    expect(c.hashes).toEqual([{ alg: "SHA-256", content: sha256(f) }]);
    expect(prop(c, "omnimodel:format")).toEqual(["safetensors"]);
    const info = JSON.parse(cli("inspect", "--json", f).out);
    const params = info.tensors.reduce((a: number, t: { shape: number[] }) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    expect(prop(c.modelCard, "omnimodel:parameters")).toEqual([String(params)]);
    expect(prop(c.modelCard, "omnimodel:dtypes")![0].split(",").sort()).toEqual([...new Set(info.tensors.map((t: { dtype: string }) => t.dtype))].sort());
    expect(d.vulnerabilities).toBeUndefined();
  });

  it("a malicious pickle: each finding is a vulnerability (code, severity, message, impact) affecting the model", async () => {
    const f = join(SCAN, "malicious", "A02a-os-system.pkl");
    const r = cli("scan", "--cyclonedx", f);
    expect(r.code).toBe(1); // the exit code is the scan's
    const d = JSON.parse(r.out);
    await valid(d);
    const c = model(d);
    const findings = JSON.parse(cli("scan", "--json", f).out).findings;
    expect(findings.length).toBeGreaterThan(0);
    expect(d.vulnerabilities).toHaveLength(findings.length);
    findings.forEach((x: Doc, i: number) => {
      const v = d.vulnerabilities[i];
      expect(v.id).toBe(x.code);
      expect(v.ratings[0].severity).toBe(x.severity);
      expect(v.description).toBe(x.message);
      expect(v.detail).toBe(x.impact);
      expect(v.affects).toEqual([{ ref: c["bom-ref"] }]);
    });
    expect(d.vulnerabilities.some((v: Doc) => v.ratings[0].severity === "critical")).toBe(true);
  });

  it("inspect --bom writes the same kind of document to --out", async () => {
    const f = join(SCAN, "malicious", "A02a-os-system.pkl");
    const o = join(tmp, "inspect.cdx.json");
    expect(cli("inspect", "--bom", f, "--out", o).code).toBe(0);
    const d = JSON.parse(readFileSync(o, "utf8"));
    await valid(d);
    expect(model(d).hashes[0].content).toBe(sha256(f));
    expect(d.vulnerabilities.map((v: Doc) => v.id)).toEqual(JSON.parse(cli("scan", "--json", f).out).findings.map((x: Doc) => x.code));
  });

  it("a folder: one document per model file (JSON lines on stdout, one file each with --out), README left out", async () => {
    const dir = join(tmp, "repo");
    mkdirSync(join(dir, "sub"), { recursive: true });
    for (const n of readdirSync(join(BOM, "hf-folder"))) copyFileSync(join(BOM, "hf-folder", n), join(dir, n));
    copyFileSync(join(SCAN, "malicious", "A02a-os-system.pkl"), join(dir, "sub", "pytorch_model.bin"));
    const r = cli("scan", "--cyclonedx", dir);
    expect(r.code).toBe(1);
    const docs = r.out.trim().split("\n").map((l) => JSON.parse(l));
    const paths = docs.map((d) => prop(model(d), "omnimodel:path")![0]);
    expect(paths).toEqual(["config.json", "model.safetensors", "sub/pytorch_model.bin"]);
    for (const d of docs) await valid(d);
    const st = docs[1].components[0];
    // licence from the safetensors __metadata__ and the card; provenance from config.json and the card
    expect(st.licenses).toEqual([{ license: { id: "MIT" } }]);
    expect(st.authors).toEqual([{ name: "Example Labs" }]);
    expect(st.name).toBe("example/tiny-bert");
    expect(st.modelCard.modelParameters).toEqual({
      task: "text-classification", architectureFamily: "bert", modelArchitecture: "BertForSequenceClassification",
      datasets: [{ type: "dataset", name: "glue" }, { type: "dataset", name: "imdb" }],
    });
    expect(st.hashes[0].content).toBe(sha256(join(dir, "model.safetensors")));
    expect(docs[1].vulnerabilities).toBeUndefined();
    expect(docs[2].vulnerabilities.some((v: Doc) => v.ratings[0].severity === "critical")).toBe(true);

    const out = join(tmp, "boms");
    expect(cli("scan", "--cyclonedx", dir, "--out", out).code).toBe(1);
    expect(readdirSync(out).sort()).toEqual(["config.json.cdx.json", "model.safetensors.cdx.json", "sub__pytorch_model.bin.cdx.json"]);
    const fromFile = JSON.parse(readFileSync(join(out, "sub__pytorch_model.bin.cdx.json"), "utf8"));
    await valid(fromFile);
    expect(fromFile.vulnerabilities.map((v: Doc) => v.id)).toEqual(docs[2].vulnerabilities.map((v: Doc) => v.id));
  });

  it("a GGUF with general.* keys: SPDX licence, author, organisation, URLs, name, version, architecture, base model", async () => {
    const f = join(BOM, "licensed.gguf");
    const d = JSON.parse(cli("inspect", "--bom", f).out);
    await valid(d);
    const c = model(d);
    expect(c.name).toBe("Tiny Licensed Llama");
    expect(c.version).toBe("1.2");
    expect(c.licenses).toEqual([{ license: { id: "Apache-2.0" } }]);
    expect(c.authors).toEqual([{ name: "Example Labs" }]);
    expect(c.manufacturer).toEqual({ name: "Example Org" });
    expect(c.externalReferences.map((r: Doc) => [r.type, r.url])).toEqual([
      ["website", "https://example.org/tiny-llama"], ["vcs", "https://github.com/example/tiny-llama"], ["distribution", "https://huggingface.co/example/tiny-llama"],
    ]);
    expect(c.modelCard.modelParameters.architectureFamily).toBe("llama");
    expect(prop(c.modelCard, "omnimodel:baseModel")).toEqual(["example/base-llama"]);
    expect(prop(c.modelCard, "omnimodel:parameters")).toEqual([String(8 * 8 + 4 * 8)]);
    expect(prop(c.modelCard, "omnimodel:parameters:F32")).toEqual(["64"]);
    expect(prop(c.modelCard, "omnimodel:parameters:F16")).toEqual(["32"]);
    expect(c.hashes[0].content).toBe(sha256(f));
  });

  it("the validator rejects a broken document (so the checks above can fail)", async () => {
    const d = JSON.parse(cli("scan", "--cyclonedx", join(SCAN, "malicious", "A02a-os-system.pkl")).out);
    for (const broken of [
      { ...d, components: [{ ...d.components[0], type: "ml-model" }] },
      { ...d, vulnerabilities: [{ ...d.vulnerabilities[0], ratings: [{ severity: "severe" }] }] },
      { ...d, components: [{ ...d.components[0], hashes: [{ alg: "SHA-256", content: "not-hex" }] }] },
      { ...d, specVersion: undefined },
    ]) {
      const errors = await validator.validate(JSON.stringify(broken));
      expect(errors).not.toBeNull();
    }
  });

  it("--out needs --cyclonedx / --bom; the outputs exclude each other", () => {
    const f = join(SCAN, "benign", "weights.safetensors");
    expect(cli("scan", f, "--out", join(tmp, "x")).code).toBe(2);
    expect(cli("scan", f, "--cyclonedx", "--sarif").code).toBe(2);
    expect(cli("inspect", f, "--bom", "--json").code).toBe(2);
    const missing = cli("inspect", "--bom", join(tmp, "no-such-model.pt"));
    expect(missing.code).toBe(2);
    expect(missing.out).toBe("");
  });

  it("a model file that cannot be read still has a document: unreadable, its scan-incomplete finding a vulnerability", async () => {
    const dir = join(tmp, "with-7z");
    mkdirSync(dir, { recursive: true });
    const f = join(dir, "pytorch_model.bin");
    copyFileSync(join(FIXTURES, "scan-advisories", "nullifai-7z.pt"), f);
    const r = cli("scan", "--cyclonedx", dir);
    const docs = r.out.trim().split("\n").map((l) => JSON.parse(l));
    expect(docs).toHaveLength(1);
    await valid(docs[0]);
    const c = model(docs[0]);
    expect(prop(c, "omnimodel:status")).toEqual(["unreadable"]);
    expect(c.hashes[0].content).toBe(sha256(f));
    expect(c.modelCard).toBeUndefined();
    expect(docs[0].vulnerabilities.map((v: Doc) => [v.id, v.ratings[0].severity])).toEqual([["scan-incomplete", "medium"]]);
    expect(prop(docs[0].metadata, "omnimodel:scan")).toEqual(["incomplete"]);
  });
});
