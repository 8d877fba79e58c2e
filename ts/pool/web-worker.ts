// A pool worker in a browser (a module Web Worker): the first message is the setup (web-pool.ts),
// the rest are reads served by worker-body.ts.

import { BlobSource, UrlSource } from "../web-sources.ts";
import type { Source } from "../source.ts";
import type { PoolReply, PoolRequest } from "./pool.ts";
import type { WebWorkerSetup } from "./web-pool.ts";
import { serve } from "./worker-body.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(m: unknown, transfer?: Transferable[]): void;
};

let handler: ((r: PoolRequest) => void) | null = null;
const early: PoolRequest[] = [];

scope.onmessage = async (e: MessageEvent) => {
  if (handler) return handler(e.data as PoolRequest);
  if (!("module" in (e.data as object))) return void early.push(e.data as PoolRequest);
  const setup = e.data as WebWorkerSetup;
  let source: Source;
  try {
    source = setup.kind === "blob"
      ? new BlobSource(setup.blob, setup.name, new Map(setup.siblings), setup.dir)
      : await UrlSource.open(setup.url, { headers: setup.headers });
  } catch (err) {
    return scope.postMessage({ ready: false, code: "IO", message: String((err as Error)?.message ?? err) } satisfies PoolReply);
  }
  await serve(setup, source, (m, transfer) => scope.postMessage(m, transfer ?? []), (fn) => {
    handler = fn;
    for (const r of early.splice(0)) fn(r);
  });
};
