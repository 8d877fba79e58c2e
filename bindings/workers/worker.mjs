// An example Cloudflare Worker: GET /inspect?url=URL answers with the index of a remote model,
// read with HTTP Range requests (only the bytes the index needs: a 5 GB model costs a few KB).
// GET /values?url=URL&tensor=NAME&n=8 answers with the first n values of a tensor as F32.
// With a queue and a KV namespace bound (wrangler.toml), it also scans at hub scale: POST
// /enqueue with a JSON array of URLs puts them on the queue, the queue() consumer scans each
// (the row of `omnimodel scan --from-list`) into KV under its URL, GET /rows lists the rows.
//
// Workers forbid compiling wasm at run time, so the core is imported as a precompiled
// WebAssembly.Module (wrangler rule type "CompiledWasm") and handed to init().
import wasm from "omnimodel/omnimodel.wasm";
import { init, open, OmnimodelError, rowFor } from "omnimodel";

const json = (body, status = 200, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

// One core per isolate, instantiated on the first request (init(wasm) would start a new one).
let core;

// KV keys are at most 512 bytes: longer URLs are keyed by their SHA-256.
async function rowKey(url) {
  if (new TextEncoder().encode(url).length <= 500) return `row:${url}`;
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(url)));
  return `row-sha256:${Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function enqueue(request, env) {
  const urls = await request.json().catch(() => null);
  if (!Array.isArray(urls) || !urls.every((x) => typeof x === "string" && /^https?:\/\//i.test(x))) {
    return json({ error: "POST a JSON array of http(s) URLs" }, 400);
  }
  // sendBatch takes at most 100 messages.
  for (let i = 0; i < urls.length; i += 100) await env.SCAN_QUEUE.sendBatch(urls.slice(i, i + 100).map((body) => ({ body })));
  return json({ queued: urls.length });
}

async function listRows(env) {
  const rows = [];
  let cursor;
  do {
    const page = await env.ROWS.list({ prefix: "row", cursor });
    for (const k of page.keys) rows.push(await env.ROWS.get(k.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return new Response(rows.filter(Boolean).join("\n") + (rows.length ? "\n" : ""), { headers: { "content-type": "application/x-ndjson" } });
}

export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    if (env?.SCAN_QUEUE && request.method === "POST" && u.pathname === "/enqueue") return enqueue(request, env);
    if (env?.ROWS && request.method === "GET" && u.pathname === "/rows") return listRows(env);
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
  // One message = one URL. A URL whose row is already in KV is not scanned again (redelivery,
  // or the same URL queued twice), so a crashed or retried batch redoes only its unfinished URLs.
  async queue(batch, env) {
    core ??= await init(wasm);
    for (const msg of batch.messages) {
      const url = msg.body;
      try {
        const key = await rowKey(url);
        if ((await env.ROWS.get(key)) === null) await env.ROWS.put(key, JSON.stringify(await rowFor(url)));
        msg.ack();
      } catch {
        msg.retry(); // KV or the runtime failed; an unreadable model is a row, not an exception
      }
    }
  },
};
