// Element types. Codes are part of the ABI (bindings/ABI.md): hosts pass them to `read_open`.
// Names are safetensors' dtype names, plus GGML type names for block-quantized types.

import { ggmlBlockBytes, ggmlBlockElements, ggmlTypeName, ggmlTypeFromName } from "../kernels/ggml-types";

export const DT_KEEP: i32 = 0; // "the stored type" when asking for a read
export const DT_F64: i32 = 1;
export const DT_F32: i32 = 2;
export const DT_F16: i32 = 3;
export const DT_BF16: i32 = 4;
export const DT_I64: i32 = 5;
export const DT_I32: i32 = 6;
export const DT_I16: i32 = 7;
export const DT_I8: i32 = 8;
export const DT_U64: i32 = 9;
export const DT_U32: i32 = 10;
export const DT_U16: i32 = 11;
export const DT_U8: i32 = 12;
export const DT_BOOL: i32 = 13;
export const DT_C64: i32 = 14;
export const DT_C128: i32 = 15;
export const DT_F8_E4M3: i32 = 16;
export const DT_F8_E5M2: i32 = 17;
export const DT_F8_E8M0: i32 = 18;
export const DT_F8_E4M3FNUZ: i32 = 19;
export const DT_F8_E5M2FNUZ: i32 = 20;
export const DT_F6_E2M3: i32 = 21;
export const DT_F6_E3M2: i32 = 22;
export const DT_F4: i32 = 23;
export const DT_STR: i32 = 24; // strings: not readable as a numeric array
export const DT_RAW: i32 = 25; // opaque fixed-size records (structured numpy dtypes, void)
export const DT_I4: i32 = 26;
export const DT_U4: i32 = 27;
export const DT_I2: i32 = 28;
export const DT_U2: i32 = 29;
export const DT_C32: i32 = 30;
export const DT_OBJECT: i32 = 31; // pickled Python objects
// GGML types: DT_GGML_BASE + ggml_type id (see kernels/ggml-types.ts).
export const DT_GGML_BASE: i32 = 4096;

const NAMES: string[] = [
  "KEEP", "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL",
  "C64", "C128", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F6_E2M3", "F6_E3M2",
  "F4", "STR", "RAW", "I4", "U4", "I2", "U2", "C32", "OBJECT",
];
const BITS: i32[] = [0, 64, 32, 16, 16, 64, 32, 16, 8, 64, 32, 16, 8, 8, 64, 128, 8, 8, 8, 8, 8, 6, 6, 4, 0, 0, 4, 4, 2, 2, 32, 0];

export function dtypeName(dt: i32): string {
  if (dt >= DT_GGML_BASE) return ggmlTypeName(dt - DT_GGML_BASE);
  if (dt >= 0 && dt < NAMES.length) return NAMES[dt];
  return "UNKNOWN";
}

// Accepts canonical names and the non-canonical spellings seen in the wild.
export function dtypeFromName(name: string): i32 {
  for (let i = 1; i < NAMES.length; i++) if (NAMES[i] == name) return i;
  if (name == "E8M0" || name == "UE8" || name == "F8_UE8M0") return DT_F8_E8M0;
  if (name == "FP4" || name == "F4_E2M1" || name == "MXF4") return DT_F4;
  if (name == "F8_E4M3FN") return DT_F8_E4M3;
  const g = ggmlTypeFromName(name);
  if (g >= 0) return DT_GGML_BASE + g;
  return -1;
}

// Bits per element for element types; 0 for strings/objects/raw and block types.
export function dtypeBits(dt: i32): i32 {
  if (dt >= 0 && dt < BITS.length) return BITS[dt];
  return 0;
}

export function isGGML(dt: i32): bool { return dt >= DT_GGML_BASE; }

// Elements per storage block (1 for element types).
export function dtypeBlockElements(dt: i32): i32 {
  if (dt >= DT_GGML_BASE) return ggmlBlockElements(dt - DT_GGML_BASE);
  return 1;
}

// Bytes for n elements, or u64.MAX_VALUE when unknown, overflowing or not a whole number of bytes.
export function dtypeByteLength(dt: i32, n: u64): u64 {
  if (dt >= DT_GGML_BASE) {
    const be = <u64>ggmlBlockElements(dt - DT_GGML_BASE);
    const bb = <u64>ggmlBlockBytes(dt - DT_GGML_BASE);
    if (be == 0 || bb == 0 || n % be != 0) return u64.MAX_VALUE;
    const blocks = n / be;
    if (blocks != 0 && bb > u64.MAX_VALUE / blocks) return u64.MAX_VALUE;
    return blocks * bb;
  }
  const bits = <u64>dtypeBits(dt);
  if (bits == 0) return u64.MAX_VALUE;
  if (n != 0 && bits > u64.MAX_VALUE / n) return u64.MAX_VALUE;
  const total = n * bits;
  if (total % 8 != 0) return u64.MAX_VALUE;
  return total / 8;
}

export function isFloatType(dt: i32): bool {
  return dt == DT_F64 || dt == DT_F32 || dt == DT_F16 || dt == DT_BF16 || (dt >= DT_F8_E4M3 && dt <= DT_F4);
}

// Product of dims with overflow detection; u64.MAX_VALUE on overflow.
export function shapeElements(shape: u64[]): u64 {
  let n: u64 = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d == 0) return 0;
  }
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (n > u64.MAX_VALUE / d) return u64.MAX_VALUE;
    n *= d;
  }
  return n;
}

// The dtype of a ggml tensor type id: element types map onto the common dtypes (F32, F16, BF16,
// I8..I64, F64); block types keep their ggml name (DT_GGML_BASE + id).
export function dtypeForGgmlType(type: i32): i32 {
  switch (type) {
    case 0: return DT_F32;
    case 1: return DT_F16;
    case 30: return DT_BF16;
    case 24: return DT_I8;
    case 25: return DT_I16;
    case 26: return DT_I32;
    case 27: return DT_I64;
    case 28: return DT_F64;
  }
  return DT_GGML_BASE + type;
}
