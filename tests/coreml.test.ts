// Core ML (.mlmodel, .mlpackage): models built and saved by coremltools (tests/fixtures/coreml/
// generate.py); weights compared bit for bit with what coremltools reads (the loaded spec's
// WeightParams and immediate values, its own blob reader for weight.bin), layers and operations
// with the spec's. Bad input is made by editing bytes at positions the protobuf and the blob
// format define; every rule gets a file that breaks it.
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";
import { mutate, rng, typedCodes } from "./helpers/mutations";

const DIR = join(FIXTURES, "coreml");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")).files as Record<string, any>;
let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => { open = (await sdk()).open; });
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-coreml-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sha = (a: ArrayBufferView) => createHash("sha256").update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest("hex");
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
let dirs = 0;
const fresh = () => { const d = join(tmp, String(dirs++)); mkdirSync(d); return d; };
// A copy of a package whose files can be edited.
function pkgCopy(name = "program_f32.mlpackage"): { dir: string; model: string; weights: string } {
  const d = join(fresh(), name);
  cpSync(join(DIR, name), d, { recursive: true });
  return { dir: d, model: join(d, "Data", "com.apple.CoreML", "model.mlmodel"), weights: join(d, "Data", "com.apple.CoreML", "weights", "weight.bin") };
}

describe("coreml fixtures: weights equal what coremltools reads", () => {
  for (const [file, e] of Object.entries(expected)) {
    it(file, async () => {
      const m = await open(join(DIR, file));
      try {
        expect(m.format).toBe("coreml");
        expect(m.metadata.model_type).toBe(e.model_type);
        expect((m.metadata.inputs as any[]).map((i) => i.name)).toEqual(e.inputs);
        expect((m.metadata.outputs as any[]).map((i) => i.name)).toEqual(e.outputs);
        expect(m.tensors.map((t) => t.name).sort()).toEqual(Object.keys(e.tensors).sort());
        for (const [name, x] of Object.entries(e.tensors as Record<string, any>)) {
          const t = m.tensor(name)!;
          expect(t.dtype, name).toBe(x.dtype);
          expect(count(t.shape), name).toBe(x.count);
          if (x.storage) expect((t.info as any).storage, name).toBe(x.storage);
          expect(sha(await t.read()), name).toBe(x.sha256);
        }
        const g = m.graph as any;
        if (e.layers) expect(g.nodes.map((n: any) => [n.name, n.op_type])).toEqual(e.layers);
        if (e.ops) expect(g.nodes.map((n: any) => n.op_type)).toEqual(e.ops);
      } finally {
        await m.close();
      }
    });
  }

  it("a package opens from its folder, its Manifest.json, or its model.mlmodel alone", async () => {
    const want = expected["program_f32.mlpackage"].tensors.w.sha256;
    for (const p of ["program_f32.mlpackage", "program_f32.mlpackage/Manifest.json", "program_f32.mlpackage/Data/com.apple.CoreML/model.mlmodel"]) {
      const m = await open(join(DIR, p));
      expect(m.format, p).toBe("coreml");
      expect(sha(await m.tensor("w")!.read()), p).toBe(want);
      expect(m.findings, p).toEqual([]);
      await m.close();
    }
  });

  it("inner product and convolution weights take the layer's shape; metadata is listed", async () => {
    const m = await open(join(DIR, "nn.mlmodel"));
    expect(m.tensor("fc/weights")!.shape).toEqual([3, 4]);
    expect((m.metadata.metadata as any)).toMatchObject({ author: "omnimodel tests", license: "MIT", user_defined: { purpose: "fixture" } });
    await m.close();
    const c = await open(join(DIR, "nn_f16.mlmodel"));
    expect(c.tensor("conv/weights")!.shape).toHaveLength(4);
    const f = (await c.tensor("conv/weights")!.read({ dtype: "F32" })) as Float32Array;
    expect(f.length).toBe(72);
    await c.close();
  });

  it("a custom layer is a medium finding naming its class", async () => {
    const m = await open(join(DIR, "custom.mlmodel"));
    expect(m.findings.map((f) => [f.code, f.severity, f.location])).toEqual([["coreml-custom-layer", "medium", "swish"]]);
    expect(m.findings[0].message).toContain("MyCustomSwish");
    await m.close();
  });

  it("a package without its weights file opens with a finding, the blob constant unreadable", async () => {
    const p = pkgCopy();
    rmSync(p.weights);
    const m = await open(p.dir);
    expect(m.findings.map((f) => f.code)).toEqual(["coreml-weights-missing"]);
    await expect(m.tensor("w")!.read()).rejects.toMatchObject({ code: "UNREADABLE" });
    expect(sha(await m.tensor("bias")!.read())).toBe(expected["program_f32.mlpackage"].tensors.bias.sha256);
    await m.close();
  });
});

