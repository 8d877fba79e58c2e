// The inspector's worker: it owns the wasm core and every byte of the model. The page sends
// requests (protocol.ts) and gets back the index, progress, statistics and export chunks.
// Nothing leaves the machine: files are read from the dropped File objects, URLs with Range
// requests made by this worker.

import type { Core } from "../core.ts";
import { OmnimodelError } from "../errors.ts";
import type { Model } from "../model.ts";
import { init, openSource } from "../open.ts";
import type { Source } from "../source.ts";
import { BlobSource, UrlSource } from "../web-sources.ts";
import { npyForTensor } from "../writers/npy.ts";
import { planSafetensors, safetensorsChunks } from "../writers/safetensors.ts";
import { firstView, forgetGraph, graphView, nodeDetail, searchGraph } from "./graph-worker.ts";
import { npyName, safetensorsName } from "./names.ts";
import { indexForPage } from "./slim-index.ts";
import type { DroppedFile, GraphView, OpenedModel, Reply, Request } from "./protocol.ts";
import { Cancelled, tensorStats } from "./tensor-stats.ts";

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
  location: { href: string };
}
const scope = self as unknown as WorkerScope;

function post(r: Reply, transfer?: Transferable[]): void {
  scope.postMessage(r, transfer);
}

// The single-file build prepends the wasm as base64 (a worker started from a Blob has no folder
// to fetch omnimodel.wasm from); the folder build fetches it from next to worker.js.
declare const OMNIMODEL_WASM_BASE64: string | undefined;

