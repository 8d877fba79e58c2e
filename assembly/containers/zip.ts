// Zip archives read through the central directory (zip64 included), with the local header of each
// member checked on demand. Used by npz, PyTorch, TorchScript, Keras 3, TorchServe .mar and any
// archive of models. Findings cover the container tricks: names escaping the directory,
// duplicates, local/central disagreement, encryption, prefixed data, likely bombs.

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../core/context";
import { E_CORRUPT, E_INVALID_HEADER, E_LIMIT, E_TRUNCATED, E_UNSUPPORTED } from "../core/errors";
import { CODEC_DEFLATE, CODEC_NONE, SEV_HIGH, SEV_INFO, SEV_LOW, SEV_MEDIUM } from "../core/model";
import { checkRelativePath } from "../core/paths";

const SIG_LOCAL: u32 = 0x04034b50;
const SIG_CENTRAL: u32 = 0x02014b50;
const SIG_EOCD: u32 = 0x06054b50;
const SIG_EOCD64: u32 = 0x06064b50;
const SIG_LOCATOR64: u32 = 0x07064b50;

export const ZIP_MAX_ENTRIES: i32 = 1_000_000;
export const ZIP_MAX_CD_BYTES: u64 = 256 * 1024 * 1024;
// A member whose declared expansion is beyond this ratio (and size) is reported as a likely bomb.
const BOMB_RATIO: u64 = 100;
const BOMB_MIN_SIZE: u64 = 64 * 1024 * 1024;

export class ZipEntry {
  name: string = "";
  method: i32 = 0;
  flags: i32 = 0;
  crc: u32 = 0;
  csize: u64 = 0;
  usize: u64 = 0;
  localOffset: u64 = 0;
  // Resolved from the local header: where the member's stored bytes begin (0 = not yet).
  dataOffset: u64 = 0;
  encrypted: bool = false;
  // What the local header said, when it disagrees (reported on every indexing attempt).
  localName: string | null = null;
  localMethodDiffers: bool = false;

  isDir(): bool { return this.name.endsWith("/"); }
  codec(): i32 { return this.method == 8 ? CODEC_DEFLATE : CODEC_NONE; }
}

export class ZipArchive {
  source: i32 = 0;
  entries: ZipEntry[] = [];
  // Bytes before the first member (self-extracting stubs, polyglots).
  prefix: u64 = 0;
  zip64: bool = false;
  comment: string = "";
  findingsAdded: bool = false;

  find(name: string): ZipEntry | null {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].name == name) return this.entries[i];
    return null;
  }

  // Every name, for classification.
  names(): string[] {
    const out = new Array<string>();
    for (let i = 0; i < this.entries.length; i++) out.push(this.entries[i].name);
    return out;
  }
}

export function isZipHead(p: usize, n: usize): bool {
  if (n < 4) return false;
  const sig = load<u32>(p);
  return sig == SIG_LOCAL || sig == SIG_EOCD;
}

// Reads (or returns the memoised) central directory of the zip in `src`.
// Returns null with ctx status in `status` when pending or failed.
export class ZipOpen {
  archive: ZipArchive | null = null;
  status: i32 = ST_DONE;
}

