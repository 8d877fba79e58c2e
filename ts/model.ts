// Model and Tensor: the index the core produced, plus reads driven through the same loop.

import { Core } from "./core.ts";
import { drive, step, SourceTable } from "./driver.ts";
import { arrayFor, dtypeCode, elementBytes, type ArrayForDtype, type ReadDtype, type TypedArray } from "./dtypes.ts";
import { OmnimodelError } from "./errors.ts";
import type { Source } from "./source.ts";

export type Severity = "critical" | "high" | "medium" | "low" | "info";

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  location: string;
  /** What the file would do when loaded with its usual loader, in one plain sentence. */
  impact?: string;
  detail?: unknown;
}

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  byteLength: number;
  info?: Record<string, unknown>;
}

export interface ChildInfo {
  name: string;
  format: string | null;
  size: number;
  /** Whether openChild() can open it (false for encrypted members and unread compression methods). */
  readable?: boolean;
}

/** The index of DESIGN.md §3, exactly as `inspect --json` prints it. */
export interface ModelIndex {
  format: string;
  formatVersion: string | null;
  tensors: TensorInfo[];
  metadata: Record<string, unknown>;
  graph: unknown;
  findings: Finding[];
  children: ChildInfo[];
}

export interface ReadOptions {
  /** Convert to this dtype ("F32", "F16", "BF16") instead of returning the stored type. */
  dtype?: string;
  /**
   * Largest array read() / strings() may allocate, in bytes (default: the model's
   * maxTensorBytes, itself DEFAULT_MAX_TENSOR_BYTES unless open() was told otherwise).
   */
  maxBytes?: number;
}

/**
 * read() allocates the whole tensor, and the size comes from the file: a lying header may claim
 * terabytes. Above this many bytes read() refuses with TOO_LARGE before allocating; chunks() and
 * readInto() have no such limit because the caller bounds the memory. Configurable per model
 * (open(..., { maxTensorBytes })) and per read ({ maxBytes }).
 */
export const DEFAULT_MAX_TENSOR_BYTES = 2 * 1024 * 1024 * 1024;

