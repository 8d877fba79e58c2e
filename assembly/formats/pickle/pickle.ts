// Plain Python pickles (.pkl, .pickle, and pickles under any other name), protocols 0-5, read by
// the non-executing pickle machine: every stacked pickle, every global with its verdict, numpy
// arrays folded into tensors, the rest of the object tree as metadata. Also a zip flavor for
// archives whose members are pickles (scanned, never loaded).

import { Context, ST_DONE } from "../../core/context";
import { E_CORRUPT, E_LIMIT, E_UNSUPPORTED } from "../../core/errors";
import { Segment, SEV_HIGH, SEV_MEDIUM } from "../../core/model";
import { resolveMember, ZipArchive, ZipEntry } from "../../containers/zip";
import { decodePrefix } from "../../containers/prefix";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_STRUCTURE, SNIFF_WEAK } from "../format";
import { ZipFlavor } from "../archive/zipflavor";
import { listChildren } from "../archive/zipgeneric";
import { runPickles, foldAndScan, addFindings, pickleFacts, addStreamTensors, PickleOutcome } from "../../pickle/bridge";
import { pickleErrorName, PickleError } from "../../pickle/errors";

// The largest pickle indexed in one view.
export const MAX_PICKLE_BYTES: u64 = 256 * 1024 * 1024;

// Opcodes a protocol 0/1 pickle can begin with.
function isTextPickleStart(c: i32): bool {
  return c == 0x28 || c == 0x5d || c == 0x7d || c == 0x29 || c == 0x63 || c == 0x4e || c == 0x49 || c == 0x4c ||
    c == 0x46 || c == 0x53 || c == 0x56 || c == 0x55 || c == 0x54 || c == 0x58 || c == 0x4b || c == 0x4a ||
    c == 0x4d || c == 0x47 || c == 0x88 || c == 0x89 || c == 0x69 || c == 0x6c || c == 0x64 || c == 0x42 || c == 0x43;
}

// Pickle-looking bytes: PROTO 2..5, or a protocol 0/1 opening opcode with STOP at the end.
export function looksLikePickle(head: usize, headLen: usize, lastByte: i32): i32 {
  if (headLen < 2) return SNIFF_NO;
  let c0 = <i32>load<u8>(head);
  if (c0 == 0x80) {
    const v = <i32>load<u8>(head + 1);
    if (v >= 2 && v <= 5) return SNIFF_STRUCTURE;
    return SNIFF_NO;
  }
  if (!isTextPickleStart(c0)) return SNIFF_NO;
  if (lastByte == 0x2e) return SNIFF_WEAK + 5;
  // protocol 0 with something after the STOP (a payload followed by garbage): the first
  // argument line must end and be followed by another opcode
  const isLine = c0 == 0x63 || c0 == 0x49 || c0 == 0x4c || c0 == 0x46 || c0 == 0x53 || c0 == 0x56 || c0 == 0x69;
  if (!isLine) return SNIFF_NO;
  const lim: usize = headLen < 512 ? headLen : 512;
  for (let i: usize = 1; i + 1 < lim; i++) {
    const b = <i32>load<u8>(head + i);
    if (b == 0x0a) {
      if (c0 == 0x63 || c0 == 0x69) { if (i == 1) return SNIFF_NO; c0 = 0; continue; } // module line, then name line
      const nx = <i32>load<u8>(head + i + 1);
      return isTextPickleStart(nx) || nx == 0x70 || nx == 0x30 || nx == 0x71 || nx == 0x2e || nx == 0x52 || nx == 0x74 || nx == 0x61 ? SNIFF_WEAK + 4 : SNIFF_NO;
    }
    if (b < 0x20 && b != 0x09 && b != 0x0d) return SNIFF_NO;
  }
  return SNIFF_NO;
}

// Indexes a pickle held in [ptr, ptr+len) whose bytes sit at `stream` in the file. Tensors with
// bytes inside the pickle get read plans; the tree goes to metadata under `key`.
export function indexPickleBytes(ctx: Context, ptr: usize, len: usize, stream: Segment, where: string, key: string): PickleOutcome {
  const m = runPickles(ptr, len, 0);
  const o = foldAndScan(m, ptr, len);
  addStreamTensors(ctx, o.fold, stream);
  addFindings(ctx.index, o.report, where, stream);
  const facts = pickleFacts(o);
  if (key.length) {
    ctx.index.metadata.set(key, facts);
    ctx.index.metadata.set(key == "pickle" ? "objects" : key + ".objects", o.fold.metadata);
  }
  for (let i = 0; i < o.fold.problems.length && i < 20; i++) ctx.index.addFinding(2, "pickle-fold", o.fold.problems[i], where);
  return o;
}

export class PickleFormat extends FormatModule {
  get id(): string { return "pickle"; }

