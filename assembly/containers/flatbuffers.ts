// A bounds-checked FlatBuffers reader over the core's byte views (TFLite, ExecuTorch).
//
// FlatBuffers are read in place: a table is an i32 offset back to its vtable, the vtable lists
// u16 field offsets, and references (tables, vectors, strings) are u32 offsets forward from where
// they are stored. Nothing here trusts those numbers: every position is checked against the
// buffer's [base, end) range in u64 before a view is taken, so a wrapped offset or a vector
// longer than the file is an error, never a read past the end. Each value is viewed on its own
// (the reader's windows make that cheap), so a buffer of any size is read without holding it.
//
// After the first failure `ok` is false and every accessor returns a default; callers check `ok`
// at their checkpoints and return `status()` (pending when the failure was a cache miss).

import { Context, ST_FAILED, ST_PENDING } from "../core/context";
import { E_CORRUPT, E_INVALID_OFFSET, E_LIMIT, E_TRUNCATED } from "../core/errors";
import { utf8ToString } from "../util/bytes";

export class FbTable {
  constructor(public pos: u64, public vt: u64, public vtLen: u32) {}
}

// A vector: `length` elements of `elemSize` bytes from `pos` (past the length word).
export class FbVec {
  constructor(public pos: u64, public length: u32, public elemSize: u32) {}
}

export class FbReader {
  ok: bool = true;
  // Cap on vector lengths (elements), so a count cannot drive a loop past what a caller expects.
  maxVector: u32 = 1 << 26;

  constructor(public ctx: Context, public src: i32, public base: u64, public end: u64, public what: string) {}

  status(): i32 { return this.ctx.pending() ? ST_PENDING : ST_FAILED; }

  fail(code: i32, message: string, pos: u64): void {
    if (!this.ok) return;
    this.ok = false;
    this.ctx.fail(code, this.what + ": " + message, pos);
  }

  // Whether [pos, pos+n) lies inside the buffer (n is small or already checked against end).
  inside(pos: u64, n: u64): bool {
    return pos >= this.base && pos <= this.end && n <= this.end - pos;
  }

  private at(pos: u64, n: u64): usize {
    if (!this.ok) return 0;
    if (!this.inside(pos, n)) {
      this.fail(pos >= this.end ? E_INVALID_OFFSET : E_TRUNCATED, "an offset points outside the buffer (" + pos.toString() + "+" + n.toString() + " past " + this.end.toString() + ")", pos);
      return 0;
    }
    const p = this.ctx.viewOf(this.src, pos, n);
    if (!p) this.fail(E_TRUNCATED, "the file ends inside the buffer (needs bytes at " + pos.toString() + ")", pos);
    return p;
  }

  u8(pos: u64): u8 { const p = this.at(pos, 1); return p ? load<u8>(p) : 0; }
  u16(pos: u64): u16 { const p = this.at(pos, 2); return p ? load<u16>(p) : 0; }
  u32(pos: u64): u32 { const p = this.at(pos, 4); return p ? load<u32>(p) : 0; }
  i32(pos: u64): i32 { const p = this.at(pos, 4); return p ? load<i32>(p) : 0; }
  u64(pos: u64): u64 { const p = this.at(pos, 8); return p ? load<u64>(p) : 0; }
  i64(pos: u64): i64 { const p = this.at(pos, 8); return p ? load<i64>(p) : 0; }
  f32(pos: u64): f32 { const p = this.at(pos, 4); return p ? load<f32>(p) : 0; }
  f64(pos: u64): f64 { const p = this.at(pos, 8); return p ? load<f64>(p) : 0; }

  // The position a u32 forward offset stored at `pos` points to (0 on error).
  private deref(pos: u64): u64 {
    const off = this.u32(pos);
    if (!this.ok) return 0;
    const target = pos + <u64>off; // both below 2^33: no wrap
    if (!this.inside(target, 4)) { this.fail(E_INVALID_OFFSET, "a reference at " + pos.toString() + " points past the end", pos); return 0; }
    return target;
  }

  // The root table: a u32 offset at the start of the buffer (after an optional size prefix).
  root(at: u64 = 0): FbTable | null {
    const t = this.deref(this.base + at);
    return this.ok ? this.table(t) : null;
  }

  // The table at `pos`, its vtable checked.
  table(pos: u64): FbTable | null {
    const so = <i64>this.i32(pos);
    if (!this.ok) return null;
    const vt = <i64>pos - so;
    if (vt < <i64>this.base || !this.inside(<u64>vt, 4)) { this.fail(E_INVALID_OFFSET, "a table at " + pos.toString() + " has its vtable outside the buffer", pos); return null; }
    const vtLen = <u32>this.u16(<u64>vt);
    const tblLen = <u32>this.u16(<u64>vt + 2);
    if (!this.ok) return null;
    if (vtLen < 4 || (vtLen & 1) != 0 || !this.inside(<u64>vt, <u64>vtLen)) { this.fail(E_CORRUPT, "a vtable at " + vt.toString() + " has a bad length " + vtLen.toString(), <u64>vt); return null; }
    if (tblLen < 4 || !this.inside(pos, <u64>tblLen)) { this.fail(E_CORRUPT, "a table at " + pos.toString() + " is larger than the buffer", pos); return null; }
    return new FbTable(pos, <u64>vt, vtLen);
  }