export function openZip(ctx: Context, src: i32): ZipOpen {
  const r = new ZipOpen();
  const key = "zip:" + src.toString();
  if (ctx.memo.has(key)) {
    r.archive = changetype<ZipArchive>(ctx.memo.get(key));
    addArchiveFindings(ctx, r.archive!);
    return r;
  }
  const size = ctx.sourceSize(src);
  if (size < 22) { r.status = ctx.fail(E_TRUNCATED, "zip: the archive is shorter than an end-of-central-directory record", 0); return r; }
  const tailLen = size < 65557 ? size : 65557;
  const tailStart = size - tailLen;
  const tail = ctx.viewOf(src, tailStart, tailLen);
  if (!tail) { r.status = ctx.truncated("the zip trailer", tailStart); return r; }
  // The EOCD is the last record with its signature whose comment length reaches the end exactly.
  let eocd: i64 = -1;
  for (let i = <i64>tailLen - 22; i >= 0; i--) {
    if (load<u32>(tail + <usize>i) == SIG_EOCD) {
      const clen = <u64>load<u16>(tail + <usize>i + 20);
      if (<u64>i + 22 + clen == tailLen) { eocd = i; break; }
      if (eocd < 0) eocd = i; // keep the last one seen as a fallback for a lying comment length
    }
  }
  if (eocd < 0) { r.status = ctx.fail(E_INVALID_HEADER, "zip: no end-of-central-directory record in the last 64 KiB", size); return r; }
  const e = tail + <usize>eocd;
  const eocdAbs = tailStart + <u64>eocd;
  let count: u64 = <u64>load<u16>(e + 10);
  let cdSize: u64 = <u64>load<u32>(e + 12);
  let cdOffset: u64 = <u64>load<u32>(e + 16);
  const clen = <u64>load<u16>(e + 20);
  const arch = new ZipArchive();
  arch.source = src;
  if (clen > 0 && <u64>eocd + 22 + clen <= tailLen) arch.comment = String.UTF8.decodeUnsafe(e + 22, <usize>clen, false);
  // A zip64 locator right before the EOCD: writers (PyTorch among them) add the zip64 records
  // even when the 32-bit fields suffice, so look for it whenever there is room.
  const saturated = count == 0xffff || cdSize == 0xffffffff || cdOffset == 0xffffffff;
  let cdEnd = eocdAbs; // where the directory (plus any zip64 records) ends
  if (eocdAbs >= 20) {
    const loc = ctx.viewOf(src, eocdAbs - 20, 20);
    if (!loc) { r.status = ctx.truncated("the zip64 locator", eocdAbs - 20); return r; }
    if (load<u32>(loc) == SIG_LOCATOR64) {
      const rec64 = load<u64>(loc + 8);
      if (size < 56 || rec64 > size - 56) { r.status = ctx.fail(E_CORRUPT, "zip: the zip64 end record offset lies outside the file", eocdAbs - 20); return r; }
      const z = ctx.viewOf(src, rec64, 56);
      if (!z) { r.status = ctx.truncated("the zip64 end record", rec64); return r; }
      if (load<u32>(z) != SIG_EOCD64) { r.status = ctx.fail(E_CORRUPT, "zip: the zip64 end record has a bad signature", rec64); return r; }
      count = load<u64>(z + 32);
      cdSize = load<u64>(z + 40);
      cdOffset = load<u64>(z + 48);
      arch.zip64 = true;
      cdEnd = rec64;
    } else if (saturated) {
      r.status = ctx.fail(E_CORRUPT, "zip: zip64 fields without a zip64 locator", eocdAbs);
      return r;
    }
  } else if (saturated) {
    r.status = ctx.fail(E_CORRUPT, "zip: zip64 fields without a zip64 locator", eocdAbs);
    return r;
  }
  if (count > <u64>ZIP_MAX_ENTRIES) { r.status = ctx.fail(E_LIMIT, "zip: " + count.toString() + " entries exceed the limit of " + ZIP_MAX_ENTRIES.toString(), eocdAbs); return r; }
  if (cdSize > ZIP_MAX_CD_BYTES) { r.status = ctx.fail(E_LIMIT, "zip: the central directory of " + cdSize.toString() + " bytes exceeds the 256 MiB limit", eocdAbs); return r; }
  // Archives with data prepended: the directory sits later than its recorded offset.
  let cdStart = cdOffset;
  if (cdOffset <= size && cdSize <= size - cdOffset && cdOffset + cdSize < cdEnd) { // zip64 offsets can make the sum wrap
    arch.prefix = cdEnd - (cdOffset + cdSize);
    cdStart = cdOffset + arch.prefix;
  }
  if (cdStart > size || cdSize > size - cdStart) { r.status = ctx.fail(E_CORRUPT, "zip: the central directory lies outside the file", eocdAbs); return r; }
  const cd = ctx.viewOf(src, cdStart, cdSize);
  if (!cd) { r.status = ctx.truncated("the zip central directory", cdStart); return r; }
  let p: u64 = 0;
  for (let i: u64 = 0; i < count; i++) {
    if (p + 46 > cdSize) { r.status = ctx.fail(E_CORRUPT, "zip: the central directory ends inside entry " + i.toString(), cdStart + p); return r; }
    const q = cd + <usize>p;
    if (load<u32>(q) != SIG_CENTRAL) { r.status = ctx.fail(E_CORRUPT, "zip: central directory entry " + i.toString() + " has a bad signature", cdStart + p); return r; }
    const en = new ZipEntry();
    en.flags = <i32>load<u16>(q + 8);
    en.method = <i32>load<u16>(q + 10);
    en.crc = load<u32>(q + 16);
    en.csize = <u64>load<u32>(q + 20);
    en.usize = <u64>load<u32>(q + 24);
    const nlen = <u64>load<u16>(q + 28);
    const xlen = <u64>load<u16>(q + 30);
    const mlen = <u64>load<u16>(q + 32);
    en.localOffset = <u64>load<u32>(q + 42);
    if (p + 46 + nlen + xlen + mlen > cdSize) { r.status = ctx.fail(E_CORRUPT, "zip: central directory entry " + i.toString() + " runs past the directory", cdStart + p); return r; }
    en.name = String.UTF8.decodeUnsafe(q + 46, <usize>nlen, false);
    readZip64Extra(q + 46 + <usize>nlen, xlen, en, true);
    en.localOffset += arch.prefix;
    en.encrypted = (en.flags & 1) != 0;
    arch.entries.push(en);
    p += 46 + nlen + xlen + mlen;
  }
  ctx.memo.set(key, arch);
  addArchiveFindings(ctx, arch);
  r.archive = arch;
  return r;
}

