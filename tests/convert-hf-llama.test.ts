// `omnimodel convert hf-folder/ out.gguf` on a Llama against llama.cpp's own convert_hf_to_gguf.py
// (tests/fixtures/hf-llama/generate_llama_cpp_gguf.py: llama-cpp-f32.gguf, written by it from the
// same tiny/ folder, and llama-cpp-q8_0.gguf with --outtype q8_0; llama-cpp-f32.json, what
// gguf-py's reader saw). Metadata is read from both
// files by @huggingface/gguf (typed), tensors by gguf-py (the JSON) and by omnimodel.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, sdk } from "./helpers/core";

const DIR = join(ROOT, "tests", "fixtures", "hf-llama");
const ORACLE = join(DIR, "llama-cpp-f32.gguf");
const oracle = JSON.parse(readFileSync(join(DIR, "llama-cpp-f32.json"), "utf8")) as {
  metadata: Record<string, { type: string; value: unknown }>;
  tensors: { name: string; type: string; shape: number[]; sha256: string }[];
};
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-hf-llama-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const OURS = join(tmp, "ours.gguf");
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });

// general.name: llama.cpp derives it from the folder's name by heuristics (model id components)
// that omnimodel does not reproduce yet.
const NOT_YET = new Set(["general.name"]);

type Typed = Record<string, { type: number; value: unknown; subType?: number }>;
const typed = async (f: string) => (await gguf(f, { allowLocalFile: true, typedMetadata: true })).typedMetadata as unknown as Typed;

beforeAll(() => {
  const r = cli("convert", join(DIR, "tiny"), OURS);
  expect(r.status, r.stderr).toBe(0);
});

