// `convert IN OUT.gguf`: the file we write must be byte-identical to the one gguf-py's GGUFWriter
// writes for the same tensors quantized by gguf-py (oracle: tests/fixtures/gguf-writer/convert/
// generate.py; sha256, size and GGUFReader's view of each expected file are in expected.json),
// so gguf-py and llama.cpp read ours as they read theirs. Reading our output back with omnimodel
// gives the source's values (stored types) or ggml's dequantization of them.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { beforeAll } from "vitest";
import type { GGUFWriteType } from "../ts/writers/gguf.js";
import { sdk } from "./helpers/core";

let open: Awaited<ReturnType<typeof sdk>>["open"];
let BytesSource: Awaited<ReturnType<typeof sdk>>["BytesSource"];
let planGGUF: Awaited<ReturnType<typeof sdk>>["planGGUF"];
let ggufChunks: Awaited<ReturnType<typeof sdk>>["ggufChunks"];
let OmnimodelError: Awaited<ReturnType<typeof sdk>>["OmnimodelError"];
beforeAll(async () => ({ open, BytesSource, planGGUF, ggufChunks, OmnimodelError } = await sdk()));

const DIR = join(__dirname, "fixtures", "gguf-writer", "convert");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")) as {
  cases: Record<string, { sha256: string; size: number; tensors: { name: string; type: string; ne: number[] }[] }>;
};

async function convert(file: string, type?: GGUFWriteType): Promise<Uint8Array> {
  const m = await open(join(DIR, file));
  try {
    const plan = planGGUF(m, { type });
    const parts: Uint8Array[] = [];
    for await (const c of ggufChunks(m, plan)) parts.push(c.slice());
    const out = Buffer.concat(parts);
    expect(out.length).toBe(plan.totalBytes);
    return out;
  } finally {
    await m.close();
  }
}

describe("GGUF writer matches gguf-py's GGUFWriter byte for byte", () => {
  for (const [key, want] of Object.entries(expected.cases)) {
    const [file, t] = key.split(":");
    it(`${file} -> ${t}`, async () => {
      const out = await convert(file, t === "keep" ? undefined : (t as GGUFWriteType));
      expect(out.length).toBe(want.size);
      expect(createHash("sha256").update(out).digest("hex")).toBe(want.sha256);
      // and our reader sees what gguf-py's reader saw
      const m = await open(new BytesSource(out, "out.gguf"));
      try {
        expect(m.tensors.map((x) => ({ name: x.name, type: x.dtype }))).toEqual(
          want.tensors.map((x) => ({ name: x.name, type: x.type === "I32" ? "I32" : x.type })));
        expect(m.tensors.map((x) => [...x.shape].reverse())).toEqual(want.tensors.map((x) => x.ne));
      } finally { await m.close(); }
    });
  }

  it("keeping types copies a GGUF source byte for byte (metadata pairs keep their value types)", async () => {
    for (const f of ["source.gguf", "source-align64.gguf"]) {
      const out = await convert(f);
      expect(Buffer.from(out).equals(readFileSync(join(DIR, f)))).toBe(true);
    }
  });

  it("a quantized file read back gives ggml's dequantization of the quantized source", async () => {
    const out = await convert("source.gguf", "Q8_0");
    const src = await open(join(DIR, "source.gguf"));
    const q = await open(new BytesSource(out, "q.gguf"));
    try {
      const a = (await src.tensor("blk.0.attn_q.weight").read({ dtype: "F32" })) as Float32Array;
      const b = (await q.tensor("blk.0.attn_q.weight").read({ dtype: "F32" })) as Float32Array;
      let maxErr = 0;
      for (let i = 0; i < a.length; i++) maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
      // Q8_0 keeps each value within half a step of its block's scale (amax/127)
      const amax = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(maxErr).toBeLessThanOrEqual((amax / 127) * 0.5 * 1.01);
      expect(maxErr).toBeGreaterThan(0);
    } finally { await src.close(); await q.close(); }
  });

  it("Q4_K output: matrices whose rows fill 256-value blocks are Q4_K, the rest F16 with a note, vectors F32", async () => {
    const m = await open(join(DIR, "source.gguf"));
    try {
      const plan = planGGUF(m, { type: "Q4_K" });
      const types = Object.fromEntries(plan.tensors.map((t) => [t.name, t.type]));
      expect(types["blk.0.attn_norm.weight"]).toBe("F32");
      expect(types["blk.0.ffn_odd.weight"]).toBe("F16");
      expect(types["blk.0.ids"]).toBe("I32");
      expect(plan.notes.map((n) => n.name)).toContain("blk.0.ffn_odd.weight");
    } finally { await m.close(); }
  });

  it("unknown target types are a typed error", async () => {
    const m = await open(join(DIR, "source.gguf"));
    try {
      expect(() => planGGUF(m, { type: "Q9_9" as GGUFWriteType })).toThrow(OmnimodelError);
      expect(() => planGGUF(m, { type: "IQ2_XXS" as GGUFWriteType })).toThrow(/cannot write GGUF type/);
    } finally { await m.close(); }
  });
});
