// What a CycloneDX document needs beyond the scan report, read on Node: the file's SHA-256 (streamed
// in chunks, never the whole file in memory), the model's counts and metadata while it is open, and
// the Hugging Face config.json / README.md front matter next to it.

import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Model } from "../model.ts";
import type { Source } from "../source.ts";
import type { BomFacts } from "./cyclonedx.ts";

const CHUNK = 4 << 20;
/** config.json and README.md larger than this are not model cards worth reading. */
const MAX_SIDECAR = 1 << 20;

/** SHA-256 of a source, read through its own range reads (works for files and URLs alike). */
export async function sha256OfSource(source: Source): Promise<string> {
  const h = createHash("sha256");
  for (let off = 0; off < source.size; off += CHUNK) h.update(await source.read(off, Math.min(CHUNK, source.size - off)));
  return h.digest("hex");
}

export async function sha256OfFile(path: string): Promise<string | undefined> {
  try {
    const h = createHash("sha256");
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) h.update(chunk as Buffer);
    return h.digest("hex");
  } catch {
    return undefined;
  }
}

/** The facts of an open model; the hash is of the file the model was opened from. */
export async function factsOfModel(m: Model): Promise<BomFacts> {
  return {
    sha256: await sha256OfSource(m.source),
    formatVersion: m.formatVersion,
    parameterCount: m.parameterCount,
    parametersByDtype: m.parametersByDtype,
    tensorCount: m.tensors.length,
    metadata: m.metadata,
  };
}

function readSmall(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > MAX_SIDECAR) return undefined;
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The top-level keys of a model card's YAML front matter: `key: value`, `key: [a, b]` and block
 * lists (`key:` then `- a` lines). Nested maps (model-index) are skipped: a BOM needs none of them.
 */
export function frontMatter(text: string): Record<string, unknown> {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\s*(\r?\n|$)/.exec(text);
  if (!m) return {};
  const out: Record<string, unknown> = {};
  let listKey: string | null = null;
  const unquote = (s: string) => s.trim().replace(/^(["'])(.*)\1$/, "$2");
  for (const line of m[1].split(/\r?\n/)) {
    const item = /^\s*-\s+(.*)$/.exec(line);
    if (item && listKey) {
      (out[listKey] as string[]).push(unquote(item[1]));
      continue;
    }
    const kv = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (!kv) { if (!/^\s/.test(line)) listKey = null; continue; }
    listKey = null;
    const [, key, raw] = kv;
    const value = raw.replace(/\s+#.*$/, "").trim();
    if (value === "") { out[key] = []; listKey = key; }
    else if (/^\[.*\]$/.test(value)) out[key] = value.slice(1, -1).split(",").map(unquote).filter(Boolean);
    else out[key] = unquote(value);
  }
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v) && v.length === 0) delete out[k];
  return out;
}

/** config.json and the README front matter in the model file's folder (or the folder itself). */
export function hfSidecars(path: string, isDirectory = false): Pick<BomFacts, "hfConfig" | "hfCard"> {
  const dir = isDirectory ? path : dirname(path);
  const out: Pick<BomFacts, "hfConfig" | "hfCard"> = {};
  const cfg = readSmall(join(dir, "config.json"));
  if (cfg) {
    try {
      const j = JSON.parse(cfg);
      if (j && typeof j === "object" && !Array.isArray(j)) out.hfConfig = j;
    } catch { /* not JSON: no config facts */ }
  }
  const readme = readSmall(join(dir, "README.md"));
  if (readme) {
    const fm = frontMatter(readme);
    if (Object.keys(fm).length) out.hfCard = fm;
  }
  return out;
}
