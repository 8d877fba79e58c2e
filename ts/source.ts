// Where model bytes come from. The core asks for byte ranges; a Source delivers them. Hosts
// implement Sources for their I/O (files, Blobs, HTTP Range requests, memory).

import { OmnimodelError } from "./errors.ts";

export interface Source {
  /** A name for messages: a path, a URL, a file name. */
  readonly name: string;
  /** The base name the core sees (for findings such as an extension that contradicts content). */
  readonly baseName: string;
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Synchronous fast path: fills `target` with the bytes at `offset` (positional file reads). */
  readSyncInto?(target: Uint8Array, offset: number): void;
  /**
   * Opens a file the model refers to, by a path relative to this source's directory. The core has
   * already refused absolute paths and `..`; implementations must still keep the result inside the
   * directory (symlinks included) and throw an OmnimodelError PATH_VIOLATION or SOURCE_MISSING.
   */
  sibling?(relativePath: string): Promise<Source>;
  close?(): void | Promise<void>;
  /** Facts about the transport (e.g. a server without Range support) added to the model's findings. */
  readonly findings?: import("./model.ts").Finding[];
}

/** Bytes already in memory (Uint8Array / ArrayBuffer), optionally with named siblings. */
export class BytesSource implements Source {
  readonly size: number;
  private readonly data: Uint8Array;

  constructor(data: Uint8Array | ArrayBuffer, readonly name = "bytes", private readonly siblings?: Map<string, Uint8Array | ArrayBuffer>) {
    this.data = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.size = this.data.byteLength;
  }

  get baseName(): string {
    return this.name.split("/").pop() ?? this.name;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return this.data.subarray(offset, offset + length);
  }

  readSyncInto(target: Uint8Array, offset: number): void {
    target.set(this.data.subarray(offset, offset + target.length));
  }

  async sibling(relativePath: string): Promise<Source> {
    const s = this.siblings?.get(relativePath);
    if (!s) throw new OmnimodelError("SOURCE_MISSING", `"${relativePath}" was not provided with the bytes (pass it in options.siblings)`, { file: this.name });
    return new BytesSource(s, relativePath, this.siblings);
  }
}

/** A byte range of another source (a stored archive member opened as its own model). */
export class SliceSource implements Source {
  /** parent: the source this is a byte range of; start: where the range begins in it. */
  constructor(readonly parent: Source, readonly start: number, readonly size: number, readonly name: string) {}

  get baseName(): string {
    return this.name.split("/").pop() ?? this.name;
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    return this.parent.read(this.start + offset, length);
  }

  get readSyncInto(): ((target: Uint8Array, offset: number) => void) | undefined {
    const p = this.parent;
    if (!p.readSyncInto) return undefined;
    return (target, offset) => p.readSyncInto!(target, this.start + offset);
  }
}

/**
 * Where byte `offset` of `source` lies in `root`, following archive members read in place
 * (SliceSource chains); null when a member on the way was decompressed into memory, so the byte
 * has no position in the file.
 */
export function offsetInRoot(source: Source, offset: number, root: Source): number | null {
  let s = source;
  let at = offset;
  while (s !== root) {
    if (!(s instanceof SliceSource)) return null;
    at += s.start;
    s = s.parent;
  }
  return at;
}