describe("coreml detection is by content", () => {
  for (const ext of [".bin", ".onnx", ".pb"]) {
    it(`an .mlmodel named ${ext} is still coreml`, async () => {
      const p = join(fresh(), "model" + ext);
      copyFileSync(join(DIR, "nn.mlmodel"), p);
      const m = await open(p);
      expect(m.format).toBe("coreml");
      if (ext === ".onnx") expect(m.findings.some((f) => f.code === "extension-mismatch")).toBe(true);
      await m.close();
    });
  }
  it("a manifest renamed keeps opening its package", async () => {
    const p = pkgCopy();
    copyFileSync(join(p.dir, "Manifest.json"), join(p.dir, "package.json"));
    const m = await open(join(p.dir, "package.json"));
    expect(m.format).toBe("coreml");
    await m.close();
  });
});

async function refused(path: string | Uint8Array, code: string, message?: RegExp) {
  const err = await open(path as any, { format: "coreml", name: typeof path === "string" ? undefined : "m.mlmodel" } as any).then(async (m) => { await m.close(); return null; }, (e) => e);
  expect(err, "the file should be refused").not.toBeNull();
  expect(err.code, err.message).toBe(code);
  if (message) expect(err.message).toMatch(message);
}
const bytes = (f: string) => new Uint8Array(readFileSync(join(DIR, f)));
// The position of `needle` (bytes) in `b`.
function find(b: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= b.length; i++) { for (let j = 0; j < needle.length; j++) if (b[i + j] !== needle[j]) continue outer; return i; }
  throw new Error("not found");
}

