// Web Workers behind the pool protocol (pool.ts), for browsers: a model opened from a File/Blob
// or an http(s) URL gets `threads` module workers, each with its own instance of the compiled
// core (the Module is posted, not compiled again) and its own view of the source: a Blob is
// posted (workers slice it themselves, no bytes copied on the way in), a URL is opened again
// with Range requests.

import type { Model } from "../model.ts";
import { BlobSource, UrlSource } from "../web-sources.ts";
import { EndpointPool, type PoolEndpoint, type PoolReply, type TensorPool } from "./pool.ts";

/** What the first message to a pool worker carries. */
export type WebWorkerSetup = {
  module: WebAssembly.Module;
  format?: string;
  core?: Record<string, unknown>;
} & ({ kind: "blob"; blob: Blob; name: string; siblings: [string, Blob][]; dir: string } | { kind: "url"; url: string; headers?: Record<string, string> });

function endpoint(w: Worker): PoolEndpoint {
  let onMessage: (m: PoolReply) => void = () => {};
  let onError: (e: unknown) => void = () => {};
  w.onmessage = (e: MessageEvent) => onMessage(e.data as PoolReply);
  w.onerror = (e: ErrorEvent) => onError(new Error(e.message || "a pool worker failed to start"));
  return {
    post: (m) => w.postMessage(m),
    onMessage: (fn) => { onMessage = fn; },
    onError: (fn) => { onError = fn; },
    terminate: () => w.terminate(),
  };
}

/** The source as a worker can rebuild it, or null when it cannot be shared. */
function shareable(model: Model): Omit<WebWorkerSetup, "module" | "format" | "core"> | null {
  const src = model.source as unknown;
  if (src instanceof BlobSource) return src.shareable();
  if (src instanceof UrlSource) return src.shareable();
  return null;
}

/** A pool for the model, or null when its source cannot be shared or the core has no Module. */
export async function createWebPool(model: Model, threads: number, workerUrl: URL, options: { format?: string; core?: Record<string, unknown> } = {}): Promise<TensorPool | null> {
  const shared = shareable(model);
  const module = model.core.module;
  if (!shared || !module || typeof Worker !== "function") return null;
  const setup = { ...shared, module, format: options.format ?? model.format, core: options.core } as WebWorkerSetup;
  const workers = Array.from({ length: threads }, () => {
    const w = new Worker(workerUrl, { type: "module", name: "omnimodel-pool" });
    w.postMessage(setup);
    return endpoint(w);
  });
  return EndpointPool.start(workers, model.source.name);
}
