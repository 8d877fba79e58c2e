// `convert(input, output, { dtype, onProgress })` for Node: the CLI's conversion as one SDK call,
// as Python's and Deno's `convert` are. Streams (memory bounded by one window) through
// `OUTPUT.partial`, renamed into place only when every byte was written.

import { open, type ModelInput, type OpenOptions } from "../ts/open.ts";
import { planSafetensors, safetensorsChunks, type ConvertDtype, type ConvertProgress, type SkippedTensor } from "../ts/writers/safetensors.ts";
import { checkOutputPath, writeStream } from "../ts/cli/write-stream.ts";
import { withPool } from "../ts/pool/read-all.ts";

export interface ConvertOptions extends OpenOptions {
  /** "keep" (default; quantized types become F32), "F32", "F16" or "BF16". */
  dtype?: ConvertDtype;
  /** Called after each written chunk. */
  onProgress?: (p: ConvertProgress) => void;
}

export interface ConvertResult {
  tensors: number;
  skipped: SkippedTensor[];
  bytes: number;
}

/** Writes the model's tensors as a safetensors file at `output`. */
export async function convert(input: ModelInput, output: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  checkOutputPath(output);
  const m = await open(input, options);
  try {
    const plan = planSafetensors(m, options.dtype ?? "keep");
    // `threads` (an open option): a worker pool reads and converts tensors ahead of the writer
    await withPool(m, options.threads, (pool) => writeStream(output, safetensorsChunks(plan, options.onProgress, pool)));
    return { tensors: plan.tensors.length, skipped: plan.skipped, bytes: plan.totalBytes };
  } finally {
    await m.close();
  }
}
