// dtype names and the ABI's dtype codes (bindings/ABI.md), and how a host holds each type.

export const DTYPE_CODES: Record<string, number> = {
  F64: 1, F32: 2, F16: 3, BF16: 4, I64: 5, I32: 6, I16: 7, I8: 8, U64: 9, U32: 10, U16: 11, U8: 12,
  BOOL: 13, C64: 14, C128: 15, F8_E4M3: 16, F8_E5M2: 17, F8_E8M0: 18, F8_E4M3FNUZ: 19, F8_E5M2FNUZ: 20,
  F6_E2M3: 21, F6_E3M2: 22, F4: 23, STR: 24, RAW: 25, I4: 26, U4: 27, I2: 28, U2: 29, C32: 30, OBJECT: 31,
};

export type TypedArray =
  | Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array
  | BigInt64Array | BigUint64Array;

/** The typed array `read({ dtype: D })` returns: what arrayFor() builds for D. */
export type ArrayForDtype<D extends string> =
  D extends "F64" | "C128" ? Float64Array :
  D extends "F32" | "C64" ? Float32Array :
  D extends "F16" | "BF16" | "U16" | "C32" ? Uint16Array :
  D extends "I64" ? BigInt64Array :
  D extends "U64" ? BigUint64Array :
  D extends "I32" ? Int32Array :
  D extends "U32" ? Uint32Array :
  D extends "I16" ? Int16Array :
  D extends "I8" ? Int8Array :
  Uint8Array;

/** The dtypes a read can convert to. */
export type ReadDtype = "F32" | "F16" | "BF16";

// The typed array a read returns for each stored dtype. F16/BF16 stay as their bits (Uint16Array)
// unless a conversion to F32 is asked; complex types are interleaved (re, im); quantized and
// sub-byte types are raw bytes.
export function arrayFor(dtype: string, buffer: ArrayBuffer, byteOffset: number, byteLength: number): TypedArray {
  switch (dtype) {
    case "F64": return new Float64Array(buffer, byteOffset, byteLength / 8);
    case "F32": return new Float32Array(buffer, byteOffset, byteLength / 4);
    case "C64": return new Float32Array(buffer, byteOffset, byteLength / 4);
    case "C128": return new Float64Array(buffer, byteOffset, byteLength / 8);
    case "F16": case "BF16": case "U16": case "C32": return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case "I64": return new BigInt64Array(buffer, byteOffset, byteLength / 8);
    case "U64": return new BigUint64Array(buffer, byteOffset, byteLength / 8);
    case "I32": return new Int32Array(buffer, byteOffset, byteLength / 4);
    case "U32": return new Uint32Array(buffer, byteOffset, byteLength / 4);
    case "I16": return new Int16Array(buffer, byteOffset, byteLength / 2);
    case "I8": return new Int8Array(buffer, byteOffset, byteLength);
    default: return new Uint8Array(buffer, byteOffset, byteLength);
  }
}

export function elementBytes(dtype: string): number {
  switch (dtype) {
    case "F64": case "I64": case "U64": case "C64": return 8;
    case "C128": return 16;
    case "F32": case "I32": case "U32": case "C32": return 4;
    case "F16": case "BF16": case "I16": case "U16": return 2;
    default: return 1;
  }
}

export function dtypeCode(name: string): number | undefined {
  return DTYPE_CODES[name];
}
