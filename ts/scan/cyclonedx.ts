// CycloneDX 1.6 ML-BOM: one document per model file. The model is a component of type
// machine-learning-model with its SHA-256, format, parameter count and dtypes, the licence and
// provenance its own metadata states, and the scanner's findings as vulnerabilities that affect it.
// Pure: the caller supplies the hash and the metadata (bom-node.ts reads them on Node).

import type { Severity } from "../model.ts";
import type { FileReport } from "./report.ts";

export const CYCLONEDX_SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/** What the document says about the model, beyond the scan report. */
export interface BomFacts {
  /** Lower-case hex SHA-256 of the file's bytes, when it could be read. */
  sha256?: string;
  formatVersion?: string | null;
  parameterCount?: number;
  parametersByDtype?: Record<string, number>;
  tensorCount?: number;
  /** The model's own metadata (GGUF key/values, safetensors __metadata__, ...). */
  metadata?: Record<string, unknown>;
  /** Hugging Face files next to the model: config.json and the README's YAML front matter. */
  hfConfig?: Record<string, unknown>;
  hfCard?: Record<string, unknown>;
}

export interface BomOptions {
  /** The tool version (package.json). */
  version: string;
  /** ISO 8601 time of the scan; defaults to now. */
  timestamp?: string;
  /** urn:uuid serial number; one is made when omitted. */
  serialNumber?: string;
}

/** Licence ids as Hugging Face model cards write them, mapped to SPDX ids (the rest are given by name). */
const SPDX: Record<string, string> = {
  "apache-2.0": "Apache-2.0", mit: "MIT", "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause",
  "cc0-1.0": "CC0-1.0", "cc-by-4.0": "CC-BY-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "cc-by-nc-4.0": "CC-BY-NC-4.0",
  "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0", "cc-by-nc-nd-4.0": "CC-BY-NC-ND-4.0", "cc-by-3.0": "CC-BY-3.0",
  "gpl-2.0": "GPL-2.0-only", "gpl-3.0": "GPL-3.0-only", "lgpl-3.0": "LGPL-3.0-only", "agpl-3.0": "AGPL-3.0-only",
  "mpl-2.0": "MPL-2.0", unlicense: "Unlicense", "bsl-1.0": "BSL-1.0", "afl-3.0": "AFL-3.0", "artistic-2.0": "Artistic-2.0",
  "ecl-2.0": "ECL-2.0", "epl-2.0": "EPL-2.0", "eupl-1.2": "EUPL-1.2", isc: "ISC", wtfpl: "WTFPL", zlib: "Zlib",
  "odbl-1.0": "ODbL-1.0", "pddl-1.0": "PDDL-1.0", "lppl-1.3c": "LPPL-1.3c", "osl-3.0": "OSL-3.0", "c-uda": "C-UDA-1.0",
};

function str(v: unknown): string | undefined {
  if (typeof v === "string") return v.trim() || undefined;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  return undefined;
}

function strList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(str).filter((s): s is string => s !== undefined);
  const s = str(v);
  return s ? [s] : [];
}