  // Where field `id` of `t` is stored, or 0 when absent.
  field(t: FbTable, id: i32): u64 {
    const slot = <u32>(4 + 2 * id);
    if (slot + 2 > t.vtLen) return 0;
    const off = this.u16(t.vt + <u64>slot);
    return off == 0 || !this.ok ? 0 : t.pos + <u64>off;
  }

  has(t: FbTable, id: i32): bool { return this.field(t, id) != 0; }

  u8f(t: FbTable, id: i32, def: u8): u8 { const p = this.field(t, id); return p ? this.u8(p) : def; }
  i8f(t: FbTable, id: i32, def: i8): i8 { const p = this.field(t, id); return p ? <i8>this.u8(p) : def; }
  boolf(t: FbTable, id: i32): bool { return this.u8f(t, id, 0) != 0; }
  u32f(t: FbTable, id: i32, def: u32): u32 { const p = this.field(t, id); return p ? this.u32(p) : def; }
  i32f(t: FbTable, id: i32, def: i32): i32 { const p = this.field(t, id); return p ? this.i32(p) : def; }
  u64f(t: FbTable, id: i32, def: u64): u64 { const p = this.field(t, id); return p ? this.u64(p) : def; }
  i64f(t: FbTable, id: i32, def: i64): i64 { const p = this.field(t, id); return p ? this.i64(p) : def; }
  f64f(t: FbTable, id: i32, def: f64): f64 { const p = this.field(t, id); return p ? this.f64(p) : def; }

  // A sub-table, or null when absent (check `ok` to tell absence from an error).
  tableF(t: FbTable, id: i32): FbTable | null {
    const p = this.field(t, id);
    if (!p) return null;
    const target = this.deref(p);
    return this.ok ? this.table(target) : null;
  }

  // A vector of `elemSize`-byte elements (references are 4 bytes), or null when absent.
  vectorF(t: FbTable, id: i32, elemSize: u32): FbVec | null {
    const p = this.field(t, id);
    if (!p) return null;
    return this.vectorAt(this.deref(p), elemSize);
  }

  vectorAt(pos: u64, elemSize: u32): FbVec | null {
    if (!this.ok) return null;
    const n = this.u32(pos);
    if (!this.ok) return null;
    const bytes = <u64>n * <u64>elemSize; // < 2^32 * 2^32: no wrap in u64
    if (!this.inside(pos + 4, bytes)) { this.fail(E_INVALID_OFFSET, "a vector of " + n.toString() + " elements at " + pos.toString() + " runs past the end", pos); return null; }
    if (n > this.maxVector) { this.fail(E_LIMIT, "a vector of " + n.toString() + " elements (more than " + this.maxVector.toString() + ")", pos); return null; }
    return new FbVec(pos + 4, n, elemSize);
  }

  // A string field ("" when absent); strings longer than `max` bytes are an error.
  stringF(t: FbTable, id: i32, max: u32 = 1 << 20): string {
    const v = this.vectorF(t, id, 1);
    if (v === null) return "";
    if (v.length > max) { this.fail(E_LIMIT, "a string of " + v.length.toString() + " bytes (more than " + max.toString() + ")", v.pos); return ""; }
    const p = this.at(v.pos, <u64>v.length);
    return p ? utf8ToString(p, <usize>v.length) : "";
  }

  // Element i of a vector of tables / scalars (i < v.length is the caller's loop bound).
  tableAt(v: FbVec, i: u32): FbTable | null {
    const target = this.deref(v.pos + <u64>i * 4);
    return this.ok ? this.table(target) : null;
  }
  u8At(v: FbVec, i: u32): u8 { return this.u8(v.pos + <u64>i); }
  i32At(v: FbVec, i: u32): i32 { return this.i32(v.pos + <u64>i * 4); }
  u32At(v: FbVec, i: u32): u32 { return this.u32(v.pos + <u64>i * 4); }
  i64At(v: FbVec, i: u32): i64 { return this.i64(v.pos + <u64>i * 8); }
  u64At(v: FbVec, i: u32): u64 { return this.u64(v.pos + <u64>i * 8); }
  f32At(v: FbVec, i: u32): f32 { return this.f32(v.pos + <u64>i * 4); }

  // Bytes [pos, pos+n) as text, when n is small (metadata values).
  text(pos: u64, n: u32): string {
    const p = this.at(pos, <u64>n);
    return p ? utf8ToString(p, <usize>n) : "";
  }
}
