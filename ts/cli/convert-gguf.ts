// The GGUF half of `omnimodel convert`: IN OUT.gguf [--type T] [--keep-types].

import { open } from "../open.js";
import { GGUF_WRITE_TYPES, ggufChunks, planGGUF, type GGUFWriteType } from "../writers/gguf.js";
import { choiceFlag } from "./args.js";
import type { Parsed } from "./verb.js";
import { progressBar } from "./convert.js";
import { err, human } from "./output.js";
import { checkOutputPath, writeStream } from "./write-stream.js";
import { OmnimodelError } from "../errors.js";

export async function convertToGGUF(a: Parsed, input: string, output: string): Promise<number> {
  if (a.values.dtype !== undefined) throw new OmnimodelError("BAD_ARGUMENT", "convert: --dtype is for safetensors output; use --type for GGUF");
  const type = choiceFlag("convert", a, "type", GGUF_WRITE_TYPES) as GGUFWriteType | undefined;
  if (type !== undefined && a.values["keep-types"]) throw new OmnimodelError("BAD_ARGUMENT", "convert: --type and --keep-types exclude each other");
  checkOutputPath(output);
  const m = await open(input);
  try {
    const plan = planGGUF(m, { type });
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
