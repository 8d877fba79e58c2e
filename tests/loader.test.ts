// The ABI needs no loader, but the module also works through @assemblyscript/loader (for
// AssemblyScript users who already use it): instantiate, index a file, read its JSON.
import loader from "@assemblyscript/loader";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { FIXTURES, wasmBytes } from "./helpers/core";

it("indexes a file when instantiated through @assemblyscript/loader", async () => {
  const { exports } = await loader.instantiate<any>(wasmBytes(), {});
  const file = readFileSync(join(FIXTURES, "basic", "small_numpy.safetensors"));
  const h = exports.index_open(file.length);
  for (;;) {
    const st = exports.job_run(h);
    if (st === 0) break;
    expect(st).toBe(1); // NEED_BYTES
    const off = exports.job_need_offset(h);
    const len = exports.job_need_length(h);
    const p = exports.job_feed(h, len) >>> 0;
    new Uint8Array(exports.memory.buffer, p, len).set(file.subarray(off, off + len));
    expect(exports.job_commit(h, len)).toBe(0);
  }
  const json = new TextDecoder().decode(new Uint8Array(exports.memory.buffer, exports.job_result(h) >>> 0, exports.job_result_length(h)));
  expect(JSON.parse(json).tensors).toEqual([{ name: "a", dtype: "I32", shape: [2, 3], byteLength: 24 }]);
  exports.job_close(h);
});
