// The core's only way to see file bytes. It never reads: it keeps windows the host has fed and,
// on a miss, records one request ("need") that the host satisfies before the job runs again.
// Parsers therefore run from the start on every attempt and must treat a 0 pointer from `view`
// as "stop here" (see Context.pending). Readahead grows on sequential misses so a long header
// costs a handful of attempts, not one per field.

import { E_BAD_ARGUMENT, E_IO } from "../core/errors";

export const SOURCE_PENDING: i32 = -1; // the host has not said yet whether the sibling exists
export const SOURCE_FAILED: i32 = -2;

export const NEED_NONE: i32 = 0;
export const NEED_BYTES: i32 = 1;
export const NEED_SOURCE: i32 = 2;

const MIN_READAHEAD: u64 = 64 * 1024;
// Capped at 1 MiB so a remote header costs at most 1 MiB more than its size (more runs, each
// cheap, instead of fetching megabytes the index never looks at).
const MAX_READAHEAD: u64 = 1024 * 1024;

export class Source {
  name: string;
  size: u64 = 0;
  // 0 unknown (asked), 1 ready, 2 failed
  state: i32 = 0;
  failCode: i32 = 0;
  failMessage: string = "";
  lastNeedEnd: u64 = 0;
  readahead: u64 = MIN_READAHEAD;
  constructor(name: string) { this.name = name; }
}

class Window {
  constructor(public source: i32, public start: u64, public len: u64, public ptr: usize, public used: u64) {}
}

export class Reader {
  sources: Source[] = [];
  private windows: Window[] = [];
  private cached: u64 = 0;
  private clock: u64 = 0;
  cacheCap: u64 = 256 * 1024 * 1024;
  maxView: u64 = 256 * 1024 * 1024;

  need: i32 = NEED_NONE;
  needSource: i32 = 0;
  needOffset: u64 = 0;
  needLength: u64 = 0;
  needName: string = "";
  // Set when a view was refused because it lies past the end of its source or is too large.
  outOfBounds: bool = false;
  tooLarge: bool = false;

  // Staging buffer for the bytes the host is about to feed.
  private feedPtr: usize = 0;
  private feedLen: u64 = 0;
  private scratch: usize = heap.alloc(16);

  constructor(mainName: string, mainSize: u64) {
    const s = new Source(mainName);
    s.size = mainSize;
    s.state = 1;
    this.sources.push(s);
  }

  // Called at the start of each attempt.
  reset(): void {
    this.need = NEED_NONE;
    this.outOfBounds = false;
    this.tooLarge = false;
  }

  pending(): bool { return this.need != NEED_NONE; }

  size(src: i32): u64 { return this.sources[src].size; }

  // Pointer to len bytes of src at off, or 0 (missing: a need is recorded; or out of bounds).
  view(src: i32, off: u64, len: u64): usize {
    if (len == 0) return this.scratch;
    if (this.need != NEED_NONE) return 0;
    if (src < 0 || src >= this.sources.length) { this.outOfBounds = true; return 0; }
    const s = this.sources[src];
    if (off > s.size || len > s.size - off) { this.outOfBounds = true; return 0; }
    if (len > this.maxView) { this.tooLarge = true; return 0; }
    const end = off + len;
    const ws = this.windows;
    for (let i = ws.length - 1; i >= 0; i--) {
      const w = unchecked(ws[i]);
      if (w.source == src && w.start <= off && end <= w.start + w.len) {
        w.used = ++this.clock;
        return w.ptr + <usize>(off - w.start);
      }
    }
    // Miss: ask for the range plus readahead, growing while the misses are sequential.
    const near = off >= s.lastNeedEnd ? off - s.lastNeedEnd : s.lastNeedEnd - off;
    if (s.lastNeedEnd != 0 && near <= MIN_READAHEAD) {
      s.readahead = s.readahead * 2 > MAX_READAHEAD ? MAX_READAHEAD : s.readahead * 2;
    } else {
      s.readahead = MIN_READAHEAD;
    }
    let want = len > s.readahead ? len : s.readahead;
    if (want > s.size - off) want = s.size - off;
    this.need = NEED_BYTES;
    this.needSource = src;
    this.needOffset = off;
    this.needLength = want;
    s.lastNeedEnd = off + want;
    return 0;
  }

