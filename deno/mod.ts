// omnimodel for Deno: the npm package's API (open, scan, Model, Tensor, writers, errors), with
// local paths and directories read through Deno's own file API (positional reads straight into
// wasm memory, never whole files), plus convert() writing safetensors to a path.
//
// The SDK's TypeScript sources (../ts) are imported as they are: their relative specifiers name
// the `.ts` files (tsc rewrites them to `.js` when it compiles the npm package). The core is ../build/omnimodel.wasm
// (`npm run build`). Permissions: --allow-read for inputs (and the core), --allow-write for convert(),
// --allow-net for URLs.

import * as sdk from "../ts/index.ts";
import type { ConvertDtype, ConvertProgress, GGUFWriteType, Model, ModelInput, OpenOptions, Source } from "../ts/index.ts";
import { hfLlamaEditsFor, type FolderAccess, type SentencepieceVocab } from "../ts/writers/hf-llama.ts";

export * from "../ts/index.ts";

const { OmnimodelError, configure, init, open, planSafetensors, safetensorsChunks, planGGUF, ggufChunks, GGUF_WRITE_TYPES } = sdk;

/** Where the core is: next to this module's package root (file: or https:). */
export const WASM_URL: URL = new URL("../build/omnimodel.wasm", import.meta.url);

/** A local file read with positional reads. Siblings must stay inside `root` (symlinks followed). */
export class FileSource implements Source {
  readonly size: number;
  private file: Deno.FsFile | null;

  constructor(readonly path: string, private readonly root: string = dirname(absolute(path))) {
    try {
      this.file = Deno.openSync(path, { read: true });
      const st = this.file.statSync();
      if (st.isDirectory) {
        this.file.close();
        throw new OmnimodelError("BAD_ARGUMENT", "is a directory", { file: path });
      }
      this.size = st.size;
    } catch (e) {
      if (e instanceof OmnimodelError) throw e;
      if (e instanceof Deno.errors.NotFound) throw new OmnimodelError("SOURCE_MISSING", "no such file", { file: path, cause: e });
      throw new OmnimodelError("IO", String((e as Error).message), { file: path, cause: e });
    }
  }

  get name(): string {
    return this.path;
  }

  get baseName(): string {
    return this.path.split("/").pop() ?? this.path;
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    const b = new Uint8Array(length);
    this.readSyncInto(b, offset);
    return Promise.resolve(b);
  }

  readSyncInto(target: Uint8Array, offset: number): void {
    if (!this.file) throw new OmnimodelError("IO", "the file is closed", { file: this.path });
    this.file.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < target.length) {
      const n = this.file.readSync(target.subarray(done));
      if (n === null || n === 0) throw new OmnimodelError("IO", `the file ended at ${offset + done} while reading ${target.length} bytes at ${offset}`, { file: this.path, offset: offset + done });
      done += n;
    }
  }

  sibling(relativePath: string): Promise<Source> {
    const here = relativeTo(this.root, dirname(absolute(this.path)));
    const rel = normalize(here ? `${here}/${relativePath}` : relativePath);
    return Promise.resolve(new FileSource(resolveInside(this.root, rel, this.path), this.root));
  }

  close(): void {
    this.file?.close();
    this.file = null;
  }
}

/** `rel` (relative to root) must name an existing file whose real path is inside root's. */
export function resolveInside(root: string, rel: string, referrer: string): string {
  if (rel.startsWith("/") || rel.split(/[\\/]/).includes("..")) {
    throw new OmnimodelError("PATH_VIOLATION", `"${rel}" is not a relative path inside the model's directory`, { file: referrer });
  }
  const candidate = `${root}/${rel}`;
  let real: string, realRoot: string;
  try {
    realRoot = Deno.realPathSync(root);
    real = Deno.realPathSync(candidate);
  } catch {
    throw new OmnimodelError("SOURCE_MISSING", `"${rel}" does not exist next to the model`, { file: referrer });
  }
  if (!real.startsWith(realRoot + "/")) {
    throw new OmnimodelError("PATH_VIOLATION", `"${rel}" leads outside the model's directory (through a symlink)`, { file: referrer });
  }
  return candidate;
}

/** Relative paths of the files under dir (sorted, depth-limited, symlinked folders not followed). */
export function listDirectory(dir: string, maxDepth = 6): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string, depth: number) => {
    if (depth > maxDepth || out.length >= 20000) return;
    const entries = [...Deno.readDirSync(d)].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory) walk(`${d}/${e.name}`, rel, depth + 1);
      else if (e.isFile || e.isSymlink) out.push(rel);
    }
  };
  walk(dir, "", 0);
  return out;
}

function absolute(p: string): string {
  return p.startsWith("/") ? p : `${Deno.cwd()}/${p}`;
}
function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}
function normalize(p: string): string {
  const out: string[] = [];
  for (const s of p.split("/")) {
    if (s === "" || s === ".") continue;
    out.push(s);
  }
  return out.join("/");
}
function relativeTo(root: string, dir: string): string {
  const r = normalize(root), d = normalize(dir);
  return d === r ? "" : d.startsWith(r + "/") ? d.slice(r.length + 1) : d;
}

