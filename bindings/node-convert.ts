// `convert(input, output, { dtype, onProgress })` for Node: the CLI's conversion as one SDK call,
// as Python's and Deno's `convert` are. Streams (memory bounded by one window) through
// `OUTPUT.partial`, renamed into place only when every byte was written. The writer is chosen as
// the CLI chooses it: `to`, else the output's extension (`.gguf` -> GGUF, anything else ->
// safetensors), and the same plans make the same bytes.

import { open, type ModelInput, type OpenOptions } from "../ts/open.ts";
import { planSafetensors, safetensorsChunks, type ConvertDtype, type ConvertProgress, type SkippedTensor } from "../ts/writers/safetensors.ts";
import { GGUF_WRITE_TYPES, ggufChunks, planGGUF, type GGUFWriteType } from "../ts/writers/gguf.ts";
import { checkOutputPath, writeStream } from "../ts/cli/write-stream.ts";
import { llamaEditsFor } from "../ts/cli/convert-gguf.ts";
import { withPool } from "../ts/pool/read-all.ts";
import { OmnimodelError } from "../ts/errors.ts";

export interface ConvertOptions extends OpenOptions {
  /** The file format written; default: "gguf" when `output` ends in .gguf, else "safetensors". */
  to?: "safetensors" | "gguf";
  /** safetensors: "keep" (default; quantized types become F32), "F32", "F16" or "BF16". */
  dtype?: ConvertDtype;
  /** GGUF: the ggml type of the matrices (vectors stay F32); omitted = every tensor's stored type. */
  type?: GGUFWriteType;
  /** Called after each written tensor (GGUF) or chunk (safetensors). */
  onProgress?: (p: ConvertProgress) => void;
}

export interface ConvertResult {
  tensors: number;
  skipped: SkippedTensor[];
  bytes: number;
  /** GGUF: tensors written otherwise than asked (rows that do not fill the type's blocks -> F16). */
  notes?: { name: string; note: string }[];
}

/** Writes the model's tensors as a safetensors or GGUF file at `output`. */
export async function convert(input: ModelInput, output: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const to = options.to ?? (output.toLowerCase().endsWith(".gguf") ? "gguf" : "safetensors");
  if (to !== "gguf" && to !== "safetensors") throw new OmnimodelError("BAD_ARGUMENT", `convert: cannot write "${String(to)}" (safetensors or gguf)`);
  if (to === "gguf") {
    if (options.dtype !== undefined) throw new OmnimodelError("BAD_ARGUMENT", "convert: dtype is for safetensors output; use type for GGUF");
    if (options.type !== undefined && !(GGUF_WRITE_TYPES as readonly string[]).includes(options.type)) {
      throw new OmnimodelError("BAD_ARGUMENT", `convert: cannot write GGUF type "${String(options.type)}" (one of ${GGUF_WRITE_TYPES.join(", ")})`);
    }
  } else if (options.type !== undefined) throw new OmnimodelError("BAD_ARGUMENT", "convert: type is for GGUF output; use dtype for safetensors");
  checkOutputPath(output);
  const m = await open(input, options);
  try {
    if (to === "gguf") {
      const plan = planGGUF(m, { type: options.type, edits: typeof input === "string" ? await llamaEditsFor(input, m, options.type) : undefined });
      await writeStream(output, ggufChunks(m, plan, options.onProgress));
      return { tensors: plan.tensors.length, skipped: plan.skipped, bytes: plan.totalBytes, notes: plan.notes };
    }
    const plan = planSafetensors(m, options.dtype ?? "keep");
    // `threads` (an open option): a worker pool reads and converts tensors ahead of the writer
    await withPool(m, options.threads, (pool) => writeStream(output, safetensorsChunks(plan, options.onProgress, pool)));
    return { tensors: plan.tensors.length, skipped: plan.skipped, bytes: plan.totalBytes };
  } finally {
    await m.close();
  }
}
