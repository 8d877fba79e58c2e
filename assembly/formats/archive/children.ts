// Archive members that are models in their own right (a .pt inside a zip, a .mar's
// serializedFile, a .keras archive's extra files). Each child records where its bytes are
// (possibly compressed) so `child_open` can hand it to the host as a model of its own, and what
// its first bytes look like.

import { Context, ST_DONE } from "../../core/context";
import { decodePrefix } from "../../containers/prefix";
import { resolveMember, ZipArchive, ZipEntry } from "../../containers/zip";
import { Child, CODEC_NONE, SEV_INFO, SEV_MEDIUM } from "../../core/model";
import { Sniff, SNIFF_BYTES, detectFormat } from "../format";
import { HeadCheck } from "../../jobs/read-job";
import { reportUnread, unreadContainer } from "./unread";

// Every member's first bytes are sniffed for its format, within one budget per index of bytes
// read and decoded for it (an archive of a million members, or members overlapping one huge
// compressed range, cannot make indexing unbounded). Members past the budget are listed without
// a format and detected from their first output when opened (child_open). Only the verdict is
// kept per member, not its bytes.
export const SNIFF_TOTAL: u64 = 256 * 1024 * 1024;
// Compressed bytes one member's sniff may consume: deflate needs far less than this for 4 KiB.
const SNIFF_INPUT: u64 = 1024 * 1024;
const INPUT_STEP: u64 = 64 * 1024; // decodePrefix feeds whole steps

class SniffBudget {
  limit: u64 = SNIFF_TOTAL;
  used: u64 = 0;
  unsniffed: i32 = 0;
}

class SniffVerdict {
  // unread: what the member is when it is a container not read here (7-Zip, RAR, zstd), else ""
  constructor(public format: string | null, public error: string, public unread: string = "") {}
}

// A member whose compressed data cannot be decoded: unreadable, and the scan says so once.
function corrupt(ctx: Context, e: ZipEntry, c: Child, error: string): void {
  c.readable = false;
  if (!incompleteListed(ctx, e.name)) ctx.index.addFinding(SEV_MEDIUM, "scan-incomplete", "zip: member \"" + e.name + "\" was not scanned: its compressed data is corrupt (" + error + ").", e.name);
}

function budgetOf(ctx: Context): SniffBudget {
  if (ctx.memo.has("sniff-budget")) return changetype<SniffBudget>(ctx.memo.get("sniff-budget"));
  const b = new SniffBudget();
  // Core option archiveSniffBytes: another budget (0 = detect every member only when opened).
  const o = ctx.options.get("archiveSniffBytes");
  if (o !== null && o.isNonNegInt()) b.limit = o.asU64();
  ctx.memo.set("sniff-budget", b);
  return b;
}

// Index-wide: a word when some members were listed without a format.
export function unsniffedFinding(ctx: Context): void {
  if (!ctx.memo.has("sniff-budget")) return;
  const b = changetype<SniffBudget>(ctx.memo.get("sniff-budget"));
  if (b.unsniffed == 0) return;
  ctx.index.addFinding(SEV_INFO, "archive-members-not-sniffed", b.unsniffed.toString() + " archive members were listed without a format: detecting them would read more than the " + b.limit.toString() + " bytes allowed (archiveSniffBytes); openChild detects each from its first bytes", "");
}

// Detection on a member's first bytes (the tail is not at hand: the head stands in for it).
export function sniffFormat(p: usize, n: usize, size: u64, name: string): string | null {
  const f = detectFormat(Sniff.of(p, p, <u64>n, size, name));
  return f ? f.id : null;
}

// Adds a zip member as a child. Returns ST_DONE, or the pending/failed status.
export function zipChild(ctx: Context, a: ZipArchive, e: ZipEntry): i32 {
  const c = new Child(e.name);
  c.source = a.source;
  c.size = e.usize;
  c.codec = e.codec();
  if ((e.method == 0 || e.method == 8) && !e.encrypted) {
    const st = resolveMember(ctx, a, e);
    if (st != ST_DONE) return st;
    c.offset = e.dataOffset;
    c.length = e.csize;
    c.readable = true;
    if (e.usize > 0) {
      const st = sniffMember(ctx, a, e, c);
      if (st != ST_DONE) return st;
    }
  }
  ctx.index.children.push(c);
  return ST_DONE;
}

// Whether a scan-incomplete finding already names this member (the pickle pass may have met the
// same corrupt stream first).
function incompleteListed(ctx: Context, name: string): bool {
  const f = ctx.index.findings;
  for (let i = 0; i < f.length; i++) if (f[i].code == "scan-incomplete" && f[i].location == name) return true;
  return false;
}

// Sets c.format (and c.sniffed) from the member's first bytes, within the index's budget. The
// verdict is memoised, so a re-run after a cache miss neither decodes nor charges it again.
function sniffMember(ctx: Context, a: ZipArchive, e: ZipEntry, c: Child): i32 {
  const key = "sniff:" + a.source.toString() + ":" + e.dataOffset.toString();
  if (ctx.memo.has(key)) {
    const v = changetype<SniffVerdict>(ctx.memo.get(key));
    if (v.error.length) corrupt(ctx, e, c, v.error);
    else {
      c.format = v.format;
      c.sniffed = true;
      if (v.unread.length && !incompleteListed(ctx, e.name)) reportUnread(ctx, "zip", e.name, v.unread);
    }
    return ST_DONE;
  }
  const b = budgetOf(ctx);
  const n = e.usize < SNIFF_BYTES ? e.usize : SNIFF_BYTES;
  // Stored members cost their n bytes; a deflated one at most SNIFF_INPUT (and a step) plus n.
  // Each member is charged what it used once (its verdict is memoised), in listing order.
  const worst = c.codec == CODEC_NONE ? n : (e.csize < SNIFF_INPUT + INPUT_STEP ? e.csize : SNIFF_INPUT + INPUT_STEP) + n;
  if (b.used >= b.limit || worst > b.limit - b.used) {
    b.unsniffed++;
    c.sniffDeferred = true;
    return ST_DONE;
  }
  const pre = decodePrefix(ctx, a.source, e.dataOffset, e.csize, c.codec, n, true, false, SNIFF_INPUT);
  if (pre.status != ST_DONE) return pre.status;
  b.used += c.codec == CODEC_NONE ? n : pre.consumed + <u64>pre.len;
  if (pre.error.length) {
    // listed, but neither sniffed nor opened: its bytes cannot be decompressed
    corrupt(ctx, e, c, pre.error);
    ctx.memo.set(key, new SniffVerdict(null, pre.error));
    return ST_DONE;
  }
  c.format = sniffFormat(pre.ptr, pre.len, e.usize, e.name);
  c.sniffed = true;
  const unread = c.format === null ? unreadContainer(pre.ptr, pre.len) : "";
  if (pre.owned) heap.free(pre.ptr);
  if (unread.length && !incompleteListed(ctx, e.name)) reportUnread(ctx, "zip", e.name, unread);
  ctx.memo.set(key, new SniffVerdict(c.format, "", unread));
  return ST_DONE;
}

// For child_open of a compressed member listed without a format: its first decoded window is
// sniffed before any of it reaches the host.
export class ChildSniff extends HeadCheck {
  constructor(public name: string, public size: u64) { super(); }

  check(p: usize, n: usize): string | null {
    if (sniffFormat(p, n, this.size, this.name) !== null) return null;
    return "archive member \"" + this.name + "\": its first bytes match no format";
  }
}
