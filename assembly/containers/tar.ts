// tar archives (POSIX ustar, pax and GNU long names), plain or inside gzip. The walker is pushed
// the archive's bytes in order, so one code path serves a tar read from the file and a tar
// decoded from a gzip stream. It keeps the member list and the first bytes of small members
// (manifests, code) for the format that asked. Names that leave the archive's folder become
// findings; counts and captured bytes are capped.

import { Context, ST_DONE } from "../core/context";
import { E_CORRUPT, E_DECOMPRESS, E_LIMIT, E_TRUNCATED } from "../core/errors";
import { SEV_HIGH } from "../core/model";
import { checkRelativePath } from "../core/paths";
import { Inflater, INFLATE_GZIP } from "./inflate";

const BLOCK: u64 = 512;
export const TAR_MAX_ENTRIES: i32 = 100_000;
const CAPTURE_EACH: u64 = 256 * 1024;
const CAPTURE_TOTAL: u64 = 16 * 1024 * 1024;
const MAX_LONG_NAME: u64 = 64 * 1024;
// A gzip-wrapped tar is decoded whole at index time (it cannot be seeked): cap its expansion.
// Every byte is held in the window cache while the walk runs, so archives stay well below the
// cache's 256 MiB.
const GZIP_MAX_OUTPUT: u64 = 8 * 1024 * 1024 * 1024;
const TAR_MAX_INPUT: u64 = 128 * 1024 * 1024;
const CHUNK: u64 = 1 << 20;

export class TarEntry {
  name: string = "";
  size: u64 = 0;
  // '0' regular file, '5' directory, '2' symlink, '1' hard link, ...
  type: u8 = 0x30;
  linkName: string = "";
  // Where the member's data starts in the (decoded) tar stream.
  dataOffset: u64 = 0;
  // The first min(size, CAPTURE_EACH) bytes, when captured.
  captured: ArrayBuffer | null = null;

  isFile(): bool { return this.type == 0x30 || this.type == 0; }
  isDir(): bool { return this.type == 0x35 || this.name.endsWith("/"); }
}

export class TarWalker {
  entries: TarEntry[] = [];
  error: string = "";
  errorCode: i32 = 0;
  ended: bool = false; // two zero blocks seen
  private pos: u64 = 0; // bytes consumed
  private header: usize = heap.alloc(<usize>BLOCK);
  private headerFill: u64 = 0;
  private dataLeft: u64 = 0; // bytes of the current member still to come
  private padLeft: u64 = 0;
  private current: TarEntry | null = null;
  private capturePtr: usize = 0;
  private captureFill: u64 = 0;
  private captureWant: u64 = 0;
  private capturedTotal: u64 = 0;
  private zeroBlocks: i32 = 0;
  // Pending long name (GNU 'L' or pax 'path') for the next header; and the special member being read.
  private pendingName: string | null = null;
  private special: u8 = 0;
  private specialBuf: Array<u8> = new Array<u8>();

  push(p: usize, n: u64): bool {
    let i: u64 = 0;
    while (i < n) {
      if (this.error.length || this.ended) return this.error.length == 0;
      if (this.dataLeft > 0) {
        const take = n - i < this.dataLeft ? n - i : this.dataLeft;
        this.data(p + <usize>i, take);
        this.dataLeft -= take;
        i += take;
        this.pos += take;
        if (this.dataLeft == 0) this.endMember();
        continue;
      }
      if (this.padLeft > 0) {
        const take = n - i < this.padLeft ? n - i : this.padLeft;
        this.padLeft -= take;
        i += take;
        this.pos += take;
        continue;
      }
      const take = n - i < BLOCK - this.headerFill ? n - i : BLOCK - this.headerFill;
      memory.copy(this.header + <usize>this.headerFill, p + <usize>i, <usize>take);
      this.headerFill += take;
      i += take;
      this.pos += take;
      if (this.headerFill == BLOCK) {
        this.headerFill = 0;
        this.onHeader();
      }
    }
    return this.error.length == 0;
  }

  // The stream ended: fine after the end marker or between members.
  finish(): bool {
    if (this.error.length) return false;
    if (this.dataLeft > 0 || this.headerFill > 0) {
      // While an extended header's (pax, GNU long name) data is read there is no current member.
      const cur = this.current;
      const what = this.dataLeft == 0 ? "a header" : cur !== null ? "member \"" + cur.name + "\"" : "an extended header";
      return this.fail(E_TRUNCATED, "tar: the archive ends inside " + what);
    }
    return true;
  }

