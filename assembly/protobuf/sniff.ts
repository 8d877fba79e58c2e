// Protobuf files have no magic number: detection walks the top-level tags found in the first
// bytes and checks them against a message's field table (numbers and wire types).

import { readVarint, Varint, WT_I32, WT_I64, WT_LEN, WT_VARINT } from "./wire";

export class HeadField {
  num: i32 = 0;
  wt: i32 = 0;
  value: u64 = 0;
  ptr: usize = 0; // payload start (LEN)
  length: u64 = 0;
  complete: bool = true; // the whole payload is inside the head
}

// Fields of the message starting at ptr, as far as `len` bytes show. null when the bytes cannot
// be protobuf (bad wire type, field 0, a varint longer than 10 bytes). A payload running past the
// head is recorded as incomplete and ends the walk (`total`, the file size, is kept for callers).
export function headFields(ptr: usize, len: usize, total: u64, max: i32): HeadField[] | null {
  const out = new Array<HeadField>();
  const end = ptr + len;
  let p = ptr;
  const vi = new Varint();
  while (p < end && out.length < max) {
    if (!readVarint(p, end, vi)) return vi.err == 1 ? out : null;
    p = vi.next;
    const wt = <i32>(vi.value & 7);
    const num = vi.value >> 3;
    if (num == 0 || num > 536870911) return null;
    const f = new HeadField();
    f.num = <i32>num;
    f.wt = wt;
    if (wt == WT_VARINT) {
      if (!readVarint(p, end, vi)) { if (vi.err == 1) { f.complete = false; out.push(f); return out; } return null; }
      f.value = vi.value;
      p = vi.next;
    } else if (wt == WT_I64) {
      if (end - p < 8) { f.complete = false; out.push(f); return out; }
      f.value = load<u64>(p);
      p += 8;
    } else if (wt == WT_I32) {
      if (end - p < 4) { f.complete = false; out.push(f); return out; }
      f.value = <u64>load<u32>(p);
      p += 4;
    } else if (wt == WT_LEN) {
      if (!readVarint(p, end, vi)) { if (vi.err == 1) { f.complete = false; out.push(f); return out; } return null; }
      p = vi.next;
      f.ptr = p;
      f.length = vi.value;
      // A payload past the head (or past the end of a truncated file) ends the walk; the reader
      // then names the rule broken instead of the detector refusing the file.
      if (vi.value > <u64>(end - p)) { f.complete = false; out.push(f); return out; }
      p += <usize>vi.value;
    } else {
      return null;
    }
    out.push(f);
  }
  return out;
}

// True when every byte is printable UTF-8 text (no control characters): names, versions.
export function printable(ptr: usize, len: u64): bool {
  for (let i: u64 = 0; i < len; i++) {
    const c = load<u8>(ptr + <usize>i);
    if (c < 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return false;
    if (c == 0x7f) return false;
  }
  return true;
}

// Checks fields against a table of allowed (number, wire type) pairs written as "num:wt,...".
// A LEN entry also accepts packed repeated scalars when listed twice (e.g. "1:0,1:2").
export function fieldsAllowed(fields: HeadField[], table: string): bool {
  const pairs = table.split(",");
  for (let i = 0; i < fields.length; i++) {
    const key = fields[i].num.toString() + ":" + fields[i].wt.toString();
    if (!pairs.includes(key)) return false;
  }
  return true;
}

export function hasField(fields: HeadField[], num: i32): HeadField | null {
  for (let i = 0; i < fields.length; i++) if (fields[i].num == num) return fields[i];
  return null;
}

export { WT_I32, WT_I64, WT_LEN, WT_VARINT };
