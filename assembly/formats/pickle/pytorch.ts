// PyTorch checkpoints written by torch.save:
//  - the zip format (torch >= 1.6): <archive>/data.pkl + <archive>/data/<key> storages, any
//    top-level folder name, optional byteorder record;
//  - the legacy stacked-pickle format (0.1.10 - 1.5): magic, protocol, sys_info, the object,
//    the storage keys, then each storage as an i64 element count and its bytes.
// The pickles are read by the non-executing machine; tensors are folded with their storages,
// offsets and strides, and get read plans (views become runs of segments).

import { Context, ST_DONE } from "../../core/context";
import { E_CORRUPT, E_INVALID_HEADER, E_LIMIT, E_TRUNCATED } from "../../core/errors";
import { Plan, Segment, SEV_HIGH, SEV_LOW, SEV_MEDIUM } from "../../core/model";
import { prefetchLocalHeaders, resolveMember, ZipArchive, ZipEntry } from "../../containers/zip";
import { isTarHeader, openTar } from "../../containers/tar";
import { PickleMachine, Status } from "../../pickle/machine";
import { decodePrefix } from "../../containers/prefix";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NO } from "../format";
import { ZipFlavor } from "../archive/zipflavor";
import { runPickles, foldAndScan, addFindings, pickleFacts, addStreamTensors, viewPlan, indexTensor, PickleOutcome, streamPlan } from "../../pickle/bridge";
import { Folder, FoldResult, DataKind } from "../../pickle/fold";
import { buildReport } from "../../pickle/scan";
import { pickleErrorName } from "../../pickle/errors";
import { NodeKind } from "../../pickle/graph";
import { MAX_PICKLE_BYTES, looksLikePickle, scanZipMember, memberWasPickle } from "./pickle";
import { SNIFF_NO as NO_PICKLE } from "../format";

// The folder every record shares: the part of the first data.pkl's name before "data.pkl".
export function torchPrefix(a: ZipArchive, record: string): string | null {
  for (let i = 0; i < a.entries.length; i++) {
    const n = a.entries[i].name;
    if (n.endsWith("/" + record)) {
      const pre = n.substring(0, n.length - record.length);
      if (pre.indexOf("/") == pre.length - 1) return pre; // exactly one folder level
    }
  }
  return null;
}

export class MemberBytes {
  status: i32 = ST_DONE;
  ptr: usize = 0;
  len: usize = 0;
  segment: Segment | null = null;
}

// Whole content of a stored or deflated member (bounded by MAX_PICKLE_BYTES).
export function memberBytes(ctx: Context, a: ZipArchive, e: ZipEntry): MemberBytes {
  const r = new MemberBytes();
  if (e.usize > MAX_PICKLE_BYTES) { r.status = ctx.fail(E_LIMIT, "pytorch: member \"" + e.name + "\" is larger than " + MAX_PICKLE_BYTES.toString() + " bytes", e.localOffset); return r; }
  const st = resolveMember(ctx, a, e);
  if (st != ST_DONE) { r.status = st; return r; }
  const pre = decodePrefix(ctx, a.source, e.dataOffset, e.csize, e.codec(), e.usize);
  if (pre.status != ST_DONE) { r.status = pre.status; return r; }
  r.ptr = pre.ptr;
  r.len = pre.len;
  r.segment = e.method == 0 ? Segment.raw(a.source, e.dataOffset, e.csize) : Segment.coded(a.source, e.dataOffset, e.csize, e.codec(), 0, e.usize);
  return r;
}

