// A pool worker under node:worker_threads: the file is opened again by path, by positional
// reads of its own (bindings/node.ts FileSource), so no bytes cross threads on the way in.

import { parentPort, workerData } from "node:worker_threads";
import { FileSource } from "../../bindings/node.ts";
import { serve, type WorkerSetup } from "./worker-body.ts";
import type { PoolRequest } from "./pool.ts";

const data = workerData as WorkerSetup & { path: string; root: string };
const port = parentPort!;
await serve(
  data,
  new FileSource(data.path, data.root),
  (m, transfer) => port.postMessage(m, transfer ?? []),
  (fn) => port.on("message", (r: PoolRequest) => fn(r)),
);
