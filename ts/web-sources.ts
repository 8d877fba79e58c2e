// Sources available in every modern runtime: Blob/File and HTTP(S) URLs read with Range requests.

import { OmnimodelError } from "./errors.ts";
import type { Source } from "./source.ts";
import { StreamedUrlSource } from "./stream-source.ts";

/** A Blob or File; siblings come from an optional map of relative path -> Blob (a dropped folder). */
export class BlobSource implements Source {
  readonly size: number;
  constructor(private readonly blob: Blob, readonly name: string, private readonly siblings?: Map<string, Blob>, private readonly dir = "") {
    this.size = blob.size;
  }

  get baseName(): string {
    return this.name.split("/").pop() ?? this.name;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
  }

  /** What a pool worker needs to read the same files (Blobs cross to workers without copying). */
  shareable(): { kind: "blob"; blob: Blob; name: string; siblings: [string, Blob][]; dir: string } {
    return { kind: "blob", blob: this.blob, name: this.name, siblings: [...(this.siblings ?? [])], dir: this.dir };
  }

  async sibling(relativePath: string): Promise<Source> {
    const key = this.dir ? `${this.dir}/${relativePath}` : relativePath;
    const b = this.siblings?.get(key);
    if (!b) throw new OmnimodelError("SOURCE_MISSING", `"${relativePath}" is not among the files provided`, { file: this.name });
    const dir = key.includes("/") ? key.slice(0, key.lastIndexOf("/")) : "";
    return new BlobSource(b, key, this.siblings, dir);
  }
}

export interface UrlSourceOptions {
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Called with the bytes received so far (for progress and tests). */
  onBytes?: (n: number) => void;
  /** Servers without Range support: bytes kept from the file's start (default 1 MiB). */
  headBytes?: number;
  /** Servers without Range support: bytes kept behind the download's position (default 64 MiB). */
  windowBytes?: number;
}

/**
 * An http(s) URL read with Range requests. Siblings resolve against the URL and must stay under
 * the same directory of the same origin.
 */
export class UrlSource implements Source {
  private constructor(readonly url: URL, readonly size: number, private readonly options: UrlSourceOptions) {}

  get name(): string {
    return this.url.href;
  }

  get baseName(): string {
    return urlBaseName(this.url);
  }

  /**
   * Opens a URL. A server that ignores Range requests gets a StreamedUrlSource instead: one
   * streamed GET, with an info finding on the model (see stream-source.ts).
   */
  static async open(url: string | URL, options: UrlSourceOptions = {}): Promise<UrlSource | StreamedUrlSource> {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new OmnimodelError("BAD_ARGUMENT", `only http(s) URLs can be read, not ${u.protocol}`, { file: u.href });
    const f = options.fetch ?? fetch;
    // A one-byte range tells the size and whether ranges are honoured.
    const res = await f(u, { headers: { ...options.headers, Range: "bytes=0-0" } });
    if (res.status === 200) {
      return StreamedUrlSource.fromResponse(u, res, { ...options, openSibling: (rel) => resolveSibling(u, rel, options) });
    }
    if (res.status !== 206) throw new OmnimodelError("IO", `HTTP ${res.status} ${res.statusText}`, { file: u.href });
    const cr = res.headers.get("content-range");
    await res.arrayBuffer();
    const m = cr && /\/(\d+)\s*$/.exec(cr);
    if (!m) throw new OmnimodelError("IO", "the server did not report the file size (Content-Range)", { file: u.href });
    options.onBytes?.(1);
    return new UrlSource(u, Number(m[1]), options);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    const f = this.options.fetch ?? fetch;
    const res = await f(this.url, { headers: { ...this.options.headers, Range: `bytes=${offset}-${offset + length - 1}` } });
    if (res.status !== 206) throw new OmnimodelError("IO", `HTTP ${res.status} for bytes ${offset}-${offset + length - 1}`, { file: this.name, offset });
    const b = new Uint8Array(await res.arrayBuffer());
    this.options.onBytes?.(b.byteLength);
    if (b.byteLength !== length) throw new OmnimodelError("IO", `the server sent ${b.byteLength} of ${length} bytes`, { file: this.name, offset });
    return b;
  }

  async sibling(relativePath: string): Promise<Source> {
    return resolveSibling(this.url, relativePath, this.options);
  }

  /** What a pool worker needs to open the same URL (a custom fetch does not cross; headers do). */
  shareable(): { kind: "url"; url: string; headers?: Record<string, string> } | null {
    if (this.options.fetch) return null;
    return { kind: "url", url: this.url.href, headers: this.options.headers };
  }
}

/** The file name a URL ends in, decoded (what the core sees as the name). */
export function urlBaseName(url: URL): string {
  return decodeURIComponent(url.pathname.split("/").pop() ?? "");
}

function resolveSibling(url: URL, relativePath: string, options: UrlSourceOptions): Promise<Source> {
  const dir = new URL(".", url);
  const target = new URL(relativePath, dir);
  if (target.origin !== dir.origin || !target.pathname.startsWith(dir.pathname)) {
    throw new OmnimodelError("PATH_VIOLATION", `"${relativePath}" resolves outside the model's directory`, { file: url.href });
  }
  return UrlSource.open(target, options);
}
