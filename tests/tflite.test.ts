// TFLite: fixtures converted by TensorFlow's TFLiteConverter (tests/fixtures/tflite/generate.py),
// values compared bit for bit with what the LiteRT interpreter returns (get_tensor) and, for
// quantized tensors, with TFLite's Dequantize formula over the interpreter's own quantization
// parameters (expected.json). Bad input is made by patching fields located with a small
// independent FlatBuffers walker below; every rule gets a file that breaks it.
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";
import { mutate, rng, typedCodes } from "./helpers/mutations";

const DIR = join(FIXTURES, "tflite");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")).files as Record<string, any>;
const DTYPE: Record<string, string> = { float32: "F32", float16: "F16", int8: "I8", uint8: "U8", int16: "I16", int32: "I32", int64: "I64", int4: "I4" };

let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => { open = (await sdk()).open; });
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-tflite-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (a: ArrayBufferView) => createHash("sha256").update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest("hex");
const f32 = (x: number) => Math.fround(x);

describe("tflite fixtures: values equal the LiteRT interpreter's", () => {
  for (const [file, e] of Object.entries(expected)) {
    it(file, async () => {
      const m = await open(join(DIR, file));
      try {
        expect(m.format).toBe("tflite");
        const constants = Object.entries(e.tensors as Record<string, any[]>).flatMap(([n, l]) => l.filter((t) => t.buffer).map((t) => ({ name: n, ...t })));
        expect(m.tensors.map((t) => t.name).sort()).toEqual(constants.map((t) => t.name).sort());
        for (const c of constants) {
          const t = m.tensor(c.name)!;
          expect(t.dtype, c.name).toBe(DTYPE[c.dtype]);
          expect(t.shape, c.name).toEqual(c.shape);
          expect((t.info as any).buffer_form, c.name).toBe(c.buffer);
          expect(sha(await t.read()), c.name).toBe(c.sha256);
          const q = (t.info as any).quantization;
          if (c.scales.length) {
            expect(q.scale, c.name).toEqual(c.scales.map(f32));
            expect(q.zero_point, c.name).toEqual(c.zero_points);
            if (c.scales.length > 1) expect(q.quantized_dimension ?? 0).toBe(c.quantized_dimension);
          } else expect(q?.scale ?? [], c.name).toEqual([]);
          if (c.f32_sha256) {
            const v = await t.read({ dtype: "F32" });
            expect(v).toBeInstanceOf(Float32Array);
            expect(sha(v), `${c.name} dequantized`).toBe(c.f32_sha256);
          }
        }
        // Signatures as the interpreter lists them.
        const sigs = m.metadata.signature_defs as any[];
        for (const [key, s] of Object.entries(e.signatures as Record<string, any>)) {
          const d = sigs.find((x) => x.key === key);
          expect(Object.keys(d.inputs).sort()).toEqual(s.inputs);
          expect(Object.keys(d.outputs).sort()).toEqual(s.outputs);
        }
      } finally {
        await m.close();
      }
    });
  }

  it("lists operators, inputs, outputs and metadata buffers", async () => {
    const m = await open(join(DIR, "full_int8.tflite"));
    const g = m.graph as any;
    expect(g.nodes.map((n: any) => n.op_type)).toEqual(["CONV_2D", "RESHAPE", "FULLY_CONNECTED"]);
    expect(g.inputs.map((i: any) => [i.name, i.dtype, i.shape])).toEqual([["serving_default_image:0", "INT8", [1, 6, 6, 1]]]);
    expect(g.nodes[0].inputs[0]).toBe("serving_default_image:0");
    expect(g.nodes[2].outputs).toEqual(["StatefulPartitionedCall:0"]);
    const md = m.metadata.metadata as any;
    expect(md.min_runtime_version.text).toMatch(/^\d+\.\d+\.\d+$/);
    expect(md.CONVERSION_METADATA.size).toBeGreaterThan(0);
    expect(m.findings).toEqual([]);
    await m.close();
  });

  it("Flex ops are a low finding, custom ops a medium one", async () => {
    const flex = await open(join(DIR, "flex.tflite"));
    expect(flex.findings.map((f) => [f.code, f.severity, f.location])).toEqual([["tflite-flex-op", "low", "FlexMatrixInverse"]]);
    expect((flex.graph as any).nodes.some((n: any) => n.op_type === "FlexMatrixInverse" && n.flex && n.custom_options_bytes > 0)).toBe(true);
    await flex.close();
    const custom = await open(join(DIR, "custom.tflite"));
    expect(custom.findings.map((f) => [f.code, f.severity, f.location])).toEqual([["tflite-custom-op", "medium", "MatrixInverse"]]);
    await custom.close();
  });

  it("float reads of float tensors and F16 reads of dequantized ones", async () => {
    const m = await open(join(DIR, "dynamic_range.tflite"));
    const t = m.tensor("MatMul")!;
    const a = await t.read({ dtype: "F32" }) as Float32Array;
    const h = await t.read({ dtype: "F16" });
    expect(h.byteLength).toBe(a.length * 2);
    const raw = await t.read() as Int8Array;
    const s = (t.info as any).quantization.scale as number[];
    // Row r of the [32, 64] kernel has scale s[r]: spot-check against the formula.
    for (const i of [0, 63, 64, 2047]) expect(a[i]).toBe(f32(raw[i] * s[Math.floor(i / 64)]));
    await m.close();
  });
});

