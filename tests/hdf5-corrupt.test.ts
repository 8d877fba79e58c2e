// Damaged HDF5 files: bad checksums, B-tree cycles, truncated heaps and damaged chunks give typed
// errors; a fuzz run over mutated fixtures never crashes the core, hangs or throws untyped errors.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "hdf5");
const load = (f: string) => new Uint8Array(readFileSync(join(DIR, f)));

function find(buf: Uint8Array, sig: string, from = 0): number {
  const s = Buffer.from(sig, "latin1");
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).indexOf(s, from);
}

async function openError(bytes: Uint8Array): Promise<any> {
  const { open } = await sdk();
  try {
    const m = await open(bytes, { name: "x.h5" });
    try {
      for (const t of m.tensors) await t.read().catch((e) => { throw e; });
    } finally {
      await m.close();
    }
  } catch (e) {
    return e;
  }
  return null;
}

describe("damaged hdf5 files", () => {
  it("superblock v2+ checksum", async () => {
    const b = load("latest.h5");
    b[20] ^= 0xff; // inside the root object header address
    const e = await openError(b);
    expect(e?.code).toBe("CHECKSUM");
    expect(String(e.message)).toMatch(/superblock checksum/);
  });

  it("object header (OHDR) checksum", async () => {
    const b = load("latest.h5");
    const at = find(b, "OHDR");
    b[at + 12] ^= 0x01;
    const e = await openError(b);
    expect(e?.code).toBe("CHECKSUM");
  });

  it("fractal heap and v2 B-tree checksums", async () => {
    for (const sig of ["FRHP", "BTHD", "BTLF"]) {
      const b = load("latest.h5");
      const at = find(b, sig);
      expect(at, sig).toBeGreaterThan(0);
      b[at + 7] ^= 0x10;
      const e = await openError(b);
      expect(e?.code, sig).toBe("CHECKSUM");
    }
  });

  it("a group B-tree whose node points at itself (cycle)", async () => {
    const b = load("earliest.h5");
    let at = find(b, "TREE");
    while (at >= 0 && !(b[at + 4] === 0 && b[at + 5] > 0)) at = find(b, "TREE", at + 4);
    expect(at).toBeGreaterThan(0); // the internal node of the 300-link group
    new DataView(b.buffer).setBigUint64(at + 8 + 16 + 8, BigInt(at), true); // child 0 := this node
    const e = await openError(b);
    expect(e?.code).toBe("CORRUPT");
    expect(String(e.message)).toMatch(/cycle|levels/);
  });

  it("a chunk B-tree whose node points at itself (cycle), 4-byte offsets", async () => {
    const b = load("btree_k.h5");
    let at = find(b, "TREE");
    while (at >= 0 && !(b[at + 4] === 1 && b[at + 5] > 0)) at = find(b, "TREE", at + 4);
    expect(at).toBeGreaterThan(0);
    new DataView(b.buffer).setUint32(at + 8 + 8 + 32, at, true); // child 0 (after key 0) := this node
    const e = await openError(b);
    expect(e?.code).toBe("CORRUPT");
    expect(String(e.message)).toMatch(/cycle|levels/);
  });

  it("a local heap cut off by the end of the file", async () => {
    const b = load("earliest.h5");
    const at = find(b, "HEAP");
    const e = await openError(b.subarray(0, at + 20));
    expect(e?.code).toBe("TRUNCATED");
  });

  it("a chunk whose Fletcher-32 checksum fails", async () => {
    const e = await openError(load("bad_fletcher32.h5"));
    expect(e?.code).toBe("CHECKSUM");
    expect(String(e.message)).toMatch(/Fletcher-32/);
  });

  it("a damaged deflate stream in a chunk", async () => {
    const e = await openError(load("bad_deflate.h5"));
    expect(e?.code).toBe("DECOMPRESS");
  });

  it("external storage, virtual datasets and external links are reported high and never followed", async () => {
    const { open } = await sdk();
    const m = await open(load("host_refs.h5"), { name: "refs.h5" });
    try {
      const codes = m.findings.filter((f) => f.severity === "high").map((f) => f.code).sort();
      expect(codes).toEqual(["hdf5-external-link", "hdf5-external-storage", "hdf5-virtual-dataset"]);
      await expect(m.tensor("efl")!.read()).rejects.toThrow(/external files/);
      await expect(m.tensor("vds")!.read()).rejects.toThrow(/virtual/);
    } finally {
      await m.close();
    }
  });

  it("declared sizes far beyond the stored bytes are reported", async () => {
    const { open } = await sdk();
    const m = await open(load("shape_bomb.h5"), { name: "bomb.h5" });
    try {
      expect(m.findings.filter((f) => f.code === "hdf5-shape-bomb").map((f) => f.location).sort()).toEqual(["chunked", "contiguous"]);
      expect(m.tensor("chunked")!.byteLength).toBe(2 ** 42);
    } finally {
      await m.close();
    }
  });

  it("not an HDF5 file after all", async () => {
    const b = load("userblock.h5");
    b.fill(0, 512, 520); // wipe the signature behind the user block
    const e = await openError(b);
    expect(e).not.toBeNull();
    expect(typeof e.code).toBe("string");
  });
});

// mulberry32: a small deterministic PRNG so every run mutates the same bytes.
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("fuzz", () => {
  it("300 mutated files give data or typed errors, quickly", async () => {
    const { open } = await sdk();
    const files = ["track_order.h5", "userblock.h5", "btree_k.h5", "latest.h5", "earliest.h5"].map(load);
    const r = rng(20261128);
    const started = Date.now();
    let typed = 0;
    let fine = 0;
    for (let i = 0; i < 300; i++) {
      const src = files[i % files.length];
      const b = src.slice();
      // Mostly metadata: mutate within the first 16 KiB, sometimes anywhere.
      const n = 1 + Math.floor(r() * 6);
      for (let k = 0; k < n; k++) {
        const span = r() < 0.8 ? Math.min(16384, b.length) : b.length;
        const at = Math.floor(r() * span);
        const mode = r();
        b[at] = mode < 0.4 ? b[at] ^ (1 << Math.floor(r() * 8)) : mode < 0.7 ? 0xff : Math.floor(r() * 256);
      }
      const cut = r() < 0.1 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      try {
        const m = await open(cut, { name: "fuzz.h5" });
        try {
          for (const t of m.tensors.slice(0, 40)) {
            try {
              await t.read();
            } catch (e: any) {
              expect(e?.name === "OmnimodelError" || typeof e?.code === "string", String(e?.stack)).toBe(true);
            }
          }
        } finally {
          await m.close();
        }
        fine++;
      } catch (e: any) {
        expect(typeof e?.code === "string", `mutation ${i}: ${e?.stack}`).toBe(true);
        expect(e.code).not.toBe("INTERNAL");
        typed++;
      }
    }
    expect(typed + fine).toBe(300);
    expect(typed).toBeGreaterThan(20);
    expect(Date.now() - started).toBeLessThan(30000);
  }, 60000);
});
