// Statistics of one tensor computed by the core's stats kernel (bindings/ABI.md, stats_*) over
// the tensor's values streamed as F32 windows: quantized and half-precision types arrive
// dequantized, so what is shown is what a framework would compute with.
//
// Two passes: the first finds min/max (and everything else), the second fills a histogram
// over [min, max]. Small tensors keep their windows from the first pass so they are read once.

import type { Core } from "../core.ts";
import { OmnimodelError } from "../errors.ts";
import type { Tensor } from "../model.ts";
import type { TensorStats } from "./protocol.ts";

interface StatsExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  stats_begin(bins: number, lo: number, hi: number): number;
  stats_update(h: number, ptr: number, n: number): number;
  stats_result(h: number): number;
  stats_end(h: number): void;
}

// Result slots (bindings/ABI.md).
const R_COUNT = 0, R_NAN = 1, R_POSINF = 2, R_NEGINF = 3, R_ZEROS = 4, R_MIN = 5, R_MAX = 6, R_MEAN = 7, R_STD = 8, R_TOTAL = 14, R_HEADER = 16;

const KEEP_WINDOWS_BYTES = 64 << 20;
const PREVIEW = 24;
const NOT_NUMERIC = new Set(["STR", "RAW", "OBJECT"]);
const PLAIN = new Set(["F32"]);

/** One accumulator in the core, fed from JS arrays through a reusable scratch buffer. */
class Accumulator {
  private readonly h: number;
  private scratch = 0;
  private scratchBytes = 0;

  constructor(private readonly k: StatsExports, readonly bins: number, lo: number, hi: number) {
    const h = k.stats_begin(bins, lo, hi);
    if (h <= 0) throw new OmnimodelError("BAD_ARGUMENT", `the stats kernel refused bins=${bins} over [${lo}, ${hi}]`);
    this.h = h;
  }

  update(values: Float32Array): void {
    const bytes = values.byteLength;
    if (bytes === 0) return;
    if (bytes > this.scratchBytes) {
      if (this.scratch) this.k.free(this.scratch);
      this.scratch = this.k.alloc(bytes) >>> 0;
      this.scratchBytes = this.scratch ? bytes : 0;
      if (!this.scratch) throw new OmnimodelError("NO_MEMORY", `the core could not take a window of ${bytes} bytes`);
    }
    new Float32Array(this.k.memory.buffer, this.scratch, values.length).set(values);
    const rc = this.k.stats_update(this.h, this.scratch, values.length);
    if (rc !== 0) throw new OmnimodelError("BAD_ARGUMENT", `the stats kernel refused a window (code ${rc})`);
  }

  result(): Float64Array {
    const p = this.k.stats_result(this.h) >>> 0;
    return new Float64Array(this.k.memory.buffer, p, R_HEADER + this.bins).slice();
  }

  end(): void {
    if (this.scratch) this.k.free(this.scratch);
    this.k.stats_end(this.h);
  }
}

export interface StatsOptions {
  bins: number;
  onProgress?: (done: number, total: number, label: string) => void;
  cancelled?: () => boolean;
}

export class Cancelled extends Error {
  constructor() {
    super("cancelled");
  }
}

export function statsReadable(dtype: string): boolean {
  return !NOT_NUMERIC.has(dtype) && !dtype.includes("[") && !/^[<>|]/.test(dtype);
}

/** Range for the histogram: [min, max], widened around a constant so it is never empty. */
export function histogramRange(min: number, max: number): [number, number] {
  if (min < max && Number.isFinite(max - min)) return [min, max];
  const pad = Math.max(0.5, Math.abs(min) * 1e-6);
  return [min - pad, max + pad];
}

export async function tensorStats(core: Core, tensor: Tensor, position: number, opts: StatsOptions): Promise<TensorStats> {
  if (!statsReadable(tensor.dtype)) throw new OmnimodelError("UNREADABLE", `${tensor.dtype} values are not numbers, so they have no statistics`);
  const k = core.exports as unknown as StatsExports;
  const t0 = performance.now();
  const total = tensor.size;
  const keep = total * 4 <= KEEP_WINDOWS_BYTES;
  const kept: Float32Array[] = [];
  const preview: number[] = [];
  const check = () => {
    if (opts.cancelled?.()) throw new Cancelled();
  };

  const first = new Accumulator(k, 0, 0, 0);
  let seen = 0;
  let r: Float64Array;
  try {
    for await (const chunk of tensor.chunks({ dtype: "F32" })) {
      check();
      const f = chunk as Float32Array;
      first.update(f);
      if (keep) kept.push(f);
      for (let i = 0; preview.length < PREVIEW && i < f.length; i++) preview.push(f[i]);
      seen += f.length;
      opts.onProgress?.(seen, keep ? total : total * 2, "statistics");
    }
    r = first.result();
  } finally {
    first.end();
  }

  let hist: number[] = [];
  let [lo, hi] = [NaN, NaN];
  if (r[R_COUNT] > 0 && opts.bins > 0) {
    [lo, hi] = histogramRange(r[R_MIN], r[R_MAX]);
    const second = new Accumulator(k, opts.bins, lo, hi);
    try {
      let done = 0;
      const feed = (f: Float32Array) => {
        second.update(f);
        done += f.length;
        if (!keep) opts.onProgress?.(total + done, total * 2, "histogram");
      };
      if (keep) for (const f of kept) feed(f);
      else {
        for await (const chunk of tensor.chunks({ dtype: "F32" })) {
          check();
          feed(chunk as Float32Array);
        }
      }
      hist = Array.from(second.result().subarray(R_HEADER));
    } finally {
      second.end();
    }
  }

  return {
    tensor: position,
    dtype: tensor.dtype,
    converted: !PLAIN.has(tensor.dtype),
    total: r[R_TOTAL],
    count: r[R_COUNT],
    nan: r[R_NAN],
    posInf: r[R_POSINF],
    negInf: r[R_NEGINF],
    zeros: r[R_ZEROS],
    min: r[R_MIN],
    max: r[R_MAX],
    mean: r[R_MEAN],
    std: r[R_STD],
    lo,
    hi,
    hist,
    preview,
    millis: performance.now() - t0,
  };
}