// Runs one pickle record of a torch zip and adds its tensors, with storages under `storageDir`.
// Returns the ctx status.
export function indexTorchRecord(ctx: Context, a: ZipArchive, e: ZipEntry, storageDir: string, namePrefix: string, bigEndian: bool, metaKey: string): i32 {
  // The parse is complete and deterministic once the record's bytes are in: keep it for the
  // job's later runs (every missing byte range restarts the index from the top).
  const key = "torch-record:" + a.source.toString() + ":" + e.name + ":" + namePrefix;
  let o: PickleOutcome;
  if (ctx.memo.has(key)) o = changetype<PickleOutcome>(ctx.memo.get(key));
  else {
    const mb = memberBytes(ctx, a, e);
    if (mb.status != ST_DONE) return mb.status;
    const m0 = runPickles(mb.ptr, mb.len, 0);
    const fr0 = new Folder(m0.g).run();
    const rep0 = buildReport(m0, mb.ptr, mb.len, 0);
    o = new PickleOutcome(m0, fr0, rep0);
    o.stream = mb.segment;
    for (let i = 0; i < fr0.tensors.length; i++) {
      const t = fr0.tensors[i];
      if (namePrefix.length) t.name = t.name.length ? namePrefix + "." + t.name : namePrefix;
      if (bigEndian) t.bigEndian = true;
    }
    ctx.memo.set(key, o);
  }
  const m = o.machine;
  const fr = o.fold;
  const rep = o.report;
  // a stored member of the file itself (not of a sibling): its bytes have file offsets
  addFindings(ctx.index, rep, e.name, o.stream);
  ctx.index.metadata.set(metaKey, pickleFacts(o));
  ctx.index.metadata.set(metaKey + ".objects", fr.metadata);
  if (m.error) ctx.index.addFinding(SEV_HIGH, "pytorch-bad-pickle", e.name + ": " + pickleErrorName(m.error) + ": " + m.errorMsg + "; torch.load would fail here", e.name);
  const missing = new Array<string>();
  // storage records by key (a.find is a linear search; state dicts have thousands of records)
  const records = new Map<string, ZipEntry>();
  for (let i = 0; i < a.entries.length; i++) {
    const n = a.entries[i].name;
    if (n.startsWith(storageDir) && !records.has(n.substring(storageDir.length))) records.set(n.substring(storageDir.length), a.entries[i]);
  }
  const pf = prefetchLocalHeaders(ctx, a);
  if (pf != ST_DONE) return pf;
  const added = ctx.index.tensors.length;
  for (let i = 0; i < fr.tensors.length; i++) {
    const t = fr.tensors[i];
    if (t.dataKind != DataKind.STORAGE) continue;
    const se: ZipEntry | null = records.has(t.storageKey) ? records.get(t.storageKey) : null;
    let plan: Plan;
    if (!se) {
      plan = new Plan();
      plan.storage = t.dtype;
      plan.unreadable = "storage record " + storageDir + t.storageKey + " is missing";
      if (!missing.includes(t.storageKey)) missing.push(t.storageKey);
    } else {
      const st = resolveMember(ctx, a, se);
      if (st != ST_DONE) { ctx.index.tensors.length = added; return st; }
      const base = se.method == 0 ? Segment.raw(a.source, se.dataOffset, se.csize) : Segment.coded(a.source, se.dataOffset, se.csize, se.codec(), 0, se.usize);
      plan = viewPlan(base, se.usize, t, fr.problems);
      if (se.method != 0 && se.method != 8) plan.unreadable = "storage record uses an unsupported compression method";
    }
    ctx.index.addTensor(indexTensor(t, plan));
  }
  // numpy arrays pickled inside data.pkl have their bytes in the pickle itself
  const others = new FoldResult();
  for (let i = 0; i < fr.tensors.length; i++) if (fr.tensors[i].dataKind != DataKind.STORAGE) others.tensors.push(fr.tensors[i]);
  if (others.tensors.length && o.stream) addStreamTensors(ctx, others, o.stream!);
  for (let i = 0; i < missing.length; i++) ctx.index.addFinding(SEV_MEDIUM, "pytorch-missing-storage", "storage \"" + missing[i] + "\" is referenced by " + e.name + " but the archive has no " + storageDir + missing[i], e.name);
  for (let i = 0; i < fr.problems.length && i < 20; i++) ctx.index.addFinding(SEV_MEDIUM, "pytorch-bad-tensor", fr.problems[i], e.name);
  return ST_DONE;
}

function readSmallText(ctx: Context, a: ZipArchive, name: string): string | null {
  const e = a.find(name);
  if (!e || e.usize > 4096) return null;
  const mb = memberBytes(ctx, a, e);
  if (mb.status != ST_DONE) return null;
  return String.UTF8.decodeUnsafe(mb.ptr, mb.len, false).trim();
}

export class PyTorchZipFlavor extends ZipFlavor {
  get id(): string { return "pytorch"; }

  matches(a: ZipArchive): i32 { return torchPrefix(a, "data.pkl") !== null ? 100 : 0; }

