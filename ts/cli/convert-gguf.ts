// The GGUF half of `omnimodel convert`: IN OUT.gguf [--type T] [--keep-types].

import { open } from "../open.ts";
import { GGUF_WRITE_TYPES, ggufChunks, planGGUF, type GGUFWriteType } from "../writers/gguf.ts";
import { choiceFlag } from "./args.ts";
import type { Parsed } from "./verb.ts";
import { progressBar } from "./convert.ts";
import { err, human } from "./output.ts";
import { checkOutputPath, writeStream } from "./write-stream.ts";
import { OmnimodelError } from "../errors.ts";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Model } from "../model.ts";
import { hfLlamaEdits, type SentencepieceVocab } from "../writers/hf-llama.ts";
import type { GGUFEdits } from "../writers/gguf.ts";

/**
 * A Hugging Face llama model (config.json in the input folder or beside the input file) gets
 * llama.cpp's tensor names, Q/K permutation, llama.* metadata and, from a tokenizer.model beside
 * it, the sentencepiece vocabulary; anything else is written as is.
 */
export async function llamaEditsFor(input: string, m: Model, type: string | undefined): Promise<GGUFEdits | undefined> {
  const dir = existsSync(input) && statSync(input).isDirectory() ? input : dirname(input);
  const cfg = join(dir, "config.json");
  if (!existsSync(cfg)) return undefined;
  let vocab: SentencepieceVocab | undefined;
  const spm = join(dir, "tokenizer.model");
  if (existsSync(spm)) {
    const t = await open(spm);
    try {
      if (t.format === "sentencepiece") vocab = t.metadata.vocab as SentencepieceVocab;
    } finally { await t.close(); }
  }
  // with no --type the writer records no general.file_type: the one type of the matrices, as llama.cpp
  const mats = new Set(m.tensors.filter((t) => t.shape.length >= 2).map((t) => t.dtype));
  const one = mats.size === 1 ? [...mats][0] : "";
  const fileType = type === undefined ? ({ F32: 0, F16: 1, BF16: 32 } as Record<string, number>)[one] : undefined;
  return hfLlamaEdits(m, readFileSync(cfg, "utf8"), vocab, fileType) ?? undefined;
}

export async function convertToGGUF(a: Parsed, input: string, output: string): Promise<number> {
  if (a.values.dtype !== undefined) throw new OmnimodelError("BAD_ARGUMENT", "convert: --dtype is for safetensors output; use --type for GGUF");
  const type = choiceFlag("convert", a, "type", GGUF_WRITE_TYPES) as GGUFWriteType | undefined;
  if (type !== undefined && a.values["keep-types"]) throw new OmnimodelError("BAD_ARGUMENT", "convert: --type and --keep-types exclude each other");
  checkOutputPath(output);
  const m = await open(input);
  try {
    const edits = await llamaEditsFor(input, m, type);
    if (edits) err(`llama model (config.json): ${Object.keys(edits.rename!).length} tensors named for llama.cpp, ${Object.keys(edits.permute!).length} Q/K permuted`);
    const plan = planGGUF(m, { type, edits });
    for (const s of plan.skipped) err(`skipped ${s.name} (${s.dtype}): ${s.reason}`);
    for (const n of plan.notes) err(`note: ${n.name}: ${n.note}`);
    await writeStream(output, ggufChunks(m, plan, progressBar()));
    if (process.stderr.isTTY) process.stderr.write("\n");
    err(`wrote ${output}: ${plan.tensors.length} tensors, ${human(plan.totalBytes)}`);
  } finally {
    await m.close();
  }
  return 0;
}
