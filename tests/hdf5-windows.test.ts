// chunks() over chunked HDF5 datasets whose declared size dwarfs what is stored
// (tests/fixtures/hdf5/generate_windows.py, h5py): windows are whole elements of at least 4 MiB
// (or the whole dataset) and at most 64 MiB, whatever the chunk shape, and they concatenate to
// the values h5py reads.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "hdf5");
const FILE = join(DIR, "windows.h5");
const facts = JSON.parse(readFileSync(join(DIR, "expected_windows.json"), "utf8"));
const MIB = 1 << 20;

function sha(a: Uint8Array): string {
  return createHash("sha256").update(a).digest("hex");
}

function bytesOf(c: ArrayBufferView): Uint8Array {
  return new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
}

describe("HDF5 chunks() windows", () => {
  it("a dataset of 2^46 elements in 3-element chunks streams in 4 MiB windows with h5py's values", async () => {
    const { open, OmnimodelError } = await sdk();
    const m = await open(FILE);
    try {
      const f = facts.tiny_chunks;
      const t = m.tensor("tiny_chunks")!;
      expect(t.dtype).toBe(f.dtype);
      expect(t.shape).toEqual(f.shape);
      expect(m.findings.some((x) => x.code === "hdf5-shape-bomb" && x.location === "tiny_chunks")).toBe(true);
      const err = await t.read().catch((e) => e);
      expect(err).toBeInstanceOf(OmnimodelError);
      expect(err.code).toBe("TOO_LARGE");
      // One window per 3-byte chunk was the hang; now the first 12 MiB come in three windows.
      const head = new Uint8Array(f.head_bytes);
      const sizes: number[] = [];
      let at = 0;
      for await (const c of t.chunks()) {
        const b = bytesOf(c);
        head.set(b.subarray(0, Math.min(b.length, head.length - at)), at);
        sizes.push(b.length);
        at += b.length;
        if (at >= head.length) break;
      }
      expect(sizes).toEqual([4 * MIB, 4 * MIB, 4 * MIB]);
      const inSlice = new Uint8Array(head.length);
      for (const [a, b, want] of f.slices) {
        expect(sha(head.subarray(a, b)), `[${a}, ${b})`).toBe(want);
        inSlice.fill(1, a, b);
      }
      let off = -1;
      for (let i = 0; i < head.length; i++) if (!inSlice[i] && head[i] !== f.fillvalue) { off = i; break; }
      expect(off, "a byte outside h5py's slices that is not the fill value").toBe(-1);
    } finally {
      await m.close();
    }
  });

  it("a 144 MB row of chunks is cut into windows of at most 64 MiB, mid-row and mid-chunk", async () => {
    const { open } = await sdk();
    const m = await open(FILE);
    try {
      const f = facts.wide_slab;
      const t = m.tensor("wide_slab")!;
      expect(t.shape).toEqual(f.shape);
      const total = f.shape[0] * f.shape[1];
      const h = createHash("sha256");
      const sizes: number[] = [];
      let at = 0;
      let cut = -1;
      let afterCut = -1;
      const cutAt = 22 * f.shape[1] + 1108864; // the first window boundary, inside chunk column 16
      for await (const c of t.chunks()) {
        const b = bytesOf(c);
        if (cutAt - 1 >= at && cutAt - 1 < at + b.length) cut = b[cutAt - 1 - at];
        if (cutAt >= at && cutAt < at + b.length) afterCut = b[cutAt - at];
        h.update(b);
        sizes.push(b.length);
        at += b.length;
      }
      expect(sizes).toEqual([64 * MIB, 64 * MIB, total - 128 * MIB]);
      expect(64 * MIB).toBe(cutAt);
      expect([cut, afterCut]).toEqual([f.cut, f.after_cut]);
      expect(h.digest("hex")).toBe(f.sha256);
    } finally {
      await m.close();
    }
  });
});