  index(ctx: Context, a: ZipArchive): i32 {
    const pre = torchPrefix(a, "data.pkl")!;
    ctx.index.format = "pytorch";
    ctx.index.formatVersion = "zip";
    const bo = readSmallText(ctx, a, pre + "byteorder");
    if (ctx.pending()) return ctx.fail(0, "", 0);
    const big = bo !== null && bo == "big";
    if (bo !== null) ctx.index.metadata.setStr("byteorder", bo);
    let ver = readSmallText(ctx, a, pre + "version");
    if (ver === null) ver = readSmallText(ctx, a, pre + ".data/version");
    if (ctx.pending()) return ctx.fail(0, "", 0);
    if (ver !== null) ctx.index.metadata.setStr("version", ver);
    ctx.index.metadata.setStr("archive", pre.substring(0, pre.length - 1));
    for (let i = 0; i < a.entries.length; i++) {
      if (!a.entries[i].name.startsWith(pre)) {
        ctx.index.addFinding(SEV_LOW, "pytorch-mixed-prefix", "member \"" + a.entries[i].name + "\" is outside the archive folder \"" + pre + "\"", a.entries[i].name);
        break;
      }
    }
    const main = a.find(pre + "data.pkl")!;
    const st = indexTorchRecord(ctx, a, main, pre + "data/", "", big, "pickle");
    if (st != ST_DONE) return st;
    return scanOtherPickles(ctx, a, main, pre + "data/");
  }
}

// Everything a loader could unpickle besides the record just indexed: bytes before the zip (torch
// reads a file whose first bytes are not "PK" as a legacy pickle), duplicate data.pkl members
// (different readers pick different copies), and any other member whose content is a pickle.
export function scanOtherPickles(ctx: Context, a: ZipArchive, main: ZipEntry, storageDir: string): i32 {
  if (a.prefix > 0 && a.prefix <= MAX_PICKLE_BYTES) {
    const p = ctx.viewOf(a.source, 0, a.prefix);
    if (!p) return ctx.truncated("the bytes before the zip", 0);
    if (looksLikePickle(p, <usize>a.prefix, 0x2e) != NO_PICKLE) {
      const o = foldAndScan(runPickles(p, <usize>a.prefix, 0), p, <usize>a.prefix);
      ctx.index.addFinding(SEV_HIGH, "pytorch-polyglot", "a pickle precedes the zip: torch.load sees no zip signature at offset 0 and unpickles these bytes instead", "offset 0");
      addFindings(ctx.index, o.report, "before the zip");
    }
  }
  for (let i = 0; i < a.entries.length; i++) {
    const e = a.entries[i];
    if (e === main || e.isDir() || e.name.startsWith(storageDir) || e.name.endsWith("/constants.pkl")) continue;
    const st = scanZipMember(ctx, a, e);
    if (st != ST_DONE) return st;
    if (memberWasPickle && !e.name.endsWith("constants.pkl") && !e.name.endsWith(".debug_pkl")) {
      ctx.index.addFinding(e.name == main.name ? SEV_HIGH : SEV_MEDIUM, "pytorch-extra-pickle",
        e.name == main.name ? "a second \"" + e.name + "\" member: readers disagree on which copy they load; both are scanned" : "member \"" + e.name + "\" is a pickle torch.load does not read; scanned", e.name);
    }
  }
  return ST_DONE;
}

// ------------------------------------------------------------------------------------------------
// Legacy stacked pickles

const LEGACY_MAGIC: u8[] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

export class PyTorchLegacyFormat extends FormatModule {
  get id(): string { return "pytorch-legacy"; }

  sniff(s: Sniff): i32 { return s.startsWithBytes(LEGACY_MAGIC) ? SNIFF_MAGIC : SNIFF_NO; }

