// Byte access for an HDF5 file that may sit anywhere inside a source (a user block, a member of a
// .keras zip): every address is relative to `base`, checked against `size`, and read through the
// context's views. The first failure (pending or error) is kept in `status`; parsers check it and
// unwind, and the format returns it.

import { Context, ST_DONE, ST_FAILED } from "../core/context";
import { E_LIMIT, E_TRUNCATED } from "../core/errors";
import { loadLE } from "../util/bytes";

export const UNDEF: u64 = u64.MAX_VALUE;
// Every parse step counts against one budget, so hostile files cannot make the walk unbounded.
const WORK_CAP: i64 = 50_000_000;

export class H5 {
  status: i32 = ST_DONE;
  so: i32 = 8; // size of offsets
  sl: i32 = 8; // size of lengths
  sbVersion: i32 = 0;
  sbOffset: u64 = 0; // where the superblock was found (user block size)
  work: i64 = 0;

  constructor(public ctx: Context, public src: i32, public base: u64, public size: u64) {}

  ok(): bool { return this.status == ST_DONE; }

  // Records the first failure; returns 0 so callers can `return h.fail(...)` from pointer paths.
  fail(code: i32, msg: string, addr: u64): usize {
    if (this.status == ST_DONE) this.status = this.ctx.fail(code, "hdf5: " + msg, this.base + (addr == UNDEF ? 0 : addr));
    return 0;
  }

  // Spends `n` units of the work budget; false (with the error set) when it is exhausted.
  spend(n: i64): bool {
    this.work += n;
    if (this.work > WORK_CAP) {
      this.fail(E_LIMIT, "the file's structures need more than " + WORK_CAP.toString() + " parse steps (cycle or hostile nesting)", 0);
      return false;
    }
    return true;
  }

  view(addr: u64, len: u64, what: string): usize {
    if (this.status != ST_DONE) return 0;
    if (addr == UNDEF) return this.fail(E_TRUNCATED, what + " has an undefined address", 0);
    if (addr > this.size || len > this.size - addr) {
      return this.fail(E_TRUNCATED, what + " at address " + addr.toString() + " (" + len.toString() + " bytes) lies past the end of the file (" + this.size.toString() + " bytes)", addr);
    }
    const p = this.ctx.viewOf(this.src, this.base + addr, len);
    if (!p) {
      if (this.status == ST_DONE) this.status = this.ctx.truncated("hdf5 " + what, this.base + addr);
      return 0;
    }
    return p;
  }

  // An address field: all ones is "undefined".
  addr(p: usize): u64 {
    const v = loadLE(p, this.so);
    if (this.so < 8 && v == ((<u64>1 << (<u64>this.so * 8)) - 1)) return UNDEF;
    return v;
  }

  len(p: usize): u64 { return loadLE(p, this.sl); }

  failed(): bool { return this.status == ST_FAILED; }
}
