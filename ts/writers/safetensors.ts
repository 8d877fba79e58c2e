// Streams a model as a safetensors file. The core decides what goes in (which tensors, which
// dtype, unique names) and writes the header (convert_plan); the host writes the header and then
// each tensor's read, window by window, so memory stays bounded.

import { DTYPE_CODES } from "../dtypes.ts";
import { OmnimodelError } from "../errors.ts";
import type { Model, Tensor } from "../model.ts";
import { POOL_MAX_TENSOR, type TensorPool } from "../pool/pool.ts";

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

/** Bytes of pooled reads in flight ahead of the writer (at least one tensor always is). */
const POOL_AHEAD_BYTES = 512 * 1024 * 1024;

/**
 * The bytes of the safetensors file, in order. Memory stays bounded by one window; with a pool,
 * by the tensors read ahead (POOL_AHEAD_BYTES), written in order as they arrive.
 */
export async function* safetensorsChunks(plan: SafetensorsPlan, onProgress?: (p: ConvertProgress) => void, pool?: TensorPool | null): AsyncGenerator<Uint8Array> {
  let written = plan.header.length;
  yield plan.header;
  const count = plan.tensors.length;
  const ahead = new Map<number, Promise<Uint8Array>>();
  let next = 0;
  let aheadBytes = 0;
  const usePool = (i: number) => !!pool && plan.tensors[i].byteLength <= POOL_MAX_TENSOR;
  for (let i = 0; i < count; i++) {
    const p = plan.tensors[i];
    if (pool) {
      if (next <= i) next = i;
      while (next < count && (next === i || aheadBytes + plan.tensors[next].byteLength <= POOL_AHEAD_BYTES) && next < i + 4 * pool.size) {
        if (usePool(next)) {
          const q = plan.tensors[next];
          const r = pool.read(q.tensor.position, q.readAs);
          r.catch(() => {}); // awaited in order below
          ahead.set(next, r);
          aheadBytes += q.byteLength;
        }
        next++;
      }
    }
    const r = ahead.get(i);
    if (r) {
      const b = await r;
      ahead.delete(i);
      aheadBytes -= p.byteLength;
      if (b.byteLength !== p.byteLength) throw new OmnimodelError("CORRUPT", `tensor "${p.name}" produced ${b.byteLength} bytes, expected ${p.byteLength}`);
      written += b.byteLength;
      yield b;
      onProgress?.({ tensor: p.name, index: i, count, bytesWritten: written, totalBytes: plan.totalBytes });
      continue;
    }
    let n = 0;
    for await (const chunk of p.tensor.chunks(p.readAs ? { dtype: p.readAs } : {})) {
      const b = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      n += b.byteLength;
      written += b.byteLength;
      yield b;
      onProgress?.({ tensor: p.name, index: i, count, bytesWritten: written, totalBytes: plan.totalBytes });
    }
    if (n !== p.byteLength) throw new OmnimodelError("CORRUPT", `tensor "${p.name}" produced ${n} bytes, expected ${p.byteLength}`);
  }
}
