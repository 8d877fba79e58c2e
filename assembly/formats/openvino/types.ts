// OpenVINO element types (ov::element::Type names as IR writes them) -> core dtypes, and which
// layer versions are the runtime's own opsets.

import {
  DT_BF16, DT_BOOL, DT_F16, DT_F32, DT_F4, DT_F64, DT_F8_E4M3, DT_F8_E5M2, DT_F8_E8M0, DT_I16, DT_I32, DT_I4, DT_I64, DT_I8,
  DT_U16, DT_U2, DT_U32, DT_U4, DT_U64, DT_U8,
} from "../../core/dtype";

const NAMES: string[] = [
  "f32", "f16", "bf16", "f64", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "boolean", "i4", "u4", "u2",
  "nf4", "f8e4m3", "f8e5m2", "f8e8m0", "f4e2m1",
];
const DTS: i32[] = [
  DT_F32, DT_F16, DT_BF16, DT_F64, DT_I8, DT_U8, DT_I16, DT_U16, DT_I32, DT_U32, DT_I64, DT_U64, DT_BOOL, DT_I4, DT_U4, DT_U2,
  // nf4 stores 4-bit codes into a fixed table: read as its codes (U4).
  DT_U4, DT_F8_E4M3, DT_F8_E5M2, DT_F8_E8M0, DT_F4,
];

// The dtype of an element type name, or -1 (u1, u3, u6, string, dynamic, unknown names).
export function elementDtype(name: string): i32 {
  const k = NAMES.indexOf(name.toLowerCase());
  return k < 0 ? -1 : DTS[k];
}

// Older IRs (v7-v10) and `precision` attributes use upper-case names (FP32, I64, U8...).
export function precisionDtype(p: string): i32 {
  const u = p.toUpperCase();
  if (u == "FP32") return DT_F32;
  if (u == "FP16") return DT_F16;
  if (u == "BF16") return DT_BF16;
  if (u == "FP64") return DT_F64;
  if (u == "BOOL") return DT_BOOL;
  return elementDtype(p);
}

// Layer versions the runtime provides: the numbered opsets and its internal operation sets.
export function standardVersion(v: string): bool {
  if (v.startsWith("opset")) {
    const d = v.substring(5);
    if (!d.length) return false;
    for (let i = 0; i < d.length; i++) { const c = d.charCodeAt(i); if (c < 0x30 || c > 0x39) return false; }
    return true;
  }
  return v == "internal_opset" || v == "ie_internal_opset" || v == "experimental";
}
