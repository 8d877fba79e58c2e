// ONNX TensorProto.DataType (onnx.in.proto) and how each type's values may be stored.

import {
  DT_BF16, DT_BOOL, DT_C128, DT_C64, DT_F16, DT_F32, DT_F4, DT_F64, DT_F8_E4M3, DT_F8_E4M3FNUZ, DT_F8_E5M2,
  DT_F8_E5M2FNUZ, DT_F8_E8M0, DT_F6_E2M3, DT_F6_E3M2, DT_I16, DT_I2, DT_I32, DT_I4, DT_I64, DT_I8, DT_STR, DT_U16, DT_U2, DT_U32, DT_U4,
  DT_U64, DT_U8, dtypeBits,
} from "../../core/dtype";

export const ONNX_TYPE_NAMES: string[] = [
  "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16",
  "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
  "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2",
  "FLOAT6E2M3", "FLOAT6E3M2",
];

const TO_DT: i32[] = [
  -1, DT_F32, DT_U8, DT_I8, DT_U16, DT_I16, DT_I32, DT_I64, DT_STR, DT_BOOL, DT_F16,
  DT_F64, DT_U32, DT_U64, DT_C64, DT_C128, DT_BF16, DT_F8_E4M3, DT_F8_E4M3FNUZ,
  DT_F8_E5M2, DT_F8_E5M2FNUZ, DT_U4, DT_I4, DT_F4, DT_F8_E8M0, DT_U2, DT_I2,
  DT_F6_E2M3, DT_F6_E3M2,
];

export function onnxTypeName(t: i32): string {
  return t >= 0 && t < ONNX_TYPE_NAMES.length ? ONNX_TYPE_NAMES[t] : "UNKNOWN(" + t.toString() + ")";
}

// Our dtype code for an ONNX data type; -1 when unknown or undefined.
export function onnxToDtype(t: i32): i32 { return t > 0 && t < TO_DT.length ? TO_DT[t] : -1; }

// TensorProto fields.
export const TP_DIMS = 1;
export const TP_DATA_TYPE = 2;
export const TP_SEGMENT = 3;
export const TP_FLOAT_DATA = 4;
export const TP_INT32_DATA = 5;
export const TP_STRING_DATA = 6;
export const TP_INT64_DATA = 7;
export const TP_NAME = 8;
export const TP_RAW_DATA = 9;
export const TP_DOUBLE_DATA = 10;
export const TP_UINT64_DATA = 11;
export const TP_DOC_STRING = 12;
export const TP_EXTERNAL_DATA = 13;
export const TP_DATA_LOCATION = 14;

// Which typed field carries a type's values, its wire width (0 = varint) and the element width
// each stored value becomes; for complex types two stored values make one element.
export class TypedField {
  constructor(public field: i32, public fixed: i32, public outWidth: i32, public perElement: i32) {}
}

export function typedFieldFor(t: i32): TypedField | null {
  switch (t) {
    case 1: return new TypedField(TP_FLOAT_DATA, 4, 4, 1);
    case 14: return new TypedField(TP_FLOAT_DATA, 4, 4, 2);
    case 11: return new TypedField(TP_DOUBLE_DATA, 8, 8, 1);
    case 15: return new TypedField(TP_DOUBLE_DATA, 8, 8, 2);
    case 7: return new TypedField(TP_INT64_DATA, 0, 8, 1);
    case 12: return new TypedField(TP_UINT64_DATA, 0, 4, 1);
    case 13: return new TypedField(TP_UINT64_DATA, 0, 8, 1);
    case 6: return new TypedField(TP_INT32_DATA, 0, 4, 1);
    case 5: case 4: case 10: case 16: return new TypedField(TP_INT32_DATA, 0, 2, 1);
    case 2: case 3: case 9: case 17: case 18: case 19: case 20: case 24: return new TypedField(TP_INT32_DATA, 0, 1, 1);
    // Sub-byte types: each int32 holds one packed byte (two 4-bit or four 2-bit elements).
    case 21: case 22: case 23: case 25: case 26: return new TypedField(TP_INT32_DATA, 0, 1, 0);
    // FLOAT6 keeps one element per int32 (not packed): no plan can express the repacking.
  }
  return null;
}

// Stored bytes for n elements of ONNX type t (sub-byte types packed, rounded up); u64.MAX on overflow.
export function onnxByteLength(t: i32, n: u64): u64 {
  const dt = onnxToDtype(t);
  const bits = <u64>dtypeBits(dt);
  if (bits == 0) return u64.MAX_VALUE;
  if (n != 0 && bits > u64.MAX_VALUE / n) return u64.MAX_VALUE;
  return (n * bits + 7) / 8;
}
