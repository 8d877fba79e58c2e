// `omnimodel convert IN OUT.safetensors`: any readable model to safetensors, streamed.

import { open } from "../open.js";
import { planSafetensors, safetensorsChunks } from "../writers/safetensors.js";
import { withPool } from "../pool/read-all.js";
import { choiceFlag, intFlag } from "./args.js";
import { err, human } from "./output.js";
import { checkOutputPath, writeStream } from "./write-stream.js";
import type { Verb } from "./verb.js";

export const convertVerb: Verb = {
  name: "convert",
  summary: "write a model's tensors as safetensors (streams, bounded memory)",
  synopsis: "IN OUT.safetensors [--dtype keep|F32|F16|BF16] [--threads N]",
  positionals: ["IN", "OUT"],
  options: {
    dtype: { type: "string", valueName: "DTYPE", help: "keep (default; quantized types become F32), F32, F16 or BF16" },
    threads: { type: "string", valueName: "N", help: "workers reading and converting tensors (default: every core for files of 256 MiB or more; 1: this thread only)" },
  },
  async run(a) {
    const [input, output] = a.positionals;
    const want = choiceFlag("convert", a, "dtype", ["keep", "F32", "F16", "BF16"] as const) ?? "keep";
    const threads = intFlag("convert", a, "threads", { min: 1, max: 256 });
    checkOutputPath(output);
    const m = await open(input);
    try {
      const plan = planSafetensors(m, want);
      for (const s of plan.skipped) err(`skipped ${s.name} (${s.dtype}): ${s.reason}`);
      const tty = process.stderr.isTTY;
      let last = 0;
      await withPool(m, threads, (pool) => writeStream(output, safetensorsChunks(plan, (p) => {
        const now = Date.now();
        if (!tty || now - last < 100) return;
        last = now;
        const pct = ((p.bytesWritten / Math.max(1, p.totalBytes)) * 100).toFixed(1);
        const bar = "#".repeat(Math.round(Number(pct) / 4)).padEnd(25, ".");
        process.stderr.write(`\r[${bar}] ${pct}%  ${p.index + 1}/${p.count} ${p.tensor.slice(0, 40).padEnd(40)}`);
      }, pool)));
      if (tty) process.stderr.write("\n");
      err(`wrote ${output}: ${plan.tensors.length} tensors, ${human(plan.totalBytes)}`);
    } finally {
      await m.close();
    }
    return 0;
  },
};
