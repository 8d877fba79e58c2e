// `omnimodel gguf set|rm|split|merge`: GGUF metadata edits and llama.cpp-compatible split sets.
//   gguf set FILE KEY VALUE [--type T] [-o OUT]   (in place when OUT is omitted)
//   gguf rm FILE KEY [-o OUT]
//   gguf split FILE [OUT_PREFIX] --max-size 2G | --max-tensors N   -> PREFIX-00001-of-0000N.gguf
//   gguf merge FIRST-00001-of-0000N.gguf OUT.gguf                    (the original, byte for byte)
// Every output is planned by the core's GGUF writer (metadata pairs copied byte for byte).

import { open } from "../open.ts";
import { OmnimodelError } from "../errors.ts";
import type { Model } from "../model.ts";
import { ggufChunks, planGGUF, type GGUFEdits } from "../writers/gguf.ts";
import { intFlag, stringFlag, UsageError } from "./args.ts";
import { err, human } from "./output.ts";
import { writeStream } from "./write-stream.ts";
import type { Verb } from "./verb.ts";

/** "2G", "500M", "1.5G", "123" (bytes): decimal units as llama.cpp's gguf-split reads them. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(s.trim());
  if (!m) throw new OmnimodelError("BAD_ARGUMENT", `gguf split: --max-size "${s}" is not a size like 2G or 500M`);
  const unit = { "": 1, K: 1e3, M: 1e6, G: 1e9 }[m[2].toUpperCase() as "" | "K" | "M" | "G"];
  const n = Math.floor(Number(m[1]) * unit);
  if (n <= 0) throw new OmnimodelError("BAD_ARGUMENT", "gguf split: --max-size must be positive");
  return n;
}

/** llama.cpp's split file name: PREFIX-00001-of-00003.gguf (split numbers from 1). */
export function splitPath(prefix: string, no: number, count: number): string {
  return `${prefix}-${String(no + 1).padStart(5, "0")}-of-${String(count).padStart(5, "0")}.gguf`;
}

async function writeGGUF(m: Model, out: string, edits: GGUFEdits): Promise<number> {
  const plan = planGGUF(m, { edits });
  await writeStream(out, ggufChunks(m, plan));
  return plan.totalBytes;
}

async function withGGUF<T>(file: string, fn: (m: Model) => Promise<T>): Promise<T> {
  const m = await open(file);
  try {
    if (m.format !== "gguf") throw new OmnimodelError("BAD_ARGUMENT", `${file} is ${m.format}, not GGUF`);
    return await fn(m);
  } finally {
    await m.close();
  }
}

async function edit(file: string, out: string | undefined, edits: GGUFEdits): Promise<void> {
  // in place = a new file renamed over the old one (never a half-written header)
  const target = out ?? file;
  const tmp = out ? out : `${file}.edit`;
  await withGGUF(file, (m) => writeGGUF(m, tmp, edits));
  if (!out) {
    const { renameSync } = await import("node:fs");
    renameSync(tmp, target);
  }
  err(`wrote ${target}`);
}

export const ggufVerb: Verb = {
  name: "gguf",
  summary: "edit GGUF metadata (set, rm) and split or merge llama.cpp split sets",
  synopsis: "set FILE KEY VALUE [--type T] | rm FILE KEY | split FILE [PREFIX] --max-size 2G | merge FIRST.gguf OUT",
  positionals: ["ACTION", "ARGS..."],
  options: {
    type: { type: "string", valueName: "T", help: "set: value type (UINT8..UINT64, INT8..INT64, FLOAT32, FLOAT64, BOOL, STRING); default: the key's type, else STRING" },
    output: { type: "string", short: "o", valueName: "OUT", help: "set/rm: write to OUT instead of editing FILE" },
    "max-size": { type: "string", valueName: "SIZE", help: "split: most tensor bytes per file (2G, 500M; decimal units as gguf-split)" },
    "max-tensors": { type: "string", valueName: "N", help: "split: most tensors per file (gguf-split's default 128)" },
  },
  details: "A negative VALUE goes after --: gguf set FILE KEY --type INT32 -- -5. Split files are named PREFIX-00001-of-0000N.gguf and carry split.no, split.count and split.tensors.count as llama.cpp's gguf-split writes them; merge gives back the original file byte for byte.",
  async run(a) {
    const [action, ...rest] = a.positionals;
    const need = (n: number, usage: string) => { if (rest.length !== n) throw new UsageError("gguf", `usage: gguf ${usage}`); };
    const out = stringFlag(a, "output");
    if (action === "set") {
      need(3, "set FILE KEY VALUE [--type T]");
      const [file, key, value] = rest;
      if (key.startsWith("split.")) throw new OmnimodelError("BAD_ARGUMENT", "gguf set: split.* keys belong to split sets (use gguf split)");
      await edit(file, out, { set: [{ key, value, type: stringFlag(a, "type") }] });
      return 0;
    }
    if (action === "rm") {
      need(2, "rm FILE KEY");
      const [file, key] = rest;
      await withGGUF(file, async (m) => {
        if (!(key in m.metadata)) throw new OmnimodelError("NOT_FOUND", `${file} has no metadata key "${key}"`);
      });
      await edit(file, out, { remove: [key] });
      return 0;
    }
    if (action === "split") {
      if (rest.length < 1 || rest.length > 2) throw new UsageError("gguf", "usage: gguf split FILE [PREFIX] --max-size 2G | --max-tensors N");
      const [file] = rest;
      const prefix = rest[1] ?? file.replace(/\.gguf$/i, "");
      const maxSize = stringFlag(a, "max-size");
      const maxTensors = intFlag("gguf", a, "max-tensors", { min: 1 });
      if ((maxSize === undefined) === (maxTensors === undefined)) throw new UsageError("gguf", "split needs exactly one of --max-size and --max-tensors");
      await withGGUF(file, async (m) => {
        const all = planGGUF(m, {});
        // gguf-split's rule: a new file when the next tensor (padded to 32 bytes) would pass the
        // limit, or every N tensors
        const starts = [0];
        let size = 0;
        all.tensors.forEach((t, i) => {
          const n = Math.ceil(t.byteLength / 32) * 32;
          const cut = maxSize !== undefined ? size + n > parseSize(maxSize) : i > 0 && i % maxTensors! === 0;
          if (cut && i > 0) { starts.push(i); size = n; } else size += n;
        });
        const count = starts.length;
        if (count > 65535) throw new OmnimodelError("BAD_ARGUMENT", "gguf split: more than 65535 files");
        for (let s = 0; s < count; s++) {
          const path = splitPath(prefix, s, count);
          const end = s + 1 < count ? starts[s + 1] : all.tensors.length;
          const bytes = await writeGGUF(m, path, {
            kv: s === 0, tensors: [starts[s], end], split: [s, count, all.tensors.length], ...(s === 0 ? {} : { alignment: 32 }),
          });
          err(`wrote ${path}: ${end - starts[s]} tensors, ${human(bytes)}`);
        }
      });
      return 0;
    }
    if (action === "merge") {
      need(2, "merge FIRST-00001-of-0000N.gguf OUT.gguf");
      const [first, output] = rest;
      await withGGUF(first, async (m) => {
        if (!("split.count" in m.metadata)) throw new OmnimodelError("BAD_ARGUMENT", `${first} is not the first file of a split set (no split.count)`);
        const bytes = await writeGGUF(m, output, {});
        err(`wrote ${output}: ${m.tensors.length} tensors, ${human(bytes)}`);
      });
      return 0;
    }
    throw new UsageError("gguf", `unknown action "${action ?? ""}" (set, rm, split or merge)`);
  },
};
