// safetensors: u64 LE header length N, N bytes of JSON, then the byte buffer.
// Every validation rule of the reference Rust crate is enforced here, in its order, with its own
// error code; on top of it duplicate keys are rejected (the crate silently keeps the last one).
// Leading JSON whitespace before `{` is accepted, as the crate does (its README says MUST begin
// with `{`; files with leading spaces exist and the crate reads them).

import { Context, ST_DONE, ST_FAILED } from "../../core/context";
import { dtypeBits, dtypeFromName, dtypeName, shapeElements, isGGML, DT_STR, DT_RAW, DT_OBJECT } from "../../core/dtype";
import {
  E_BAD_DTYPE, E_DUPLICATE, E_HEADER_TOO_LARGE, E_HEADER_TOO_SMALL, E_INCOMPLETE_BUFFER, E_INVALID_HEADER,
  E_INVALID_HEADER_LENGTH, E_INVALID_JSON, E_INVALID_OFFSET, E_MISALIGNED, E_OVERFLOW, E_SIZE_MISMATCH, E_BAD_SHAPE,
} from "../../core/errors";
import { Plan, Tensor, SEV_LOW } from "../../core/model";
import { isValidUtf8 } from "../../util/bytes";
import { JArr, JKind, JObj, JsonParser, JsonParseLimits, JStr, JValue } from "../../util/json";
import { FormatModule, Sniff, SNIFF_NAME_ONLY, SNIFF_NO, SNIFF_STRUCTURE } from "../format";

export const MAX_HEADER: u64 = 100_000_000;

class Entry {
  constructor(public name: string, public dtype: i32, public shape: u64[], public begin: u64, public end: u64) {}
}

export class SafetensorsFormat extends FormatModule {
  get id(): string { return "safetensors"; }

  sniff(s: Sniff): i32 {
    // A broken file named .safetensors still goes to this reader, so the error names the rule.
    const byName = s.nameEndsWith(".safetensors") ? SNIFF_NAME_ONLY : SNIFF_NO;
    if (s.size < 10 || s.headLen < 9) return byName;
    const n = load<u64>(s.head);
    if (n < 2 || n > MAX_HEADER || n > s.size - 8) return byName;
    // First non-whitespace byte of the header must open an object.
    const lim = s.headLen < <usize>(8 + n) ? s.headLen : <usize>(8 + n);
    for (let i: usize = 8; i < lim; i++) {
      const c = load<u8>(s.head + i);
      if (c == 0x7b) return SNIFF_STRUCTURE + 40;
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return byName;
    }
    return byName;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    if (size < 8) return ctx.fail(E_HEADER_TOO_SMALL, size == 0 ? "safetensors: the file is empty (it must start with an 8-byte header length)" : "safetensors: the file has " + size.toString() + " bytes, fewer than the 8-byte header length", 0);
    const p8 = ctx.view(0, 8);
    if (!p8) return ctx.truncated("the header length", 0);
    const n = load<u64>(p8);
    if (n > MAX_HEADER) return ctx.fail(E_HEADER_TOO_LARGE, "safetensors: the header length " + n.toString() + " exceeds the 100,000,000-byte limit", 0);
    if (n > size - 8) return ctx.fail(E_INVALID_HEADER_LENGTH, "safetensors: the header length " + n.toString() + " runs past the end of the " + size.toString() + "-byte file", 0);
    const hp = ctx.view(8, n);
    if (!hp) return ctx.truncated("the JSON header", 8);
    if (!isValidUtf8(hp, <usize>n)) return ctx.fail(E_INVALID_HEADER, "safetensors: the JSON header is not valid UTF-8", 8);

    const limits = new JsonParseLimits();
    limits.rejectDuplicateKeys = true;
    limits.maxDepth = 64;
    const parser = new JsonParser(limits);
    const root = parser.parse(hp, <usize>n);
    if (!root) {
      if (parser.duplicateKey.length) return ctx.fail(E_DUPLICATE, "safetensors: the header names \"" + parser.duplicateKey + "\" twice", 8 + <u64>parser.errorOffset);
      return ctx.fail(E_INVALID_JSON, "safetensors: the header is not valid JSON: " + parser.error + " (at header byte " + parser.errorOffset.toString() + ")", 8 + <u64>parser.errorOffset);
    }
    if (root.kind != JKind.OBJ) return ctx.fail(E_INVALID_JSON, "safetensors: the header must be a JSON object", 8);
    const obj = <JObj>root;
    const dataStart: u64 = 8 + n;
    const idx = ctx.index;
    idx.format = "safetensors";

    const entries = new Array<Entry>();
    for (let i = 0; i < obj.keys.length; i++) {
      const key = obj.keys[i];
      const val = obj.vals[i];
      if (key == "__metadata__") {
        const st = readMetadata(ctx, val);
        if (st != ST_DONE) return st;
        continue;
      }
      const e = parseEntry(ctx, key, val);
      if (!e) return ST_FAILED;
      entries.push(e);
    }

    // Offsets: sorted by begin, contiguous from 0, each end >= begin (the crate's rule).
    const order = entries.slice(0);
    order.sort((a: Entry, b: Entry): i32 => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : (a.end < b.end ? -1 : a.end > b.end ? 1 : 0)));
    let expected: u64 = 0;
    for (let i = 0; i < order.length; i++) {
      const e = order[i];
      if (e.begin != expected || e.end < e.begin) {
        return ctx.fail(E_INVALID_OFFSET, "safetensors: tensor \"" + e.name + "\" has data_offsets [" + e.begin.toString() + ", " + e.end.toString() + "] but the buffer must be covered contiguously (next expected begin " + expected.toString() + ")", dataStart + e.begin);
      }
      const nel = shapeElements(e.shape);
      const bits = <u64>dtypeBits(e.dtype);
      if (nel == u64.MAX_VALUE || (nel != 0 && bits > u64.MAX_VALUE / nel)) {
        return ctx.fail(E_OVERFLOW, "safetensors: tensor \"" + e.name + "\" has a shape whose size overflows 64 bits", 8);
      }
      if ((nel * bits) % 8 != 0) {
        return ctx.fail(E_MISALIGNED, "safetensors: tensor \"" + e.name + "\" holds " + (nel * bits).toString() + " bits, not a whole number of bytes", 8);
      }
      const nbytes = (nel * bits) / 8;
      if (e.end - e.begin != nbytes) {
        return ctx.fail(E_SIZE_MISMATCH, "safetensors: tensor \"" + e.name + "\" spans " + (e.end - e.begin).toString() + " bytes but " + dtypeName(e.dtype) + " " + shapeText(e.shape) + " needs " + nbytes.toString(), dataStart + e.begin);
      }
      expected = e.end;
    }
    if (expected + dataStart != size) {
      const what = expected + dataStart < size ? "has " + (size - expected - dataStart).toString() + " bytes after the last tensor" : "is " + (expected + dataStart - size).toString() + " bytes shorter than the tensors declare";
      return ctx.fail(E_INCOMPLETE_BUFFER, "safetensors: the file " + what, size);
    }

