// safetensors, npy and npz fixtures written by the real libraries (tests/fixtures/basic/generate.py):
// every tensor's dtype, shape and bytes must match what numpy/torch read, bit for bit.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, sdk } from "./helpers/core";

const dir = join(FIXTURES, "basic");
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")).files as Record<string, any>;
const sha = (a: ArrayBufferView) => createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");

describe("fixtures written by numpy / safetensors / torch", () => {
  for (const [file, exp] of Object.entries(expected)) {
    it(file, async () => {
      const { open } = await sdk();
      const m = await open(join(dir, file));
      try {
        expect(m.format).toBe(exp.format);
        if (exp.version) expect(m.formatVersion).toBe(exp.version);
        expect(m.tensors.map((t) => t.name).sort()).toEqual(Object.keys(exp.tensors).sort());
        for (const [name, e] of Object.entries<any>(exp.tensors)) {
          const t = m.tensor(name)!;
          expect(t.shape, name).toEqual(e.shape);
          if (e.dtype === "RAW") expect(t.dtype.length, name).toBeGreaterThan(0);
          else expect(t.dtype, name).toBe(e.dtype);
          if (e.sha256) expect(sha(await t.read()), `${name} values`).toBe(e.sha256);
          if (e.f32_sha256) expect(sha(await t.read({ dtype: "F32" })), `${name} as F32`).toBe(e.f32_sha256);
          if (e.dtype === "STR" || e.dtype === "OBJECT") await expect(t.read()).rejects.toMatchObject({ code: "UNREADABLE" });
        }
        for (const [k, v] of Object.entries<any>(exp.metadata ?? {})) expect(m.metadata[k]).toBe(v);
      } finally {
        await m.close();
      }
    });
  }

  it("string arrays read as strings, as numpy reads them", async () => {
    const { open } = await sdk();
    for (const [file, want] of [["strings_U.npy", ["a", "bc", "def"]], ["bytes_S.npy", ["xy", "z"]]] as const) {
      const m = await open(join(dir, file));
      expect(await m.tensors[0].strings()).toEqual(want);
      await m.close();
    }
    for (const [file, want] of [["npyjs-unicode.npy", ["123", "test", "test2"]]] as const) {
      const m = await open(join(CORPUS, "npy", file));
      expect(await m.tensors[0].strings()).toEqual(want);
      await m.close();
    }
    // Big-endian UCS-4 with a character beyond the BMP, written by hand as numpy lays it out.
    const h = "{'descr': '>U2', 'fortran_order': False, 'shape': (2,), }";
    const pad = 64 - ((10 + h.length + 1) % 64);
    const head = h + " ".repeat(pad % 64) + "\n";
    const be = new Uint8Array(10 + head.length + 16);
    be.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(be.buffer).setUint16(8, head.length, true);
    be.set(new TextEncoder().encode(head), 10);
    const dv = new DataView(be.buffer, 10 + head.length);
    [0x68, 0xe9, 0x1f600, 0].forEach((c, i) => dv.setUint32(i * 4, c, false));
    const m2 = await open(be, { name: "be.npy" });
    expect(await m2.tensors[0].strings()).toEqual(["hé", "😀"]);
    await m2.close();
    const num = await open(join(dir, "arr_le_f4.npy"));
    await expect(num.tensors[0].strings()).rejects.toMatchObject({ code: "UNREADABLE" });
    await num.close();
  });

  it("object arrays are reported, never unpickled", async () => {
    const { open } = await sdk();
    const m = await open(join(dir, "object.npy"));
    expect(m.findings.map((f) => f.code)).toContain("pickled-object-array");
    await m.close();
  });

  it("chunks() yields the same bytes as read() across read windows", async () => {
    const { open } = await sdk();
    const m = await open(join(dir, "deflated_big.npz"));
    const t = m.tensor("big")!;
    const whole = new Uint8Array((await t.read()).buffer);
    const parts: Uint8Array[] = [];
    for await (const c of t.chunks()) parts.push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    expect(parts.length).toBeGreaterThan(1);
    const joined = new Uint8Array(whole.length);
    let o = 0;
    for (const p of parts) { joined.set(p, o); o += p.length; }
    expect(o).toBe(whole.length);
    expect(sha(joined)).toBe(sha(whole));
    await m.close();
  });
});

describe("conversions across read windows", () => {
  // Half-precision bits -> number, written independently of the core.
  const half = (h: number) => {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    if (e === 0) return s * f * 2 ** -24;
    if (e === 31) return f ? NaN : s * Infinity;
    return s * (1 + f / 1024) * 2 ** (e - 15);
  };

  it("F32 read as F16 and BF16 over several 4 MiB windows", async () => {
    const { open } = await sdk();
    const n = 3 * 1024 * 1024; // 12 MiB of F32: three windows
    const header = JSON.stringify({ x: { dtype: "F32", shape: [n], data_offsets: [0, n * 4] } });
    const buf = new Uint8Array(8 + header.length + n * 4);
    new DataView(buf.buffer).setBigUint64(0, BigInt(header.length), true);
    buf.set(new TextEncoder().encode(header), 8);
    const vals = new Float32Array(buf.buffer, 8 + header.length + ((4 - ((8 + header.length) % 4)) % 4), 0);
    const dv = new DataView(buf.buffer, 8 + header.length);
    for (let i = 0; i < n; i++) dv.setFloat32(i * 4, ((i % 256) - 128) * 0.25, true); // exact in F16 and BF16
    expect(vals.length).toBe(0);
    const m = await open(buf, { name: "w.safetensors" });
    const t = m.tensor("x")!;
    const h16 = (await t.read({ dtype: "F16" })) as Uint16Array;
    const b16 = (await t.read({ dtype: "BF16" })) as Uint16Array;
    expect(h16.length).toBe(n);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < n; i += 997) {
      const want = ((i % 256) - 128) * 0.25;
      expect(half(h16[i])).toBe(want);
      u[0] = b16[i] << 16;
      expect(f[0]).toBe(want);
    }
    // A second model opened afterwards still works (no memory was overwritten).
    await m.close();
    const again = await open(join(dir, "small_numpy.safetensors"));
    expect(Array.from((await again.tensor("a")!.read()) as Int32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    await again.close();
  });
});
