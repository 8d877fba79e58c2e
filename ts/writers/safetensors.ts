// Streams a model as a safetensors file: the header first (every tensor's output size is known
// before any value is read), then each tensor's bytes window by window.

import type { Model, Tensor } from "../model.js";

export type ConvertDtype = "keep" | "F32" | "F16" | "BF16";

// dtypes a safetensors file can hold as they are (C128 has no safetensors name in the spec; it
// is written under that name so complex128 data survives a round trip through our own reader).
const STORABLE = new Set([
  "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL", "C64", "C128",
  "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F6_E2M3", "F6_E3M2", "F4",
]);
const FLOATS = new Set(["F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ"]);
const NOT_NUMERIC = new Set(["STR", "RAW", "OBJECT"]);

export interface PlannedTensor {
  tensor: Tensor;
  name: string;
  dtype: string; // written dtype
  readAs?: string; // conversion asked from the core
  byteLength: number;
}

export interface SkippedTensor {
  name: string;
  dtype: string;
  reason: string;
}

export interface SafetensorsPlan {
  tensors: PlannedTensor[];
  skipped: SkippedTensor[];
  header: Uint8Array;
  totalBytes: number;
}

/** The dtype a tensor is written as, or null when it cannot be written. */
export function outputDtype(dtype: string, want: ConvertDtype): { dtype: string; readAs?: string } | null {
  if (NOT_NUMERIC.has(dtype) || dtype.includes("[") || dtype.startsWith("|") || dtype.startsWith("<") || dtype.startsWith(">")) return null;
  if (want === "keep") {
    if (STORABLE.has(dtype)) return { dtype };
    return { dtype: "F32", readAs: "F32" }; // quantized (GGML) types
  }
  if (FLOATS.has(dtype) || !STORABLE.has(dtype)) return dtype === want ? { dtype } : { dtype: want, readAs: want };
  return { dtype }; // integers and bools keep their type
}

function metadataStrings(model: Model): Record<string, string> {
  const out: Record<string, string> = { format: model.format };
  if (model.formatVersion) out.format_version = model.formatVersion;
  for (const [k, v] of Object.entries(model.metadata ?? {})) {
    const s = typeof v === "string" ? v : JSON.stringify(v);
    if (s !== undefined && s.length <= 65536) out[k] = s;
  }
  return out;
}

export function planSafetensors(model: Model, want: ConvertDtype = "keep"): SafetensorsPlan {
  const tensors: PlannedTensor[] = [];
  const skipped: SkippedTensor[] = [];
  const used = new Set<string>();
  for (const t of model.tensors) {
    const od = outputDtype(t.dtype, want);
    if (!od) {
      skipped.push({ name: t.name, dtype: t.dtype, reason: "not a numeric tensor" });
      continue;
    }
    let byteLength: number;
    try {
      byteLength = t.outputByteLength(od.readAs ? { dtype: od.readAs } : {});
    } catch (e) {
      skipped.push({ name: t.name, dtype: t.dtype, reason: (e as Error).message });
      continue;
    }
    let name = t.name;
    for (let i = 1; used.has(name) || name === "__metadata__"; i++) name = `${t.name}.${i}`;
    used.add(name);
    tensors.push({ tensor: t, name, dtype: od.dtype, readAs: od.readAs, byteLength });
  }
  const header: Record<string, unknown> = { __metadata__: metadataStrings(model) };
  let offset = 0;
  for (const p of tensors) {
    header[p.name] = { dtype: p.dtype, shape: p.tensor.shape, data_offsets: [offset, offset + p.byteLength] };
    offset += p.byteLength;
  }
  let json = JSON.stringify(header);
  const pad = (8 - ((new TextEncoder().encode(json).length) % 8)) % 8;
  json += " ".repeat(pad);
  const body = new TextEncoder().encode(json);
  const headerBytes = new Uint8Array(8 + body.length);
  new DataView(headerBytes.buffer).setBigUint64(0, BigInt(body.length), true);
  headerBytes.set(body, 8);
  return { tensors, skipped, header: headerBytes, totalBytes: headerBytes.length + offset };
}

export interface ConvertProgress {
  tensor: string;
  index: number;
  count: number;
  bytesWritten: number;
  totalBytes: number;
}

/** The bytes of the safetensors file, in order. Memory stays bounded by one window. */
export async function* safetensorsChunks(plan: SafetensorsPlan, onProgress?: (p: ConvertProgress) => void): AsyncGenerator<Uint8Array> {
  let written = plan.header.length;
  yield plan.header;
  for (let i = 0; i < plan.tensors.length; i++) {
    const p = plan.tensors[i];
    let n = 0;
    for await (const chunk of p.tensor.chunks(p.readAs ? { dtype: p.readAs } : {})) {
      const b = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      n += b.byteLength;
      written += b.byteLength;
      yield b;
      onProgress?.({ tensor: p.name, index: i, count: plan.tensors.length, bytesWritten: written, totalBytes: plan.totalBytes });
    }
    if (n !== p.byteLength) throw new Error(`tensor "${p.name}" produced ${n} bytes, expected ${p.byteLength}`);
  }
}