  index(ctx: Context): i32 {
    const size = ctx.size;
    // The five pickles come first; storages follow. View the pickles, then each storage header.
    const headLen = size < MAX_PICKLE_BYTES ? size : MAX_PICKLE_BYTES;
    const p = ctx.view(0, headLen);
    if (!p) return ctx.truncated("the legacy PyTorch pickles", 0);
    ctx.index.format = "pytorch";
    ctx.index.formatVersion = "legacy";
    const m = runPickles(p, <usize>headLen, 5);
    const folder = new Folder(m.g);
    const fr = m.streams >= 4 ? folder.runRoot(3) : folder.run();
    const rep = buildReport(m, p, <usize>headLen, 0);
    const o = new PickleOutcome(m, fr, rep);
    addFindings(ctx.index, rep, "");
    ctx.index.metadata.set("pickle", pickleFacts(o));
    ctx.index.metadata.set("objects", fr.metadata);
    if (m.streams < 5) {
      if (m.g.globals.length) {
        ctx.index.addFinding(SEV_HIGH, "pytorch-bad-pickle", "legacy file with " + m.streams.toString() + " of 5 pickles" + (m.error ? ": " + m.errorMsg : ""), "");
        return ST_DONE;
      }
      return ctx.fail(E_CORRUPT, "pytorch legacy: " + (m.error ? pickleErrorName(m.error) + ": " + m.errorMsg : "fewer than 5 pickles"), m.errorPos);
    }
    // sys_info
    const g = m.g;
    const keysRoot = g.roots[4];
    const keys = g.seq(keysRoot);
    if (!keys) {
      ctx.index.addFinding(SEV_HIGH, "pytorch-bad-pickle", "the fifth pickle is not the list of storage keys; the storages cannot be located", "offset " + g.rootPos[3].toString());
      return ST_DONE;
    }
    // element size per storage key, from the tensors that use it
    const elem = new Map<string, i32>();
    for (let i = 0; i < fr.tensors.length; i++) {
      const t = fr.tensors[i];
      if (t.dataKind == DataKind.STORAGE && t.elemBytes > 0) elem.set(t.storageKey, t.elemBytes);
    }
    const base = new Map<string, Segment>();
    let pos = g.rootPos[4];
    for (let i = 0; i < keys.length; i++) {
      const k = g.text(keys[i]);
      if (k === null) {
        ctx.index.addFinding(SEV_HIGH, "pytorch-bad-pickle", "storage key " + i.toString() + " is not a string", "offset " + pos.toString());
        break;
      }
      if (!elem.has(k)) {
        ctx.index.addFinding(SEV_MEDIUM, "pytorch-unused-storage", "storage \"" + k + "\" is not used by any tensor; the storages after it cannot be located", "offset " + pos.toString());
        break;
      }
      if (pos + 8 > size) return ctx.fail(E_TRUNCATED, "pytorch legacy: the file ends before storage \"" + k + "\"", pos);
      const h = ctx.view(pos, 8);
      if (!h) return ctx.truncated("a storage header", pos);
      const numel = load<u64>(h);
      const es = <u64>elem.get(k);
      if (numel > (size - pos - 8) / es) return ctx.fail(E_TRUNCATED, "pytorch legacy: storage \"" + k + "\" declares " + numel.toString() + " elements but the file ends first", pos);
      base.set(k, Segment.raw(0, pos + 8, numel * es));
      pos += 8 + numel * es;
    }
    for (let i = 0; i < fr.tensors.length; i++) {
      const t = fr.tensors[i];
      let plan: Plan;
      if (t.dataKind == DataKind.STORAGE && base.has(t.storageKey)) {
        const b = base.get(t.storageKey);
        plan = viewPlan(b, b.length, t, fr.problems);
      } else if (t.dataKind != DataKind.STORAGE) {
        // numpy arrays pickled into the checkpoint: their bytes are in the pickles at the front
        plan = streamPlan(t, Segment.raw(0, 0, headLen), fr.problems);
      } else {
        plan = new Plan();
        plan.storage = t.dtype;
        plan.unreadable = "the storage of this tensor could not be located";
      }
      ctx.index.addTensor(indexTensor(t, plan));
    }
    if (pos < size) ctx.index.addFinding(SEV_LOW, "trailing-bytes", (size - pos).toString() + " bytes follow the last storage", "offset " + pos.toString());
    for (let i = 0; i < fr.problems.length && i < 20; i++) ctx.index.addFinding(SEV_MEDIUM, "pytorch-bad-tensor", fr.problems[i], "");
    // sys_info (third pickle): byte order
    const si = g.roots[2];
    if (g.kindOf(si) == NodeKind.DICT) {
      const n = g.at(si);
      for (let i = 0; i < n.items!.length; i++) {
        const kt = g.text(n.items![i]);
        if (kt !== null && kt == "little_endian" && g.isInt(n.vals![i]) && g.intOf(n.vals![i]) == 0) {
          ctx.index.metadata.setStr("byteorder", "big");
          ctx.index.addFinding(SEV_LOW, "pytorch-big-endian", "written on a big-endian machine; storages are little-endian as torch writes them", "");
        }
      }
    }
    return ST_DONE;
  }
}

export { E_INVALID_HEADER };

// ------------------------------------------------------------------------------------------------
// Tar format ("PyTorch v0.1.1", torch <= 0.1.10): members sys_info, pickle, storages, tensors.
// torch.load still reads it. Every pickle in it is scanned: the main object, and the pickles
// interleaved with raw bytes in `storages` (count, then per storage (key, location, type) + i64
// element count + data, then the views) and `tensors` (count, then per tensor a pickle and a
// fixed binary record). Tensor values are not extracted from this format.

