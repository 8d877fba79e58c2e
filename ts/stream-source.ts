// A URL whose server ignores Range requests: one streamed GET read forward, so inspect and scan
// still work (the "fall back, do not fail"). Memory stays bounded: the bytes already
// passed are kept only in two windows (the head of the file, which most formats re-read, and the
// most recent bytes); a read behind both restarts the GET from the start and skips forward. Each
// restart costs a re-download, so the model carries an info finding that says so.

import { OmnimodelError } from "./errors.ts";
import type { Finding } from "./model.ts";
import type { Source } from "./source.ts";
import { urlBaseName, type UrlSourceOptions } from "./web-sources.ts";

/** UrlSource's options (headers, fetch, onBytes, headBytes, windowBytes) and how to open siblings. */
export type StreamedUrlOptions = UrlSourceOptions & {
  /** Opens a file next to this one (set by UrlSource). */
  openSibling?: (relativePath: string) => Promise<Source>;
};

const DEFAULT_HEAD = 1024 * 1024;
const DEFAULT_WINDOW = 64 * 1024 * 1024;

export class StreamedUrlSource implements Source {
  /** What the host adds to the model's findings (the core never sees the transport). */
  readonly findings: Finding[];
  /** GET requests made so far (1 + restarts). */
  requests = 1;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null;
  private pos = 0; // bytes of the current GET consumed so far
  private pending: Uint8Array | null = null; // received, not yet consumed
  private head: Uint8Array;
  private headLen = 0;
  private window: Uint8Array;
  private windowEnd = 0; // file offset one past the window's last byte
  private windowLen = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly url: URL, readonly size: number, body: ReadableStream<Uint8Array>, private readonly options: StreamedUrlOptions) {
    this.reader = body.getReader();
    this.head = new Uint8Array(Math.min(size, options.headBytes ?? DEFAULT_HEAD));
    this.window = new Uint8Array(Math.min(size, options.windowBytes ?? DEFAULT_WINDOW));
    this.findings = [{
      severity: "info",
      code: "range-unsupported",
      message: `the server ignores Range requests; the file is read as one streamed download (${size} bytes), restarted when a read goes back`,
      location: url.href,
      impact: "Inspecting this file may download all of it, more than once for formats read from the end (zip, npz, .keras).",
    }];
  }

  /** From the 200 response of the probe: its body is the whole file, read as it is needed. */
  static fromResponse(url: URL, res: Response, options: StreamedUrlOptions): StreamedUrlSource {
    const len = res.headers.get("content-length");
    if (!res.body || len === null || !/^\d+$/.test(len)) {
      void res.body?.cancel();
      throw new OmnimodelError("UNSUPPORTED", "the server ignores Range requests and does not report the file size (Content-Length), so the file cannot be read", { file: url.href });
    }
    return new StreamedUrlSource(url, Number(len), res.body, options);
  }

  get name(): string {
    return this.url.href;
  }

  get baseName(): string {
    return urlBaseName(this.url);
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    // Reads share one stream: run them one after another.
    const run = this.queue.then(() => this.readNow(offset, length));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readNow(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new OmnimodelError("IO", `bytes ${offset}-${offset + length - 1} are outside the file (${this.size} bytes)`, { file: this.name, offset });
    }
    const out = new Uint8Array(length);
    if (length === 0) return out;
    let done = 0;
    // From what is already here: the head, then the recent window.
    done = this.fromKept(out, offset, done);
    if (done === length) return out;
    if (offset + done < this.pos) await this.restart();
    // Forward: skip to the start, then copy.
    while (done < length) {
      const chunk = await this.next();
      const at = this.pos - chunk.byteLength; // file offset of chunk[0]
      const want = offset + done;
      if (want < this.pos) {
        const from = want - at;
        const n = Math.min(chunk.byteLength - from, length - done);
        out.set(chunk.subarray(from, from + n), done);
        done += n;
        if (from + n < chunk.byteLength) this.unconsume(chunk.subarray(from + n));
      }
    }
    return out;
  }

  /** Copies the part of [offset+done, offset+out.length) held in the head or the window. */
  private fromKept(out: Uint8Array, offset: number, done: number): number {
    for (;;) {
      const at = offset + done;
      if (at < this.headLen) {
        const n = Math.min(this.headLen - at, out.byteLength - done);
        out.set(this.head.subarray(at, at + n), done);
        done += n;
      } else if (at >= this.windowEnd - this.windowLen && at < this.windowEnd) {
        const n = Math.min(this.windowEnd - at, out.byteLength - done);
        const ring = this.window.byteLength;
        for (let k = 0; k < n;) {
          const r = (at + k) % ring;
          const m = Math.min(n - k, ring - r);
          out.set(this.window.subarray(r, r + m), done + k);
          k += m;
        }
        done += n;
      } else return done;
      if (done === out.byteLength) return done;
    }
  }

  /** The next received chunk; its bytes are counted as consumed and kept in the windows. */
  private async next(): Promise<Uint8Array> {
    let chunk = this.pending;
    this.pending = null;
    if (!chunk) {
      if (!this.reader) throw new OmnimodelError("IO", "the download was closed", { file: this.name });
      const r = await this.reader.read();
      if (r.done || !r.value) throw new OmnimodelError("IO", `the server sent ${this.pos} of ${this.size} bytes`, { file: this.name, offset: this.pos });
      chunk = r.value;
      this.options.onBytes?.(chunk.byteLength);
      this.keep(chunk, this.pos);
    }
    this.pos += chunk.byteLength;
    return chunk;
  }

  /** Gives back the unread tail of the last chunk (it was already kept). */
  private unconsume(rest: Uint8Array): void {
    this.pending = rest;
    this.pos -= rest.byteLength;
  }

  private keep(chunk: Uint8Array, at: number): void {
    if (at < this.head.byteLength && at >= this.headLen) {
      const n = Math.min(chunk.byteLength, this.head.byteLength - at);
      this.head.set(chunk.subarray(0, n), at);
      this.headLen = at + n;
    }
    if (at !== this.windowEnd) return; // a restart re-reads bytes the window may already hold
    const ring = this.window.byteLength;
    if (ring === 0) return;
    const src = chunk.byteLength > ring ? chunk.subarray(chunk.byteLength - ring) : chunk;
    const start = at + chunk.byteLength - src.byteLength;
    for (let k = 0; k < src.byteLength;) {
      const r = (start + k) % ring;
      const m = Math.min(src.byteLength - k, ring - r);
      this.window.set(src.subarray(k, k + m), r);
      k += m;
    }
    this.windowEnd = at + chunk.byteLength;
    this.windowLen = Math.min(ring, this.windowLen + chunk.byteLength);
  }

  private async restart(): Promise<void> {
    await this.reader?.cancel().catch(() => undefined);
    this.reader = null;
    this.pending = null;
    const f = this.options.fetch ?? fetch;
    const res = await f(this.url, { headers: { ...this.options.headers } });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new OmnimodelError("IO", `HTTP ${res.status} when downloading the file again`, { file: this.name });
    }
    this.requests++;
    this.reader = res.body.getReader();
    this.pos = 0;
    // The window follows the new stream from its first byte (the head is kept: it never changes).
    this.windowEnd = 0;
    this.windowLen = 0;
  }

  /** Siblings resolve as for a Range-capable URL (same directory, same origin). */
  sibling(relativePath: string): Promise<Source> {
    if (!this.options.openSibling) throw new OmnimodelError("SOURCE_MISSING", `"${relativePath}" cannot be opened from here`, { file: this.name });
    return this.options.openSibling(relativePath);
  }

  async close(): Promise<void> {
    await this.reader?.cancel().catch(() => undefined);
    this.reader = null;
  }
}