configure({
  loadWasm: async () => {
    if (WASM_URL.protocol === "file:") return await Deno.readFile(WASM_URL);
    const res = await fetch(WASM_URL);
    if (!res.ok) throw new OmnimodelError("IO", `cannot fetch ${WASM_URL}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  },
  openString: async (input: string) => {
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(input);
    } catch (e) {
      throw new OmnimodelError("SOURCE_MISSING", "no such file or directory", { file: input, cause: e });
    }
    if (!st.isDirectory) return new FileSource(input);
    const core = await init();
    const paths = listDirectory(input);
    const exports = core.exports as unknown as { choose_entry(p: number, l: number): number };
    const i = core.withString(JSON.stringify(paths), (p: number, l: number) => exports.choose_entry(p, l));
    if (i < 0) throw new OmnimodelError("UNKNOWN_FORMAT", `no model file found in the directory (${paths.length} files)`, { file: input });
    return new FileSource(`${absolute(input)}/${paths[i]}`, absolute(input));
  },
});

/**
 * Converts a model to a safetensors or GGUF file at `output`, streaming (memory bounded by one
 * window). `to`: "safetensors" or "gguf" (default: "gguf" for a .gguf output). safetensors:
 * dtype "keep" (quantized types become F32), "F32", "F16" or "BF16". GGUF: type as the CLI's
 * --type (none keeps stored types); a Hugging Face Llama/Mistral folder gets llama.cpp's names,
 * Q/K order and metadata, as the CLI writes it.
 */
export async function convert(
  input: ModelInput,
  output: string,
  options: OpenOptions & { to?: "safetensors" | "gguf"; dtype?: ConvertDtype; type?: GGUFWriteType; onProgress?: (p: ConvertProgress) => void } = {},
): Promise<{ tensors: number; skipped: { name: string; dtype: string; reason: string }[]; bytes: number; notes?: { name: string; note: string }[] }> {
  const to = options.to ?? (output.toLowerCase().endsWith(".gguf") ? "gguf" : "safetensors");
  if (to !== "gguf" && to !== "safetensors") throw new OmnimodelError("BAD_ARGUMENT", `convert: cannot write "${String(to)}" (safetensors or gguf)`);
  if (to === "gguf" && options.dtype !== undefined) throw new OmnimodelError("BAD_ARGUMENT", "convert: dtype is for safetensors output; use type for GGUF");
  if (to === "gguf" && options.type !== undefined && !(GGUF_WRITE_TYPES as readonly string[]).includes(options.type)) {
    throw new OmnimodelError("BAD_ARGUMENT", `convert: cannot write GGUF type "${String(options.type)}" (one of ${GGUF_WRITE_TYPES.join(", ")})`);
  }
  if (to === "safetensors" && options.type !== undefined) throw new OmnimodelError("BAD_ARGUMENT", "convert: type is for GGUF output; use dtype for safetensors");
  const m: Model = await open(input, options);
  try {
    let chunks: AsyncIterable<Uint8Array>;
    let result: { tensors: number; skipped: { name: string; dtype: string; reason: string }[]; bytes: number; notes?: { name: string; note: string }[] };
    if (to === "gguf") {
      const edits = typeof input === "string" ? await hfLlamaEditsFor(input, m, options.type, denoFolder) : undefined;
      const plan = planGGUF(m, { type: options.type, edits });
      chunks = ggufChunks(m, plan, options.onProgress);
      result = { tensors: plan.tensors.length, skipped: plan.skipped, bytes: plan.totalBytes, notes: plan.notes };
    } else {
      const plan = planSafetensors(m, options.dtype ?? "keep");
      chunks = safetensorsChunks(plan, options.onProgress);
      result = { tensors: plan.tensors.length, skipped: plan.skipped, bytes: plan.totalBytes };
    }
    const f = await Deno.open(output, { write: true, create: true, truncate: true });
    try {
      for await (const chunk of chunks) {
        for (let done = 0; done < chunk.length;) done += await f.write(chunk.subarray(done));
      }
    } finally {
      f.close();
    }
    return result;
  } finally {
    await m.close();
  }
}

const denoFolder: FolderAccess = {
  isDirectory: (p) => { try { return Deno.statSync(p).isDirectory; } catch { return false; } },
  readText: (p) => { try { return Deno.statSync(p).isFile ? Deno.readTextFileSync(p) : null; } catch { return null; } },
  sentencepieceVocab: async (p) => {
    try { if (!Deno.statSync(p).isFile) return undefined; } catch { return undefined; }
    const t = await open(p);
    try { return t.format === "sentencepiece" ? (t.metadata.vocab as SentencepieceVocab) : undefined; } finally { await t.close(); }
  },
};
