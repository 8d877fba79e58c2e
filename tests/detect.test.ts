// Detection is by content: every fixture in the repository and every file of the corpus is opened
// under its own name and as copies renamed to misleading extensions; the outcome (format, or the
// refusal) must not change, and a misleading extension must produce an extension-mismatch finding.
// Corpus files are also checked against the format the manifest records: a file that opens must
// open as that format, and one whose reader is registered must reach it.
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, sdk } from "./helpers/core";

const SKIP_EXT = [".py", ".md", ".sh", ".ts", ".mjs", ".js", ".gitignore"];
const MISLEADING = [".bin", ".safetensors", ".json"];

function walk(d: string, out: string[] = []): string[] {
  for (const e of readdirSync(d).sort()) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (!SKIP_EXT.some((x) => e.endsWith(x))) out.push(p);
  }
  return out;
}

type Outcome = { format?: string; code?: string; message?: string; findings?: any[] };

async function outcome(path: string, options: Record<string, unknown> = {}): Promise<Outcome> {
  const { open } = await sdk();
  try {
    const m = await open(path, options);
    const r = { format: m.format, findings: m.findings };
    await m.close();
    return r;
  } catch (e: any) {
    return { code: e.code ?? "THROWN", message: String(e.message) };
  }
}

const show = (o: Outcome) => (o.format ? `format ${o.format}` : `error ${o.code}: ${o.message?.slice(0, 120)}`);

// Files whose reading legitimately depends on their name: headerless shards opened through their
// companion, and models whose side files are named after the model file.
function nameDependent(o: Outcome): boolean {
  if (o.findings?.some((f) => f.code === "opened-through-companion")) return true;
  if (o.message && /TF\.js weight shard|ONNX external data|headerless/.test(o.message)) return true;
  return false;
}

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-detect-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const copied = new Map<string, string>();

// A copy of the file's whole folder (siblings included), so renamed copies keep their siblings.
function copyFolder(file: string, root: string): string {
  const dir = dirname(file);
  let dest = copied.get(dir);
  if (!dest) {
    dest = join(tmp, String(copied.size));
    cpSync(dir, dest, { recursive: true });
    copied.set(dir, dest);
  }
  return dest;
}

async function checkRenamed(file: string, root: string, original: Outcome) {
  if (nameDependent(original)) return;
  const folder = copyFolder(file, root);
  for (const ext of MISLEADING) {
    const renamed = join(folder, basename(file).replace(/\.[^.\/]*$/, "") + "-renamed" + ext);
    copyFileSync(file, renamed);
    const r = await outcome(renamed);
    rmSync(renamed);
    const where = `${relative(root, file)} renamed to ${ext}`;
    if (original.format) {
      // side files named after the model cannot be found under another name; everything else must match
      if (r.code === "SOURCE_MISSING") continue;
      expect(show(r), where).toBe(show({ format: original.format }));
      const allowed = ext === ".bin" || (ext === ".safetensors" && r.format === "safetensors") ||
        (ext === ".json" && ["json", "xgboost", "tfjs", "keras", "torchserve-mar", "safetensors", "pytorch"].includes(r.format!)) ||
        (ext === ".json" && r.format === "coreml" && basename(file) === "Manifest.json"); // a package manifest is JSON
      if (!allowed) expect(r.findings!.some((f) => f.code === "extension-mismatch"), `${where}: extension-mismatch finding`).toBe(true);
    } else {
      // a refused file stays refused under any name
      expect(r.format, `${where}: was refused as ${show(original)}`).toBeUndefined();
    }
  }
}

const readerExists = new Map<string, boolean>();
async function hasReader(format: string, file: string): Promise<boolean> {
  if (!readerExists.has(format)) {
    const o = await outcome(file, { format });
    readerExists.set(format, !(o.message ?? "").includes("no format is called"));
  }
  return readerExists.get(format)!;
}

describe("detection over the corpus", () => {
  const manifest = JSON.parse(readFileSync(join(CORPUS, "MANIFEST.json"), "utf8")).cases as Record<string, any>;
  for (const file of walk(CORPUS)) {
    const rel = relative(CORPUS, file);
    it(rel, async () => {
      const o = await outcome(file);
      const c = manifest[rel];
      if (c && c.valid !== false && Array.isArray(c.format)) {
        if (o.format) expect(c.format, `${rel}: detected ${o.format}`).toContain(o.format);
        else {
          let any = false;
          for (const f of c.format) if (await hasReader(f, file)) any = true;
          // With a reader registered under that id, the file must reach it (its own errors are
          // its business). Formats read as flavors of a container (a zip) have no id of their own.
          if (any) expect(o.code, `${rel}: ${show(o)}`).not.toBe("UNKNOWN_FORMAT");
        }
      }
      await checkRenamed(file, CORPUS, o);
    });
  }
});

describe("detection over the repository's fixtures", () => {
  const misc = JSON.parse(readFileSync(join(FIXTURES, "misc", "expected.json"), "utf8")) as Record<string, any>;
  for (const file of walk(FIXTURES)) {
    const rel = relative(FIXTURES, file);
    it(rel, async () => {
      const o = await outcome(file);
      const key = relative(join(FIXTURES, "misc"), file);
      if (misc[key]) expect(show(o), rel).toBe(show({ format: misc[key].format }));
      await checkRenamed(file, FIXTURES, o);
    });
  }
});

describe("what an unknown file looks like", () => {
  const cases: [string, Uint8Array | string, RegExp][] = [
    ["empty.bin", "", /empty/],
    ["model.safetensors", "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n", /Git LFS pointer/],
    ["pytorch_model.bin", "<!DOCTYPE html><html><head><title>Sign in</title></head><body></body></html>", /HTML page/],
    ["zeros.bin", new Uint8Array(8192), /zero bytes/],
    ["notes.txt", "just some words\nand more words\n", /text file/],
    ["group1-shard1of2.bin", Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255), /TF\.js weight shard.*model\.json/],
    ["model.onnx.data", Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255), /ONNX external data.*\.onnx/],
    ["dump.txt", "booster[0]:\n0:[f0<0.5] yes=1,no=2\n", /XGBoost text dump/],
  ];
  for (const [name, content, want] of cases) {
    it(name, async () => {
      const dir = mkdtempSync(join(tmp, "unknown-"));
      const p = join(dir, name);
      writeFileSync(p, content);
      const o = await outcome(p);
      expect(o.format, show(o)).toBeUndefined();
      expect(o.message).toMatch(want);
    });
  }
});
