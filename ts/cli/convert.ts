// `omnimodel convert IN OUT.safetensors|OUT.gguf`: any readable model to safetensors or GGUF,
// streamed. The output's extension picks the writer.

import { open } from "../open.ts";
import { planSafetensors, safetensorsChunks } from "../writers/safetensors.ts";
import { GGUF_WRITE_TYPES } from "../writers/gguf.ts";
import { withPool } from "../pool/read-all.ts";
import { choiceFlag, intFlag } from "./args.ts";
import { convertToGGUF } from "./convert-gguf.ts";
import { err, human } from "./output.ts";
import { checkOutputPath, writeStream } from "./write-stream.ts";
import type { Verb } from "./verb.ts";

export function progressBar(): (p: { bytesWritten: number; totalBytes: number; index: number; count: number; tensor: string }) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (!tty || now - last < 100) return;
    last = now;
    const pct = ((p.bytesWritten / Math.max(1, p.totalBytes)) * 100).toFixed(1);
    const bar = "#".repeat(Math.round(Number(pct) / 4)).padEnd(25, ".");
    process.stderr.write(`\r[${bar}] ${pct}%  ${p.index + 1}/${p.count} ${p.tensor.slice(0, 40).padEnd(40)}`);
  };
}

export const convertVerb: Verb = {
  name: "convert",
  summary: "write a model as safetensors or GGUF, quantizing if asked (streams, bounded memory)",
  synopsis: "IN OUT.safetensors [--dtype keep|F32|F16|BF16] [--threads N] | IN OUT.gguf [--type T] [--keep-types]",
  positionals: ["IN", "OUT"],
  options: {
    dtype: { type: "string", valueName: "DTYPE", help: "safetensors: keep (default; quantized types become F32), F32, F16 or BF16" },
    threads: { type: "string", valueName: "N", help: "safetensors: workers reading and converting tensors (default: every core for files of 256 MiB or more; 1: this thread only)" },
    type: { type: "string", valueName: "T", help: `GGUF: type of the matrices (${GGUF_WRITE_TYPES.join(", ")}); vectors stay F32` },
    "keep-types": { type: "boolean", help: "GGUF: keep every tensor's stored type (the default without --type)" },
  },
  details: "A Hugging Face Llama, Mistral or Qwen2 (config.json in the IN folder or beside IN) written as GGUF gets llama.cpp's tensor names, Q/K rows permuted per head (Llama, Mistral), llama.* metadata and, from tokenizer.model, tokenizer.ggml.*, as llama.cpp's convert_hf_to_gguf.py writes them.",
  async run(a) {
    const [input, output] = a.positionals;
    if (output.toLowerCase().endsWith(".gguf")) return convertToGGUF(a, input, output);
    const want = choiceFlag("convert", a, "dtype", ["keep", "F32", "F16", "BF16"] as const) ?? "keep";
    const threads = intFlag("convert", a, "threads", { min: 1, max: 256 });
    checkOutputPath(output);
    const m = await open(input);
    try {
      const plan = planSafetensors(m, want);
      for (const s of plan.skipped) err(`skipped ${s.name} (${s.dtype}): ${s.reason}`);
      await withPool(m, threads, (pool) => writeStream(output, safetensorsChunks(plan, progressBar(), pool)));
      if (process.stderr.isTTY) process.stderr.write("\n");
      err(`wrote ${output}: ${plan.tensors.length} tensors, ${human(plan.totalBytes)}`);
    } finally {
      await m.close();
    }
    return 0;
  },
};