describe("coreml bad input: typed errors", () => {
  it("truncated models", async () => {
    const b = bytes("nn.mlmodel");
    for (const n of [b.length - 3, b.length >> 1, 20]) await refused(b.slice(0, n), "TRUNCATED");
  });
  it("a model with no specificationVersion, or with no type", async () => {
    const b = bytes("nn.mlmodel");
    await refused(b.slice(2), "INVALID_HEADER", /specificationVersion/); // field 1 (2 bytes) dropped
    const d = b[3]; // field 2's one-byte length: the description ends the file's head
    await refused(b.slice(0, 4 + d), "UNSUPPORTED", /no type/);
  });
  it("weights whose byte length is not whole floats", async () => {
    const b = bytes("nn.mlmodel");
    // fc/bias: WeightParams field 1, 12 bytes of packed floats (0a 0c) -> 10 bytes; the 2 spare
    // bytes become an unknown varint field (28 00), so every message length stays right.
    const at = find(b, [0x0a, 0x0c]);
    const c = new Uint8Array(b);
    c[at + 1] = 0x0a;
    c[at + 2 + 10] = 0x28;
    c[at + 2 + 11] = 0x00;
    await refused(c, "CORRUPT", /are 10 bytes, not whole floats/);
  });
  it("the Manifest: not JSON, no root, a root that is not listed, a model file that is missing", async () => {
    const p = pkgCopy();
    const man = join(p.dir, "Manifest.json");
    const text = readFileSync(man, "utf8");
    const root = JSON.parse(text).rootModelIdentifier;
    writeFileSync(man, text.replace('"rootModelIdentifier"', '"rootModelIdentifier": "x", "other"'));
    await refused(man, "INVALID_JSON", /not among/);
    writeFileSync(man, text.replace(`"rootModelIdentifier": "${root}"`, '"rootModel": 1'));
    await refused(man, "INVALID_HEADER", /rootModelIdentifier/);
    writeFileSync(man, text.slice(0, 40));
    await refused(man, "INVALID_JSON");
    writeFileSync(man, text);
    rmSync(p.model);
    await refused(man, "SOURCE_MISSING");
  });
  it("the blob record: sentinel, data type, size and data offset are checked", async () => {
    const cases: [number, number[], string, RegExp][] = [
      [64, [0, 0, 0, 0], "CORRUPT", /sentinel/],
      [68, [1, 0, 0, 0], "CORRUPT", /FLOAT32 but its blob holds data type 1 \(FLOAT16\)/],
      [72, [44, 0, 0, 0], "SIZE_MISMATCH", /holds 44/],
      [80, [0xf0, 0xff, 0xff, 0xff], "INVALID_OFFSET", /runs past the weights file/],
    ];
    for (const [at, v, code, msg] of cases) {
      const p = pkgCopy();
      const w = new Uint8Array(readFileSync(p.weights));
      w.set(v, at);
      writeFileSync(p.weights, w);
      await refused(p.dir, code, msg);
    }
    const p = pkgCopy();
    writeFileSync(p.weights, readFileSync(p.weights).subarray(0, 100));
    await refused(p.dir, "INVALID_OFFSET", /blob record at 64/);
  });
  it("a package reference that leaves the package is refused", async () => {
    const p = pkgCopy();
    const man = join(p.dir, "Manifest.json");
    const o = JSON.parse(readFileSync(man, "utf8"));
    o.itemInfoEntries[o.rootModelIdentifier].path = "../../../etc/model.mlmodel";
    writeFileSync(man, JSON.stringify(o));
    await refused(man, "PATH_VIOLATION");
  });
});

// --- seeded mutations: open or a typed error, never a trap ---------------------------------------
const KNOWN = typedCodes("SOURCE_MISSING", "PATH_VIOLATION");

describe("mutated coreml fixtures never trap", () => {
  const targets: [string, (p: ReturnType<typeof pkgCopy>) => string][] = [
    ["model", (p) => p.model], ["weights", (p) => p.weights], ["manifest", (p) => join(p.dir, "Manifest.json")],
  ];
  for (const [what, pick] of targets) {
    it(`package ${what}`, async () => {
      const p = pkgCopy();
      const file = pick(p);
      const base = new Uint8Array(readFileSync(file));
      const r = rng(base.length * 31 + what.length);
      for (let i = 0; i < 80; i++) {
        writeFileSync(file, mutate(base, r));
        try {
          const m = await open(p.dir);
          for (const t of m.tensors.slice(0, 6)) {
            try { await t.read({ dtype: "F32" }); } catch (e: any) { expect(KNOWN.has(e.code) || e.code === "UNREADABLE", `${what} #${i} read: ${e.code} ${e.message}`).toBe(true); }
          }
          await m.close();
        } catch (e: any) {
          expect(KNOWN.has(e.code), `${what} mutation ${i}: ${e.code} ${e.message}`).toBe(true);
        }
      }
    }, 120000);
  }
  for (const file of ["nn.mlmodel", "nn_f16.mlmodel", "custom.mlmodel"]) {
    it(file, async () => {
      const base = bytes(file);
      const r = rng(base.length * 17 + file.length);
      for (let i = 0; i < 150; i++) {
        try {
          const m = await open(mutate(base, r), { name: file });
          for (const t of m.tensors.slice(0, 6)) {
            try { await t.read(); } catch (e: any) { expect(KNOWN.has(e.code) || e.code === "UNREADABLE", `${file} #${i} read: ${e.code} ${e.message}`).toBe(true); }
          }
          await m.close();
        } catch (e: any) {
          expect(KNOWN.has(e.code), `${file} mutation ${i}: ${e.code} ${e.message}`).toBe(true);
        }
      }
    }, 120000);
  }
});
