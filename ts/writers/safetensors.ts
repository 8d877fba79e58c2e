// Streams a model as a safetensors file. The core decides what goes in (which tensors, which
// dtype, unique names) and writes the header (convert_plan); the host writes the header and then
// each tensor's read, window by window, so memory stays bounded.

import { DTYPE_CODES } from "../dtypes.js";
import { OmnimodelError } from "../errors.js";
import type { Model, Tensor } from "../model.js";

export type ConvertDtype = "keep" | "F32" | "F16" | "BF16";

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

const CODE_NAMES = Object.fromEntries(Object.entries(DTYPE_CODES).map(([k, v]) => [v, k]));

export function planSafetensors(model: Model, want: ConvertDtype = "keep"): SafetensorsPlan {
  const core = model.core;
  const code = want === "keep" ? 0 : DTYPE_CODES[want];
  if (code === undefined) throw new OmnimodelError("BAD_ARGUMENT", `cannot convert to ${want}`);
  const h = core.exports.convert_plan(model.handle, code);
  if (h <= 0) throw new OmnimodelError("BAD_ARGUMENT", "the model cannot be converted (is it closed?)", { file: model.source.name });
  try {
    const d = JSON.parse(core.result(h)) as {
      tensors: { tensor: number; name: string; dtype: string; readAs: number; byteLength: number }[];
      skipped: SkippedTensor[];
      totalLength: number;
    };
    if (d.tensors.length === 0) throw nothingToConvert(model, d.skipped);
    return {
      tensors: d.tensors.map((t) => ({
        tensor: model.tensors[t.tensor],
        name: t.name,
        dtype: t.dtype,
        readAs: t.readAs ? CODE_NAMES[t.readAs] : undefined,
        byteLength: t.byteLength,
      })),
      skipped: d.skipped,
      header: core.output(h),
      totalBytes: d.totalLength,
    };
  } finally {
    core.exports.job_close(h);
  }
}

/** An empty safetensors file would look like success; a model with nothing to write is an error. */
function nothingToConvert(model: Model, skipped: SkippedTensor[]): OmnimodelError {
  const why = skipped.length
    ? `none of its ${skipped.length} tensors can be written as safetensors (${skipped.slice(0, 3).map((s) => `${s.name}: ${s.reason}`).join("; ")}${skipped.length > 3 ? "; ..." : ""})`
    : `the ${model.format} file has no tensors`;
  return new OmnimodelError("UNSUPPORTED", `nothing to convert: ${why}`, { file: model.source.name });
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
    if (n !== p.byteLength) throw new OmnimodelError("CORRUPT", `tensor "${p.name}" produced ${n} bytes, expected ${p.byteLength}`);
  }
}
