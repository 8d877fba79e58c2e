// The Node SDK's convert() to GGUF: the same bytes as `omnimodel convert IN OUT.gguf --type T`
// (whose output tests/gguf-writer.test.ts checks against gguf-py's writer), chosen by `to` or by
// the output's extension, and typed refusals of what the GGUF writer cannot do.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, sdk } from "./helpers/core";

const SRC = join(ROOT, "tests", "fixtures", "gguf-writer", "convert", "source.gguf");
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-sdk-gguf-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });

describe("SDK convert() to GGUF", () => {
  for (const type of ["Q8_0", "Q4_K"] as const) {
    it(`writes the CLI's bytes for --type ${type}`, async () => {
      const { convert } = await sdk();
      const viaCli = join(tmp, `cli-${type}.gguf`);
      const r0 = cli("convert", SRC, viaCli, "--type", type);
      expect(r0.status, r0.stderr).toBe(0);
      const viaSdk = join(tmp, `sdk-${type}.gguf`);
      const seen: string[] = [];
      const r = await convert(SRC, viaSdk, { type, onProgress: (p) => seen.push(p.tensor) });
      const a = readFileSync(viaSdk), b = readFileSync(viaCli);
      expect(a.length).toBe(b.length);
      expect(a.equals(b)).toBe(true);
      expect(r.bytes).toBe(a.length);
      expect(r.tensors).toBe(6);
      expect(seen).toHaveLength(6);
      // the planned types, read back: matrices quantized, vectors and I32 as they were
      const { open } = await sdk();
      const m = await open(viaSdk);
      try {
        expect(m.tensor("blk.0.attn_q.weight")!.dtype).toBe(type === "Q8_0" ? "Q8_0" : "F16"); // 64-value rows do not fill a Q4_K block
        expect(m.tensor("blk.0.attn_norm.weight")!.dtype).toBe("F32");
        expect(m.tensor("blk.0.ids")!.dtype).toBe("I32");
        expect(m.metadata["general.file_type"]).toBe(type === "Q8_0" ? 7 : 14);
      } finally { await m.close(); }
      if (type === "Q4_K") expect(r.notes!.map((n) => n.name)).toContain("blk.0.attn_q.weight");
      else expect(r.notes!.map((n) => n.name)).toEqual(["blk.0.ffn_odd.weight"]); // rows of 40
    });
  }

  it("tensors already of the asked type are copied as stored (quantized ones too), as the CLI does", async () => {
    const { convert, open } = await sdk();
    const all = join(ROOT, "tests", "fixtures", "gguf", "all-types.gguf"); // 512-value rows, every ggml type
    const viaCli = join(tmp, "cli-all.gguf"), viaSdk = join(tmp, "sdk-all.gguf");
    const r0 = cli("convert", all, viaCli, "--type", "Q4_K");
    expect(r0.status, r0.stderr).toBe(0);
    await convert(all, viaSdk, { type: "Q4_K" });
    expect(readFileSync(viaSdk).equals(readFileSync(viaCli))).toBe(true);
    const [a, b] = [await open(all), await open(viaSdk)];
    try {
      expect(b.tensor("quant.q4_k")!.dtype).toBe("Q4_K");
      expect(Buffer.from(await b.tensor("quant.q4_k")!.read()).equals(Buffer.from(await a.tensor("quant.q4_k")!.read()))).toBe(true);
      expect(b.tensor("quant.q6_k")!.dtype).toBe("Q4_K"); // requantized from its F32 values
    } finally { await a.close(); await b.close(); }
  });

  it("to: 'gguf' writes GGUF whatever the output is named; no type keeps the stored types", async () => {
    const { convert } = await sdk();
    const out = join(tmp, "kept.bin");
    await convert(SRC, out, { to: "gguf" });
    expect(readFileSync(out).equals(readFileSync(SRC))).toBe(true); // a GGUF source is copied byte for byte
  });

  it("refuses a bad type, a dtype for GGUF and a type for safetensors with typed errors, writing nothing", async () => {
    const { convert, OmnimodelError } = await sdk();
    const bad = join(tmp, "bad.gguf");
    const e = await convert(SRC, bad, { type: "Q7_Z" as never }).catch((x) => x);
    expect(e).toBeInstanceOf(OmnimodelError);
    expect(e.code).toBe("BAD_ARGUMENT");
    expect(e.message).toMatch(/cannot write GGUF type "Q7_Z" \(one of F32, F16/);
    await expect(convert(SRC, bad, { dtype: "F16" })).rejects.toMatchObject({ code: "BAD_ARGUMENT", message: expect.stringMatching(/dtype is for safetensors/) });
    await expect(convert(SRC, join(tmp, "x.safetensors"), { type: "Q8_0" })).rejects.toMatchObject({ code: "BAD_ARGUMENT", message: expect.stringMatching(/type is for GGUF/) });
    await expect(convert(SRC, bad, { to: "onnx" as never })).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    expect(existsSync(bad) || existsSync(bad + ".partial")).toBe(false);
  });
});
