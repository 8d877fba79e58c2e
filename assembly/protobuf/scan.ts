// Walking a message too large to view at once (an ONNX graph of 2 GB, a TensorProto with a
// huge raw_data): the field headers are read through small windows and payloads are skipped, so
// only their byte ranges are kept. The core re-runs a format from the top after every cache miss;
// the walk keeps its progress in ctx.memo, so each run continues where the last one stopped
// instead of starting over (linear, not quadratic, in the number of misses).

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../core/context";
import { E_CORRUPT, E_LIMIT, E_TRUNCATED } from "../core/errors";
import { PbError, PbField, PbMsg, readVarint, Varint, WT_I32, WT_I64, WT_LEN, WT_VARINT, wireTypeName } from "./wire";

const CHUNK: u64 = 64 * 1024;

export class FieldScan {
  fields: PbField[] = [];
  pos: u64;
  constructor(public src: i32, public start: u64, public end: u64) { this.pos = start; }
  done: bool = false;

  asMsg(): PbMsg {
    const m = new PbMsg();
    m.fields = this.fields;
    m.base = this.start;
    return m;
  }
}

// Result holder so callers can tell "pending" from "failed".
export class ScanResult {
  status: i32 = ST_PENDING;
  scan: FieldScan | null = null;
}

// Walks the message at [start, end) of source `src`; payloads are not viewed (ptr stays 0).
// Returns ST_DONE with the complete field list, ST_PENDING (bytes needed; progress kept under
// `key`) or ST_FAILED (ctx error set).
export function scanFields(ctx: Context, key: string, src: i32, start: u64, end: u64, what: string, maxFields: i32, res: ScanResult, chunk: u64 = CHUNK): i32 {
  let sc: FieldScan;
  if (ctx.memo.has(key)) sc = <FieldScan>ctx.memo.get(key);
  else {
    sc = new FieldScan(src, start, end);
    ctx.memo.set(key, sc);
  }
  res.scan = sc;
  if (sc.done) { res.status = ST_DONE; return ST_DONE; }
  const vi = new Varint();
  while (sc.pos < end) {
    const left = end - sc.pos;
    const n = left < chunk ? left : chunk;
    const p0 = ctx.viewOf(src, sc.pos, n);
    if (!p0) {
      res.status = ctx.fail(E_TRUNCATED, what + ": the file ends inside the message (needs bytes from offset " + sc.pos.toString() + ")", sc.pos);
      return res.status;
    }
    const cend = p0 + <usize>n;
    const whole = n == left; // the chunk reaches the message's end
    let p = p0;
    while (p < cend) {
      const tagAt = sc.pos + <u64>(p - p0);
      // Each header is at most 1 + 10 + 10 bytes; near the chunk's end re-view from this field.
      if (!whole && cend - p < 24) break;
      if (!readVarint(p, cend, vi)) return fail(ctx, res, vi.err == 1 ? E_TRUNCATED : E_CORRUPT, what + ": a field tag " + (vi.err == 1 ? "runs past the end of the message" : "is longer than 10 bytes"), tagAt);
      let q = vi.next;
      const tag = vi.value;
      const wt = <i32>(tag & 7);
      const num = tag >> 3;
      if (num == 0 || num > 536870911) return fail(ctx, res, E_CORRUPT, what + ": field number " + num.toString() + " is outside 1..2^29-1", tagAt);
      if (sc.fields.length >= maxFields) return fail(ctx, res, E_LIMIT, what + ": more than " + maxFields.toString() + " fields", tagAt);
      const f = new PbField();
      f.num = <i32>num;
      f.wt = wt;
      f.tagOffset = tagAt;
      if (wt == WT_VARINT) {
        if (!readVarint(q, cend, vi)) return fail(ctx, res, vi.err == 1 ? E_TRUNCATED : E_CORRUPT, what + ": the varint of field " + f.num.toString() + " is cut or too long", tagAt);
        f.value = vi.value;
        q = vi.next;
      } else if (wt == WT_I64) {
        if (cend - q < 8) return fail(ctx, res, E_TRUNCATED, what + ": field " + f.num.toString() + " runs past the end", tagAt);
        f.value = load<u64>(q);
        q += 8;
      } else if (wt == WT_I32) {
        if (cend - q < 4) return fail(ctx, res, E_TRUNCATED, what + ": field " + f.num.toString() + " runs past the end", tagAt);
        f.value = <u64>load<u32>(q);
        q += 4;
      } else if (wt == WT_LEN) {
        if (!readVarint(q, cend, vi)) return fail(ctx, res, vi.err == 1 ? E_TRUNCATED : E_CORRUPT, what + ": the length of field " + f.num.toString() + " is cut or too long", tagAt);
        q = vi.next;
        const payload = sc.pos + <u64>(q - p0);
        if (vi.value > end - payload) return fail(ctx, res, E_TRUNCATED, what + ": field " + f.num.toString() + " declares " + vi.value.toString() + " bytes but only " + (end - payload).toString() + " remain in its message", tagAt);
        f.offset = payload;
        f.length = vi.value;
        f.end = payload + vi.value;
        sc.fields.push(f);
        // Skip the payload: either inside this chunk or beyond it (then re-view after it).
        const after = payload + vi.value;
        if (after >= sc.pos + n) { sc.pos = after; p = 0; break; }
        p = p0 + <usize>(after - sc.pos);
        continue;
      } else {
        return fail(ctx, res, E_CORRUPT, what + ": field " + f.num.toString() + " has wire type " + wireTypeName(wt) + ", which this schema never uses", tagAt);
      }
      f.end = sc.pos + <u64>(q - p0);
      sc.fields.push(f);
      p = q;
    }
    if (p != 0) sc.pos += <u64>(p - p0);
  }
  sc.done = true;
  res.status = ST_DONE;
  return ST_DONE;
}

function fail(ctx: Context, res: ScanResult, code: i32, msg: string, off: u64): i32 {
  res.status = ctx.fail(code, msg, off);
  return res.status;
}

// A PbError's contents handed to the context.
export function failWith(ctx: Context, err: PbError): i32 {
  return ctx.fail(err.code, err.message, err.offset);
}

export { ST_DONE, ST_FAILED, ST_PENDING };