  find(name: string): TarEntry | null {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].name == name) return this.entries[i];
    return null;
  }

  private fail(code: i32, msg: string): bool {
    if (!this.error.length) { this.error = msg; this.errorCode = code; }
    return false;
  }

  private onHeader(): void {
    const h = this.header;
    let zero = true;
    for (let k: usize = 0; k < <usize>BLOCK; k++) if (load<u8>(h + k) != 0) { zero = false; break; }
    if (zero) {
      if (++this.zeroBlocks >= 2) this.ended = true;
      return;
    }
    this.zeroBlocks = 0;
    if (!checksumOk(h)) { this.fail(E_CORRUPT, "tar: header checksum mismatch at offset " + (this.pos - BLOCK).toString()); return; }
    const size = octal(h + 124, 12);
    if (size < 0) { this.fail(E_CORRUPT, "tar: bad size field at offset " + (this.pos - BLOCK).toString()); return; }
    const type = load<u8>(h + 156);
    let name = cstr(h, 100);
    if (load<u32>(h + 257) == 0x61747375 && load<u8>(h + 261) == 0x72) { // "ustar"
      const prefix = cstr(h + 345, 155);
      if (prefix.length) name = prefix + "/" + name;
    }
    this.dataLeft = <u64>size;
    this.padLeft = (BLOCK - (<u64>size % BLOCK)) % BLOCK;
    // Long-name records describe the next header.
    if (type == 0x4c || type == 0x78 || type == 0x67) { // 'L' GNU long name, 'x' pax, 'g' pax global
      if (<u64>size > MAX_LONG_NAME) { this.fail(E_LIMIT, "tar: a " + size.toString() + "-byte extended header exceeds the limit"); return; }
      this.special = type;
      this.specialBuf = new Array<u8>();
      this.current = null;
      if (size == 0) this.endMember();
      return;
    }
    if (this.entries.length >= TAR_MAX_ENTRIES) { this.fail(E_LIMIT, "tar: more than " + TAR_MAX_ENTRIES.toString() + " members"); return; }
    const e = new TarEntry();
    const pn = this.pendingName;
    e.name = pn !== null ? pn : name;
    this.pendingName = null;
    e.size = <u64>size;
    e.type = type;
    e.linkName = cstr(h + 157, 100);
    e.dataOffset = this.pos;
    this.entries.push(e);
    this.current = e;
    this.special = 0;
    if (e.isFile() && this.capturedTotal < CAPTURE_TOTAL) {
      this.captureWant = e.size < CAPTURE_EACH ? e.size : CAPTURE_EACH;
      this.capturePtr = this.captureWant ? heap.alloc(<usize>this.captureWant) : 0;
      this.captureFill = 0;
      if (this.captureWant == 0) e.captured = new ArrayBuffer(0);
    } else {
      this.captureWant = 0;
    }
    if (size == 0) this.endMember();
  }

  private data(p: usize, n: u64): void {
    if (this.special) {
      for (let k: u64 = 0; k < n; k++) this.specialBuf.push(load<u8>(p + <usize>k));
      return;
    }
    if (this.captureFill < this.captureWant) {
      const c = this.captureWant - this.captureFill < n ? this.captureWant - this.captureFill : n;
      memory.copy(this.capturePtr + <usize>this.captureFill, p, <usize>c);
      this.captureFill += c;
    }
  }

  private endMember(): void {
    if (this.special) {
      const buf = this.specialBuf;
      const text = String.UTF8.decodeUnsafe(buf.dataStart, <usize>buf.length, false);
      if (this.special == 0x4c) {
        const z = text.indexOf("\0");
        this.pendingName = z >= 0 ? text.substring(0, z) : text;
      } else if (this.special == 0x78) {
        const path = paxPath(text);
        if (path !== null) this.pendingName = path;
      }
      this.special = 0;
      return;
    }
    const e = this.current;
    if (e && this.captureWant > 0) {
      const ab = new ArrayBuffer(<i32>this.captureWant);
      memory.copy(changetype<usize>(ab), this.capturePtr, <usize>this.captureWant);
      heap.free(this.capturePtr);
      this.capturePtr = 0;
      this.capturedTotal += this.captureWant;
      e.captured = ab;
      this.captureWant = 0;
    }
  }

  dispose(): void {
    if (this.header) heap.free(this.header);
    this.header = 0;
    if (this.capturePtr) heap.free(this.capturePtr);
    this.capturePtr = 0;
  }
}

// "<len> path=<value>\n" records of a pax header.
function paxPath(text: string): string | null {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const sp = lines[i].indexOf(" ");
    if (sp < 0) continue;
    const rec = lines[i].substring(sp + 1);
    if (rec.startsWith("path=")) return rec.substring(5);
  }
  return null;
}

function cstr(p: usize, max: usize): string {
  let n: usize = 0;
  while (n < max && load<u8>(p + n) != 0) n++;
  return String.UTF8.decodeUnsafe(p, n, false);
}

