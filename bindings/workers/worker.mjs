// An example Cloudflare Worker: GET /inspect?url=URL answers with the index of a remote model,
// read with HTTP Range requests (only the bytes the index needs: a 5 GB model costs a few KB).
// GET /values?url=URL&tensor=NAME&n=8 answers with the first n values of a tensor as F32.
//
// Workers forbid compiling wasm at run time, so the core is imported as a precompiled
// WebAssembly.Module (wrangler rule type "CompiledWasm") and handed to init().
import wasm from "omnimodel/omnimodel.wasm";
import { init, open, OmnimodelError } from "omnimodel";

const json = (body, status = 200, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

// One core per isolate, instantiated on the first request (init(wasm) would start a new one).
let core;

export default {
  async fetch(request) {
    const u = new URL(request.url);
    const target = u.searchParams.get("url");
    if (request.method !== "GET" || !["/inspect", "/values"].includes(u.pathname) || !target) {
      return json({ error: "usage: GET /inspect?url=URL or /values?url=URL&tensor=NAME&n=8" }, 400);
    }
    core ??= await init(wasm);
    try {
      const m = await open(target);
      try {
        if (u.pathname === "/inspect") {
          return json(m.index, 200, { "x-wasm-memory": String(core.exports.memory.buffer.byteLength) });
        }
        const t = m.tensor(u.searchParams.get("tensor") ?? "");
        if (!t) return json({ error: "no such tensor" }, 404);
        const n = Math.min(Number(u.searchParams.get("n") ?? 8) || 8, 1024);
        const values = [];
        // chunks() streams window by window: stop as soon as n values are in.
        for await (const chunk of t.chunks({ dtype: "F32" })) {
          for (const v of chunk) {
            values.push(v);
            if (values.length >= n) break;
          }
          if (values.length >= n) break;
        }
        return json({ name: t.name, dtype: t.dtype, shape: t.shape, values }, 200, { "x-wasm-memory": String(core.exports.memory.buffer.byteLength) });
      } finally {
        await m.close();
      }
    } catch (e) {
      if (e instanceof OmnimodelError) return json({ error: e.code, message: e.message }, 422);
      return json({ error: "ERROR", message: String(e) }, 500);
    }
  },
};
