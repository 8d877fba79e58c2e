// The worker's half of the pool protocol (pool.ts), runtime-neutral: instantiate the core from
// the compiled module the main thread sent, open the model through the host's source, then serve
// reads one at a time, each into a fresh buffer transferred back (no copy on the way out).

import { Core } from "../core.ts";
import { OmnimodelError } from "../errors.ts";
import type { Model } from "../model.ts";
import { openSource } from "../open.ts";
import type { Source } from "../source.ts";
import type { PoolReply, PoolRequest } from "./pool.ts";

export interface WorkerSetup {
  module: WebAssembly.Module;
  format?: string;
  core?: Record<string, unknown>;
}

function errorReply(id: number, e: unknown): PoolReply {
  if (e instanceof OmnimodelError) return { id, code: e.code, message: e.message, offset: e.offset };
  return { id, code: "IO", message: String((e as Error)?.message ?? e) };
}

export async function serve(setup: WorkerSetup, source: Source, post: (m: PoolReply, transfer?: ArrayBuffer[]) => void, onMessage: (fn: (r: PoolRequest) => void) => void): Promise<void> {
  let model: Model;
  try {
    const core = new Core(new WebAssembly.Instance(setup.module, {}));
    model = await openSource(core, source, { format: setup.format, core: setup.core });
  } catch (e) {
    const r = errorReply(0, e) as { code: string; message: string };
    post({ ready: false, code: r.code, message: r.message });
    return;
  }
  onMessage(async (r) => {
    try {
      const t = model.tensors[r.position];
      if (!t) throw new OmnimodelError("NOT_FOUND", `tensor #${r.position} is not in the model`);
      const options = r.dtype ? { dtype: r.dtype } : {};
      const bytes = new ArrayBuffer(t.outputByteLength(options));
      await t.readInto(new Uint8Array(bytes), options);
      post({ id: r.id, bytes }, [bytes]);
    } catch (e) {
      post(errorReply(r.id, e));
    }
  });
  post({ ready: true });
}
