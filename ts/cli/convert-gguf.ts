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
import type { Model } from "../model.ts";
import { hfLlamaEditsFor, type SentencepieceVocab } from "../writers/hf-llama.ts";
import type { GGUFEdits } from "../writers/gguf.ts";

/** hfLlamaEditsFor through Node's fs (the CLI and the Node SDK). */
export function llamaEditsFor(input: string, m: Model, type: string | undefined): Promise<GGUFEdits | undefined> {
  return hfLlamaEditsFor(input, m, type, {
    isDirectory: (p) => existsSync(p) && statSync(p).isDirectory(),
    readText: (p) => (existsSync(p) && statSync(p).isFile() ? readFileSync(p, "utf8") : null),
    sentencepieceVocab: async (p) => {
      if (!existsSync(p)) return undefined;
      const t = await open(p);
      try { return t.format === "sentencepiece" ? (t.metadata.vocab as SentencepieceVocab) : undefined; } finally { await t.close(); }
    },
  });
}

export async function convertToGGUF(a: Parsed, input: string, output: string): Promise<number> {
  if (a.values.dtype !== undefined) throw new OmnimodelError("BAD_ARGUMENT", "convert: --dtype is for safetensors output; use --type for GGUF");
  const type = choiceFlag("convert", a, "type", GGUF_WRITE_TYPES) as GGUFWriteType | undefined;
  if (type !== undefined && a.values["keep-types"]) throw new OmnimodelError("BAD_ARGUMENT", "convert: --type and --keep-types exclude each other");
  checkOutputPath(output);
  const m = await open(input);
  try {
    const edits = await llamaEditsFor(input, m, type);
    if (edits) err(`Hugging Face model (config.json): ${Object.keys(edits.rename!).length} tensors named for llama.cpp, ${Object.keys(edits.permute!).length} Q/K permuted`);
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
