// ExecuTorch (.pte): programs lowered and written by executorch (tests/fixtures/pte/generate.py),
// constant tensors compared bit for bit with what ExecuTorch's own deserializer restores
// (expected.json), delegate blobs and named data with the blobs it restores, the instruction list
// with its plans. Bad input is made by patching fields located with a small independent
// FlatBuffers walker below; every rule gets a file that breaks it.
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";
import { mutate, rng, typedCodes } from "./helpers/mutations";

const DIR = join(FIXTURES, "pte");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")).files as Record<string, any>;
let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => { open = (await sdk()).open; });
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-pte-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sha = (a: ArrayBufferView) => createHash("sha256").update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest("hex");
const bytes = (f: string) => new Uint8Array(readFileSync(join(DIR, f)));

describe("pte fixtures: values equal ExecuTorch's deserializer", () => {
  for (const [file, e] of Object.entries(expected)) {
    it(file, async () => {
      const m = await open(join(DIR, file));
      try {
        expect(m.format).toBe("executorch");
        expect(m.metadata.file_identifier).toBe("ET12");
        expect(m.metadata.extended_header !== undefined).toBe(e.extended_header);
        expect(m.metadata.constant_storage).toBe(e.constant_storage);
        const want: [string, any][] = [];
        for (const p of e.plans) for (const [i, t] of Object.entries(p.tensors as Record<string, any>)) want.push([`${p.name}/${t.fqn ?? "value_" + i}`, t]);
        expect(m.tensors.map((t) => t.name).sort()).toEqual(want.map(([n]) => n).sort());
        for (const [name, x] of want) {
          const t = m.tensor(name)!;
          expect(t.dtype, name).toBe(x.dtype);
          expect(t.shape, name).toEqual(x.shape);
          if (x.external) {
            expect((t.info as any).storage).toBe("external");
            await expect(t.read()).rejects.toMatchObject({ code: "UNREADABLE" });
          } else {
            expect((t.info as any).storage, name).toBe(x.mutable ? "mutable_segment" : e.constant_storage);
            expect(sha(await t.read()), name).toBe(x.sha256);
          }
        }
        const plans = m.metadata.execution_plans as any[];
        expect(plans.map((p) => p.name)).toEqual(e.plans.map((p: any) => p.name));
        const file0 = bytes(file);
        for (const [k, p] of e.plans.entries()) {
          const got = plans[k];
          expect(got.inputs.map((i: any) => i.name)).toEqual(p.inputs.map((i: number) => `${p.name}/${p.tensors[i]?.fqn ?? "value_" + i}`));
          expect(got.outputs.map((i: any) => i.name)).toEqual(p.outputs.map((i: number) => `${p.name}/${p.tensors[i]?.fqn ?? "value_" + i}`));
          expect((got.delegates ?? []).map((d: any) => [d.id, d.size])).toEqual(p.delegates.map((d: any) => [d.id, d.size]));
          for (const [j, d] of (got.delegates ?? []).entries()) expect(sha(file0.subarray(d.offset, d.offset + d.size)), d.id).toBe(p.delegates[j].sha256);
        }
        const g = m.graph as any;
        const first = e.plans.find((p: any) => p.name === plans[0].name);
        expect(g.nodes.map((n: any) => n.op_type)).toEqual(first.nodes);
        const locations = plans.flatMap((p) => (p.delegates ?? []).map((d: any) => d.location));
        expect(locations).toEqual(e.delegate_locations);
        const named = (m.metadata.named_data ?? []) as any[];
        expect(Object.fromEntries(named.map((n) => [n.key, sha(file0.subarray(n.offset, n.offset + n.size))]))).toEqual(e.named_data);
      } finally {
        await m.close();
      }
    });
  }

  it("instructions become nodes: the tensor an out= argument first writes is the node's output", async () => {
    const m = await open(join(DIR, "plain.pte"));
    const g = m.graph as any;
    expect(g.nodes.map((n: any) => [n.op_type, n.inputs, n.outputs])).toEqual([
      ["aten::permute_copy.out", ["forward/value_0"], ["forward/value_4"]],
      ["aten::addmm.out", ["forward/value_1", "forward/value_3", "forward/value_4"], ["forward/value_8"]],
      ["aten::relu.out", ["forward/value_8"], ["forward/value_11"]],
      ["aten::mul.out", ["forward/value_11", "forward/value_2"], ["forward/value_12"]],
    ]);
    expect(g.inputs.map((i: any) => [i.name, i.dtype, i.shape])).toEqual([["forward/value_3", "FLOAT", [2, 4]]]);
    expect(m.findings).toEqual([]);
    await m.close();
  });

  it("a known backend's delegate is an info finding, an unknown one medium", async () => {
    const x = await open(join(DIR, "xnnpack.pte"));
    expect(x.findings.map((f) => [f.code, f.severity, f.location])).toEqual([["executorch-delegate", "info", "forward/delegate_0"]]);
    await x.close();
    const d = await open(join(DIR, "demo_delegate.pte"));
    expect(d.findings.map((f) => [f.code, f.severity])).toEqual([["executorch-unknown-delegate", "medium"]]);
    expect(d.findings[0].message).toContain("BackendWithCompilerDemo");
    await d.close();
  });

  it("F32 reads of the F16 and BF16 constants", async () => {
    const m = await open(join(DIR, "dtypes.pte"));
    const bf = m.tensor("forward/value_1")!;
    expect(bf.dtype).toBe("BF16");
    const raw = new Uint16Array((await bf.read()).buffer.slice(0));
    const f = new Uint32Array(((await bf.read({ dtype: "F32" })) as Float32Array).buffer);
    for (let i = 0; i < raw.length; i++) expect(f[i]).toBe((raw[i] << 16) >>> 0);
    await m.close();
  });
});