describe("convert HF Llama folder -> GGUF, as llama.cpp's convert_hf_to_gguf.py", () => {
  it("has llama.cpp's metadata keys, with the same value types and values", async () => {
    const [want, got] = [await typed(ORACLE), await typed(OURS)];
    // (keys without a dot are the header's version and counts)
    const wantKeys = Object.keys(want).filter((k) => k.includes(".") && !NOT_YET.has(k));
    const gotKeys = Object.keys(got).filter((k) => k.includes("."));
    expect(wantKeys.length).toBe(24);
    expect(gotKeys.sort()).toEqual(wantKeys.sort());
    for (const k of gotKeys) {
      expect(got[k].type, k).toBe(want[k].type);
      expect(got[k].subType, k).toBe(want[k].subType);
      expect(got[k].value, k).toEqual(want[k].value);
    }
    // the pieces themselves, as gguf-py read llama.cpp's file
    expect(oracle.metadata["tokenizer.ggml.tokens"].value).toMatchObject({ length: 128 });
    expect((got["tokenizer.ggml.tokens"].value as string[]).slice(0, 4)).toEqual((oracle.metadata["tokenizer.ggml.tokens"].value as { head: string[] }).head);
  });

  it("has llama.cpp's tensors: names, types, shapes and bytes (Q/K permuted the same way)", async () => {
    const { open } = await sdk();
    const m = await open(OURS);
    try {
      expect(m.tensors.map((t) => t.name)).toEqual(oracle.tensors.map((t) => t.name));
      for (const [i, t] of m.tensors.entries()) {
        const w = oracle.tensors[i];
        expect(t.dtype, t.name).toBe(w.type);
        expect([...t.shape], t.name).toEqual(w.shape);
        const b = await t.read();
        expect(createHash("sha256").update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).digest("hex"), t.name).toBe(w.sha256);
      }
    } finally { await m.close(); }
  });

  it("--type Q8_0 gives llama.cpp's --outtype q8_0 file: the same tensors quantized, the same bytes", async () => {
    const q8 = join(tmp, "ours-q8_0.gguf");
    const r = cli("convert", join(DIR, "tiny"), q8, "--type", "Q8_0");
    expect(r.status, r.stderr).toBe(0);
    const { open } = await sdk();
    const [a, b] = [await open(join(DIR, "llama-cpp-q8_0.gguf")), await open(q8)];
    try {
      expect(b.tensors.map((t) => [t.name, t.dtype, [...t.shape]])).toEqual(a.tensors.map((t) => [t.name, t.dtype, [...t.shape]]));
      expect(b.tensors.filter((t) => t.dtype === "Q8_0")).toHaveLength(16); // every matrix; the 5 norms stay F32
      for (const [i, t] of b.tensors.entries()) expect(Buffer.from(await t.read()).equals(Buffer.from(await a.tensors[i].read())), t.name).toBe(true);
      expect(b.metadata["general.file_type"]).toBe(7);
      expect(a.metadata["general.file_type"]).toBe(7);
    } finally { await a.close(); await b.close(); }
    const [want, got] = [await typed(join(DIR, "llama-cpp-q8_0.gguf")), await typed(q8)];
    const keys = Object.keys(want).filter((k) => k.includes(".") && !NOT_YET.has(k));
    expect(Object.keys(got).filter((k) => k.includes(".")).sort()).toEqual(keys.sort());
    for (const k of keys) expect([got[k].type, got[k].value], k).toEqual([want[k].type, want[k].value]);
  });

  // Mistral: llama.cpp's LlamaModel too (one key/value head, no head_dim in config.json, so no
  // key/value lengths); Qwen2: its own architecture, Q/K/V biases, no permutation
  for (const [other, tensors, keyLength] of [["mistral", 21, false], ["qwen2", 27, false]] as const) {
    it(`a ${other} folder gives llama.cpp's file too`, async () => {
      const ours = join(tmp, `ours-${other}.gguf`);
      const theirs = join(DIR, `llama-cpp-${other}-f32.gguf`);
      const r = cli("convert", join(DIR, `tiny-${other}`), ours);
      expect(r.status, r.stderr).toBe(0);
      const [want, got] = [await typed(theirs), await typed(ours)];
      const keys = Object.keys(want).filter((k) => k.includes(".") && !NOT_YET.has(k));
      expect(keys.some((k) => k.endsWith(".attention.key_length"))).toBe(keyLength);
      expect(Object.keys(got).filter((k) => k.includes(".")).sort()).toEqual(keys.sort());
      for (const k of keys) expect([got[k].type, got[k].value], k).toEqual([want[k].type, want[k].value]);
      const { open } = await sdk();
      const [a, b] = [await open(theirs), await open(ours)];
      try {
        expect(b.tensors).toHaveLength(tensors);
        expect(b.tensors.map((t) => [t.name, t.dtype, [...t.shape]])).toEqual(a.tensors.map((t) => [t.name, t.dtype, [...t.shape]]));
        for (const [i, t] of b.tensors.entries()) expect(Buffer.from(await t.read()).equals(Buffer.from(await a.tensors[i].read())), t.name).toBe(true);
      } finally { await a.close(); await b.close(); }
      // and diff pairs the HF file with llama.cpp's (permuting only for llama)
      const d = JSON.parse(cli("diff", join(DIR, `tiny-${other}`, "model.safetensors"), theirs, "--json").stdout) as { tensors: { maxAbs: number; permuted?: number }[]; withinTolerance: boolean };
      expect(d.withinTolerance).toBe(true);
      expect(d.tensors).toHaveLength(tensors);
      expect(d.tensors.filter((t) => t.permuted).length).toBe(other === "qwen2" ? 0 : 4);
    });
  }

  it("diff against llama.cpp's file: equal tensors, and general.name the one metadata difference", () => {
    const r = cli("diff", ORACLE, OURS, "--json");
    const d = JSON.parse(r.stdout) as { tensors: { maxAbs: number }[]; metadata: { key: string }[]; withinTolerance: boolean };
    expect(d.tensors).toHaveLength(21);
    expect(d.tensors.every((t) => t.maxAbs === 0)).toBe(true);
    expect(d.metadata.map((x) => x.key)).toEqual(["general.name"]);
    // and the HF safetensors against llama.cpp's GGUF: the name map and the permutation, checked on its file
    const h = cli("diff", join(DIR, "tiny", "model.safetensors"), ORACLE, "--json");
    expect(h.status).toBe(0);
    expect((JSON.parse(h.stdout) as { tensors: unknown[] }).tensors).toHaveLength(21);
  });
});
