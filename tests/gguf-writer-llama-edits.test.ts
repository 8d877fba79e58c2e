// The GGUF plan's rename / permute / arrays options (what `convert` uses for HF Llama folders):
// each malformed option is a typed BAD_ARGUMENT naming the rule, and array pairs read back as
// written.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { GGUFEdits } from "../ts/writers/gguf.js";
import { ROOT, sdk } from "./helpers/core";

const HF = join(ROOT, "tests", "fixtures", "hf-llama", "tiny", "model.safetensors");
let api: Awaited<ReturnType<typeof sdk>>;
beforeAll(async () => { api = await sdk(); });

async function plan(edits: GGUFEdits) {
  const m = await api.open(HF);
  try { return api.planGGUF(m, { edits }); } finally { await m.close(); }
}

describe("GGUF plan edits for llama.cpp files", () => {
  it("refuses malformed rename, permute and arrays options", async () => {
    const bad: [GGUFEdits, RegExp][] = [
      [{ rename: { "lm_head.weight": "" } }, /rename: "lm_head.weight" needs a non-empty new name/],
      [{ permute: { "model.layers.0.self_attn.q_proj.weight": 0 } }, /permute: .* needs a positive head count/],
      [{ permute: { "model.layers.0.self_attn.q_proj.weight": 3 } }, /32 rows do not split into 3 heads of two rotary halves/],
      [{ arrays: [{ key: "x", type: "FLOAT64" as never, values: [1] }] }, /arrays of "FLOAT64" cannot be set/],
      [{ arrays: [{ key: "x", type: "INT32", values: ["a"] }] }, /x: item 0 is not an integer/],
      [{ arrays: [{ key: "x", type: "UINT32", values: [-1] }] }, /x: item 0 is out of range for UINT32/],
      [{ arrays: [{ key: "x", type: "INT32", values: [2 ** 31] }] }, /x: item 0 is out of range for INT32/],
      [{ arrays: [{ key: "x", type: "STRING", values: [1] }] }, /x: item 0 is not a string/],
      [{ arrays: [{ key: "", type: "STRING", values: [] }] }, /an array edit needs a key, a type and values/],
    ];
    for (const [edits, why] of bad) {
      const e = await plan(edits).catch((x) => x);
      expect(e, JSON.stringify(edits)).toBeInstanceOf(api.OmnimodelError);
      expect(e.code).toBe("BAD_ARGUMENT");
      expect(e.message).toMatch(why);
    }
  });

  it("writes array pairs that read back item for item", async () => {
    const m = await api.open(HF);
    let out: Uint8Array;
    try {
      const p = api.planGGUF(m, { edits: { arrays: [
        { key: "t.s", type: "STRING", values: ["a", "▁b", ""] },
        { key: "t.f", type: "FLOAT32", values: [0, -0.08898195624351501, 1e-5, -10000] },
        { key: "t.i", type: "INT32", values: [-2147483648, 0, 2147483647] },
        { key: "t.u", type: "UINT32", values: [0, 4294967295] },
      ] } });
      const parts: Uint8Array[] = [];
      for await (const c of api.ggufChunks(m, p)) parts.push(c.slice());
      out = Buffer.concat(parts);
    } finally { await m.close(); }
    const r = await api.open(new api.BytesSource(out, "a.gguf"));
    try {
      expect(await r.metadataArray("t.s")).toEqual(["a", "▁b", ""]);
      expect([...(await r.metadataArray("t.f")) as Float32Array]).toEqual([...new Float32Array([0, -0.08898195624351501, 1e-5, -10000])]);
      expect([...(await r.metadataArray("t.i")) as Int32Array]).toEqual([-2147483648, 0, 2147483647]);
      expect([...(await r.metadataArray("t.u")) as Uint32Array]).toEqual([0, 4294967295]);
    } finally { await r.close(); }
  });

  it("mutated options (seeded) give a plan or a typed BAD_ARGUMENT, never a trap", async () => {
    let seed = 1818;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const values: unknown[] = [0, -1, 1, 3, 2 ** 32, 1.5, -0.0, "", "x", "▁", null, true, [], {}, [1, "a"], 1e308, -2147483649];
    const names = ["lm_head.weight", "model.layers.0.self_attn.q_proj.weight", "model.norm.weight", "nope", ""];
    const m = await api.open(HF);
    let ok = 0, typed = 0;
    try {
      for (let i = 0; i < 300; i++) {
        const e: Record<string, unknown> = {};
        if (rnd() < 0.5) e.rename = { [pick(names)]: pick([...values, "blk.x", "output.weight"]) };
        if (rnd() < 0.5) e.permute = { [pick(names)]: pick(values) };
        if (rnd() < 0.5) e.arrays = [{ key: pick(["k", "", 1]), type: pick(["STRING", "FLOAT32", "INT32", "UINT32", "ARRAY", 4]), values: pick([[pick(values), pick(values)], [], "x", null]) }];
        if (rnd() < 0.2) e.arrays = pick(values);
        try {
          const p = api.planGGUF(m, { edits: e as GGUFEdits });
          expect(p.totalBytes).toBeGreaterThan(p.dataStart);
          ok++;
        } catch (x) {
          expect(x, JSON.stringify(e)).toBeInstanceOf(api.OmnimodelError);
          expect((x as { code: string }).code).toBe("BAD_ARGUMENT");
          typed++;
        }
      }
    } finally { await m.close(); }
    expect(ok).toBeGreaterThan(20);
    expect(typed).toBeGreaterThan(20);
  });
});
