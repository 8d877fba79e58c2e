// The statistics kernel (assembly/kernels/stats.ts) through the core's ABI exports, against a
// plain JS reference: counts, min, max and histogram must match exactly; mean and std (f64 sums
// in a different order) to 1e-12 relative. Data is fed in windows of awkward sizes so the SIMD
// body, the scalar tails and the cross-window merge are all exercised.
import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { WASM_PATH } from "./helpers/core";

interface StatsExports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  free(p: number): void;
  stats_begin(bins: number, lo: number, hi: number): number;
  stats_update(h: number, ptr: number, n: number): number;
  stats_result(h: number): number;
  stats_end(h: number): void;
}

const R = { COUNT: 0, NAN: 1, POSINF: 2, NEGINF: 3, ZEROS: 4, MIN: 5, MAX: 6, MEAN: 7, STD: 8, BELOW: 9, ABOVE: 10, BINS: 11, LO: 12, HI: 13, TOTAL: 14, HEADER: 16 };
const E_BAD_ARGUMENT = 24;

interface Result {
  count: number; nan: number; posInf: number; negInf: number; zeros: number; min: number; max: number;
  mean: number; std: number; below: number; above: number; total: number; hist: number[];
}

let k: StatsExports;

beforeAll(() => {
  if (!existsSync(WASM_PATH)) throw new Error("build/omnimodel.wasm is missing: run `npm run build:wasm`");
  const mod = new WebAssembly.Module(readFileSync(WASM_PATH));
  k = new WebAssembly.Instance(mod, {}).exports as unknown as StatsExports;
  if (typeof k.stats_begin !== "function") throw new Error("build/omnimodel.wasm has no stats_* exports: rebuild it");
});

/** Runs the kernel over `data`, cut into windows of the given sizes (cycled). */
function kernel(data: Float32Array, windows: number[], bins = 0, lo = 0, hi = 0): Result {
  const h = k.stats_begin(bins, lo, hi);
  expect(h).toBeGreaterThan(0);
  const maxWin = Math.max(...windows, 1);
  const ptr = k.alloc(maxWin * 4) >>> 0;
  try {
    let w = 0;
    for (let i = 0; i < data.length; ) {
      const n = Math.min(windows[w++ % windows.length], data.length - i);
      new Float32Array(k.memory.buffer, ptr, n).set(data.subarray(i, i + n));
      expect(k.stats_update(h, ptr, n)).toBe(0);
      i += n;
    }
    const rp = k.stats_result(h) >>> 0;
    const r = new Float64Array(k.memory.buffer, rp, R.HEADER + bins);
    return {
      count: r[R.COUNT], nan: r[R.NAN], posInf: r[R.POSINF], negInf: r[R.NEGINF], zeros: r[R.ZEROS],
      min: r[R.MIN], max: r[R.MAX], mean: r[R.MEAN], std: r[R.STD], below: r[R.BELOW], above: r[R.ABOVE],
      total: r[R.TOTAL], hist: Array.from(r.subarray(R.HEADER, R.HEADER + bins)),
    };
  } finally {
    k.free(ptr);
    k.stats_end(h);
  }
}

/** The obvious implementation: two passes over all finite values in f64. */
function reference(data: Float32Array, bins = 0, lo = 0, hi = 0): Result {
  let count = 0, nan = 0, posInf = 0, negInf = 0, zeros = 0, below = 0, above = 0;
  let min = Infinity, max = -Infinity, sum = 0;
  const hist = new Array<number>(bins).fill(0);
  const scale = bins / (hi - lo);
  for (const x of data) {
    if (Number.isNaN(x)) { nan++; continue; }
    if (x === Infinity) { posInf++; continue; }
    if (x === -Infinity) { negInf++; continue; }
    count++;
    if (x === 0) zeros++;
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
    if (bins) {
      if (x < lo) below++;
      else if (x > hi) above++;
      else hist[Math.min(Math.floor((x - lo) * scale), bins - 1)]++;
    }
  }
  const mean = count ? sum / count : NaN;
  let m2 = 0;
  for (const x of data) if (Number.isFinite(x)) m2 += (x - mean) ** 2;
  return {
    count, nan, posInf, negInf, zeros, min: count ? min : NaN, max: count ? max : NaN, mean,
    std: count ? Math.sqrt(m2 / count) : NaN, below, above, total: data.length, hist,
  };
}

function expectMatch(got: Result, want: Result, tol = 1e-12): void {
  const { mean, std, ...exact } = got;
  const { mean: wm, std: ws, ...wantExact } = want;
  expect(exact).toEqual(wantExact);
  if (Number.isNaN(wm)) {
    expect(mean).toBeNaN();
    expect(std).toBeNaN();
    return;
  }
  const scale = Math.abs(wm) + ws;
  expect(Math.abs(mean - wm)).toBeLessThanOrEqual(tol * scale);
  expect(Math.abs(std - ws)).toBeLessThanOrEqual(tol * scale + tol * ws);
}

// mulberry32: deterministic data without Math.random.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(n: number, seed: number, mu = 0, sigma = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = mu + sigma * Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
  return out;
}

const AWKWARD = [1, 3, 4, 5, 7, 1000, 4097, 65_537];