describe("pte detection is by content", () => {
  for (const ext of [".bin", ".tflite", ".onnx"]) {
    it(`a .pte named ${ext} is still executorch, with an extension finding`, async () => {
      const p = join(tmp, "model" + ext);
      copyFileSync(join(DIR, "plain.pte"), p);
      const m = await open(p);
      expect(m.format).toBe("executorch");
      if (ext !== ".bin") expect(m.findings.some((f) => f.code === "extension-mismatch")).toBe(true);
      await m.close();
    });
  }
  it("a non-ExecuTorch file named .pte says the identifier is wrong", async () => {
    const b = bytes("plain.pte");
    b.set([0x58, 0x58], 6);
    await expect(open(b, { name: "m.pte" })).rejects.toMatchObject({ code: "INVALID_HEADER" });
  });
});

// --- an independent FlatBuffers walker to find the fields to break ------------------------------
class Fb {
  v: DataView;
  constructor(public b: Uint8Array) { this.v = new DataView(b.buffer, b.byteOffset, b.byteLength); }
  root() { return this.v.getUint32(0, true); }
  field(t: number, id: number) {
    const vt = t - this.v.getInt32(t, true);
    const len = this.v.getUint16(vt, true);
    if (4 + 2 * id >= len) return 0;
    const o = this.v.getUint16(vt + 4 + 2 * id, true);
    return o ? t + o : 0;
  }
  ref(p: number) { return p + this.v.getUint32(p, true); }
  table(t: number, id: number) { return this.ref(this.field(t, id)); }
  vec(t: number, id: number) { const p = this.ref(this.field(t, id)); return { len: p, n: this.v.getUint32(p, true), at: (i: number, size = 4) => p + 4 + i * size }; }
  tableAt(t: number, id: number, i: number) { return this.ref(this.vec(t, id).at(i)); }
}
// Program fields: 1 execution_plan, 4 segments, 5 constant_segment, 7 named_data.
const plan0 = (fb: Fb) => fb.tableAt(fb.root(), 1, 0);
const value = (fb: Fb, i: number) => fb.table(fb.tableAt(plan0(fb), 2, i), 1); // EValue.val
const instruction = (fb: Fb, i: number) => fb.table(fb.tableAt(fb.tableAt(plan0(fb), 5, 0), 2, i), 1); // chain 0, instruction i, its args

async function refused(b: Uint8Array, code: string | RegExp, message?: RegExp) {
  const err = await open(b, { name: "m.pte" }).then(async (m) => { await m.close(); return null; }, (e) => e);
  expect(err, "the file should be refused").not.toBeNull();
  if (typeof code === "string") expect(err.code, err.message).toBe(code);
  else expect(err.code, err.message).toMatch(code);
  if (message) expect(err.message).toMatch(message);
}

