// safetensors, npy and npz fixtures written by the real libraries (tests/fixtures/basic/generate.py):
// every tensor's dtype, shape and bytes must match what numpy/torch read, bit for bit.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

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