// Zip64 extra field (id 1): the 64-bit values present are those whose 32-bit fields are all ones.
function readZip64Extra(x: usize, xlen: u64, en: ZipEntry, central: bool): void {
  let p: u64 = 0;
  while (p + 4 <= xlen) {
    const id = load<u16>(x + <usize>p);
    const sz = <u64>load<u16>(x + <usize>p + 2);
    if (p + 4 + sz > xlen) return;
    if (id == 1) {
      let f: u64 = 0;
      const d = x + <usize>p + 4;
      if (en.usize == 0xffffffff && f + 8 <= sz) { en.usize = load<u64>(d + <usize>f); f += 8; }
      if (en.csize == 0xffffffff && f + 8 <= sz) { en.csize = load<u64>(d + <usize>f); f += 8; }
      if (central && en.localOffset == 0xffffffff && f + 8 <= sz) { en.localOffset = load<u64>(d + <usize>f); f += 8; }
    }
    p += 4 + sz;
  }
}

function addArchiveFindings(ctx: Context, a: ZipArchive): void {
  const idx = ctx.index;
  if (a.prefix > 0) idx.addFinding(SEV_LOW, "zip-prefix", "zip: " + a.prefix.toString() + " bytes precede the first member (a self-extractor or a polyglot file).", "offset 0");
  const seen = new Set<string>();
  let unread = 0;
  for (let i = 0; i < a.entries.length; i++) {
    const e = a.entries[i];
    const rule = checkRelativePath(e.name);
    if (rule.length) idx.addFinding(SEV_HIGH, "zip-path-escape", "zip: member \"" + e.name + "\" " + rule + "; extracting the archive would write outside its folder.", e.name);
    if (seen.has(e.name)) idx.addFinding(SEV_MEDIUM, "zip-duplicate-name", "zip: member \"" + e.name + "\" appears more than once; different tools would read different copies.", e.name);
    seen.add(e.name);
    if (e.encrypted) idx.addFinding(SEV_MEDIUM, "zip-encrypted", "zip: member \"" + e.name + "\" is encrypted and cannot be inspected.", e.name);
    if (e.method != 0 && e.method != 8) idx.addFinding(SEV_INFO, "zip-method", "zip: member \"" + e.name + "\" uses compression method " + e.method.toString() + ", which is not read.", e.name);
    // incomplete is not clean: a member the scanner cannot read may hold anything
    if (!e.isDir() && (e.encrypted || (e.method != 0 && e.method != 8))) {
      if (unread < MAX_INCOMPLETE_LISTED) {
        idx.addFinding(SEV_MEDIUM, "scan-incomplete", "zip: member \"" + e.name + "\" was not scanned: " + (e.encrypted ? "it is encrypted" : "compression method " + e.method.toString() + " (" + methodName(e.method) + ") is not supported") + ".", e.name);
      }
      unread++;
    }
    if (e.csize > 0 && e.usize > BOMB_MIN_SIZE && e.usize / e.csize > BOMB_RATIO) {
      idx.addFinding(SEV_LOW, "zip-bomb", "zip: member \"" + e.name + "\" expands " + (e.usize / e.csize).toString() + "-fold to " + e.usize.toString() + " bytes: a decompression bomb, or a very sparse array. Reads are capped at the declared size.", e.name);
    }
  }
  if (unread > MAX_INCOMPLETE_LISTED) {
    idx.addFinding(SEV_MEDIUM, "scan-incomplete", "zip: " + (unread - MAX_INCOMPLETE_LISTED).toString() + " more members are encrypted or use an unsupported compression method and were not scanned.", "");
  }
}

