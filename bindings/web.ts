// The package entry for browsers, Deno and Workers. The core is fetched next to this module
// (compiled while it streams in when served as application/wasm) unless init() is given bytes
// or a precompiled WebAssembly.Module — required on Cloudflare Workers, which forbid compiling
// at run time.
import { configure } from "../ts/open.ts";

// Both the compiled package (dist/bindings/web.js) and the standalone ESM bundle
// (dist/web/omnimodel.js) find the one core in build/, two folders up; a build may override it.
declare const __OMNIMODEL_WASM__: string | undefined;
const WASM_PATH = typeof __OMNIMODEL_WASM__ === "string" ? __OMNIMODEL_WASM__ : "../../build/omnimodel.wasm";
// The pool's worker script: next to the bundle (dist/web/pool-worker.js), or in the package's
// compiled sources (dist/ts/pool/web-worker.js).
declare const __OMNIMODEL_POOL_WORKER__: string | undefined;
const POOL_WORKER = typeof __OMNIMODEL_POOL_WORKER__ === "string" ? __OMNIMODEL_POOL_WORKER__ : "../ts/pool/web-worker.js";

// Web Workers for readAll/convert in browsers; Deno and Cloudflare Workers read on one thread.
const browser = typeof Worker === "function" && typeof navigator !== "undefined" && !("Deno" in globalThis);

configure({
  loadWasm: async () => {
    const url = new URL(WASM_PATH, import.meta.url);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status}`);
    const type = res.headers.get("content-type") ?? "";
    if (type.startsWith("application/wasm") && typeof WebAssembly.compileStreaming === "function") {
      return WebAssembly.compileStreaming(res);
    }
    return new Uint8Array(await res.arrayBuffer());
  },
  ...(browser
    ? {
        cores: () => navigator.hardwareConcurrency || 1,
        createPool: async (model, threads, options) => (await import("../ts/pool/web-pool.ts")).createWebPool(model, threads, new URL(POOL_WORKER, import.meta.url), options),
      }
    : {}),
});

export * from "../ts/index.ts";
// One scan row per URL (the columns of `omnimodel scan --from-list`), for queue consumers.
export { rowFor, COLUMNS as ROW_COLUMNS, type Row } from "../ts/batch/row.ts";
