// One test per defect kind the fuzz campaigns found (inputs built by
// tests/fixtures/fuzz-regressions/generate.mjs from committed fixtures): each must end in a value,
// a typed error or a finding, never a trap, an untyped exception or a runaway allocation.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, sdk } from "./helpers/core";
// @ts-expect-error: a plain .mjs module without types
import { exercise } from "../scripts/fuzz/exercise.mjs";
// @ts-expect-error: a plain .mjs generator without types
import { fillValueWrap, npyZip, tarPaxTruncated, torchserveEscape, widenedWrap, zerosBomb } from "./fixtures/fuzz-regressions/generate.mjs";

async function settle(p: Promise<unknown>): Promise<any> {
  try {
    return { value: await p };
  } catch (e) {
    return { error: e };
  }
}

describe("fuzz regressions", () => {
  it("HDF5 fill value whose size field wraps 8 + n (n = 0xffffffff) opens without a trap", async () => {
    const { open } = await sdk();
    const m = await open(fillValueWrap(), { name: "fill.h5" });
    try {
      for (const t of m.tensors) {
        const r = await settle(t.read());
        if (r.error) expect(r.error.name).toBe("OmnimodelError");
      }
    } finally {
      await m.close();
    }
  });

  it("HDF5 3-element chunks under a dataset of 2^46 elements: what the fuzzer does with an input ends in ok or typed", async () => {
    // The fuzz timeout (a flipped bit in a dataspace of pyfive's fletcher32 file): chunks() made
    // one 3-byte window per chunk, so streaming the first 32 MiB took eleven million windows.
    // windows.h5 is the same shape written by h5py (tests/fixtures/hdf5/generate_windows.py).
    const s = await sdk();
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, "hdf5", "windows.h5")));
    const r = await exercise(s, bytes, "windows.h5", undefined, 256 * 1024 * 1024);
    expect(r.format).toBe("hdf5");
    expect(["ok", "typed"]).toContain(r.outcome);
  });

  it("an HDF5 int8 dataset of 2^63 + 3 elements: its F32 size does not wrap, read() is TOO_LARGE, chunks() streams", async () => {
    const { open, OmnimodelError } = await sdk();
    const m = await open(widenedWrap(), { name: "wrap.h5" });
    try {
      const t = m.tensor("tiny_chunks")!;
      expect(t.shape).toEqual([2 ** 63 + 3]);
      expect(t.outputByteLength({ dtype: "F32" })).toBeGreaterThanOrEqual(2 ** 64); // saturated, not 12
      const r = await settle(t.read({ dtype: "F32" }));
      expect(r.error).toBeInstanceOf(OmnimodelError);
      expect(r.error.code).toBe("TOO_LARGE");
      // The core itself refuses a read whose widened size does not fit in 64 bits.
      const c = await settle((async () => { for await (const w of t.chunks({ dtype: "F32" })) return w; })());
      expect(c.error).toBeInstanceOf(OmnimodelError);
      expect(c.error.code).toBe("LIMIT");
      // As stored it fits: the first window holds h5py's first values.
      for await (const w of t.chunks()) {
        expect(Array.from(w.subarray(0, 4))).toEqual([1, 2, 3, 0]);
        break;
      }
    } finally {
      await m.close();
    }
  });

  it("a tar.gz that ends inside a pax extended header is TRUNCATED, not a trap", async () => {
    const { open, OmnimodelError } = await sdk();
    const r = await settle(open(tarPaxTruncated(), { name: "cut.tar.gz" }));
    expect(r.error).toBeInstanceOf(OmnimodelError);
    expect(r.error.code).toBe("TRUNCATED");
    expect(r.error.message).toMatch(/ends inside an extended header/);
  });

  it("a TorchServe MANIFEST serializedFile of ../../etc/passwd is a path escape, not a missing file", async () => {
    const { open, OmnimodelError } = await sdk();
    const m = await open(torchserveEscape(), { name: "escape.mar" });
    try {
      const esc = m.findings.filter((f) => f.code === "path-escape");
      expect(esc).toHaveLength(1);
      expect(esc[0].severity).toBe("high");
      expect(esc[0].location).toBe("../../etc/passwd");
      expect(m.findings.some((f) => f.code === "torchserve-missing-file")).toBe(false);
      const r = await settle(m.openChild("../../etc/passwd"));
      expect(r.error).toBeInstanceOf(OmnimodelError);
      expect(r.error.code).toBe("PATH_VIOLATION");
    } finally {
      await m.close();
    }
  });

  it("members of a zip bomb are refused from their first bytes, without inflating a gigabyte", async () => {
    const { open } = await sdk();
    const m = await open(zerosBomb(16, 64 * 1024 * 1024), { name: "bomb.zip" });
    try {
      expect(m.children).toHaveLength(16);
      const before = process.memoryUsage().rss;
      for (let i = 0; i < m.children.length; i++) {
        const r = await settle(m.openChild(i));
        expect(r.error?.code).toBe("UNKNOWN_FORMAT");
      }
      // 1 GiB would have been inflated member by member; none of it was.
      expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
    } finally {
      await m.close();
    }
  });

  it("the bytes openChild decompresses are capped per open model, children of children included", async () => {
    const { open } = await sdk();
    const { zip, memberSize } = npyZip(4);
    const m = await open(zip, { name: "many.zip", maxInflatedBytes: memberSize * 2 + 1 });
    try {
      for (const i of [0, 1]) {
        const c = await m.openChild(i);
        expect(c.format).toBe("safetensors");
        await c.close();
      }
      const r = await settle(m.openChild(2));
      expect(r.error?.code).toBe("LIMIT");
      expect(r.error?.message).toMatch(/maxInflatedBytes/);
      expect(m.inflateBudget.left).toBe(1);
    } finally {
      await m.close();
    }
  });
});
