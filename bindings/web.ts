// The package entry for browsers, Deno and Workers: the wasm is fetched next to this module
// unless init() is given bytes or a precompiled WebAssembly.Module (required on Workers).
import { configure } from "../ts/open.js";

configure({
  loadWasm: async () => {
    const url = new URL("../../build/omnimodel.wasm", import.meta.url);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  },
});

export * from "../ts/index.js";
