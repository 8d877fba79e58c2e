// HDF5 reader against h5py: fixtures written by tests/fixtures/hdf5/generate.py (libver earliest
// and latest, track_order, 4-byte offsets, a user block) and the facts h5py reported for them.
// Every readable dataset's values must hash to what h5py read, bit for bit.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "hdf5");
const expected: Record<string, any> = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8"));
// Datasets whose filter the reader does not decode: reading them must fail naming the filter.
const UNDECODED: Record<string, RegExp> = { "filters/nbit": /nbit filter is not supported/ };

function sha(a: ArrayBufferView): string {
  return createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");
}

describe.each(Object.keys(expected))("%s", (file) => {
  const facts = expected[file];

  it("lists every dataset with h5py's dtype and shape, and every group", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, file));
    try {
      expect(m.format).toBe("hdf5");
      const names = m.tensors.map((t) => t.name).sort();
      expect(names).toEqual(Object.keys(facts.datasets).sort());
      for (const [name, f] of Object.entries<any>(facts.datasets)) {
        const t = m.tensor(name)!;
        if (f.shape !== null) expect(t.shape, name).toEqual(f.shape);
        if (f.readable) expect(t.dtype, name).toBe(f.dtype);
      }
      expect([...(m.metadata.groups as string[])].sort()).toEqual(facts.groups);
      for (const [k, v] of Object.entries(facts.root_attributes)) {
        expect((m.metadata.root_attributes as any)[k], k).toEqual(v);
      }
    } finally {
      await m.close();
    }
  });

  it("reads every numeric dataset bit for bit as h5py does", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, file));
    try {
      for (const [name, f] of Object.entries<any>(facts.datasets)) {
        const t = m.tensor(name)!;
        if (UNDECODED[name]) {
          await expect(t.read(), name).rejects.toThrow(UNDECODED[name]);
          continue;
        }
        if (!f.readable) {
          await expect(t.read(), name).rejects.toThrow();
          continue;
        }
        expect(sha(await t.read()), name).toBe(f.sha256);
      }
    } finally {
      await m.close();
    }
  });
});

describe("hdf5 specifics", () => {
  it("keeps creation order in track_order groups (links and attributes)", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, "track_order.h5"));
    try {
      expect(m.tensors.map((t) => t.name)).toEqual(expected["track_order.h5"].order.filter((n: string) => n !== "ordered"));
      const attrs = (m.metadata.attributes as any).ordered;
      expect(Object.keys(attrs)).toEqual(expected["track_order.h5"].attr_order);
    } finally {
      await m.close();
    }
  });

  it("reports each chunk index type of libver latest", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, "latest.h5"));
    try {
      const idx = (n: string) => (m.tensor(n)!.info as any).chunkIndex;
      expect(idx("index/single")).toBe("single-chunk");
      expect(idx("index/single_gzip")).toBe("single-chunk");
      expect(idx("index/implicit")).toBe("implicit");
      expect(idx("index/fixed_array")).toBe("fixed-array");
      expect(idx("index/fixed_array_paged")).toBe("fixed-array");
      expect(idx("index/extensible_array")).toBe("extensible-array");
      expect(idx("index/extensible_array_long")).toBe("extensible-array");
      expect(idx("index/btree2")).toBe("btree-v2");
      expect(m.metadata.superblock_version).toBe(3);
    } finally {
      await m.close();
    }
  });

  it("reads dense attributes, including one stored as a huge fractal-heap object", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, "latest.h5"));
    try {
      const a = (m.metadata.attributes as any).dense;
      for (let i = 0; i < 40; i++) expect(a["a" + String(i).padStart(2, "0")]).toBe(i);
      expect(a.huge).toBe("<20000 values of F64>");
      expect(a.huge_tail).toEqual([19997, 19998, 19999]);
    } finally {
      await m.close();
    }
  });

  it("names the unsupported n-bit filter when reading; decodes szip and scale-offset", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, "earliest.h5"));
    try {
      await expect(m.tensor("filters/nbit")!.read()).rejects.toThrow(/nbit/);
      expect(expected["earliest.h5"].datasets["filters/szip"], "this h5py can write szip").toBeDefined();
      expect(expected["earliest.h5"].datasets["filters/scaleoffset_float"].readable).toBe(true);
      expect((m.tensor("types/compound")!.dtype)).toMatch(/a: I32, b: F64/);
      expect(m.tensor("types/compound")!.info).toMatchObject({ fields: [{ name: "a", offset: 0, type: "I32" }, { name: "b", offset: 4, type: "F64" }], recordBytes: 12 });
      expect(m.tensor("types/array")!.info).toMatchObject({ elementShape: [2, 2] });
    } finally {
      await m.close();
    }
  });

  it("walks 300 soft links: a multi-level group B-tree, and dense links with 4-byte offsets", async () => {
    const { open } = await sdk();
    for (const f of ["earliest.h5", "btree_k.h5"]) {
      const m = await open(join(DIR, f));
      try {
        expect(m.findings.filter((x) => x.code === "hdf5-soft-link").length, f).toBe(300);
      } finally {
        await m.close();
      }
    }
  });

  it("streams a chunked dataset in bounded pieces that concatenate to the values", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, "latest.h5"));
    try {
      const t = m.tensor("index/extensible_array_long")!;
      const h = createHash("sha256");
      let pieces = 0;
      for await (const c of t.chunks()) {
        h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
        pieces++;
      }
      // Its chunks are small: they are gathered into one window, not one window per chunk
      // (tests/hdf5-windows.test.ts has the datasets that need several).
      expect(pieces).toBe(1);
      expect(h.digest("hex")).toBe(expected["latest.h5"].datasets["index/extensible_array_long"].sha256);
    } finally {
      await m.close();
    }
  });
});

describe("files over 4 GiB", () => {
  it("reads an HDF5 file that starts 4 GiB into a (sparse) file: 64-bit offsets throughout", async () => {
    const { openSync, writeSync, closeSync, rmSync, mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "h5big-"));
    const path = join(dir, "big.h5");
    const bytes = readFileSync(join(DIR, "track_order.h5")); // superblock v0, base address 0
    const fd = openSync(path, "w");
    writeSync(fd, bytes, 0, bytes.length, 2 ** 32); // a user block of 4 GiB of holes
    closeSync(fd);
    const { open } = await sdk();
    try {
      // Sniffing sees only zeros in the first bytes, so the format is named.
      const m = await open(path, { format: "hdf5" });
      try {
        expect(m.metadata.superblock_offset).toBe(2 ** 32);
        const facts = expected["track_order.h5"].datasets;
        expect(m.tensors.length).toBe(Object.keys(facts).length);
        for (const t of m.tensors) expect(sha(await t.read()), t.name).toBe(facts[t.name].sha256);
      } finally {
        await m.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