function sizeText(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = n, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${n} bytes` : `${n} bytes (${v.toFixed(1)} ${units[u]})`;
}

function tooLarge(what: string, n: number, cap: number, file: string): OmnimodelError {
  return new OmnimodelError("TOO_LARGE", `${what} needs ${sizeText(n)}, over the ${sizeText(cap)} read() may allocate; read it in bounded windows with chunks(), or into a buffer of your own with readInto() (or raise maxTensorBytes)`, { file });
}

const SEVERITY_ORDER: Severity[] = ["info", "low", "medium", "high", "critical"];
export function severityRank(s: string): number {
  return SEVERITY_ORDER.indexOf(s as Severity) + 1;
}

const CHUNK_COPY = 8 * 1024 * 1024;

export class Tensor implements TensorInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly byteLength: number;
  readonly info?: Record<string, unknown>;

  constructor(private readonly model: Model, /** Index in model.tensors. */ readonly position: number, t: TensorInfo) {
    this.name = t.name;
    this.dtype = t.dtype;
    this.shape = t.shape.map(Number);
    this.byteLength = Number(t.byteLength);
    if (t.info) this.info = t.info;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Output bytes a read with these options produces. */
  outputByteLength(options: ReadOptions = {}): number {
    return this.model.withRead(this.position, options, (h) => this.model.core.exports.read_output_length(h));
  }

  /**
   * All values as a typed array of the stored dtype (or options.dtype). With a literal dtype the
   * result is typed: `read({ dtype: "F32" })` is a `Promise<Float32Array>`.
   */
  read<D extends ReadDtype>(options: ReadOptions & { dtype: D }): Promise<ArrayForDtype<D>>;
  read(options?: ReadOptions): Promise<TypedArray>;
  async read(options: ReadOptions = {}): Promise<TypedArray> {
    const len = this.outputByteLength(options);
    const cap = options.maxBytes ?? this.model.maxTensorBytes;
    if (len > cap) throw tooLarge(`tensor "${this.name}"`, len, cap, this.model.source.name);
    const buf = new ArrayBuffer(len);
    await this.readInto(new Uint8Array(buf), options);
    return arrayFor(options.dtype ?? this.dtype, buf, 0, len);
  }

  /** The values of a string tensor (dtype STR: NumPy 'U' and 'S' arrays), in C order. */
  async strings(): Promise<string[]> {
    const model = this.model;
    const core = model.core;
    const h = core.exports.strings_open(model.handle, this.position);
    if (h <= 0) throw new OmnimodelError("NOT_FOUND", `tensor "${this.name}" cannot be read`, { file: model.source.name });
    const parts: Uint8Array[] = [];
    const cap = model.maxTensorBytes;
    let total = 0;
    try {
      await drive(core, h, model.table, {
        output: (b) => {
          total += b.byteLength;
          if (total > cap) throw tooLarge(`the strings of tensor "${this.name}"`, total, cap, model.source.name);
          parts.push(b.slice());
        },
      });
    } finally {
      core.exports.job_close(h);
    }
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    const out: string[] = [];
    const dv = new DataView(all.buffer);
    const dec = new TextDecoder();
    for (let i = 0; i + 4 <= all.length; ) {
      const n = dv.getUint32(i, true);
      out.push(dec.decode(all.subarray(i + 4, i + 4 + n)));
      i += 4 + n;
    }
    return out;
  }

  /** Reads the values into `target` (at least outputByteLength bytes). Returns the bytes written. */
  async readInto(target: ArrayBufferView, options: ReadOptions = {}): Promise<number> {
    const need = this.outputByteLength(options);
    if (target.byteLength < need) {
      throw new OmnimodelError("BAD_ARGUMENT", `readInto: tensor "${this.name}" needs ${need} bytes, the target has ${target.byteLength}`, { file: this.model.source.name });
    }
    const bytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
    let written = 0;
    await this.model.driveRead(this.position, options, {
      output: (b, off) => {
        bytes.set(b, off);
        written += b.byteLength;
      },
      copy: async (src, srcOff, length, off) => {
        for (let done = 0; done < length; ) {
          const n = Math.min(CHUNK_COPY, length - done);
          const view = bytes.subarray(off + done, off + done + n);
          if (src.readSyncInto) src.readSyncInto(view, srcOff + done);
          else view.set(await src.read(srcOff + done, n));
          done += n;
        }
        written += length;
      },
    });
    return written;
  }

  /**
   * The values in order, as typed-array chunks of bounded size, for tensors too large for one
   * array. Memory stays bounded by the core's window (about 4 MiB of input per chunk; for
   * chunked HDF5 datasets 4 to 64 MiB of whole elements, or one element when it is larger).
   */
  chunks<D extends ReadDtype>(options: ReadOptions & { dtype: D }): AsyncGenerator<ArrayForDtype<D>>;
  chunks(options?: ReadOptions): AsyncGenerator<TypedArray>;
  async *chunks(options: ReadOptions = {}): AsyncGenerator<TypedArray> {
    const dtype = options.dtype ?? this.dtype;
    const model = this.model;
    const h = model.openRead(this.position, options);
    try {
      for (;;) {
        const s = await step(model.core, h, model.table);
        if (s.kind === "done") return;
        if (s.kind === "output") {
          const b = s.bytes.slice();
          yield arrayFor(dtype, b.buffer, 0, b.byteLength);
          continue;
        }
        for (let done = 0; done < s.length; ) {
          const n = Math.min(CHUNK_COPY, s.length - done);
          const buf = new Uint8Array(n);
          if (s.source.readSyncInto) s.source.readSyncInto(buf, s.sourceOffset + done);
          else buf.set(await s.source.read(s.sourceOffset + done, n));
          yield arrayFor(dtype, buf.buffer, 0, n);
          done += n;
        }
      }
    } finally {
      model.core.exports.job_close(h);
    }
  }
}

// ignoreBOM: a token that is U+FEFF (llama's vocab has one) must stay itself, not vanish.
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Strings as metadata_array emits them: per element a u32 little-endian byte count, then the
 * bytes (bindings/ABI.md). One TextDecoder call per string costs more than a short token itself,
 * so the bytes are decoded in one call and cut at offsets counted from the UTF-8 lead bytes;
 * when that count disagrees (invalid UTF-8 decodes to replacement characters), each string is
 * decoded on its own.
 */
const STOP = Symbol("enough items read");

/** Says when the first `want` items of a metadata array's output have arrived. */
class PrefixCounter {
  private bytes = 0;
  private items = 0;
  private need = 4; // STR: bytes still to skip before the next length prefix (or of it)
  private inPrefix = true;
  private prefix: number[] = [];
  constructor(private readonly dtype: string, private readonly want: number) {}

  feed(b: Uint8Array): boolean {
    if (this.dtype !== "STR") {
      this.bytes += b.byteLength;
      return this.bytes >= this.want * elementBytes(this.dtype);
    }
    // STR output: each string is a u32 LE byte length, then its UTF-8 bytes.
    let i = 0;
    while (i < b.byteLength && this.items < this.want) {
      if (this.inPrefix) {
        this.prefix.push(b[i++]);
        if (this.prefix.length === 4) {
          const p = this.prefix;
          this.need = (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0;
          this.prefix = [];
          this.inPrefix = false;
          if (this.need === 0) this.endString();
        }
      } else {
        const take = Math.min(this.need, b.byteLength - i);
        i += take;
        this.need -= take;
        if (this.need === 0) this.endString();
      }
    }
    return this.items >= this.want;
  }

  private endString(): void {
    this.items++;
    this.inPrefix = true;
  }
}

function decodeStrings(all: Uint8Array, count: number): string[] {
  const dv = new DataView(all.buffer, all.byteOffset, all.byteLength);
  const bytes = new Uint8Array(all.byteLength);
  const ends = new Array<number>(count); // UTF-16 end offset of each string in the decoded text
  let pos = 0;
  let at = 0;
  let units = 0;
  for (let i = 0; i < count; i++) {
    const n = dv.getUint32(pos, true);
    pos += 4;
    for (let j = pos, end = pos + n; j < end; j++) {
      const c = all[j];
      if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1; // a 4-byte sequence is a surrogate pair
    }
    bytes.set(all.subarray(pos, pos + n), at);
    at += n;
    pos += n;
    ends[i] = units;
  }
  const text = utf8Decoder.decode(bytes.subarray(0, at));
  const out = new Array<string>(count);
  if (text.length === units) {
    let start = 0;
    for (let i = 0; i < count; i++) {
      out[i] = text.substring(start, ends[i]);
      start = ends[i];
    }
    return out;
  }
  pos = 0;
  for (let i = 0; i < count; i++) {
    const n = dv.getUint32(pos, true);
    out[i] = utf8Decoder.decode(all.subarray(pos + 4, pos + 4 + n));
    pos += 4 + n;
  }
  return out;
}

export class Model implements ModelIndex {
  readonly format: string;
  readonly formatVersion: string | null;
  readonly tensors: Tensor[];
  readonly metadata: Record<string, unknown>;
  readonly graph: unknown;
  readonly findings: Finding[];
  readonly children: ChildInfo[];
  /** The index as the core produced it (what `inspect --json` prints). */
  readonly index: ModelIndex;
  private readonly byName = new Map<string, Tensor>();
  private closed = false;
  /** The options the model was opened with that pool workers need to open it the same way. */
  openOptions: { format?: string; core?: Record<string, unknown>; threads?: number } = {};

  /** Largest array read(), strings() and metadataArray() allocate (see DEFAULT_MAX_TENSOR_BYTES). */
  readonly maxTensorBytes: number;

  /** Bytes openChild() may still decompress, shared with every child opened from this model. */
  readonly inflateBudget: { left: number };

  constructor(readonly core: Core, readonly handle: number, readonly table: SourceTable, index: ModelIndex, limits: { maxTensorBytes?: number; inflateBudget?: { left: number } } = {}) {
    this.maxTensorBytes = limits.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
    this.inflateBudget = limits.inflateBudget ?? { left: 2 * 1024 * 1024 * 1024 };
    this.index = index;
    this.format = index.format;
    this.formatVersion = index.formatVersion;
    this.metadata = index.metadata;
    this.graph = index.graph;
    this.findings = index.findings;
    this.children = index.children;
    this.tensors = index.tensors.map((t, i) => new Tensor(this, i, t));
    for (const t of this.tensors) if (!this.byName.has(t.name)) this.byName.set(t.name, t);
  }

  get source(): Source {
    return this.table.main;
  }

  /** Opens an archive member (see `children`) as a model of its own. */
  async openChild(ref: number | string, options: import("./open.ts").OpenOptions = {}): Promise<Model> {
    const { openChild } = await import("./open.ts");
    return openChild(this, ref, options);
  }

  /**
   * Every tensor's values in index order. Local files of 256 MiB or more are read by a pool of
   * workers, one per core (options.threads chooses; 1 reads on this thread); the bytes are the
   * same either way.
   */
  async readAll(options: ReadOptions & { threads?: number } = {}): Promise<TypedArray[]> {
    this.assertOpen();
    const { readAll } = await import("./pool/read-all.ts");
    return readAll(this, options);
  }

  /** The tensor with this name (undefined when there is none). */
  tensor(name: string): Tensor | undefined {
    return this.byName.get(name);
  }

  /** Total element count over all tensors. */
  get parameterCount(): number {
    return this.tensors.reduce((a, t) => a + t.size, 0);
  }

  /** Parameters (elements) per stored dtype, largest first: { Q4_K: 6979321856, F32: 266240 }. */
  get parametersByDtype(): Record<string, number> {
    const by = new Map<string, number>();
    for (const t of this.tensors) by.set(t.dtype, (by.get(t.dtype) ?? 0) + t.size);
    return Object.fromEntries([...by].sort((a, b) => b[1] - a[1]));
  }

  /** The most severe finding's severity, or "none". */
  get highestSeverity(): Severity | "none" {
    let best = 0;
    for (const f of this.findings) best = Math.max(best, severityRank(f.severity));
    return best ? SEVERITY_ORDER[best - 1] : "none";
  }

  openRead(position: number, options: ReadOptions): number {
    this.assertOpen();
    let code = 0;
    if (options.dtype !== undefined) {
      const c = dtypeCode(options.dtype);
      if (c === undefined) throw new OmnimodelError("BAD_DTYPE", `unknown dtype "${options.dtype}"`, { file: this.source.name });
      code = c;
    }
    const h = this.core.exports.read_open(this.handle, position, code);
    if (h <= 0) throw new OmnimodelError("NOT_FOUND", `tensor #${position} cannot be read`, { file: this.source.name });
    return h;
  }

  withRead<T>(position: number, options: ReadOptions, fn: (h: number) => T): T {
    const h = this.openRead(position, options);
    try {
      return fn(h);
    } finally {
      this.core.exports.job_close(h);
    }
  }

  async driveRead(position: number, options: ReadOptions, handlers: Parameters<typeof drive>[3]): Promise<void> {
    const h = this.openRead(position, options);
    try {
      await drive(this.core, h, this.table, handlers);
    } finally {
      this.core.exports.job_close(h);
    }
  }

  /**
   * All elements of a metadata array, including those the index shows only as
   * `{type, length, offset}` (GGUF tokenizer vocabularies): a typed array for numbers (BOOL as
   * Uint8Array of 0/1 as stored, 64-bit integers as BigInt arrays) or string[] for strings.
   */
  /**
   * A large metadata array (a GGUF vocabulary), read on demand. `limit` reads only the first
   * `limit` items (a preview), stopping the read as soon as they have arrived.
   */
  async metadataArray(key: string, options: { limit?: number } = {}): Promise<TypedArray | string[]> {
    this.assertOpen();
    const e = this.core.exports;
    const h = this.core.withString(key, (p, l) => e.metadata_array(this.handle, p, l));
    if (h <= 0) {
      const code = -h === 14 ? "UNSUPPORTED" : -h === 22 ? "NOT_FOUND" : "BAD_ARGUMENT";
      const why = code === "UNSUPPORTED" ? "is an array of arrays, which is not streamed" : code === "NOT_FOUND" ? "is not a metadata array of this model" : "cannot be read";
      throw new OmnimodelError(code, `metadata "${key}" ${why}`, { file: this.source.name });
    }
    try {
      const desc = JSON.parse(this.core.result(h)) as { dtype: string; length: number };
      const want = options.limit === undefined ? desc.length : Math.max(0, Math.min(desc.length, Math.floor(options.limit)));
      const parts: Uint8Array[] = [];
      let total = 0;
      const enough = new PrefixCounter(desc.dtype, want);
      try {
        await drive(this.core, h, this.table, {
          output: (b) => {
            total += b.byteLength;
            if (total > this.maxTensorBytes) throw tooLarge(`metadata "${key}"`, total, this.maxTensorBytes, this.source.name);
            parts.push(b.slice());
            if (want < desc.length && enough.feed(b)) throw STOP;
          },
        });
      } catch (err) {
        if (err !== STOP) throw err;
      }
      const all = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.byteLength;
      }
      if (desc.dtype !== "STR") return arrayFor(desc.dtype, all.buffer, 0, Math.min(total, want * elementBytes(desc.dtype)));
      return decodeStrings(all, want);
    } finally {
      e.job_close(h);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new OmnimodelError("BAD_ARGUMENT", "the model is closed", { file: this.source.name });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.core.exports.job_close(this.handle);
    await this.table.close();
  }
}