describe("pte bad input: typed errors", () => {
  it("the independent walker agrees with the index (sizes of value 0)", () => {
    const fb = new Fb(bytes("plain.pte"));
    const sizes = fb.vec(value(fb, 0), 2);
    expect([0, 1].map((i) => fb.v.getInt32(sizes.at(i), true))).toEqual([3, 4]);
  });

  it("truncated files", async () => {
    const b = bytes("plain.pte");
    for (const n of [12, 30, 100, b.length >> 1, b.length - 20]) await refused(b.slice(0, n), /TRUNCATED|INVALID_OFFSET/);
  });

  it("an extended header that is too short, or whose program size or segment base are out of place", async () => {
    let b = bytes("plain.pte");
    new DataView(b.buffer).setUint32(12, 16, true);
    await refused(b, "INVALID_HEADER", /at least 24/);
    b = bytes("plain.pte");
    new DataView(b.buffer).setBigUint64(16, BigInt(b.length + 1), true);
    await refused(b, "TRUNCATED", /program size/);
    b = bytes("plain.pte");
    new DataView(b.buffer).setBigUint64(24, 100n, true);
    await refused(b, "INVALID_OFFSET", /segment base/);
    b = bytes("plain.pte");
    new DataView(b.buffer).setBigUint64(32, BigInt(b.length), true);
    await refused(b, "TRUNCATED", /segment data/);
  });

  it("a segment whose offset + size runs past the end (or wraps)", async () => {
    for (const size of [0xfffffffffffffff0n, 4096n]) {
      const b = bytes("plain.pte");
      const fb = new Fb(b);
      fb.v.setBigUint64(fb.field(fb.tableAt(fb.root(), 4, 0), 1), size, true); // segment 0's size (its offset 0 is not stored)
      await refused(b, "INVALID_OFFSET", /segment 0/);
    }
  });

  it("segments with bytes but no extended header to place them", async () => {
    const b = bytes("plain.pte");
    b.set([0x78, 0x78, 0x78, 0x78], 8); // the header magic, gone
    await refused(b, "CORRUPT", /no extended header/);
  });

  it("a constant naming a slot that does not exist, or one past its segment", async () => {
    let b = bytes("plain.pte");
    let fb = new Fb(b);
    fb.v.setUint32(fb.field(value(fb, 0), 5), 99, true);
    await refused(b, "INVALID_OFFSET", /data slot 99/);
    b = bytes("plain.pte");
    fb = new Fb(b);
    fb.v.setInt32(fb.vec(value(fb, 2), 2).at(0), 300, true); // value 2 (the last slot) grows to 300 floats
    await refused(b, "SIZE_MISMATCH", /needs 1200 bytes/);
  });

  it("a legacy constant buffer smaller than its tensor", async () => {
    const b = bytes("legacy_buffer.pte");
    const fb = new Fb(b);
    fb.v.setInt32(fb.vec(value(fb, 0), 2).at(1), 40, true);
    await refused(b, "SIZE_MISMATCH", /constant buffer holds/);
  });

  it("negative sizes, a dim_order of the wrong rank", async () => {
    let b = bytes("plain.pte");
    let fb = new Fb(b);
    fb.v.setInt32(fb.vec(value(fb, 3), 2).at(0), -2, true);
    await refused(b, "BAD_SHAPE", /negative/);
    b = bytes("plain.pte");
    fb = new Fb(b);
    const d = fb.vec(value(fb, 0), 3);
    fb.v.setUint32(d.len, 1, true);
    await refused(b, "CORRUPT", /dim_order/);
  });

  it("an instruction calling an operator, or naming a value, that does not exist", async () => {
    let b = bytes("plain.pte");
    let fb = new Fb(b);
    fb.v.setInt32(fb.field(instruction(fb, 1), 0), 42, true); // instruction 1 calls operator 1 (0 is not stored)
    await refused(b, "INVALID_OFFSET", /operator 42/);
    b = bytes("plain.pte");
    fb = new Fb(b);
    fb.v.setInt32(fb.vec(instruction(fb, 0), 1).at(0), 1000, true);
    await refused(b, "INVALID_OFFSET", /value 1000/);
    b = bytes("xnnpack.pte");
    fb = new Fb(b);
    fb.v.setUint32(fb.vec(plan0(fb), 7).len, 0, true); // the plan's delegate list, emptied
    await refused(b, "INVALID_OFFSET", /calls delegate 0 of 0/);
  });

  it("a plan input naming a value that does not exist", async () => {
    const b = bytes("plain.pte");
    const fb = new Fb(b);
    fb.v.setInt32(fb.vec(plan0(fb), 3).at(0), 77, true);
    await refused(b, "INVALID_OFFSET", /input .* value 77/);
  });

  it("a delegate or named data naming a segment that does not exist", async () => {
    let b = bytes("xnnpack.pte");
    let fb = new Fb(b);
    const ref = fb.table(fb.tableAt(plan0(fb), 7, 0), 1); // delegate 0 .processed
    fb.v.setUint32(fb.field(ref, 1), 9, true);
    await refused(b, "INVALID_OFFSET", /segment 9/);
    b = bytes("xnnpack.pte");
    fb = new Fb(b);
    fb.v.setUint32(fb.field(fb.tableAt(fb.root(), 7, 0), 1), 12, true);
    await refused(b, "INVALID_OFFSET", /named data .* segment 12/);
  });
});

// --- seeded mutations: open or a typed error, never a trap ---------------------------------------
const KNOWN = typedCodes();

describe("mutated pte fixtures never trap", () => {
  for (const file of ["plain.pte", "xnnpack.pte", "mutable.pte", "legacy_buffer.pte"]) {
    it(file, async () => {
      const base = bytes(file);
      const r = rng(base.length * 31 + file.length);
      for (let i = 0; i < 150; i++) {
        const b = mutate(base, r);
        try {
          const m = await open(b, { name: file });
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
