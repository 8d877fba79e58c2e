// The host's size cap: read() allocates the whole tensor and the size comes from the file, so a
// lying header must give a typed TOO_LARGE before anything is allocated, with the bounded ways out
// (chunks(), readInto()) still working.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const bomb = () => new Uint8Array(readFileSync(join(FIXTURES, "hdf5", "shape_bomb.h5")));
const mixed = join(FIXTURES, "hosts", "mixed.safetensors");

async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe("read() size cap", () => {
  it("a 4 TiB and a 16 GiB declared dataset are refused with TOO_LARGE naming the tensor, the size and the way out", async () => {
    const { open, OmnimodelError, DEFAULT_MAX_TENSOR_BYTES } = await sdk();
    expect(DEFAULT_MAX_TENSOR_BYTES).toBe(2 ** 31);
    const m = await open(bomb(), { name: "bomb.h5" });
    try {
      for (const [name, size] of [["chunked", 2 ** 42], ["contiguous", 2 ** 34]] as const) {
        const e = await rejection(m.tensor(name)!.read());
        expect(e).toBeInstanceOf(OmnimodelError);
        expect(e.code).toBe("TOO_LARGE");
        expect(e.message).toContain(`"${name}"`);
        expect(e.message).toContain(String(size));
        expect(e.message).toMatch(/chunks\(\)/);
        expect(e.message).toMatch(/readInto\(\)/);
        expect((await rejection(m.tensor(name)!.read({ dtype: "F16" }))).code).toBe("TOO_LARGE");
      }
    } finally {
      await m.close();
    }
  });

  it("chunks() of the same dataset yields windows of the fill value, each at most one 512 MiB slab", async () => {
    const { open } = await sdk();
    const m = await open(bomb(), { name: "bomb.h5" });
    try {
      let n = 0;
      for await (const c of m.tensor("chunked")!.chunks()) {
        expect(c.byteLength).toBeLessThanOrEqual(512 * 1024 * 1024); // one slab of chunk rows, capped by the core
        expect(c.byteLength).toBeGreaterThan(0);
        const f = c as Float32Array;
        for (const k of [0, 1, f.length >> 1, f.length - 1]) expect(f[k]).toBe(0);
        if (++n === 1) break;
      }
      expect(n).toBe(1);
    } finally {
      await m.close();
    }
  });

  it("the cap is configurable per model and per read, and a small cap lets smaller tensors through", async () => {
    const { open } = await sdk();
    const m = await open(mixed, { maxTensorBytes: 8 });
    try {
      expect(m.maxTensorBytes).toBe(8);
      const weight = m.tensor("layer.weight")!; // 48 bytes
      expect((await rejection(weight.read())).code).toBe("TOO_LARGE");
      expect((await weight.read({ maxBytes: 48 })).byteLength).toBe(48);
      expect((await m.tensor("scale")!.read()).byteLength).toBe(8);
      const into = new Uint8Array(48);
      expect(await weight.readInto(into)).toBe(48); // readInto is bounded by the caller's buffer
      expect((await rejection(weight.readInto(new Uint8Array(47)))).code).toBe("BAD_ARGUMENT");
    } finally {
      await m.close();
    }
  });
});