  // Source id for a sibling path (already checked by the caller's resolver rules), or
  // SOURCE_PENDING (a need for it is recorded) or SOURCE_FAILED.
  source(name: string): i32 {
    for (let i = 0; i < this.sources.length; i++) {
      const s = this.sources[i];
      if (s.name == name) {
        if (s.state == 1) return i;
        if (s.state == 2) return SOURCE_FAILED;
        if (this.need == NEED_NONE) { this.need = NEED_SOURCE; this.needSource = i; this.needName = name; }
        return SOURCE_PENDING;
      }
    }
    const s = new Source(name);
    this.sources.push(s);
    if (this.need == NEED_NONE) {
      this.need = NEED_SOURCE;
      this.needSource = this.sources.length - 1;
      this.needName = name;
    }
    return SOURCE_PENDING;
  }

  sourceFailCode(name: string): i32 {
    for (let i = 0; i < this.sources.length; i++) if (this.sources[i].name == name) return this.sources[i].failCode;
    return 0;
  }

  sourceFailure(name: string): string {
    for (let i = 0; i < this.sources.length; i++) if (this.sources[i].name == name) return this.sources[i].failMessage;
    return "";
  }

  // Host answers a NEED_SOURCE.
  resolveSource(id: i32, size: u64): i32 {
    if (id <= 0 || id >= this.sources.length) return E_BAD_ARGUMENT;
    const s = this.sources[id];
    s.size = size;
    s.state = 1;
    return 0;
  }

  failSource(id: i32, code: i32, message: string): i32 {
    if (id <= 0 || id >= this.sources.length) return E_BAD_ARGUMENT;
    const s = this.sources[id];
    s.state = 2;
    s.failCode = code;
    s.failMessage = message;
    return 0;
  }

  // Host asks where to write `len` bytes for the current need.
  feedBuffer(len: u64): usize {
    if (this.need != NEED_BYTES || len == 0 || len > this.maxView + MAX_READAHEAD) return 0;
    if (this.feedPtr) heap.free(this.feedPtr);
    this.feedPtr = heap.alloc(<usize>len);
    this.feedLen = len;
    return this.feedPtr;
  }

  // Host has written `len` bytes at the feed buffer; they are the source's bytes at needOffset.
  commit(len: u64): i32 {
    if (this.need != NEED_BYTES || this.feedPtr == 0 || len > this.feedLen) return E_BAD_ARGUMENT;
    if (len < this.needLength) {
      heap.free(this.feedPtr);
      this.feedPtr = 0;
      return E_IO;
    }
    this.windows.push(new Window(this.needSource, this.needOffset, len, this.feedPtr, ++this.clock));
    this.cached += len;
    this.feedPtr = 0;
    this.feedLen = 0;
    this.need = NEED_NONE;
    this.evict();
    return 0;
  }

  // Drops least-recently-used windows beyond the cache cap (never the newest).
  private evict(): void {
    while (this.cached > this.cacheCap && this.windows.length > 1) {
      let oldest = 0;
      for (let i = 1; i < this.windows.length - 1; i++) {
        if (this.windows[i].used < this.windows[oldest].used) oldest = i;
      }
      const w = this.windows[oldest];
      heap.free(w.ptr);
      this.cached -= w.len;
      this.windows.splice(oldest, 1);
    }
  }

  dispose(): void {
    for (let i = 0; i < this.windows.length; i++) heap.free(this.windows[i].ptr);
    this.windows = [];
    this.cached = 0;
    if (this.feedPtr) heap.free(this.feedPtr);
    this.feedPtr = 0;
    if (this.scratch) heap.free(this.scratch);
    this.scratch = 0;
  }
}
