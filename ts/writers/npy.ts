// .npy (version 1.0, or 2.0 for very long headers) for one tensor, header padded to 64 bytes.

const DESCR: Record<string, string> = {
  F64: "<f8", F32: "<f4", F16: "<f2", I64: "<i8", I32: "<i4", I16: "<i2", I8: "|i1", U64: "<u8", U32: "<u4",
  U16: "<u2", U8: "|u1", BOOL: "|b1", C64: "<c8", C128: "<c16",
};

export function npyDescr(dtype: string): string | undefined {
  return DESCR[dtype];
}

export function npyHeader(dtype: string, shape: number[]): Uint8Array {
  const descr = DESCR[dtype];
  if (!descr) throw new Error(`${dtype} has no NumPy dtype; convert it (e.g. --dtype F32)`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const long = dict.length + 1 + 10 > 65535;
  const pre = long ? 12 : 10;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict + " ".repeat(total - pre - dict.length - 1) + "\n";
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, long ? 2 : 1, 0]);
  const dv = new DataView(out.buffer);
  if (long) dv.setUint32(8, dict.length, true);
  else dv.setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), pre);
  return out;
}