// Octal (NUL/space padded) or GNU base-256 number; -1 when malformed.
function octal(p: usize, n: usize): i64 {
  if (load<u8>(p) & 0x80) {
    let v: i64 = 0;
    for (let i: usize = 1; i < n; i++) {
      if (v > (i64.MAX_VALUE >> 8)) return -1;
      v = (v << 8) | <i64>load<u8>(p + i);
    }
    return v;
  }
  let v: i64 = 0;
  let i: usize = 0;
  while (i < n && load<u8>(p + i) == 0x20) i++;
  let digits = 0;
  while (i < n) {
    const c = load<u8>(p + i);
    if (c == 0 || c == 0x20) break;
    if (c < 0x30 || c > 0x37) return -1;
    if (v > (i64.MAX_VALUE >> 3)) return -1;
    v = (v << 3) | <i64>(c - 0x30);
    digits++;
    i++;
  }
  return digits ? v : 0;
}

function checksumOk(h: usize): bool {
  const want = octal(h + 148, 8);
  if (want < 0) return false;
  let sum: i64 = 0;
  for (let i: usize = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? 0x20 : <i64>load<u8>(h + i);
  return sum == want;
}

// A ustar/GNU header at p: "ustar" magic and a valid checksum.
export function isTarHeader(p: usize, n: usize): bool {
  if (n < 512) return false;
  return load<u32>(p + 257) == 0x61747375 && load<u8>(p + 261) == 0x72 && checksumOk(p);
}

export class TarOpen {
  walker: TarWalker | null = null;
  status: i32 = ST_DONE;
}

// Walks the tar in source `src`: plain when gzipped is false, else inside gzip. Memoised per job.
export function openTar(ctx: Context, src: i32, gzipped: bool): TarOpen {
  const r = new TarOpen();
  const key = "tar:" + src.toString() + (gzipped ? ":gz" : "");
  if (ctx.memo.has(key)) {
    r.walker = changetype<TarWalker>(ctx.memo.get(key));
    addTarFindings(ctx, r.walker!);
    return r;
  }
  const size = ctx.sourceSize(src);
  if (size > TAR_MAX_INPUT) {
    r.status = ctx.fail(E_LIMIT, (gzipped ? "tar.gz" : "tar") + ": a " + size.toString() + "-byte archive exceeds the 128 MiB read at index time", 0);
    return r;
  }
  // Have every byte before walking, so a cache miss never leaves a half-fed walker behind.
  for (let off: u64 = 0; off < size; off += CHUNK) {
    const n = size - off < CHUNK ? size - off : CHUNK;
    if (!ctx.viewOf(src, off, n)) { r.status = ctx.truncated("the tar archive", off); return r; }
  }
  const w = new TarWalker();
  if (!gzipped) {
    for (let off: u64 = 0; off < size && !w.ended; off += CHUNK) {
      const n = size - off < CHUNK ? size - off : CHUNK;
      const p = ctx.viewOf(src, off, n);
      if (!p) { w.dispose(); r.status = ctx.truncated("the tar archive", off); return r; }
      if (!w.push(p, n)) break;
    }
  } else {
    const inf = new Inflater(INFLATE_GZIP, GZIP_MAX_OUTPUT);
    const out = heap.alloc(<usize>CHUNK);
    let off: u64 = 0;
    let ok = true;
    while (ok && !w.ended) {
      if (inf.needsInput) {
        if (off >= size) { inf.endInput(); }
        else {
          const n = size - off < CHUNK ? size - off : CHUNK;
          const p = ctx.viewOf(src, off, n);
          if (!p) { inf.dispose(); heap.free(out); w.dispose(); r.status = ctx.truncated("the gzip stream", off); return r; }
          inf.push(p, <usize>n);
          off += n;
          if (off >= size) inf.endInput();
        }
      }
      const got = inf.pull(out, <usize>CHUNK);
      if (got < 0) {
        const msg = inf.errorMessage;
        inf.dispose(); heap.free(out); w.dispose();
        r.status = ctx.fail(E_DECOMPRESS, "tar.gz: " + msg, off);
        return r;
      }
      if (got > 0) ok = w.push(out, <u64>got);
      if (inf.finished) break;
      if (got == 0 && !inf.needsInput) break;
    }
    inf.dispose();
    heap.free(out);
  }
  if (!w.error.length && !w.ended) w.finish();
  if (w.error.length) {
    const code = w.errorCode, msg = w.error;
    w.dispose();
    r.status = ctx.fail(code, msg, 0);
    return r;
  }
  ctx.memo.set(key, w);
  addTarFindings(ctx, w);
  r.walker = w;
  return r;
}

function addTarFindings(ctx: Context, w: TarWalker): void {
  for (let i = 0; i < w.entries.length; i++) {
    const e = w.entries[i];
    const rule = checkRelativePath(e.name);
    if (rule.length) ctx.index.addFinding(SEV_HIGH, "tar-path-escape", "tar: member \"" + e.name + "\" " + rule + "; extracting the archive would write outside its folder.", e.name);
    if ((e.type == 0x32 || e.type == 0x31) && checkRelativePath(e.linkName).length) {
      ctx.index.addFinding(SEV_HIGH, "tar-link-escape", "tar: member \"" + e.name + "\" links to \"" + e.linkName + "\", outside the archive's folder.", e.name);
    }
  }
}
