// TF.js: models written by the tensorflowjs package's weight writer and quantizer
// (tests/fixtures/tfjs/generate.py) and the corpus models. Values, dequantized ones included, must
// equal tensorflowjs.read_weights bit for bit; manifests that do not add up are typed errors.
import { describe, expect, it, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "tfjs");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")).files as Record<string, Record<string, any>>;
const DT: Record<string, string> = { float32: "F32", int32: "I32", bool: "BOOL", object: "STR" };

let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => {
  open = (await sdk()).open;
});
const hex = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");

describe("tfjs fixtures: values equal tensorflowjs.read_weights", () => {
  for (const [dir, weights] of Object.entries(expected)) {
    it(dir, async () => {
      const m = await open(join(DIR, dir, "model.json"));
      try {
        expect(m.format).toBe("tfjs");
        expect(m.tensors.map((t) => t.name).sort()).toEqual(Object.keys(weights).sort());
        for (const t of m.tensors) {
          const e = weights[t.name];
          expect(t.dtype, t.name).toBe(DT[e.dtype]);
          expect(t.shape, t.name).toEqual(e.shape);
          if (e.strings) await expect(t.read()).rejects.toThrow(/strings/);
          else expect(hex(await t.read()), t.name).toBe(e.hex);
        }
        const q = m.tensors.find((t) => t.name === "dense/kernel_u8");
        if (q) {
          expect((q.info as any).quantization.dtype).toBe("uint8");
          expect(q.byteLength).toBe(32); // stored as one byte per element
          expect((await q.read({ dtype: "F16" })).length).toBe(32);
        }
      } finally {
        await m.close();
      }
    });
  }
});

describe("tfjs: bad manifests", () => {
  const model = (weights: any[], paths: string[]) => new TextEncoder().encode(JSON.stringify({ format: "layers-model", modelTopology: {}, weightsManifest: [{ paths, weights }] }));
  const w = (name: string, shape: number[], dtype = "float32") => ({ name, shape, dtype });
  const run = async (bytes: Uint8Array, sib: Record<string, number>) => {
    const siblings = new Map(Object.entries(sib).map(([k, n]) => [k, new Uint8Array(n)] as [string, Uint8Array]));
    try {
      const m = await open(bytes, { name: "model.json", siblings });
      const r = { code: "none", findings: m.findings.map((f) => `${f.severity}:${f.code}`) };
      await m.close();
      return r;
    } catch (e: any) {
      return { code: e.code as string, findings: [] as string[] };
    }
  };
  it("shards shorter or longer than the weights", async () => {
    expect((await run(model([w("a", [4])], ["a.bin"]), { "a.bin": 15 })).code).toBe("INCOMPLETE_BUFFER");
    expect((await run(model([w("a", [4])], ["a.bin"]), { "a.bin": 17 })).code).toBe("INCOMPLETE_BUFFER");
    expect((await run(model([w("a", [4])], ["a.bin"]), { "a.bin": 16 })).code).toBe("none");
  });
  it("duplicate names, bad dtypes, bad shapes", async () => {
    expect((await run(model([w("a", [1]), w("a", [1])], ["a.bin"]), { "a.bin": 8 })).code).toBe("DUPLICATE");
    expect((await run(model([w("a", [1], "float64")], ["a.bin"]), { "a.bin": 8 })).code).toBe("BAD_DTYPE");
    expect((await run(model([w("a", [-1])], ["a.bin"]), { "a.bin": 4 })).code).toBe("BAD_SHAPE");
  });
  it("shard paths outside the directory are high findings; missing shards are findings", async () => {
    expect((await run(model([w("a", [1])], ["../a.bin"]), {})).findings).toContain("high:path-escape");
    expect((await run(model([w("a", [1])], ["https://example.com/a.bin"]), {})).findings).toContain("high:path-escape");
    expect((await run(model([w("a", [1])], ["gone.bin"]), {})).findings).toContain("medium:weight-shard-missing");
  });
});

describe("tfjs: fuzz", () => {
  it("mutated manifests give indexes or typed errors", async () => {
    let s = 7;
    const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
    const dir = join(DIR, "layers");
    const orig = readFileSync(join(dir, "model.json"));
    const siblings = new Map(["group1-shard1of2.bin", "group1-shard2of2.bin", "group2-shard1of1.bin"].map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))] as [string, Uint8Array]));
    for (let i = 0; i < 200; i++) {
      const b = Uint8Array.from(orig);
      const bytes = i % 4 === 0 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      // Digits mutate shapes and sizes; other bytes break the JSON or the names.
      if (i % 4 !== 0) for (let k = 0; k < 1 + (i % 3); k++) b[Math.floor(r() * b.length)] = i % 2 ? 0x30 + Math.floor(r() * 10) : Math.floor(r() * 256);
      try {
        const m = await open(bytes, { name: "model.json", format: "tfjs", siblings });
        for (const t of m.tensors) { try { await t.read(); } catch (e: any) { expect(e.code).toBe("UNREADABLE"); } }
        await m.close();
      } catch (e: any) {
        expect(e.constructor.name, String(e.stack)).toBe("OmnimodelError");
      }
    }
  });
});
