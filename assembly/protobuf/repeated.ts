// Turns the occurrences of one repeated scalar field (packed chunks and/or unpacked values, in
// file order) into read-plan segments, counting the stored values. Packed fixed-width chunks whose
// width is the element width become plain byte ranges (copied straight from the file); everything
// else becomes a protobuf-values codec segment decoded by the read job (protobuf/values.ts).

import { Context, ST_DONE, ST_FAILED, ST_PENDING } from "../core/context";
import { E_CORRUPT } from "../core/errors";
import { Segment } from "../core/model";
import { PbField, WT_I32, WT_I64, WT_LEN, WT_VARINT, wireTypeName } from "./wire";
import { pbCodec, PB_PACKED_FIXED, PB_PACKED_VARINT, PB_TAGGED_FIXED, PB_TAGGED_VARINT } from "./values";

export class Repeated {
  segments: Segment[] = [];
  count: u64 = 0;
}

// `fixed`: 0 when the field is a varint type, else its wire width (4 or 8). `outWidth`: bytes per
// decoded element (values are truncated to it: int32 data carrying 16- or 8-bit patterns).
export function collectRepeated(ctx: Context, src: i32, fields: PbField[], fixed: i32, outWidth: i32, what: string, out: Repeated): i32 {
  const scalarWt = fixed == 0 ? WT_VARINT : fixed == 4 ? WT_I32 : WT_I64;
  let i = 0;
  while (i < fields.length) {
    const f = fields[i];
    if (f.wt == WT_LEN) {
      if (fixed != 0) {
        if (f.length % <u64>fixed != 0) return ctx.fail(E_CORRUPT, what + ": a packed run of " + f.length.toString() + " bytes is not a whole number of " + fixed.toString() + "-byte values", f.offset);
        const n = f.length / <u64>fixed;
        if (fixed == outWidth) out.segments.push(Segment.raw(src, f.offset, f.length));
        else out.segments.push(Segment.coded(src, f.offset, f.length, pbCodec(PB_PACKED_FIXED, fixed), 0, n * <u64>outWidth));
        out.count += n;
      } else {
        let p = f.ptr;
        if (!p && f.length) {
          p = ctx.viewOf(src, f.offset, f.length);
          if (!p) return ctx.truncated(what, f.offset);
        }
        // Varints end at bytes below 0x80: counting them counts the values.
        let n: u64 = 0;
        for (let k: usize = 0; k < <usize>f.length; k++) if (load<u8>(p + k) < 0x80) n++;
        if (f.length > 0 && load<u8>(p + <usize>f.length - 1) >= 0x80) return ctx.fail(E_CORRUPT, what + ": a packed run ends inside a varint", f.offset);
        out.segments.push(Segment.coded(src, f.offset, f.length, pbCodec(PB_PACKED_VARINT, outWidth), 0, n * <u64>outWidth));
        out.count += n;
      }
      i++;
      continue;
    }
    if (f.wt != scalarWt) return ctx.fail(E_CORRUPT, what + ": field " + f.num.toString() + " has wire type " + wireTypeName(f.wt) + ", expected " + wireTypeName(scalarWt) + " or packed", f.tagOffset);
    // A run of unpacked values that follow each other directly in the file.
    let j = i + 1;
    while (j < fields.length && fields[j].wt == scalarWt && fields[j].tagOffset == fields[j - 1].end) j++;
    const n = <u64>(j - i);
    const start = f.tagOffset;
    const end = fields[j - 1].end;
    const kind = fixed == 0 ? PB_TAGGED_VARINT : PB_TAGGED_FIXED;
    out.segments.push(Segment.coded(src, start, end - start, pbCodec(kind, fixed == 0 ? outWidth : fixed), 0, n * <u64>(fixed == 0 ? outWidth : fixed)));
    out.count += n;
    i = j;
  }
  return ST_DONE;
}

// Extends the last segment (or adds an empty one) so the values fill `want` elements, repeating
// the last stored value or zeros (TensorFlow's FromProtoField rule). Raw segments are re-coded so
// the decoder can repeat.
export function fillRepeated(src: i32, r: Repeated, want: u64, fixed: i32, outWidth: i32): void {
  if (r.count >= want) return;
  const extra = (want - r.count) * <u64>outWidth;
  if (r.segments.length == 0) {
    r.segments.push(Segment.coded(src, 0, 0, pbCodec(fixed == 0 ? PB_PACKED_VARINT : PB_PACKED_FIXED, outWidth), 0, extra));
  } else {
    const s = r.segments[r.segments.length - 1];
    if (s.codec == 0) {
      s.codec = pbCodec(PB_PACKED_FIXED, fixed);
      s.skip = 0;
      s.take = s.length;
    }
    s.take += extra;
  }
  r.count = want;
}

export { ST_DONE, ST_FAILED, ST_PENDING };
