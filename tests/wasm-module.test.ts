// The core is one module with no imports that validates without any flag on Node 20.
import { describe, expect, it } from "vitest";
import { wasmBytes } from "./helpers/core";

describe("omnimodel.wasm", () => {
  it("has no imports and validates without flags", () => {
    const bytes = wasmBytes();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const m = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.imports(m)).toEqual([]);
    const names = WebAssembly.Module.exports(m).map((e) => e.name);
    for (const n of ["memory", "abi_version", "index_open", "read_open", "job_run", "job_feed", "job_commit", "job_close", "choose_entry"]) {
      expect(names).toContain(n);
    }
  });

  it("speaks ABI 1.x and reports SIMD", () => {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes()), {});
    const e = inst.exports as any;
    expect(e.abi_version() >>> 16).toBe(1);
    expect(e.features() & 1).toBe(1);
  });

  it("alloc refuses absurd sizes instead of trapping, and pointers above 2 GiB stay usable", () => {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes()), {});
    const e = inst.exports as any;
    expect(e.alloc(0)).toBe(0);
    expect(e.alloc(0x7fffffff) >>> 0).toBe(0);
    // Fill memory past 2 GiB: pointers come back negative and must be read with >>> 0.
    const ptrs: number[] = [];
    for (let i = 0; i < 24; i++) ptrs.push(e.alloc(256 * 1024 * 1024) >>> 0);
    // Near 4 GiB the core refuses (0) rather than trapping.
    expect(ptrs[23]).toBe(0);
    const high = Math.max(...ptrs);
    expect(high).toBeGreaterThan(2 ** 31);
    const mem = new Uint8Array(e.memory.buffer);
    mem[high + 5] = 42;
    expect(new Uint8Array(e.memory.buffer, high, 8)[5]).toBe(42);
    for (const p of ptrs) if (p) e.free(p);
  });
});
