// The .npy header for writing one tensor: version 1.0 (2.0 when it would not fit), numpy's
// layout: magic, version, length, dict literal, space-padded and newline-terminated to 64 bytes.

import { ByteBuf } from "../util/bytes";

const NAMES: string[] = ["", "<f8", "<f4", "<f2", "", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1", "<c8", "<c16"];

// descr for a dtype code, or "" when NumPy has no such type (BF16, F8, quantized: convert first).
export function npyDescr(dt: i32): string {
  return dt >= 0 && dt < NAMES.length ? NAMES[dt] : "";
}

export function npyHeader(dt: i32, shape: u64[], out: ByteBuf): bool {
  const descr = npyDescr(dt);
  if (!descr.length) return false;
  let shapeText = "(";
  for (let i = 0; i < shape.length; i++) shapeText += (i ? ", " : "") + shape[i].toString();
  if (shape.length == 1) shapeText += ",";
  shapeText += ")";
  const dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
  const long = dict.length + 11 > 65535;
  const pre = long ? 12 : 10;
  const total = ((pre + dict.length + 1 + 63) / 64) * 64;
  const hlen = total - pre;
  out.raw(changetype<usize>(MAGIC), 6);
  out.byte(long ? 2 : 1);
  out.byte(0);
  out.byte(<u8>(hlen & 0xff));
  out.byte(<u8>((hlen >> 8) & 0xff));
  if (long) { out.byte(<u8>((hlen >> 16) & 0xff)); out.byte(<u8>((hlen >> 24) & 0xff)); }
  out.str(dict);
  for (let i = pre + dict.length; i < total - 1; i++) out.byte(0x20);
  out.byte(0x0a);
  return true;
}

const MAGIC: StaticArray<u8> = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
