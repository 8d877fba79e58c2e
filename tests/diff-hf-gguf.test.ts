// `omnimodel diff model.safetensors model.gguf` across naming schemes: a tiny random Llama saved
// by transformers (tests/fixtures/hf-llama/generate_tiny_llama.py) against the GGUF our convert
// makes from it (llama.cpp names, Q/K rows permuted per head). Tensors pair through the
// HF <-> llama.cpp name map, and the Q/K pairs are compared with the permutation applied, so the
// exact copy compares equal; a copy that was renamed but not permuted does not.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, sdk } from "./helpers/core";

const TINY = join(ROOT, "tests", "fixtures", "hf-llama", "tiny");
const HF = join(TINY, "model.safetensors");
const dir = mkdtempSync(join(tmpdir(), "omnimodel-diff-hf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });
type D = { name: string; nameB?: string; permuted?: number; maxAbs: number; cosine: number; dtype: string[] };

const F32 = join(dir, "tiny-f32.gguf");
const Q8 = join(dir, "tiny-q8.gguf");
beforeAll(() => {
  for (const [out, args] of [[F32, []], [Q8, ["--type", "Q8_0"]]] as const) {
    const r = cli("convert", HF, out, ...args);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Hugging Face model \(config\.json\): 21 tensors named for llama\.cpp, 4 Q\/K permuted/);
  }
});

describe("diff HF safetensors <-> llama.cpp GGUF", () => {
  it("every tensor pairs through the name map and the exact copy compares equal (both orders)", () => {
    for (const [a, b] of [[HF, F32], [F32, HF]]) {
      const r = cli("diff", a, b, "--json");
      expect(r.status, r.stdout).toBe(0);
      const d = JSON.parse(r.stdout) as { onlyInA: string[]; onlyInB: string[]; tensors: D[] };
      expect(d.onlyInA).toEqual([]);
      expect(d.onlyInB).toEqual([]);
      expect(d.tensors).toHaveLength(21);
      for (const t of d.tensors) expect(t.maxAbs, t.name).toBe(0);
      const hfFirst = a === HF;
      const pair = (hf: string, gg: string) => d.tensors.find((t) => t.name === (hfFirst ? hf : gg))!;
      expect(pair("model.layers.1.self_attn.q_proj.weight", "blk.1.attn_q.weight")).toMatchObject({ nameB: hfFirst ? "blk.1.attn_q.weight" : "model.layers.1.self_attn.q_proj.weight", permuted: 4 });
      expect(pair("model.layers.0.self_attn.k_proj.weight", "blk.0.attn_k.weight")).toMatchObject({ permuted: 2 }); // the key/value heads
      expect(pair("model.layers.0.self_attn.v_proj.weight", "blk.0.attn_v.weight").permuted).toBeUndefined();
      expect(pair("model.embed_tokens.weight", "token_embd.weight").nameB).toBe(hfFirst ? "token_embd.weight" : "model.embed_tokens.weight");
      expect(pair("lm_head.weight", "output.weight").maxAbs).toBe(0);
      expect(pair("model.norm.weight", "output_norm.weight").maxAbs).toBe(0);
      expect(pair("model.layers.1.mlp.down_proj.weight", "blk.1.ffn_down.weight").maxAbs).toBe(0);
    }
    expect(cli("diff", HF, F32).stdout).toMatch(/21 tensors compared: within tolerance 0/);
  });

  it("the Q8_0 file differs by a quantization step, Q and K included (compared in the same row order)", () => {
    const r = cli("diff", HF, Q8, "--json");
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout) as { tensors: D[] };
    const q = d.tensors.find((t) => t.name === "model.layers.0.self_attn.q_proj.weight")!;
    expect(q.dtype).toEqual(["F32", "Q8_0"]);
    expect(q.maxAbs).toBeGreaterThan(0);
    expect(q.maxAbs).toBeLessThan(0.01);
    expect(q.cosine).toBeGreaterThan(0.9999);
    expect(cli("diff", HF, Q8, "--tolerance", "0.01").status).toBe(0);
  });

  it("a GGUF renamed for llama.cpp but not permuted differs in Q and K only", async () => {
    const { open, planGGUF, ggufChunks } = await sdk();
    const { hfLlamaEdits } = await import("../dist/ts/writers/hf-llama.js");
    const { readFileSync } = await import("node:fs");
    const m = await open(HF);
    const out = join(dir, "unpermuted.gguf");
    try {
      const edits = hfLlamaEdits(m, readFileSync(join(TINY, "config.json"), "utf8"))!;
      const plan = planGGUF(m, { edits: { ...edits, permute: {} } });
      const parts: Uint8Array[] = [];
      for await (const c of ggufChunks(m, plan)) parts.push(c.slice());
      writeFileSync(out, Buffer.concat(parts));
    } finally { await m.close(); }
    const r = cli("diff", HF, out, "--json");
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout) as { tensors: D[] };
    const differing = d.tensors.filter((t) => t.maxAbs > 0).map((t) => t.nameB).sort();
    expect(differing).toEqual(["blk.0.attn_k.weight", "blk.0.attn_q.weight", "blk.1.attn_k.weight", "blk.1.attn_q.weight"]);
  });

  it("only a llama-architecture GGUF is taken as permuted (llama.cpp permutes Q/K for llama alone)", () => {
    const other = join(dir, "qwen2-labelled.gguf");
    const r0 = cli("gguf", "set", F32, "general.architecture", "qwen2", "-o", other);
    expect(r0.status, r0.stderr).toBe(0);
    const d = JSON.parse(cli("diff", HF, other, "--json").stdout) as { tensors: D[] };
    const q = d.tensors.find((t) => t.nameB === "blk.0.attn_q.weight")!;
    expect(q.permuted).toBeUndefined();
    expect(q.maxAbs).toBeGreaterThan(0); // its rows are in llama.cpp's order, compared as they are
  });
});