const TAR_MEMBERS: string[] = ["sys_info", "pickle", "storages", "tensors"];

function tarName(s: Sniff): string {
  let n = "";
  for (let i: usize = 0; i < 100 && i < s.headLen; i++) {
    const c = load<u8>(s.head + i);
    if (c == 0) break;
    n += String.fromCharCode(c);
  }
  return n;
}

export class PyTorchTarFormat extends FormatModule {
  get id(): string { return "pytorch-tar"; }

  sniff(s: Sniff): i32 {
    if (s.headLen < 512 || !isTarHeader(s.head, s.headLen)) return SNIFF_NO;
    return TAR_MEMBERS.includes(tarName(s)) ? SNIFF_MAGIC : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const t = openTar(ctx, 0, false);
    if (t.status != ST_DONE) return t.status;
    const w = t.walker!;
    ctx.index.format = "pytorch";
    ctx.index.formatVersion = "tar";
    let found = 0;
    for (let i = 0; i < w.entries.length; i++) {
      const e = w.entries[i];
      if (!e.isFile() || !TAR_MEMBERS.includes(e.name)) continue;
      found++;
      if (e.size == 0 || e.size > MAX_PICKLE_BYTES) continue;
      const p = ctx.view(e.dataOffset, e.size);
      if (!p) return ctx.truncated("a tar member", e.dataOffset);
      const st = this.scanMember(ctx, e.name, p, <usize>e.size);
      if (st != ST_DONE) return st;
    }
    if (found < 3) ctx.index.addFinding(SEV_MEDIUM, "pytorch-tar-incomplete", "a PyTorch tar archive without all of sys_info, pickle, storages and tensors", "");
    ctx.index.addFinding(SEV_LOW, "pytorch-tar-values", "tensor values of the pre-0.2 tar format are not extracted; every pickle in it is scanned", "");
    return ST_DONE;
  }

  // Runs the pickles of one member; storages/tensors interleave them with binary records.
  private scanMember(ctx: Context, name: string, p: usize, n: usize): i32 {
    let off: usize = 0;
    let count: i64 = -1;
    let k: i64 = 0;
    while (off < n) {
      const m = new PickleMachine();
      m.total = <u64>(n - off);
      const st = m.feed(p + off, n - off, true);
      const o = foldAndScan(m, p + off, n - off);
      addFindings(ctx.index, o.report, name + " @" + off.toString());
      if (name == "pickle" || name == "sys_info") {
        ctx.index.metadata.set(name == "pickle" ? "objects" : "sys_info", o.fold.metadata);
        if (name == "pickle") ctx.index.metadata.set("pickle", pickleFacts(o));
      }
      if (st != Status.STOP) break;
      off += m.consumed;
      if (name == "pickle" || name == "sys_info") break;
      const g = m.g;
      const root = g.roots[0];
      if (count < 0) {
        // the first pickle is the record count
        if (!g.isInt(root)) break;
        count = g.intOf(root);
        continue;
      }
      if (k >= count) break; // storage views (storages) or nothing (tensors)
      k++;
      if (name == "storages") {
        // (key, location, storage_type) + i64 numel + numel * element size
        const tup = g.seq(root);
        if (!tup || tup.length < 3 || off + 8 > n) break;
        const es = storageElemBytes(g.globalName(tup[2]));
        const numel = load<u64>(p + off);
        off += 8;
        if (es == 0 || numel > <u64>(n - off) / <u64>es) { ctx.index.addFinding(SEV_MEDIUM, "pytorch-tar-storage", "storage record " + k.toString() + " does not fit its member", name); break; }
        off += <usize>(numel * <u64>es);
      } else {
        // i32 ndim + 4 pad + ndim sizes + ndim strides + i64 offset
        if (off + 8 > n) break;
        const nd = load<i32>(p + off);
        if (nd < 0 || nd > 64) break;
        const rec: usize = 8 + <usize>nd * 16 + 8;
        if (off + rec > n) break;
        off += rec;
      }
    }
    return ST_DONE;
  }
}

function storageElemBytes(cls: string): i32 {
  const short = cls.startsWith("torch.") ? cls.substring(6) : cls;
  if (short == "DoubleStorage" || short == "LongStorage") return 8;
  if (short == "FloatStorage" || short == "IntStorage") return 4;
  if (short == "HalfStorage" || short == "ShortStorage") return 2;
  if (short == "CharStorage" || short == "ByteStorage") return 1;
  return 0;
}