async function wasmBytes(): Promise<Uint8Array> {
  if (typeof OMNIMODEL_WASM_BASE64 === "string") {
    const bin = atob(OMNIMODEL_WASM_BASE64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  const url = new URL("omnimodel.wasm", scope.location.href);
  const res = await fetch(url);
  if (!res.ok) throw new OmnimodelError("IO", `cannot load ${url.pathname}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

const corePromise: Promise<Core> = (async () => {
  const core = await init(await wasmBytes());
  post({ type: "ready", simd: (core.exports.features() & 1) === 1 });
  return core;
})();

// ---- operations on the current model ----

interface Op {
  id: number;
  cancelled: boolean;
  credit?: () => void; // resolves a wait for acknowledgements (export back-pressure)
  unacked: number;
}

let model: Model | null = null;
let prefetched: { model: Model; view: GraphView; transfer: ArrayBuffer[] } | null = null;
const ops = new Map<number, Op>();
const running = new Set<Promise<void>>();

function run(id: number, body: (op: Op) => Promise<void>): void {
  const op: Op = { id, cancelled: false, unacked: 0 };
  ops.set(id, op);
  const p = body(op)
    .catch((e) => {
      // the page forgets cancelled work when it hears of it (e.g. an export cut short by a new file)
      if (e instanceof Cancelled || op.cancelled) return post({ type: "error", id, code: "CANCELLED", message: "cancelled" });
      const code = e instanceof OmnimodelError ? e.code : "ERROR";
      post({ type: "error", id, code, message: String((e as Error)?.message ?? e) });
    })
    .finally(() => {
      ops.delete(id);
      running.delete(p);
    });
  running.add(p);
}

function progress(id: number): (done: number, total: number, label: string) => void {
  let last = 0;
  return (done, total, label) => {
    const now = performance.now();
    if (now - last < 80 && done < total) return;
    last = now;
    post({ type: "progress", id, done, total, label });
  };
}

async function closeModel(): Promise<void> {
  for (const op of ops.values()) {
    op.cancelled = true;
    op.credit?.();
  }
  await Promise.allSettled([...running]);
  const m = model;
  model = null;
  forgetGraph();
  prefetched = null;
  await m?.close();
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Drops a folder name shared by every path, so entry rules like "saved_model.pb" match. */
function stripCommonFolder(files: DroppedFile[]): DroppedFile[] {
  const first = files[0].path.split("/")[0];
  if (!files.every((f) => f.path.startsWith(first + "/"))) return files;
  return stripCommonFolder(files.map((f) => ({ path: f.path.slice(first.length + 1), file: f.file })));
}

function chooseEntry(core: Core, paths: string[]): number {
  const e = core.exports as unknown as { choose_entry(p: number, l: number): number };
  return core.withString(JSON.stringify(paths), (p, l) => e.choose_entry(p, l));
}

async function sourceForFiles(core: Core, dropped: DroppedFile[]): Promise<{ source: Source; files: number }> {
  if (!dropped.length) throw new OmnimodelError("BAD_ARGUMENT", "no files were dropped");
  const files = stripCommonFolder(dropped);
  const siblings = new Map<string, Blob>();
  for (const f of files) siblings.set(f.path, f.file);
  let entry = files.length === 1 ? 0 : chooseEntry(core, files.map((f) => f.path));
  if (entry < 0 || entry >= files.length) entry = 0;
  const main = files[entry];
  return { source: new BlobSource(main.file, main.path, siblings, dirOf(main.path)), files: files.length };
}

async function openModel(id: number, make: (core: Core) => Promise<{ source: Source; files: number }>): Promise<void> {
  const core = await corePromise;
  await closeModel();
  run(id, async (op) => {
    const t0 = performance.now();
    post({ type: "progress", id, done: 0, total: 1, label: "reading the index" });
    const { source, files } = await make(core);
    const m = await openSource(core, source);
    if (op.cancelled) {
      await m.close();
      return;
    }
    model = m;
    const opened: OpenedModel = {
      source: source.name,
      size: source.size,
      files,
      index: indexForPage(m.index),
      tensors: m.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.byteLength, parameters: t.size })),
      millis: performance.now() - t0,
    };
    post({ type: "opened", id, model: opened });
    // The graph is prepared while the page draws the summary: a large graph's first view goes
    // out at once (tagged with the open's id), then the whole is built and laid out, ready for
    // the page's first "graph" request.
    try {
      const first = firstView(m);
      if (first) post({ type: "graph", id, view: first.view }, first.transfer);
      prefetched = { model: m, ...graphView(m) };
    } catch {
      // the page's own "graph" request lays out again and reports the error there
      prefetched = null;
    }
  });
}

function current(): Model {
  if (!model) throw new OmnimodelError("BAD_ARGUMENT", "no model is open");
  return model;
}

// At most this many chunks travel unacknowledged, so a slow disk or a Blob being assembled
// does not make the worker read the whole model ahead into memory.
const MAX_UNACKED = 4;

async function send(op: Op, bytes: Uint8Array): Promise<void> {
  while (op.unacked >= MAX_UNACKED && !op.cancelled) await new Promise<void>((r) => (op.credit = r));
  if (op.cancelled) throw new Cancelled();
  // chunks handed out by the SDK own their buffers; copy anything that does not
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  op.unacked++;
  post({ type: "chunk", id: op.id, bytes: own }, [own.buffer]);
}

function exportSafetensors(id: number): void {
  const m = current();
  run(id, async (op) => {
    const plan = planSafetensors(m, "keep");
    const name = safetensorsName(m.source.name, m.format);
    const notes: string[] = [];
    const converted = plan.tensors.filter((p) => p.readAs);
    if (converted.length) notes.push(`${converted.length} tensor(s) of types safetensors has no name for (${[...new Set(converted.map((p) => p.tensor.dtype))].slice(0, 6).join(", ")}) written as ${converted[0].dtype}`);
    if (plan.skipped.length) notes.push(`${plan.skipped.length} skipped (${plan.skipped.slice(0, 5).map((s) => `${s.name}: ${s.reason}`).join("; ")}${plan.skipped.length > 5 ? "; …" : ""})`);
    post({ type: "export-start", id, name, totalBytes: plan.totalBytes, skipped: notes });
    const report = progress(id);
    let written = 0;
    for await (const chunk of safetensorsChunks(plan)) {
      written += chunk.byteLength;
      await send(op, chunk);
      report(written, plan.totalBytes, "export");
    }
    post({ type: "export-done", id, bytes: written });
  });
}

function exportNpy(id: number, position: number): void {
  const m = current();
  const t = m.tensors[position];
  if (!t) throw new OmnimodelError("NOT_FOUND", `no tensor #${position}`);
  run(id, async (op) => {
    const { header, readAs } = npyForTensor(m.core, t);
    const total = header.byteLength + t.outputByteLength(readAs ? { dtype: readAs } : {});
    const name = npyName(t.name);
    post({ type: "export-start", id, name, totalBytes: total, skipped: readAs ? [`${t.name}: ${t.dtype} written as F32`] : [] });
    const report = progress(id);
    await send(op, header);
    let written = header.byteLength;
    for await (const c of t.chunks(readAs ? { dtype: readAs } : {})) {
      const b = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
      written += b.byteLength;
      await send(op, b);
      report(written, total, "export");
    }
    post({ type: "export-done", id, bytes: written });
  });
}

function stats(id: number, position: number, bins: number): void {
  const m = current();
  const t = m.tensors[position];
  if (!t) throw new OmnimodelError("NOT_FOUND", `no tensor #${position}`);
  run(id, async (op) => {
    const core = await corePromise;
    const s = await tensorStats(core, t, position, { bins, onProgress: progress(id), cancelled: () => op.cancelled });
    post({ type: "stats", id, stats: s });
  });
}

async function handle(req: Request): Promise<void> {
  switch (req.type) {
    case "open-files":
      return openModel(req.id, (core) => sourceForFiles(core, req.files));
    case "open-url":
      return openModel(req.id, async () => ({ source: await UrlSource.open(new URL(req.url, scope.location.href)), files: 1 }));
    case "stats":
      return stats(req.id, req.tensor, req.bins);
    case "graph": {
      const m = current();
      const ready = prefetched;
      prefetched = null;
      // the prefetched view's buffers travel once (transferred); later requests lay out again
      if (req.toggle === undefined && ready?.model === m) return post({ type: "graph", id: req.id, view: ready.view }, ready.transfer);
      const { view, transfer } = graphView(m, req.toggle);
      return post({ type: "graph", id: req.id, view }, transfer);
    }
    case "graph-node":
      return post({ type: "graph-node", id: req.id, detail: nodeDetail(current(), req.node) });
    case "graph-search":
      return post({ type: "graph-search", id: req.id, query: req.query, hits: searchGraph(req.query) });
    case "export-safetensors":
      return exportSafetensors(req.id);
    case "export-npy":
      return exportNpy(req.id, req.tensor);
    case "ack": {
      const op = ops.get(req.id);
      if (op) {
        op.unacked--;
        const c = op.credit;
        op.credit = undefined;
        c?.();
      }
      return;
    }
    case "cancel": {
      const op = ops.get(req.id);
      if (op) {
        op.cancelled = true;
        op.credit?.();
      }
      return;
    }
  }
}

scope.onmessage = (e: MessageEvent) => {
  const req = e.data as Request;
  handle(req).catch((err) => {
    const code = err instanceof OmnimodelError ? err.code : "ERROR";
    post({ type: "error", id: req.id, code, message: String((err as Error)?.message ?? err) });
  });
};

corePromise.catch((err) => post({ type: "error", id: 0, code: "IO", message: String((err as Error)?.message ?? err) }));
