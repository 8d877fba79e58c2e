// Node.js glue: local files read with positional reads straight into wasm memory (never the
// whole file), directories opened through their entry file, and the sibling resolver's
// filesystem half: a referenced file must stay inside the model's directory after symlinks.

import { closeSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { configure } from "../ts/open.ts";
import { OmnimodelError } from "../ts/errors.ts";
import type { Source } from "../ts/source.ts";
import type { Core } from "../ts/core.ts";

export class FileSource implements Source {
  readonly size: number;
  private fd: number | null;

  /** root: the model's directory, which siblings may not leave (defaults to the file's own). */
  constructor(readonly path: string, private readonly root = dirname(resolve(path))) {
    try {
      this.fd = openSync(path, "r");
      const st = fstatSync(this.fd);
      if (st.isDirectory()) throw new OmnimodelError("BAD_ARGUMENT", "is a directory", { file: path });
      this.size = st.size;
    } catch (e) {
      if (e instanceof OmnimodelError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new OmnimodelError(err.code === "ENOENT" ? "SOURCE_MISSING" : "IO", err.code === "ENOENT" ? "no such file" : err.message, { file: path, cause: e });
    }
  }

  get name(): string {
    return this.path;
  }

  /** The directory siblings may not leave (a pool worker opens the file again with it). */
  get rootDir(): string {
    return this.root;
  }

  get baseName(): string {
    return basename(this.path);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const b = new Uint8Array(length);
    this.readSyncInto(b, offset);
    return b;
  }

  readSyncInto(target: Uint8Array, offset: number): void {
    if (this.fd === null) throw new OmnimodelError("IO", "the file is closed", { file: this.path });
    let done = 0;
    while (done < target.length) {
      const n = readSync(this.fd, target, done, target.length - done, offset + done);
      if (n <= 0) throw new OmnimodelError("IO", `the file ended at ${offset + done} while reading ${target.length} bytes at ${offset}`, { file: this.path, offset: offset + done });
      done += n;
    }
  }

  async sibling(relativePath: string): Promise<Source> {
    const target = resolveInside(this.root, join(relative(this.root, dirname(resolve(this.path))), relativePath), this.path);
    return new FileSource(target, this.root);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * The filesystem half of the resolver: `rel` (relative to root) must name an existing file whose
 * real path, symlinks followed, is inside root's real path.
 */
export function resolveInside(root: string, rel: string, referrer: string): string {
  if (isAbsolute(rel) || rel.split(/[\\/]/).includes("..")) {
    throw new OmnimodelError("PATH_VIOLATION", `"${rel}" is not a relative path inside the model's directory`, { file: referrer });
  }
  const candidate = resolve(root, rel);
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(candidate);
  } catch {
    throw new OmnimodelError("SOURCE_MISSING", `"${rel}" does not exist next to the model`, { file: referrer });
  }
  const r = relative(realRoot, real);
  if (r === "" || r.startsWith(".." + sep) || r === ".." || isAbsolute(r)) {
    throw new OmnimodelError("PATH_VIOLATION", `"${rel}" leads outside the model's directory (through a symlink)`, { file: referrer });
  }
  return candidate;
}

const MAX_LISTING = 20000;

/** Relative paths of the files under dir (depth-limited, symlinked folders not followed). */
export function listDirectory(dir: string, maxDepth = 6): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string, depth: number) => {
    if (depth > maxDepth || out.length >= MAX_LISTING) return;
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (out.length >= MAX_LISTING) return;
      const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(join(d, ent.name), rel, depth + 1);
      else if (ent.isFile() || ent.isSymbolicLink()) out.push(rel);
    }
  };
  walk(dir, "", 0);
  return out;
}

/** The entry file of a model directory, chosen by the core's rule. */
export function chooseEntry(core: Core, dir: string): string {
  const paths = listDirectory(dir);
  const i = core.withString(JSON.stringify(paths), (p, l) => (core.exports as unknown as { choose_entry(p: number, l: number): number }).choose_entry(p, l));
  if (i < 0) throw new OmnimodelError("UNKNOWN_FORMAT", `no model file found in the directory (${paths.length} files)`, { file: dir });
  return paths[i];
}

export const WASM_URL = new URL("../../build/omnimodel.wasm", import.meta.url);

let installed = false;
export function installNodeHost(): void {
  if (installed) return;
  installed = true;
  configure({
    loadWasm: async () => readFile(WASM_URL),
    cores: () => availableParallelism(),
    createPool: async (model, threads, options) => (await import("../ts/pool/node-pool.ts")).createNodePool(model, threads, WASM_URL, options),
    openString: async (input) => {
      const { init } = await import("../ts/open.ts");
      let st;
      try {
        st = statSync(input);
      } catch (e) {
        throw new OmnimodelError("SOURCE_MISSING", "no such file or directory", { file: input, cause: e });
      }
      if (st.isDirectory()) {
        const core = await init();
        const entry = chooseEntry(core, input);
        return new FileSource(join(input, entry), resolve(input));
      }
      return new FileSource(input);
    },
  });
}

installNodeHost();
