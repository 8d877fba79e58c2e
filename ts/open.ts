// open(): turn anything that holds a model into a Model. Runtime-neutral; hosts register how
// to load the wasm and how to open strings (paths, URLs) with `configure`.

import { Core, type WasmInput } from "./core.ts";
import { drive, step, SourceTable } from "./driver.ts";
import { OmnimodelError, errorCodeName } from "./errors.ts";
import { Model, type ModelIndex } from "./model.ts";
import { BytesSource, SliceSource, type Source } from "./source.ts";
import type { TensorPool } from "./pool/pool.ts";
import { BlobSource, UrlSource } from "./web-sources.ts";

export type ModelInput = Source | Uint8Array | ArrayBuffer | Blob | URL | string;

export interface OpenOptions {
  /** Skip detection and use this format id. */
  format?: string;
  /** For in-memory inputs: files the model refers to, by relative path. */
  siblings?: Map<string, Uint8Array | ArrayBuffer | Blob>;
  /** Name shown in messages for in-memory inputs. */
  name?: string;
  /** HTTP headers for URL inputs. */
  headers?: Record<string, string>;
  /** Extra options passed to the core (bindings/ABI.md, "Options"). */
  core?: Record<string, unknown>;
  /**
   * Workers for whole-model reads and conversion (Model.readAll, convert): 1 reads on the calling
   * thread; unset uses every core for local files of 256 MiB or more.
   */
  threads?: number;
  /** Largest array Tensor.read() may allocate (default DEFAULT_MAX_TENSOR_BYTES, 2 GiB); beyond it TOO_LARGE. */
  maxTensorBytes?: number;
  /**
   * Bytes openChild() may decompress in total for this model and every child opened from it
   * (default DEFAULT_MAX_INFLATED_BYTES, 2 GiB); a nested archive bomb stops there with LIMIT.
   */
  maxInflatedBytes?: number;
}

/** See OpenOptions.maxInflatedBytes. */
export const DEFAULT_MAX_INFLATED_BYTES = 2 * 1024 * 1024 * 1024;

interface HostConfig {
  loadWasm?: () => Promise<WasmInput>;
  openString?: (input: string, options: OpenOptions) => Promise<Source>;
  /** Cores the host may use (ts/pool): without it, everything runs on the calling thread. */
  cores?: () => number;
  /** Workers reading the model's tensors (ts/pool/pool.ts), or null when its source cannot be shared. */
  createPool?: (model: Model, threads: number, options: { format?: string; core?: Record<string, unknown> }) => Promise<TensorPool | null>;
}

const host: HostConfig = {};
let corePromise: Promise<Core> | null = null;

export function configure(config: HostConfig): void {
  Object.assign(host, config);
}

/** The host's pool hooks (ts/pool/read-all.ts). */
export function poolHost(): Pick<HostConfig, "cores" | "createPool"> {
  return host;
}

/**
 * Instantiates the core. Call it first where the wasm cannot be found or compiled by default:
 * on Cloudflare Workers pass the precompiled WebAssembly.Module you imported.
 */
export function init(wasm?: WasmInput): Promise<Core> {
  if (wasm !== undefined) corePromise = Core.instantiate(wasm);
  if (!corePromise) {
    if (!host.loadWasm) throw new OmnimodelError("BAD_ARGUMENT", "call init(wasm) first: this runtime has no default way to load omnimodel.wasm");
    corePromise = host.loadWasm().then((w) => Core.instantiate(w));
  }
  return corePromise;
}

export async function toSource(input: ModelInput, options: OpenOptions = {}): Promise<Source> {
  if (typeof input === "string") {
    if (/^https?:\/\//i.test(input)) return UrlSource.open(input, { headers: options.headers });
    if (!host.openString) throw new OmnimodelError("BAD_ARGUMENT", "this runtime cannot open paths; pass bytes, a Blob or a URL", { file: input });
    return host.openString(input, options);
  }
  if (input instanceof URL) return UrlSource.open(input, { headers: options.headers });
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const sib = new Map<string, Uint8Array | ArrayBuffer>();
    for (const [k, v] of options.siblings ?? []) {
      if (v instanceof Uint8Array || v instanceof ArrayBuffer) sib.set(k, v);
    }
    return new BytesSource(input, options.name ?? "bytes", sib);
  }
  if (typeof Blob !== "undefined" && input instanceof Blob) {
    const sib = new Map<string, Blob>();
    for (const [k, v] of options.siblings ?? []) if (v instanceof Blob) sib.set(k, v);
    const name = options.name ?? ((input as File).name || "blob");
    return new BlobSource(input, name, sib);
  }
  if (typeof (input as Source).read === "function" && typeof (input as Source).size === "number") return input as Source;
  throw new OmnimodelError("BAD_ARGUMENT", "open() takes a path, URL, Uint8Array, ArrayBuffer, Blob or Source");
}

