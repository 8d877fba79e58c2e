// A pool of workers that read whole tensors of one model, each worker with its own instance of
// the one import-free core (no shared memory): whole-file convert and read-all run on every core.
// Runtime-neutral: a host supplies the workers (worker_threads in Node, Web Workers in browsers)
// through `configure({ createPool })`; the protocol below is the same for both.

import { OmnimodelError } from "../errors.ts";

/** What the main thread posts to a worker. */
export type PoolRequest = { id: number; position: number; dtype?: string };
/** What a worker posts back: the tensor's bytes (transferred) or a typed error. */
export type PoolReply =
  | { ready: true }
  | { ready: false; code: string; message: string }
  | { id: number; bytes: ArrayBuffer }
  | { id: number; code: string; message: string; offset?: number };

/** The part of a worker the pool uses: worker_threads and Web Workers both fit behind it. */
export interface PoolEndpoint {
  post(message: PoolRequest): void;
  onMessage(fn: (message: PoolReply) => void): void;
  onError(fn: (error: unknown) => void): void;
  terminate(): void | Promise<unknown>;
}

/** Reads tensors by position in the model's index, up to `size` at a time. */
export interface TensorPool {
  readonly size: number;
  read(position: number, dtype?: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Files at least this large use the pool when no thread count is given. */
export const POOL_MIN_FILE = 256 * 1024 * 1024;
/**
 * Tensors larger than this are read on the calling thread, window by window: a pooled read holds
 * the whole tensor, and `size` of them may be in flight.
 */
export const POOL_MAX_TENSOR = 512 * 1024 * 1024;

interface Pending {
  resolve(b: Uint8Array): void;
  reject(e: unknown): void;
}

/** Dispatches reads to idle endpoints; each endpoint serves one read at a time. */
export class EndpointPool implements TensorPool {
  private readonly idle: PoolEndpoint[] = [];
  private readonly queue: { req: PoolRequest; p: Pending }[] = [];
  private readonly pending = new Map<number, { ep: PoolEndpoint; p: Pending }>();
  private nextId = 1;
  private failure: unknown = null;

  private constructor(private readonly endpoints: PoolEndpoint[], private readonly file: string) {
    for (const ep of endpoints) {
      ep.onMessage((m) => this.reply(ep, m));
      ep.onError((e) => this.fail(e));
    }
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** Waits until every endpoint has opened the model (its own index, its own core). */
  static async start(endpoints: PoolEndpoint[], file: string): Promise<EndpointPool> {
    const ready = endpoints.map(
      (ep) =>
        new Promise<void>((resolve, reject) => {
          ep.onMessage((m) => ("ready" in m ? (m.ready ? resolve() : reject(new OmnimodelError(m.code as never, m.message, { file }))) : undefined));
          ep.onError(reject);
        }),
    );
    try {
      await Promise.all(ready);
    } catch (e) {
      await Promise.all(endpoints.map((ep) => ep.terminate()));
      throw e;
    }
    const pool = new EndpointPool(endpoints, file);
    pool.idle.push(...endpoints);
    return pool;
  }

  read(position: number, dtype?: string): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { id: this.nextId++, position, dtype }, p: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const ep = this.idle.pop()!;
      const { req, p } = this.queue.shift()!;
      this.pending.set(req.id, { ep, p });
      ep.post(req);
    }
  }

  private reply(ep: PoolEndpoint, m: PoolReply): void {
    if (!("id" in m)) return;
    const job = this.pending.get(m.id);
    if (!job) return;
    this.pending.delete(m.id);
    this.idle.push(ep);
    if ("bytes" in m) job.p.resolve(new Uint8Array(m.bytes));
    else job.p.reject(new OmnimodelError(m.code as never, m.message, { file: this.file, offset: m.offset }));
    this.dispatch();
  }

  private fail(e: unknown): void {
    const err = e instanceof OmnimodelError ? e : new OmnimodelError("IO", `a pool worker failed: ${String((e as Error)?.message ?? e)}`, { file: this.file });
    this.failure = err;
    for (const { p } of this.pending.values()) p.reject(err);
    for (const { p } of this.queue) p.reject(err);
    this.pending.clear();
    this.queue.length = 0;
  }

  async close(): Promise<void> {
    this.fail(new OmnimodelError("BAD_ARGUMENT", "the pool is closed", { file: this.file }));
    await Promise.all(this.endpoints.map((ep) => ep.terminate()));
  }
}

/** The thread count a read-all or convert uses: the caller's, else all cores for large files. */
export function chooseThreads(requested: number | undefined, fileSize: number, cores: number): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) throw new OmnimodelError("BAD_ARGUMENT", `threads must be a positive integer, not ${requested}`);
    return requested;
  }
  return fileSize >= POOL_MIN_FILE ? Math.max(1, cores) : 1;
}
