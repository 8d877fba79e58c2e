// Indexing: sniff the content, pick the format, run its index until every byte it needs has
// been fed, then serialise the index. Each run starts the format from the top (see io/reader.ts);
// what a format memoises in ctx.memo survives between runs.

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../core/context";
import { describeUnknown } from "../core/describe";
import { E_LIMIT, E_UNKNOWN_FORMAT } from "../core/errors";
import { Index, SEV_LOW } from "../core/model";
import { detect, formatById } from "../formats/registry";
import { FormatModule, Sniff, SNIFF_BYTES } from "../formats/format";
import { unsniffedFinding } from "../formats/archive/children";
import { NEED_BYTES, NEED_SOURCE, Reader } from "../io/reader";
import { Job, S_DONE, S_ERROR, S_NEED_BYTES, S_NEED_SOURCE } from "./job";
import { extensionFindings } from "../formats/extensions";

const MAX_ATTEMPTS: i32 = 1_000_000;

export class IndexJob extends Job {
  reader: Reader;
  ctx: Context;
  format: FormatModule | null = null;
  attempts: i32 = 0;
  finished: bool = false;

  constructor(size: u64) {
    super();
    const reader = new Reader("", size);
    this.reader = reader;
    this.ctx = new Context(reader);
  }

  get index(): Index { return this.ctx.index; }

  run(): i32 {
    if (this.status == S_ERROR || this.finished) return this.status;
    if (++this.attempts > MAX_ATTEMPTS) return this.setError(E_LIMIT, "indexing needed more than " + MAX_ATTEMPTS.toString() + " rounds of input", 0);
    const r = this.reader;
    const ctx = this.ctx;
    r.reset();
    ctx.index = new Index();
    ctx.errorCode = 0;
    ctx.errorMessage = "";

    if (!this.format) {
      const forced = ctx.options.getStr("format");
      if (forced !== null) {
        this.format = formatById(forced);
        if (!this.format) return this.setError(E_UNKNOWN_FORMAT, "no format is called \"" + forced + "\"", 0);
      } else {
        const s = this.sniff();
        if (!s) return this.ask();
        this.format = detect(s);
        if (!this.format) {
          return this.setError(E_UNKNOWN_FORMAT, describeUnknown(s), 0);
        }
      }
    }
    const st = this.format!.index(ctx);
    if (r.pending() || st == ST_PENDING) return this.ask();
    if (st == ST_FAILED || ctx.errorCode != 0) return this.setError(ctx.errorCode, ctx.errorMessage, ctx.errorOffset);
    extensionFindings(ctx);
    unsniffedFinding(ctx);
    this.finished = true;
    this.result.clear();
    ctx.index.toJson(this.result);
    this.status = S_DONE;
    return S_DONE;
  }

  // The first and last bytes for detection; null when they still have to be fed.
  private sniff(): Sniff | null {
    const size = this.reader.size(0);
    const n = size < SNIFF_BYTES ? size : SNIFF_BYTES;
    const head = this.reader.view(0, 0, n);
    if (!head) return null;
    const tail = this.reader.view(0, size - n, n);
    if (!tail) return null;
    return Sniff.of(head, tail, n, size, this.ctx.name);
  }

  private ask(): i32 {
    const r = this.reader;
    if (r.need == NEED_BYTES) return this.needBytes(r.needSource, r.needOffset, r.needLength);
    if (r.need == NEED_SOURCE) {
      this.needSource = r.needSource;
      this.needName = r.needName;
      this.nameBuf.clear();
      this.nameBuf.str(r.needName);
      this.status = S_NEED_SOURCE;
      return S_NEED_SOURCE;
    }
    // The format said "pending" without a need: a bug, reported rather than looping.
    return this.setError(E_LIMIT, "the " + (this.format ? this.format!.id : "") + " reader stopped without asking for input", 0);
  }

  feedBuffer(len: u64): usize { return this.reader.feedBuffer(len); }
  commit(len: u64): i32 { return this.reader.commit(len); }
  resolveSource(id: i32, size: u64): i32 { return this.reader.resolveSource(id, size); }
  failSource(id: i32, code: i32, message: string): i32 { return this.reader.failSource(id, code, message); }

  dispose(): void {
    this.reader.dispose();
    super.dispose();
  }
}

export { S_DONE, SEV_LOW };