describe("tflite detection is by content", () => {
  for (const ext of [".bin", ".onnx", ".safetensors"]) {
    it(`a .tflite named ${ext} is still tflite, with an extension finding`, async () => {
      const p = join(tmp, "model" + ext);
      copyFileSync(join(DIR, "float.tflite"), p);
      const m = await open(p);
      expect(m.format).toBe("tflite");
      if (ext !== ".bin") expect(m.findings.some((f) => f.code === "extension-mismatch")).toBe(true);
      await m.close();
    });
  }
  it("a non-TFLite file named .tflite says the identifier is wrong", async () => {
    const b = new Uint8Array(readFileSync(join(DIR, "float.tflite")));
    b.set([0x58, 0x58, 0x58, 0x58], 4);
    await expect(open(b, { name: "m.tflite" })).rejects.toMatchObject({ code: "INVALID_HEADER" });
  });
});

// --- an independent FlatBuffers walker to find the fields to break ------------------------------
class Fb {
  v: DataView;
  constructor(public b: Uint8Array) { this.v = new DataView(b.buffer, b.byteOffset, b.byteLength); }
  root() { return this.v.getUint32(0, true); }
  vt(t: number) { return t - this.v.getInt32(t, true); }
  field(t: number, id: number) {
    const vt = this.vt(t);
    const len = this.v.getUint16(vt, true);
    if (4 + 2 * id >= len) return 0;
    const o = this.v.getUint16(vt + 4 + 2 * id, true);
    return o ? t + o : 0;
  }
  ref(p: number) { return p + this.v.getUint32(p, true); }
  vec(t: number, id: number) { const p = this.ref(this.field(t, id)); return { len: p, n: this.v.getUint32(p, true), at: (i: number, size = 4) => p + 4 + i * size }; }
  tableAt(t: number, id: number, i: number) { const v = this.vec(t, id); return this.ref(v.at(i)); }
}
const bytes = (f: string) => new Uint8Array(readFileSync(join(DIR, f)));
const subgraph0 = (fb: Fb) => fb.tableAt(fb.root(), 2, 0);
function tensorNamed(fb: Fb, name: string): number {
  const sg = subgraph0(fb);
  const v = fb.vec(sg, 0);
  for (let i = 0; i < v.n; i++) {
    const t = fb.ref(v.at(i));
    const s = fb.ref(fb.field(t, 3));
    const n = new TextDecoder().decode(fb.b.subarray(s + 4, s + 4 + fb.v.getUint32(s, true)));
    if (n === name) return t;
  }
  throw new Error("no tensor " + name);
}

async function refused(b: Uint8Array, code: string | RegExp, message?: RegExp) {
  const err = await open(b, { name: "m.tflite" }).then(async (m) => { await m.close(); return null; }, (e) => e);
  expect(err, "the file should be refused").not.toBeNull();
  if (typeof code === "string") expect(err.code, err.message).toBe(code);
  else expect(err.code, err.message).toMatch(code);
  if (message) expect(err.message).toMatch(message);
}

