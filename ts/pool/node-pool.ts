// worker_threads behind the pool protocol (pool.ts): a Model whose source is a local file gets
// `threads` workers, each opening the same path with its own core instance.

import { readFile } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import type { Model } from "../model.ts";
import { EndpointPool, type PoolEndpoint, type PoolReply, type TensorPool } from "./pool.ts";

let modulePromise: Promise<WebAssembly.Module> | null = null;

/** The compiled core, once per process; workers get it by postMessage, not by compiling again. */
function compiledCore(wasmUrl: URL): Promise<WebAssembly.Module> {
  modulePromise ??= readFile(wasmUrl).then((b) => WebAssembly.compile(b));
  return modulePromise;
}

function endpoint(w: Worker): PoolEndpoint {
  let onMessage: (m: PoolReply) => void = () => {};
  let onError: (e: unknown) => void = () => {};
  w.on("message", (m: PoolReply) => {
    w.unref(); // idle again: an idle pool never keeps the process alive
    onMessage(m);
  });
  w.on("error", (e) => onError(e));
  w.on("exit", (code) => { if (code !== 0) onError(new Error(`worker exited with code ${code}`)); });
  return {
    post: (m) => {
      w.ref(); // a read in flight keeps the process alive until it is answered
      w.postMessage(m);
    },
    onMessage: (fn) => { onMessage = fn; },
    onError: (fn) => { onError = fn; },
    terminate: () => w.terminate(),
  };
}

interface FileLike { path: string; root?: string }

/** A pool for the model, or null when its source is not a local file a worker can open. */
export async function createNodePool(model: Model, threads: number, wasmUrl: URL, options: { format?: string; core?: Record<string, unknown> } = {}): Promise<TensorPool | null> {
  const src = model.source as unknown as Partial<FileLike> & { rootDir?: string };
  if (typeof src.path !== "string" || typeof src.rootDir !== "string") return null;
  const module = await compiledCore(wasmUrl);
  const url = new URL("./node-worker.js", import.meta.url);
  // Workers inherit the parent's flags; --input-type (node -e scripts) is refused for a file.
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
  const workers = Array.from({ length: threads }, () => endpoint(new Worker(url, { execArgv, workerData: { module, path: src.path, root: src.rootDir, format: options.format ?? model.format, core: options.core } })));
  return EndpointPool.start(workers, model.source.name);
}
