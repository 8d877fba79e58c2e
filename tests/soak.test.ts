// Load held: many opens and closes keep RSS and wasm memory flat (no leak of wasm memory or
// host handles), and 1,000 concurrent reads across 50 open models all return the right values.
// Bounded counts so it stays quick; bench/soak/ measures the same for longer.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const FILES = [join(FIXTURES, "hosts", "mixed.safetensors"), join(FIXTURES, "hdf5", "latest.h5"), join(FIXTURES, "misc", "torchserve-tiny.mar")];
const sha = (v: ArrayBufferView) => createHash("sha256").update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest("hex");

describe("soak", () => {
  it("3,000 opens and closes (paths and bytes) keep RSS and wasm memory flat", async () => {
    const { open, init } = await sdk();
    const core = await init();
    const bytes = FILES.map((f) => new Uint8Array(readFileSync(f)));
    const cycle = async (i: number) => {
      const k = i % FILES.length;
      const m = await open(i % 2 ? FILES[k] : bytes[k], { name: FILES[k].split("/").pop() });
      if (m.tensors.length) await m.tensors[i % m.tensors.length].read().catch((e) => { if (e.name !== "OmnimodelError") throw e; });
      await m.close();
    };
    for (let i = 0; i < 500; i++) await cycle(i); // warm up: allocator, JIT, caches
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const wasm0 = core.exports.memory.buffer.byteLength;
    for (let i = 500; i < 3000; i++) await cycle(i);
    global.gc?.();
    const grew = process.memoryUsage().rss - rss0;
    expect(core.exports.memory.buffer.byteLength).toBe(wasm0);
    expect(grew).toBeLessThan(64 * 1024 * 1024);
  }, 600_000);

  it("1,000 concurrent reads across 50 open models all return the values a lone read returns", async () => {
    const { open } = await sdk();
    const models = await Promise.all(Array.from({ length: 50 }, (_, i) => open(FILES[i % 2]))); // safetensors and HDF5
    try {
      const expected = new Map<string, string>();
      const readable = new Map<string, number[]>(); // format -> positions of tensors that read (some HDF5 filters are unsupported)
      for (const m of models.slice(0, 2)) {
        const ok: number[] = [];
        for (const [k, t] of m.tensors.entries()) {
          try {
            expected.set(`${m.format}/${t.name}`, sha(await t.read()));
            ok.push(k);
          } catch (e: any) {
            if (e.name !== "OmnimodelError") throw e;
          }
        }
        readable.set(m.format, ok);
      }
      expect(readable.get("hdf5")!.length).toBeGreaterThan(5);
      const jobs = Array.from({ length: 1000 }, (_, i) => {
        const m = models[i % 50];
        const ok = readable.get(m.format)!;
        const t = m.tensors[ok[Math.floor(i / 50) % ok.length]];
        return t.read().then((v) => [`${m.format}/${t.name}`, sha(v)] as const);
      });
      const got = await Promise.all(jobs);
      expect(got).toHaveLength(1000);
      // Reads in flight hold buffers sized to their tensors, not a 4 MiB window each.
      const { init } = await sdk();
      expect((await init()).exports.memory.buffer.byteLength).toBeLessThan(1024 * 1024 * 1024);
      for (const [k, h] of got) expect(h, k).toBe(expected.get(k));
    } finally {
      await Promise.all(models.map((m) => m.close()));
    }
  }, 600_000);
});
