// `omnimodel diff A B [--tolerance X] [--json]`: tensors matched by name (shape, dtype, max-abs,
// relative error, cosine similarity, streamed) and metadata differences. Exit 1 when a tensor is
// missing on one side, shapes differ, or a max-abs difference passes the tolerance.

import { diffModels } from "../diff.ts";
import { open } from "../open.ts";
import { OmnimodelError } from "../errors.ts";
import { boolFlag, stringFlag } from "./args.ts";
import type { Verb } from "./verb.ts";

export const diffVerb: Verb = {
  name: "diff",
  summary: "compare two models: tensors by name (max-abs, relative error, cosine) and metadata",
  synopsis: "A B [--tolerance X] [--json]",
  positionals: ["A", "B"],
  options: {
    tolerance: { type: "string", valueName: "X", help: "largest max-abs difference still equal (default 0)" },
    json: { type: "boolean", help: "the whole comparison as JSON" },
  },
  details: "Exit status: 0 within tolerance, 1 beyond it (or tensors missing, shapes different).",
  async run(a) {
    const [pa, pb] = a.positionals;
    const t = stringFlag(a, "tolerance");
    const tolerance = t === undefined ? 0 : Number(t);
    if (!Number.isFinite(tolerance) || tolerance < 0) throw new OmnimodelError("BAD_ARGUMENT", `diff: --tolerance "${t}" is not a non-negative number`);
    const ma = await open(pa);
    try {
      const mb = await open(pb);
      try {
        const d = await diffModels(ma, mb, { tolerance });
        if (boolFlag(a, "json")) process.stdout.write(JSON.stringify(d, null, 1) + "\n");
        else {
          const lines: string[] = [];
          for (const n of d.onlyInA) lines.push(`only in A: ${n}`);
          for (const n of d.onlyInB) lines.push(`only in B: ${n}`);
          for (const x of d.tensors) {
            const types = x.dtype[0] === x.dtype[1] ? x.dtype[0] : `${x.dtype[0]} -> ${x.dtype[1]}`;
            const name = x.nameB ? `${x.name} ~ ${x.nameB}${x.permuted ? ` (Q/K rows permuted, ${x.permuted} heads)` : ""}` : x.name;
            if (x.maxAbs === undefined) lines.push(`${name}: shape [${x.shape[0]}] vs [${x.shape[1]}]`);
            else if (x.maxAbs > tolerance || x.nanMismatch || x.dtype[0] !== x.dtype[1]) {
              lines.push(`${name} (${types}): max-abs ${x.maxAbs.toPrecision(4)}, relative ${x.relative!.toPrecision(4)}, cosine ${x.cosine!.toFixed(6)}${x.nanMismatch ? `, ${x.nanMismatch} NaN mismatches` : ""}`);
            }
          }
          for (const m of d.metadata) lines.push(`metadata ${m.key}: ${"a" in m ? JSON.stringify(m.a) : "(absent)"} -> ${"b" in m ? JSON.stringify(m.b) : "(absent)"}`);
          lines.push(`${d.tensors.length} tensors compared: ${d.withinTolerance ? "within" : "beyond"} tolerance ${tolerance}`);
          process.stdout.write(lines.join("\n") + "\n");
        }
        return d.withinTolerance ? 0 : 1;
      } finally { await mb.close(); }
    } finally { await ma.close(); }
  },
};