// Members named one by one in scan-incomplete findings; the rest are counted in one more.
const MAX_INCOMPLETE_LISTED = 20;

function methodName(m: i32): string {
  if (m == 12) return "bzip2";
  if (m == 14) return "lzma";
  if (m == 93) return "zstd";
  if (m == 95) return "xz";
  if (m == 98) return "ppmd";
  if (m == 9) return "deflate64";
  if (m == 99) return "AES";
  return "unknown";
}

// Resolves where a member's data starts by reading its local header; checks it against the
// central directory. Returns ST_DONE, ST_PENDING or ST_FAILED.
export function resolveMember(ctx: Context, a: ZipArchive, e: ZipEntry): i32 {
  if (e.dataOffset != 0) { localFindings(ctx, e); return ST_DONE; }
  const src = a.source;
  const size = ctx.sourceSize(src);
  if (e.localOffset > size || size - e.localOffset < 30) return ctx.fail(E_CORRUPT, "zip: the local header of \"" + e.name + "\" lies outside the file", e.localOffset);
  const h = ctx.viewOf(src, e.localOffset, 30);
  if (!h) return ctx.truncated("a zip local header", e.localOffset);
  if (load<u32>(h) != SIG_LOCAL) return ctx.fail(E_CORRUPT, "zip: the local header of \"" + e.name + "\" has a bad signature", e.localOffset);
  const nlen = <u64>load<u16>(h + 26);
  const xlen = <u64>load<u16>(h + 28);
  const lmethod = <i32>load<u16>(h + 8);
  const full = ctx.viewOf(src, e.localOffset, 30 + nlen + xlen);
  if (!full) return ctx.truncated("a zip local header", e.localOffset);
  const lname = String.UTF8.decodeUnsafe(full + 30, <usize>nlen, false);
  if (lname != e.name) e.localName = lname;
  e.localMethodDiffers = lmethod != e.method;
  const start = e.localOffset + 30 + nlen + xlen;
  if (start > size || e.csize > size - start) return ctx.fail(E_TRUNCATED, "zip: member \"" + e.name + "\" runs past the end of the archive", start);
  e.dataOffset = start;
  localFindings(ctx, e);
  return ST_DONE;
}

function localFindings(ctx: Context, e: ZipEntry): void {
  const ln = e.localName;
  if (ln !== null) {
    ctx.index.addFinding(SEV_MEDIUM, "zip-name-mismatch", "zip: the local header names \"" + ln + "\" where the central directory names \"" + e.name + "\"; tools that stream the archive would see a different file.", e.name);
  }
  if (e.localMethodDiffers) {
    ctx.index.addFinding(SEV_MEDIUM, "zip-method-mismatch", "zip: member \"" + e.name + "\" declares different compression methods in its local and central headers.", e.name);
  }
}

export function unsupportedMethod(ctx: Context, e: ZipEntry): i32 {
  return ctx.fail(E_UNSUPPORTED, "zip: member \"" + e.name + "\" uses compression method " + e.method.toString() + " (only stored and deflate are read)", e.localOffset);
}

export { ST_PENDING, ST_FAILED };

// Brings the local headers of every unresolved member into one window when they lie close
// together (archives of many small members, e.g. a state dict of thousands of tensors): one
// request instead of one per member. Far-apart headers are left to resolveMember.
const PREFETCH_SPAN: u64 = 32 * 1024 * 1024;

export function prefetchLocalHeaders(ctx: Context, a: ZipArchive): i32 {
  let lo = u64.MAX_VALUE;
  let hi: u64 = 0;
  let n = 0;
  for (let i = 0; i < a.entries.length; i++) {
    const e = a.entries[i];
    if (e.dataOffset != 0) continue;
    if (e.localOffset < lo) lo = e.localOffset;
    if (e.localOffset > hi) hi = e.localOffset;
    n++;
  }
  if (n < 8) return ST_DONE;
  const size = ctx.sourceSize(a.source);
  if (lo >= size) return ST_DONE;
  let end = hi + 1024;
  if (end > size) end = size;
  if (end - lo > PREFETCH_SPAN) return ST_DONE;
  if (!ctx.viewOf(a.source, lo, end - lo) && ctx.pending()) return ST_PENDING;
  return ST_DONE;
}
