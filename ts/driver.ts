// The host loop shared by every job (bindings/ABI.md "Driving a job"): run, answer what the job
// asks for, run again. Sibling sources are numbered in the order the core asks for them.

import { Core, S_COPY, S_DONE, S_ERROR, S_NEED_BYTES, S_NEED_SOURCE, S_OUTPUT } from "./core.ts";
import { OmnimodelError, errorCodeName } from "./errors.ts";
import type { Source } from "./source.ts";

export class SourceTable {
  private readonly sources = new Map<number, Source>();
  constructor(readonly main: Source) {
    this.sources.set(0, main);
  }
  get(id: number): Source {
    const s = this.sources.get(id);
    if (!s) throw new OmnimodelError("BAD_ARGUMENT", `the core asked for unknown source ${id}`, { file: this.main.name });
    return s;
  }
  set(id: number, s: Source): void {
    this.sources.set(id, s);
  }
  async close(): Promise<void> {
    for (const s of this.sources.values()) await s.close?.();
  }
}

export interface DriveHandlers {
  /** Bytes produced by the core at [ptr, ptr+len) belong at `offset` of the result. */
  output?(bytes: Uint8Array, offset: number): void | Promise<void>;
  /** `length` unchanged bytes of `source` at `sourceOffset` belong at `offset` of the result. */
  copy?(source: Source, sourceOffset: number, length: number, offset: number): void | Promise<void>;
}

const CODE_SOURCE_MISSING = 20;
const CODE_PATH_VIOLATION = 21;

export type Step =
  | { kind: "done" }
  | { kind: "output"; bytes: Uint8Array; offset: number }
  | { kind: "copy"; source: Source; sourceOffset: number; length: number; offset: number };

/** Runs the job until it produces something (output or copy) or finishes; answers its needs. */
export async function step(core: Core, h: number, table: SourceTable): Promise<Step> {
  const e = core.exports;
  for (;;) {
    const st = e.job_run(h);
    switch (st) {
      case S_DONE:
        return { kind: "done" };
      case S_NEED_BYTES:
        await feed(core, h, table);
        break;
      case S_NEED_SOURCE:
        await answerSource(core, h, table);
        break;
      case S_OUTPUT: {
        const ptr = e.job_output_ptr(h) >>> 0;
        const len = e.job_output_length(h) >>> 0;
        return { kind: "output", bytes: core.bytes(ptr, len), offset: e.job_output_offset(h) };
      }
      case S_COPY:
        return { kind: "copy", source: table.get(e.job_need_source(h)), sourceOffset: e.job_need_offset(h), length: e.job_need_length(h), offset: e.job_output_offset(h) };
      case S_ERROR:
      default:
        throw core.jobError(h, table.main.name);
    }
  }
}

/** Drives a job to the end, handing outputs and copies to the handlers. */
export async function drive(core: Core, h: number, table: SourceTable, handlers: DriveHandlers = {}): Promise<void> {
  for (;;) {
    const s = await step(core, h, table);
    if (s.kind === "done") return;
    if (s.kind === "output") await handlers.output?.(s.bytes, s.offset);
    else await handlers.copy?.(s.source, s.sourceOffset, s.length, s.offset);
  }
}

async function feed(core: Core, h: number, table: SourceTable): Promise<void> {
  const e = core.exports;
  const src = table.get(e.job_need_source(h));
  const offset = e.job_need_offset(h);
  const length = e.job_need_length(h);
  if (src.readSyncInto) {
    const ptr = e.job_feed(h, length) >>> 0;
    if (!ptr) throw new OmnimodelError("NO_MEMORY", `the core could not take ${length} bytes`, { file: src.name, offset });
    src.readSyncInto(core.bytes(ptr, length), offset);
  } else {
    const data = await src.read(offset, length);
    if (data.byteLength !== length) throw new OmnimodelError("IO", `expected ${length} bytes at offset ${offset}, got ${data.byteLength}`, { file: src.name, offset });
    // Take the feed pointer only now: other jobs may have grown memory while we waited.
    const ptr = e.job_feed(h, length) >>> 0;
    if (!ptr) throw new OmnimodelError("NO_MEMORY", `the core could not take ${length} bytes`, { file: src.name, offset });
    core.bytes(ptr, length).set(data);
  }
  const rc = e.job_commit(h, length);
  if (rc !== 0) throw new OmnimodelError(errorCodeName(rc), `the core refused ${length} bytes at offset ${offset}`, { file: src.name, offset });
}

async function answerSource(core: Core, h: number, table: SourceTable): Promise<void> {
  const e = core.exports;
  const id = e.job_need_source(h);
  const name = core.needName(h);
  const main = table.main;
  try {
    if (!main.sibling) throw new OmnimodelError("SOURCE_MISSING", `this source cannot open sibling files`, { file: main.name });
    const s = await main.sibling(name);
    table.set(id, s);
    e.job_source_found(h, id, s.size);
  } catch (err) {
    const oe = err instanceof OmnimodelError ? err : new OmnimodelError("SOURCE_MISSING", String((err as Error)?.message ?? err));
    const code = oe.code === "PATH_VIOLATION" ? CODE_PATH_VIOLATION : CODE_SOURCE_MISSING;
    core.withString(oe.message, (p, l) => e.job_source_failed(h, id, code, p, l));
  }
}