function licenseEntry(text: string, url?: string): Record<string, unknown> {
  const id = SPDX[text.toLowerCase()];
  const license: Record<string, unknown> = id ? { id } : { name: text };
  if (url && /^https?:\/\//i.test(url)) license.url = url;
  return { license };
}

function isUrl(s: string | undefined): s is string {
  return !!s && /^https?:\/\/\S+$/i.test(s);
}

/** safetensors' free-form __metadata__ strings: the index lists them as the model's metadata. */
function safetensorsMeta(meta: Record<string, unknown>): Record<string, unknown> {
  const m = meta.__metadata__;
  return m && typeof m === "object" && !Array.isArray(m) ? (m as Record<string, unknown>) : meta;
}

interface Provenance {
  name?: string;
  version?: string;
  description?: string;
  licenses: Record<string, unknown>[];
  authors: string[];
  manufacturer?: string;
  references: { type: string; url: string; comment: string }[];
  architectureFamily?: string;
  modelArchitecture?: string;
  task?: string;
  datasets: string[];
  baseModels: string[];
}

/** The licence and where the model comes from, as its GGUF keys, safetensors metadata and HF files state them. */
export function provenanceOf(format: string | null, facts: BomFacts): Provenance {
  const meta = facts.metadata ?? {};
  const p: Provenance = { licenses: [], authors: [], references: [], datasets: [], baseModels: [] };
  const seenLicence = new Set<string>();
  const addLicence = (text: string | undefined, url?: string) => {
    if (!text || seenLicence.has(text.toLowerCase())) return;
    seenLicence.add(text.toLowerCase());
    p.licenses.push(licenseEntry(text, url));
  };
  const addRef = (type: string, url: string | undefined, comment: string) => {
    if (isUrl(url) && !p.references.some((r) => r.url === url)) p.references.push({ type, url, comment });
  };
  if (format === "gguf") {
    // llama.cpp's convert scripts write these (gguf-py constants.Keys.General)
    p.name = str(meta["general.name"]);
    p.version = str(meta["general.version"]);
    p.description = str(meta["general.description"]);
    addLicence(str(meta["general.license"]) ?? str(meta["general.license.name"]), str(meta["general.license.link"]));
    for (const k of ["general.author", "general.quantized_by"]) { const a = str(meta[k]); if (a) p.authors.push(a); }
    p.manufacturer = str(meta["general.organization"]);
    addRef("website", str(meta["general.url"]), "general.url");
    addRef("vcs", str(meta["general.repo_url"]), "general.repo_url");
    addRef("distribution", str(meta["general.source.url"]), "general.source.url");
    addRef("vcs", str(meta["general.source.repo_url"]), "general.source.repo_url");
    p.architectureFamily = str(meta["general.architecture"]);
    for (let i = 0; i < 16; i++) { const b = str(meta[`general.base_model.${i}.name`]); if (b) p.baseModels.push(b); }
    for (let i = 0; i < 16; i++) { const d = str(meta[`general.dataset.${i}.name`]); if (d) p.datasets.push(d); }
  }
  const st = format === "safetensors" ? safetensorsMeta(meta) : {};
  if (format === "safetensors") {
    p.name = str(st.name) ?? str(st["modelspec.title"]);
    p.description = str(st.description) ?? str(st["modelspec.description"]);
    addLicence(str(st.license) ?? str(st["modelspec.license"]));
    const a = str(st.author) ?? str(st["modelspec.author"]);
    if (a) p.authors.push(a);
    addRef("website", str(st.url), "__metadata__.url");
    p.architectureFamily = str(st["modelspec.architecture"]);
  }
  const card = facts.hfCard ?? {};
  const licenceName = str(card.license) === "other" ? str(card.license_name) ?? "other" : str(card.license);
  addLicence(licenceName, str(card.license_link));
  p.task ??= str(card.pipeline_tag);
  p.datasets.push(...strList(card.datasets).filter((d) => !p.datasets.includes(d)));
  p.baseModels.push(...strList(card.base_model).filter((b) => !p.baseModels.includes(b)));
  const cfg = facts.hfConfig ?? {};
  p.architectureFamily ??= str(cfg.model_type);
  p.modelArchitecture ??= strList(cfg.architectures)[0];
  p.name ??= str(cfg._name_or_path);
  return p;
}

const SEVERITIES: Severity[] = ["critical", "high", "medium", "low", "info"];

function property(name: string, value: unknown): { name: string; value: string } {
  return { name, value: typeof value === "string" ? value : JSON.stringify(value) };
}

/** The file's base name: the component's name when the metadata has none. */
function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

/** A CycloneDX 1.6 BOM for one scanned (or unreadable) file. */
export function toCycloneDx(file: FileReport, facts: BomFacts, options: BomOptions): Record<string, unknown> {
  const ref = "model";
  const prov = provenanceOf(file.format, facts);
  const component: Record<string, unknown> = {
    type: "machine-learning-model",
    "bom-ref": ref,
    name: prov.name ?? baseName(file.path),
  };
  if (prov.version) component.version = prov.version;
  if (prov.description) component.description = prov.description;
  if (prov.manufacturer) component.manufacturer = { name: prov.manufacturer };
  if (prov.authors.length) component.authors = prov.authors.map((name) => ({ name }));
  if (facts.sha256) component.hashes = [{ alg: "SHA-256", content: facts.sha256 }];
  if (prov.licenses.length) component.licenses = prov.licenses;
  if (prov.references.length) component.externalReferences = prov.references;
  const props = [property("omnimodel:path", file.path), property("omnimodel:size", String(file.size)), property("omnimodel:status", file.status)];
  if (file.format) props.push(property("omnimodel:format", file.format));
  if (facts.formatVersion) props.push(property("omnimodel:formatVersion", facts.formatVersion));
  if (file.loader) props.push(property("omnimodel:loader", file.loader));
  if (file.error) props.push(property("omnimodel:error", `${file.error.code}: ${file.error.message}`));
  props.push(property("omnimodel:highest", file.highest));
  component.properties = props;

  if (file.status === "scanned") {
    const modelParameters: Record<string, unknown> = {};
    if (prov.task) modelParameters.task = prov.task;
    if (prov.architectureFamily) modelParameters.architectureFamily = prov.architectureFamily;
    if (prov.modelArchitecture) modelParameters.modelArchitecture = prov.modelArchitecture;
    if (prov.datasets.length) modelParameters.datasets = prov.datasets.map((name) => ({ type: "dataset", name }));
    const cardProps: { name: string; value: string }[] = [];
    if (facts.parameterCount !== undefined) cardProps.push(property("omnimodel:parameters", String(facts.parameterCount)));
    if (facts.tensorCount !== undefined) cardProps.push(property("omnimodel:tensors", String(facts.tensorCount)));
    const dtypes = Object.entries(facts.parametersByDtype ?? {});
    if (dtypes.length) cardProps.push(property("omnimodel:dtypes", dtypes.map(([d]) => d).join(",")));
    for (const [d, n] of dtypes) cardProps.push(property(`omnimodel:parameters:${d}`, String(n)));
    for (const b of prov.baseModels) cardProps.push(property("omnimodel:baseModel", b));
    const card: Record<string, unknown> = { "bom-ref": `${ref}-card` };
    if (Object.keys(modelParameters).length) card.modelParameters = modelParameters;
    if (cardProps.length) card.properties = cardProps;
    component.modelCard = card;
  }

  const vulnerabilities = file.findings.map((f, i) => {
    const v: Record<string, unknown> = {
      "bom-ref": `finding-${i + 1}`,
      id: f.code,
      source: { name: "omnimodel" },
      ratings: [{ source: { name: "omnimodel" }, severity: SEVERITIES.includes(f.severity) ? f.severity : "unknown", method: "other" }],
      description: f.message,
      affects: [{ ref }],
    };
    if (f.impact) v.detail = f.impact;
    const vp = [];
    if (f.location) vp.push(property("omnimodel:location", f.location));
    if (f.member !== undefined) vp.push(property("omnimodel:member", f.member));
    if (f.memberOffset !== undefined) vp.push(property("omnimodel:memberOffset", String(f.memberOffset)));
    if (f.fileOffset !== undefined) vp.push(property("omnimodel:fileOffset", String(f.fileOffset)));
    if (vp.length) v.properties = vp;
    return v;
  });

  const bom: Record<string, unknown> = {
    $schema: CYCLONEDX_SCHEMA,
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: options.serialNumber ?? `urn:uuid:${crypto.randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: options.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      tools: { components: [{ type: "application", name: "omnimodel", version: options.version }] },
      properties: [property("omnimodel:scan", file.findings.some((f) => f.code === "scan-incomplete") || file.status === "unreadable" ? "incomplete" : "complete")],
    },
    components: [component],
  };
  if (vulnerabilities.length) bom.vulnerabilities = vulnerabilities;
  return bom;
}
