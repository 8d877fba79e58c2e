// Whole-model reads through the pool: every tensor's values in index order, the small and
// medium ones read by workers in parallel, those over POOL_MAX_TENSOR on the calling thread.

import { arrayFor, type TypedArray } from "../dtypes.ts";
import type { Model, ReadOptions } from "../model.ts";
import { poolHost } from "../open.ts";
import { chooseThreads, POOL_MAX_TENSOR, type TensorPool } from "./pool.ts";

export interface ReadAllOptions extends ReadOptions {
  /** Workers to use: 1 reads on the calling thread; unset takes the model's `threads` option. */
  threads?: number;
}

/**
 * Runs fn with a pool for the model when more than one thread is chosen and the host can share
 * the model's source with workers (a local file), else with null; the pool is closed after.
 */
export async function withPool<T>(model: Model, threads: number | undefined, fn: (pool: TensorPool | null) => Promise<T>): Promise<T> {
  const host = poolHost();
  const n = chooseThreads(threads ?? model.openOptions.threads, model.source.size, host.cores?.() ?? 1);
  const pool = n > 1 && host.createPool ? await host.createPool(model, n, { format: model.openOptions.format, core: model.openOptions.core }) : null;
  try {
    return await fn(pool);
  } finally {
    await pool?.close();
  }
}

export function pooled(pool: TensorPool | null, byteLength: number): pool is TensorPool {
  return pool !== null && byteLength <= POOL_MAX_TENSOR;
}

export async function readAll(model: Model, options: ReadAllOptions = {}): Promise<TypedArray[]> {
  const { threads, ...read } = options;
  return withPool(model, threads, async (pool) => {
    const jobs = model.tensors.map((t, i) => {
      const n = t.outputByteLength(read);
      if (!pooled(pool, n)) return null;
      return pool.read(i, read.dtype).then((b) => arrayFor(read.dtype ?? t.dtype, b.buffer as ArrayBuffer, b.byteOffset, b.byteLength));
    });
    jobs.forEach((j) => j?.catch(() => {})); // awaited below, in order; no unhandled rejection meanwhile
    const out: TypedArray[] = [];
    for (let i = 0; i < jobs.length; i++) out.push(await (jobs[i] ?? model.tensors[i].read(read)));
    return out;
  });
}