    // Tensors in header order, as the file lists them.
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const t = new Tensor(e.name, e.dtype, e.shape, e.end - e.begin);
      t.plan = Plan.single(0, dataStart + e.begin, e.end - e.begin, e.dtype);
      idx.addTensor(t);
    }
    if (!obj.has("__metadata__") && entries.length == 0) {
      idx.addFinding(SEV_LOW, "empty-model", "The file holds no tensors.", "");
    }
    return ST_DONE;
  }
}

function shapeText(shape: u64[]): string {
  const parts = new Array<string>();
  for (let i = 0; i < shape.length; i++) parts.push(shape[i].toString());
  return "[" + parts.join(", ") + "]";
}

function readMetadata(ctx: Context, val: JValue): i32 {
  if (val.kind != JKind.OBJ) return ctx.fail(E_INVALID_JSON, "safetensors: __metadata__ must be an object of strings", 8);
  const m = <JObj>val;
  for (let i = 0; i < m.keys.length; i++) {
    if (m.vals[i].kind != JKind.STR) {
      return ctx.fail(E_INVALID_JSON, "safetensors: __metadata__ value \"" + m.keys[i] + "\" is not a string (only string to string is allowed)", 8);
    }
    ctx.index.metadata.set(m.keys[i], m.vals[i]);
  }
  return ST_DONE;
}

function parseEntry(ctx: Context, name: string, val: JValue): Entry | null {
  if (val.kind != JKind.OBJ) { ctx.fail(E_INVALID_JSON, "safetensors: tensor \"" + name + "\" is not an object", 8); return null; }
  const o = <JObj>val;
  for (let i = 0; i < o.keys.length; i++) {
    const k = o.keys[i];
    if (k != "dtype" && k != "shape" && k != "data_offsets") {
      ctx.fail(E_INVALID_JSON, "safetensors: tensor \"" + name + "\" has an unknown field \"" + k + "\"", 8);
      return null;
    }
  }
  const dtv = o.get("dtype");
  if (!dtv || dtv.kind != JKind.STR) { ctx.fail(E_INVALID_JSON, "safetensors: tensor \"" + name + "\" has no dtype string", 8); return null; }
  const dtName = (<JStr>dtv).value;
  const dt = dtypeFromName(dtName);
  if (dt < 0 || isGGML(dt) || dt == DT_STR || dt == DT_RAW || dt == DT_OBJECT || dtypeBits(dt) == 0) {
    ctx.fail(E_BAD_DTYPE, "safetensors: tensor \"" + name + "\" has unknown dtype \"" + dtName + "\"", 8);
    return null;
  }
  const sv = o.get("shape");
  if (!sv || sv.kind != JKind.ARR) { ctx.fail(E_INVALID_JSON, "safetensors: tensor \"" + name + "\" has no shape array", 8); return null; }
  const sa = <JArr>sv;
  if (sa.length > 64) { ctx.fail(E_BAD_SHAPE, "safetensors: tensor \"" + name + "\" has " + sa.length.toString() + " dimensions (limit 64)", 8); return null; }
  const shape = new Array<u64>();
  for (let i = 0; i < sa.length; i++) {
    const d = sa.at(i);
    if (!d.isNonNegInt()) {
      // A dimension beyond u64 (or negative) cannot be a size: the crate reports an overflow.
      if (d.kind == JKind.FLOAT && d.asF64() >= 1.8e19) { ctx.fail(E_OVERFLOW, "safetensors: tensor \"" + name + "\" has a dimension beyond 64 bits", 8); return null; }
      ctx.fail(E_INVALID_JSON, "safetensors: tensor \"" + name + "\" has a shape entry that is not a non-negative integer", 8);
      return null;
    }
    shape.push(d.asU64());
  }
  const ov = o.get("data_offsets");
  if (!ov || ov.kind != JKind.ARR || (<JArr>ov).length != 2) { ctx.fail(E_INVALID_JSON, "safetensors: tensor \"" + name + "\" needs data_offsets [begin, end]", 8); return null; }
  const oa = <JArr>ov;
  if (!oa.at(0).isNonNegInt() || !oa.at(1).isNonNegInt()) { ctx.fail(E_INVALID_JSON, "safetensors: tensor \"" + name + "\" has data_offsets that are not non-negative integers", 8); return null; }
  return new Entry(name, dt, shape, oa.at(0).asU64(), oa.at(1).asU64());
}
