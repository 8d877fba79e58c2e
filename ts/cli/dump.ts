// `omnimodel dump FILE TENSOR`: print a tensor's first values, or write it as .npy.

import { open } from "../open.ts";
import { OmnimodelError } from "../errors.ts";
import { npyForTensor } from "../writers/npy.ts";
import { choiceFlag, intFlag, stringFlag } from "./args.ts";
import { err, out } from "./output.ts";
import { writeStream } from "./write-stream.ts";
import type { Verb } from "./verb.ts";

export const dumpVerb: Verb = {
  name: "dump",
  summary: "print a tensor's values, or write it as .npy",
  synopsis: "FILE TENSOR [--out OUT.npy] [--head N] [--dtype F32|F16|BF16]",
  positionals: ["FILE", "TENSOR"],
  options: {
    out: { type: "string", valueName: "OUT.npy", help: "write the whole tensor as a .npy file (streamed)" },
    head: { type: "string", valueName: "N", help: "how many values to print (default 20)" },
    dtype: { type: "string", valueName: "DTYPE", help: "convert or dequantize: F32, F16 or BF16" },
  },
  async run(a) {
    const [file, name] = a.positionals;
    const dtype = choiceFlag("dump", a, "dtype", ["F32", "F16", "BF16"] as const);
    const head = intFlag("dump", a, "head") ?? 20;
    const outPath = stringFlag(a, "out");
    const m = await open(file);
    try {
      const t = m.tensor(name);
      if (!t) throw new OmnimodelError("NOT_FOUND", `no tensor named "${name}" (${m.tensors.length} tensors; see inspect)`, { file });
      if (outPath) {
        const { header, readAs } = npyForTensor(m.core, t, dtype);
        await writeStream(outPath, (async function* () {
          yield header;
          for await (const c of t.chunks(readAs ? { dtype: readAs } : {})) yield new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
        })());
        err(`wrote ${outPath}`);
        return 0;
      }
      const values = await t.read(dtype ? { dtype } : {});
      out(`${t.name}  ${dtype ?? t.dtype}  [${t.shape.join(", ")}]`);
      const shown = Array.from(values.subarray(0, head) as ArrayLike<number | bigint>, (v) => String(v));
      out(shown.join(" ") + (values.length > head ? ` ... (${values.length} values)` : ""));
    } finally {
      await m.close();
    }
    return 0;
  },
};
