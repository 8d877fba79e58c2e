// Test-only Worker: runs the shared conformance check (tests/conformance/check.mjs) inside
// workerd over fixtures served by the local Range server. GET /?base=URL
import wasm from "omnimodel/omnimodel.wasm";
import { init, open } from "omnimodel";
import { checkAll } from "../../conformance/check.mjs";
import facts from "../../conformance/facts.json";

export default {
  async fetch(request) {
    const base = new URL(request.url).searchParams.get("base");
    await init(wasm);
    const r = await checkAll(open, facts, (f) => `${base}/${f}`);
    return Response.json(r);
  },
};