describe("tflite bad input: typed errors", () => {
  it("the independent walker agrees with the index (tensor shapes)", async () => {
    const b = bytes("full_int8.tflite");
    const fb = new Fb(b);
    const t = tensorNamed(fb, "MatMul");
    const shape = fb.vec(t, 0);
    expect([0, 1].map((i) => fb.v.getInt32(shape.at(i), true))).toEqual([32, 64]);
  });

  it("truncated files", async () => {
    const b = bytes("float.tflite");
    for (const n of [12, 100, b.length >> 1, b.length - 40]) await refused(b.slice(0, n), /TRUNCATED|INVALID_OFFSET/);
  });

  it("a root offset past the end", async () => {
    const b = bytes("float.tflite");
    new DataView(b.buffer).setUint32(0, 0xfffffff0, true);
    await refused(b, /INVALID_OFFSET|TRUNCATED/);
  });

  it("a vtable outside the buffer", async () => {
    const b = bytes("float.tflite");
    const fb = new Fb(b);
    fb.v.setInt32(fb.root(), -0x7ffffff0, true);
    await refused(b, "INVALID_OFFSET", /vtable/);
  });

  it("a vector longer than the file", async () => {
    const b = bytes("float.tflite");
    const fb = new Fb(b);
    fb.v.setUint32(fb.vec(subgraph0(fb), 0).len, 0x3fffffff, true);
    await refused(b, "INVALID_OFFSET", /vector/);
  });

  it("a buffer whose offset + size wraps u64", async () => {
    const b = bytes("buffer_offsets.tflite");
    const fb = new Fb(b);
    const t = tensorNamed(fb, "MatMul");
    const bi = fb.v.getUint32(fb.field(t, 2), true);
    const buf = fb.tableAt(fb.root(), 4, bi);
    fb.v.setBigUint64(fb.field(buf, 1), 0xfffffffffffffff0n, true);
    await refused(b, "INVALID_OFFSET", /offset/);
    fb.v.setBigUint64(fb.field(buf, 1), 8n, true);
    fb.v.setBigUint64(fb.field(buf, 2), BigInt(b.length), true);
    await refused(b, "INVALID_OFFSET", /past the end/);
  });

  it("a tensor naming a buffer that does not exist", async () => {
    const b = bytes("float.tflite");
    const fb = new Fb(b);
    fb.v.setUint32(fb.field(tensorNamed(fb, "MatMul"), 2), 999, true);
    await refused(b, "INVALID_OFFSET", /buffer 999/);
  });

  it("a shape that disagrees with the buffer size", async () => {
    const b = bytes("float.tflite");
    const fb = new Fb(b);
    fb.v.setInt32(fb.vec(tensorNamed(fb, "MatMul"), 0).at(1), 65, true);
    await refused(b, "SIZE_MISMATCH");
    fb.v.setInt32(fb.vec(tensorNamed(fb, "MatMul"), 0).at(1), -3, true);
    await refused(b, "BAD_SHAPE");
  });

  it("per-channel scales that do not match the quantized axis", async () => {
    const b = bytes("full_int8.tflite");
    const fb = new Fb(b);
    fb.v.setInt32(fb.vec(tensorNamed(fb, "MatMul"), 0).at(0), 31, true);
    await refused(b, "CORRUPT", /32 scales for axis 0 of size 31/);
  });

  it("an operator with an opcode index out of range, an input out of range", async () => {
    const b = bytes("float.tflite");
    const fb = new Fb(b);
    const op = fb.tableAt(subgraph0(fb), 3, 0);
    const p = fb.field(op, 0);
    if (p) {
      fb.v.setUint32(p, 77, true);
      await refused(b, "INVALID_OFFSET", /opcode 77/);
    }
    const b2 = bytes("float.tflite");
    const fb2 = new Fb(b2);
    const op2 = fb2.tableAt(subgraph0(fb2), 3, 0);
    fb2.v.setInt32(fb2.vec(op2, 1).at(0), 5000, true);
    await refused(b2, "INVALID_OFFSET", /tensor 5000/);
  });
});

// --- seeded mutations: open or a typed error, never a trap ---------------------------------------
const KNOWN = typedCodes();

describe("mutated tflite fixtures never trap", () => {
  for (const file of ["float.tflite", "full_int8.tflite", "buffer_offsets.tflite", "flex.tflite"]) {
    it(file, async () => {
      const base = bytes(file);
      const r = rng(base.length * 31 + file.length);
      for (let i = 0; i < 150; i++) {
        const b = mutate(base, r);
        try {
          const m = await open(b, { name: file });
          for (const t of m.tensors.slice(0, 6)) {
            for (const dtype of [undefined, "F32"]) {
              try { await t.read(dtype ? { dtype } : {}); } catch (e: any) { expect(KNOWN.has(e.code) || e.code === "UNREADABLE", `${file} #${i} read: ${e.code} ${e.message}`).toBe(true); }
            }
          }
          await m.close();
        } catch (e: any) {
          expect(KNOWN.has(e.code), `${file} mutation ${i}: ${e.code} ${e.message}`).toBe(true);
        }
      }
    }, 120000);
  }
});