  sniff(s: Sniff): i32 {
    const last = s.tailLen ? <i32>load<u8>(s.tail + s.tailLen - 1) : -1;
    return looksLikePickle(s.head, s.headLen, last);
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    if (size > MAX_PICKLE_BYTES) return ctx.fail(E_LIMIT, "pickle: " + size.toString() + " bytes is above the " + MAX_PICKLE_BYTES.toString() + "-byte limit of one view", 0);
    const p = ctx.view(0, size);
    if (!p) return ctx.truncated("the pickle", 0);
    ctx.index.format = "pickle";
    const o = indexPickleBytes(ctx, p, <usize>size, Segment.raw(0, 0, size), "", "pickle");
    const m = o.machine;
    // a frame violation is a finding (critical), not a reason to refuse the file
    if (m.error && m.error != PickleError.FRAME && m.g.globals.length == 0 && m.streams == 0) {
      return ctx.fail(E_CORRUPT, "pickle: " + pickleErrorName(m.error) + ": " + m.errorMsg, m.errorPos);
    }
    if (m.streams > 0) {
      const pv = m.protocols[0];
      ctx.index.formatVersion = pv < 0 ? "protocol 0-1" : "protocol " + pv.toString();
    }
    return ST_DONE;
  }
}

// A zip whose members are pickles (no PyTorch layout): every pickle member is scanned.
export class PickleZipFlavor extends ZipFlavor {
  get id(): string { return "pickle"; }

  // Names only break ties: any zip no other flavor claims is opened here and its members are
  // sniffed by content; one without pickles falls back to the generic listing.
  matches(a: ZipArchive): i32 {
    for (let i = 0; i < a.entries.length; i++) {
      const n = a.entries[i].name.toLowerCase();
      if (n.endsWith(".pkl") || n.endsWith(".pickle")) return 20;
    }
    return a.entries.length <= 4096 ? 2 : 0;
  }

  index(ctx: Context, a: ZipArchive): i32 {
    ctx.index.format = "pickle";
    ctx.index.formatVersion = "zip";
    let scanned = 0;
    for (let i = 0; i < a.entries.length; i++) {
      const e = a.entries[i];
      if (e.isDir()) continue;
      const st = scanZipMember(ctx, a, e);
      if (st != ST_DONE) return st;
      if (memberWasPickle) scanned++;
    }
    if (scanned == 0) {
      ctx.index.format = "zip";
      ctx.index.formatVersion = null;
      return listChildren(ctx, a);
    }
    return ST_DONE;
  }
}

// Set by scanZipMember: whether the member was read as a pickle.
export let memberWasPickle = false;

// Scans one zip member as a pickle when its content looks like one, whatever its name.
// Returns the ctx status (pending when bytes are missing).
export function scanZipMember(ctx: Context, a: ZipArchive, e: ZipEntry): i32 {
  memberWasPickle = false;
  if (e.method != 0 && e.method != 8) return ST_DONE;
  const st = resolveMember(ctx, a, e);
  if (st != ST_DONE) return st;
  // sniff the first bytes before decoding the whole member
  const head = decodePrefix(ctx, a.source, e.dataOffset, e.csize, e.codec(), 16, true);
  if (head.status != ST_DONE) return head.status;
  if (head.error.length) {
    ctx.index.addFinding(SEV_MEDIUM, "scan-incomplete", "zip: member \"" + e.name + "\" was not scanned: its compressed data is corrupt (" + head.error + ").", e.name);
    return ST_DONE;
  }
  if (looksLikePickle(head.ptr, head.len, 0x2e) == SNIFF_NO) return ST_DONE;
  if (e.usize > MAX_PICKLE_BYTES) {
    ctx.index.addFinding(SEV_MEDIUM, "scan-incomplete", "zip: member \"" + e.name + "\" (" + e.usize.toString() + " bytes) is above the " + MAX_PICKLE_BYTES.toString() + "-byte limit of one pickle scan and was not scanned.", e.name);
    return ST_DONE;
  }
  const pre = decodePrefix(ctx, a.source, e.dataOffset, e.csize, e.codec(), e.usize, true);
  if (pre.status != ST_DONE) return pre.status;
  if (pre.error.length) {
    ctx.index.addFinding(SEV_MEDIUM, "scan-incomplete", "zip: member \"" + e.name + "\" was not scanned: its compressed data is corrupt (" + pre.error + ").", e.name);
    return ST_DONE;
  }
  const last = pre.len ? <i32>load<u8>(pre.ptr + pre.len - 1) : -1;
  if (looksLikePickle(pre.ptr, pre.len, last) == SNIFF_NO) return ST_DONE;
  const seg = e.method == 0 ? Segment.raw(a.source, e.dataOffset, e.csize) : Segment.coded(a.source, e.dataOffset, e.csize, e.codec(), 0, e.usize);
  indexPickleBytes(ctx, pre.ptr, pre.len, seg, e.name, "");
  memberWasPickle = true;
  return ST_DONE;
}

export { E_UNSUPPORTED };
