// What a format module sees while it indexes: byte views, the index it fills, options, errors.
//
// Rhythm of a format's `index(ctx)`: take views, parse, fill ctx.index; on a 0 pointer return
// ctx.fail(...) — which turns into "pending" when the 0 was a cache miss (the job runs again once
// the host has fed the bytes) and into the error otherwise (out of bounds: the file is truncated).

import { Reader, SOURCE_FAILED, SOURCE_PENDING } from "../io/reader";
import { Index } from "./model";
import { JObj } from "../util/json";
import { E_LIMIT, E_PATH_VIOLATION, E_SOURCE_MISSING, E_TRUNCATED } from "./errors";
import { checkRelativePath } from "./paths";
import { SEV_HIGH } from "./model";

export const ST_DONE: i32 = 0;
export const ST_PENDING: i32 = 1;
export const ST_FAILED: i32 = -1;

export class Context {
  index: Index = new Index();
  errorCode: i32 = 0;
  errorMessage: string = "";
  errorOffset: u64 = 0;
  // Set by the host: file name (base name only; content decides the format, the name adds findings).
  name: string = "";
  // Options JSON given by the host (may be empty).
  options: JObj = new JObj();
  // Directory listing (relative paths) when the model was opened as a directory, else null.
  listing: string[] | null = null;
  // Results a format keeps between runs of the same job (parsed directories, decoded prefixes).
  // Only complete, deterministic results go here: a run may stop anywhere.
  memo: Map<string, Object> = new Map<string, Object>();

  constructor(public reader: Reader) {}

  get size(): u64 { return this.reader.size(0); }

  view(off: u64, len: u64): usize { return this.reader.view(0, off, len); }
  viewOf(src: i32, off: u64, len: u64): usize { return this.reader.view(src, off, len); }
  sourceSize(src: i32): u64 { return this.reader.size(src); }

  pending(): bool { return this.reader.pending(); }

  // Records an error unless the failure came from a cache miss; returns the status to return.
  fail(code: i32, message: string, offset: u64): i32 {
    if (this.reader.pending()) return ST_PENDING;
    if (this.reader.tooLarge) {
      code = E_LIMIT;
      message = "a single structure larger than the core's view limit: " + message;
    }
    this.errorCode = code;
    this.errorMessage = message;
    this.errorOffset = offset;
    return ST_FAILED;
  }

  // Shorthand for "a view failed": truncated file unless it was a miss.
  truncated(what: string, offset: u64): i32 {
    return this.fail(E_TRUNCATED, "the file ends inside " + what + " (needs bytes from offset " + offset.toString() + ")", offset);
  }

  // Opens a sibling file named by the model (ONNX external data, shards, ...). Applies the path
  // rules; a violation becomes a finding and the error. Returns a source id, ST_PENDING-like
  // negative values: -1 pending, -2 failed (ctx error set).
  sibling(ref: string, what: string): i32 {
    const rule = checkRelativePath(ref);
    if (rule.length) {
      this.index.addFinding(SEV_HIGH, "path-escape", what + " refers to \"" + ref + "\", which " + rule + "; loading it could read files outside the model's directory", ref);
      this.fail(E_PATH_VIOLATION, what + " refers to \"" + ref + "\", which " + rule, 0);
      return SOURCE_FAILED;
    }
    const id = this.reader.source(ref);
    if (id == SOURCE_FAILED) {
      const why = this.reader.sourceFailure(ref);
      if (this.reader.sourceFailCode(ref) == E_PATH_VIOLATION) {
        // The host's half of the resolver refused it (a symlink out of the directory).
        this.index.addFinding(SEV_HIGH, "path-escape", what + " refers to \"" + ref + "\", which leads outside the model's directory" + (why.length ? " (" + why + ")" : "") + "; loading it could read files elsewhere", ref);
        this.fail(E_PATH_VIOLATION, what + " \"" + ref + "\" leads outside the model's directory" + (why.length ? ": " + why : ""), 0);
      } else {
        this.fail(E_SOURCE_MISSING, what + " \"" + ref + "\" is not available" + (why.length ? ": " + why : ""), 0);
      }
    }
    return id;
  }
}

export { SOURCE_FAILED, SOURCE_PENDING };