describe("stats kernel vs JS reference", () => {
  it("normal data with NaN, +-Inf, +-0 and subnormals in SIMD lanes and tails", () => {
    const data = normal(200_003, 1);
    const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38];
    const r = rng(2);
    for (let i = 0; i < 600; i++) data[Math.floor(r() * data.length)] = specials[i % specials.length];
    for (let i = 0; i < 9; i++) data[data.length - 1 - i] = specials[i]; // the scalar tail of one window
    const want = reference(data);
    expect(want.nan).toBeGreaterThan(0);
    expect(want.posInf).toBeGreaterThan(0);
    expectMatch(kernel(data, AWKWARD), want);
    expectMatch(kernel(data, [data.length]), want);
  });

  it("histogram over [min, max] matches bin for bin, max in the last bin", () => {
    const data = normal(100_001, 3, 0.5, 2);
    data[17] = NaN;
    data[18] = -Infinity;
    const base = reference(data);
    for (const bins of [1, 2, 7, 64, 4096]) {
      const want = reference(data, bins, base.min, base.max);
      const got = kernel(data, AWKWARD, bins, base.min, base.max);
      expectMatch(got, want);
      expect(got.hist.reduce((a, b) => a + b, 0)).toBe(base.count);
      expect(got.hist[bins - 1]).toBeGreaterThan(0);
    }
  });

  it("a range narrower than the data counts values below and above", () => {
    const data = normal(50_000, 4);
    const want = reference(data, 33, -0.5, 0.75);
    const got = kernel(data, [4096, 13], 33, -0.5, 0.75);
    expect(got.below).toBeGreaterThan(0);
    expect(got.above).toBeGreaterThan(0);
    expectMatch(got, want);
  });

  it("keeps std precise when |mean| >> std (no sum-of-squares cancellation)", () => {
    const data = normal(300_000, 5, 1e4, 0.01);
    const want = reference(data);
    const got = kernel(data, AWKWARD);
    expectMatch(got, want);
    expect(Math.abs(got.std - want.std) / want.std).toBeLessThan(1e-9);
  });

  it("windowing does not change counts, extremes or the histogram", () => {
    const data = normal(70_000, 6, -3, 10);
    const one = kernel(data, [data.length], 100, -50, 40);
    for (const w of [[1], [3], [4, 8, 12], [9999]]) expectMatch(kernel(data, w, 100, -50, 40), one);
  });

  it("only non-finite values: counts, and NaN for min/max/mean/std", () => {
    const data = new Float32Array([NaN, Infinity, -Infinity, NaN, NaN, Infinity, -Infinity]);
    const got = kernel(data, [3, 4], 8, 0, 1);
    expectMatch(got, reference(data, 8, 0, 1));
    expect(got).toMatchObject({ count: 0, nan: 3, posInf: 2, negInf: 2, total: 7 });
  });

  it("a constant tensor has std 0 and zeros counted", () => {
    const data = new Float32Array(1031);
    expectMatch(kernel(data, AWKWARD), reference(data));
    expect(kernel(data, [64]).zeros).toBe(1031);
    expect(kernel(new Float32Array(999).fill(2.5), [100]).std).toBe(0);
  });

  it("empty updates and no updates leave an empty result", () => {
    const h = k.stats_begin(0, 0, 0);
    expect(k.stats_update(h, 0, 0)).toBe(0);
    const r = new Float64Array(k.memory.buffer, k.stats_result(h) >>> 0, R.HEADER);
    expect(r[R.TOTAL]).toBe(0);
    expect(r[R.MIN]).toBeNaN();
    k.stats_end(h);
  });
});

describe("stats kernel refuses bad arguments with codes, never traps", () => {
  it("bad bins and ranges", () => {
    expect(k.stats_begin(-1, 0, 1)).toBe(-E_BAD_ARGUMENT);
    expect(k.stats_begin(4097, 0, 1)).toBe(-E_BAD_ARGUMENT);
    expect(k.stats_begin(10, 1, 1)).toBe(-E_BAD_ARGUMENT);
    expect(k.stats_begin(10, 2, 1)).toBe(-E_BAD_ARGUMENT);
    expect(k.stats_begin(10, NaN, 1)).toBe(-E_BAD_ARGUMENT);
    expect(k.stats_begin(10, -Infinity, 1)).toBe(-E_BAD_ARGUMENT);
    expect(k.stats_begin(10, -1.7e308, 1.7e308)).toBe(-E_BAD_ARGUMENT); // hi - lo overflows f64
  });

  it("unknown, closed and null handles", () => {
    expect(k.stats_update(0, 8, 1)).toBe(E_BAD_ARGUMENT);
    expect(k.stats_update(12345, 8, 1)).toBe(E_BAD_ARGUMENT);
    expect(k.stats_result(-1)).toBe(0);
    const h = k.stats_begin(0, 0, 0);
    expect(k.stats_update(h, 0, 4)).toBe(E_BAD_ARGUMENT); // null pointer with a length
    expect(k.stats_update(h, 8, 0x7fffffff)).toBe(E_BAD_ARGUMENT); // beyond the window cap
    k.stats_end(h);
    expect(k.stats_update(h, 8, 1)).toBe(E_BAD_ARGUMENT);
    k.stats_end(h); // twice is harmless
  });

  it("handles are reused and capped", () => {
    const hs: number[] = [];
    for (let i = 0; i < 1024; i++) hs.push(k.stats_begin(0, 0, 0));
    expect(hs.every((h) => h > 0)).toBe(true);
    expect(k.stats_begin(0, 0, 0)).toBe(-15); // LIMIT
    k.stats_end(hs[10]);
    expect(k.stats_begin(0, 0, 0)).toBe(hs[10]);
    for (const h of hs) k.stats_end(h);
  });
});
