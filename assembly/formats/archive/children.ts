// Archive members that are models in their own right (a .pt inside a zip, a .mar's
// serializedFile, a .keras archive's extra files). Each child records where its bytes are
// (possibly compressed) so `child_open` can hand it to the host as a model of its own, and what
// its first bytes look like.

import { Context, ST_DONE } from "../../core/context";
import { decodePrefix } from "../../containers/prefix";
import { resolveMember, ZipArchive, ZipEntry } from "../../containers/zip";
import { Child, SEV_MEDIUM } from "../../core/model";
import { Sniff, SNIFF_BYTES, detectFormat } from "../format";
import { reportUnreadMember } from "./unread";

// Members whose first bytes are sniffed for their format (the rest are listed without one).
const MAX_SNIFFED = 256;

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
    if (e.usize > 0 && ctx.index.children.length < MAX_SNIFFED) {
      const n = e.usize < SNIFF_BYTES ? e.usize : SNIFF_BYTES;
      const pre = decodePrefix(ctx, a.source, e.dataOffset, e.csize, c.codec, n, true);
      if (pre.status != ST_DONE) return pre.status;
      if (pre.error.length) {
        // listed, but neither sniffed nor opened: its bytes cannot be decompressed
        c.readable = false;
        if (!incompleteListed(ctx, e.name)) ctx.index.addFinding(SEV_MEDIUM, "scan-incomplete", "zip: member \"" + e.name + "\" was not scanned: its compressed data is corrupt (" + pre.error + ").", e.name);
      } else {
        c.format = sniffFormat(pre.ptr, pre.len, e.usize, e.name);
        c.sniffed = true;
        if (c.format === null) reportUnreadMember(ctx, "zip", e.name, pre.ptr, pre.len);
      }
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