/** Opens a model: reads only what its index needs. */
export async function open(input: ModelInput, options: OpenOptions = {}): Promise<Model> {
  const core = await init();
  const source = await toSource(input, options);
  return openSource(core, source, options);
}

export async function openSource(core: Core, source: Source, options: OpenOptions = {}, inflateBudget?: { left: number }): Promise<Model> {
  const e = core.exports;
  const h = e.index_open(source.size);
  if (h <= 0) throw new OmnimodelError("BAD_ARGUMENT", `cannot index a source of ${source.size} bytes`, { file: source.name });
  const table = new SourceTable(source);
  try {
    core.withString(source.baseName, (p, l) => e.job_set_name(h, p, l));
    const coreOptions = { ...(options.core ?? {}), ...(options.format ? { format: options.format } : {}) };
    if (Object.keys(coreOptions).length) {
      const rc = core.withString(JSON.stringify(coreOptions), (p, l) => e.job_set_options(h, p, l));
      if (rc !== 0) throw new OmnimodelError("BAD_ARGUMENT", "the core refused the options", { file: source.name });
    }
    await drive(core, h, table);
    const index = JSON.parse(core.result(h)) as ModelIndex;
    if (source.findings?.length) index.findings = [...index.findings, ...source.findings];
    const budget = inflateBudget ?? { left: options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES };
    const model = new Model(core, h, table, index, { maxTensorBytes: options.maxTensorBytes, inflateBudget: budget });
    model.openOptions = { format: options.format, core: options.core, threads: options.threads };
    return model;
  } catch (err) {
    e.job_close(h);
    await table.close();
    throw err;
  }
}

/** Opens, returns the findings, closes. */
export async function scan(input: ModelInput, options: OpenOptions = {}): Promise<{ format: string; findings: Model["findings"]; highest: Model["highestSeverity"] }> {
  const m = await open(input, options);
  try {
    return { format: m.format, findings: m.findings, highest: m.highestSeverity };
  } finally {
    await m.close();
  }
}

/** Children larger than this are refused when they must be decompressed into memory. */
export const MAX_CHILD_IN_MEMORY = 1024 * 1024 * 1024;

/**
 * Opens an archive member listed in `model.children` (by position or name) as a model of its own.
 * A stored member is read in place (a slice of the parent); a compressed one is decompressed by
 * the core into memory (up to 1 GiB).
 */
export async function openChild(model: Model, ref: number | string, options: OpenOptions = {}): Promise<Model> {
  const i = typeof ref === "number" ? ref : model.children.findIndex((c) => c.name === ref);
  const child = model.children[i];
  if (!child) throw new OmnimodelError("NOT_FOUND", `no child ${JSON.stringify(ref)} (${model.children.length} children)`, { file: model.source.name });
  const core = model.core;
  const name = `${model.source.name}!${child.name}`;
  const h = core.exports.child_open(model.handle, i);
  if (h <= 0) {
    const code = errorCodeName(-h);
    const why = code === "PATH_VIOLATION" ? "leaves the archive (see the path-escape finding)" : "cannot be opened (encrypted, or stored with a method that is not read)";
    throw new OmnimodelError(code, `"${child.name}" ${why}`, { file: model.source.name });
  }
  let source: Source;
  try {
    const first = await step(core, h, model.table);
    if (first.kind === "copy" && first.length === child.size) {
      source = new SliceSource(first.source, first.sourceOffset, first.length, name);
    } else {
      if (child.size > MAX_CHILD_IN_MEMORY) throw new OmnimodelError("LIMIT", `"${child.name}" is compressed and larger than the 1 GiB it may take in memory`, { file: model.source.name });
      // One budget for the model and all its descendants: a bomb of many (or nested) members
      // that each pass the per-member cap still stops here.
      if (child.size > model.inflateBudget.left) {
        throw new OmnimodelError("LIMIT", `"${child.name}" would decompress ${child.size} bytes; this model may decompress only ${model.inflateBudget.left} more (maxInflatedBytes)`, { file: model.source.name });
      }
      model.inflateBudget.left -= child.size;
      const buf = new Uint8Array(child.size);
      for (let s = first; s.kind !== "done"; s = await step(core, h, model.table)) {
        if (s.kind === "output") buf.set(s.bytes, s.offset);
        else buf.set(await s.source.read(s.sourceOffset, s.length), s.offset);
      }
      source = new BytesSource(buf, name);
    }
  } finally {
    core.exports.job_close(h);
  }
  return openSource(core, source, { maxTensorBytes: model.maxTensorBytes, ...options }, model.inflateBudget);
}
