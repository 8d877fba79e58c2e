// Protobuf fields of a byte region of a source, walked without viewing their payloads: each step
// views only the tag and length (at most 20 bytes), so a Core ML model whose weights are hundreds
// of megabytes of packed floats inside one message is read by position, never held. Payloads are
// viewed only when asked for (strings, small messages) and are capped.

import { Context } from "../../core/context";
import { E_CORRUPT, E_LIMIT, E_TRUNCATED } from "../../core/errors";
import { readVarint, Varint, WT_I32, WT_I64, WT_LEN, WT_VARINT } from "../../protobuf/wire";
import { utf8ToString } from "../../util/bytes";

export class PbRegion {
  constructor(public src: i32, public pos: u64, public len: u64) {}
}

export class Field {
  num: i32 = 0;
  wt: i32 = 0;
  value: u64 = 0; // varint / fixed values
  pos: u64 = 0; // LEN payload start
  len: u64 = 0;
}

// A failure shared by every walker of one index run: the first error is kept in the context.
export class PbReader {
  ok: bool = true;
  constructor(public ctx: Context, public what: string) {}
  fail(code: i32, msg: string, pos: u64): void {
    if (!this.ok) return;
    this.ok = false;
    this.ctx.fail(code, this.what + ": " + msg, pos);
  }
  // A miss stops the walk too (the job re-runs once the bytes are fed).
  stop(): void { this.ok = false; }

  // The payload of a LEN field as text (at most `max` bytes).
  text(src: i32, f: Field, max: u32 = 1 << 16): string {
    if (f.len == 0) return "";
    if (f.len > <u64>max) { this.fail(E_LIMIT, "a string of " + f.len.toString() + " bytes (more than " + max.toString() + ")", f.pos); return ""; }
    const p = this.ctx.viewOf(src, f.pos, f.len);
    if (!p) { if (this.ctx.pending()) this.stop(); else this.fail(E_TRUNCATED, "the file ends inside a string", f.pos); return ""; }
    return utf8ToString(p, <usize>f.len);
  }

  region(src: i32, f: Field): PbRegion { return new PbRegion(src, f.pos, f.len); }
}

export class PbWalk {
  private pos: u64;
  private end: u64;
  private vi: Varint = new Varint();
  count: i32 = 0;

  constructor(public r: PbReader, public reg: PbRegion, public maxFields: i32 = 1 << 24) {
    this.pos = reg.pos;
    this.end = reg.pos + reg.len;
  }

  // The next field into f: true, or false at the end or on a stop (r.ok then false).
  next(f: Field): bool {
    const r = this.r;
    if (!r.ok || this.pos >= this.end) return false;
    if (++this.count > this.maxFields) { r.fail(E_LIMIT, "a message with more than " + this.maxFields.toString() + " fields", this.pos); return false; }
    const left = this.end - this.pos;
    const n = left < 20 ? left : 20;
    const p = r.ctx.viewOf(this.reg.src, this.pos, n);
    if (!p) { if (r.ctx.pending()) r.stop(); else r.fail(E_TRUNCATED, "the file ends inside a message", this.pos); return false; }
    const e = p + <usize>n;
    const vi = this.vi;
    if (!readVarint(p, e, vi)) { r.fail(E_CORRUPT, "a bad field tag", this.pos); return false; }
    const num = vi.value >> 3;
    const wt = <i32>(vi.value & 7);
    if (num == 0 || num > 536870911) { r.fail(E_CORRUPT, "field number " + num.toString(), this.pos); return false; }
    f.num = <i32>num;
    f.wt = wt;
    f.value = 0;
    f.len = 0;
    let q = vi.next;
    if (wt == WT_VARINT) {
      if (!readVarint(q, e, vi)) { r.fail(E_CORRUPT, "a bad varint in field " + num.toString(), this.pos); return false; }
      f.value = vi.value;
      this.pos += <u64>(vi.next - p);
      return true;
    }
    if (wt == WT_I64 || wt == WT_I32) {
      const w: u64 = wt == WT_I64 ? 8 : 4;
      const at = this.pos + <u64>(q - p);
      if (w > this.end - at) { r.fail(E_TRUNCATED, "field " + num.toString() + " runs past its message", at); return false; }
      f.value = wt == WT_I64 ? load<u64>(q) : <u64>load<u32>(q);
      f.pos = at;
      f.len = w;
      this.pos = at + w;
      return true;
    }
    if (wt == WT_LEN) {
      if (!readVarint(q, e, vi)) { r.fail(E_CORRUPT, "a bad length in field " + num.toString(), this.pos); return false; }
      const at = this.pos + <u64>(vi.next - p);
      const len = vi.value;
      if (len > this.end - at) { r.fail(this.end >= r.ctx.sourceSize(this.reg.src) ? E_TRUNCATED : E_CORRUPT, "field " + num.toString() + " (" + len.toString() + " bytes) runs past its message", at); return false; }
      f.pos = at;
      f.len = len;
      this.pos = at + len;
      return true;
    }
    r.fail(E_CORRUPT, "wire type " + wt.toString() + " in field " + num.toString(), this.pos);
    return false;
  }
}

// Packed varints of a LEN field (shapes): at most `max` values, or null on error.
export function packedVarints(r: PbReader, src: i32, f: Field, max: i32): u64[] | null {
  const out = new Array<u64>();
  if (f.wt == WT_VARINT) { out.push(f.value); return out; }
  if (f.len > 16 * <u64>max) { r.fail(E_LIMIT, "a list of more than " + max.toString() + " numbers", f.pos); return null; }
  if (f.len == 0) return out;
  const p = r.ctx.viewOf(src, f.pos, f.len);
  if (!p) { if (r.ctx.pending()) r.stop(); else r.fail(E_TRUNCATED, "the file ends inside a list", f.pos); return null; }
  const vi = new Varint();
  let q = p;
  const e = p + <usize>f.len;
  while (q < e) {
    if (out.length >= max) { r.fail(E_LIMIT, "a list of more than " + max.toString() + " numbers", f.pos); return null; }
    if (!readVarint(q, e, vi)) { r.fail(E_CORRUPT, "a bad packed varint", f.pos); return null; }
    out.push(vi.value);
    q = vi.next;
  }
  return out;
}
