// Files over 4 GiB: a sparse safetensors file of more than 5 GiB whose last tensor sits past the
// 4 GiB mark is inspected and that tensor read correctly, in a child process whose peak RSS must
// stay under 300 MB (the file is never read whole).
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, ftruncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/core";

const dir = mkdtempSync(join(tmpdir(), "omnimodel-large-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("files over 4 GiB", () => {
  it("reads a tensor stored past 4 GiB in a 5+ GiB sparse file with bounded memory", () => {
    const padBytes = 5 * 2 ** 30 + 12345; // sparse: never written
    const lastCount = 300_000; // 1.2 MB of F32 past the 5 GiB mark
    const header = {
      __metadata__: { purpose: "sparse large-file test" },
      pad: { dtype: "U8", shape: [padBytes], data_offsets: [0, padBytes] },
      last: { dtype: "F32", shape: [lastCount], data_offsets: [padBytes, padBytes + lastCount * 4] },
    };
    let json = JSON.stringify(header);
    json += " ".repeat((8 - (json.length % 8)) % 8);
    const path = join(dir, "big.safetensors");
    const fd = openSync(path, "w");
    const head = Buffer.alloc(8 + json.length);
    head.writeBigUInt64LE(BigInt(json.length), 0);
    head.write(json, 8, "utf8");
    writeSync(fd, head, 0, head.length, 0);
    const values = new Float32Array(lastCount);
    for (let i = 0; i < lastCount; i++) values[i] = Math.sin(i) * 1000 + i;
    const dataStart = 8 + json.length + padBytes;
    writeSync(fd, new Uint8Array(values.buffer), 0, values.byteLength, dataStart);
    ftruncateSync(fd, dataStart + values.byteLength);
    closeSync(fd);
    expect(dataStart).toBeGreaterThan(2 ** 32);

    const script = `
      const { open } = await import(${JSON.stringify(join(ROOT, "dist/bindings/node-index.js"))});
      const m = await open(${JSON.stringify(path)});
      const t = m.tensor("last");
      const v = await t.read();
      let sum = 0; for (const x of v) sum += x;
      const f16 = await t.read({ dtype: "F16" });
      console.log(JSON.stringify({ n: v.length, first: v[0], v7: v[7], lastv: v[v.length - 1], sum, f16: f16.length, shape: m.tensor("pad").shape, rss: process.resourceUsage().maxRSS }));
      await m.close();
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    const r = JSON.parse(out.trim().split("\n").pop()!);
    let sum = 0;
    for (const x of values) sum += x;
    expect(r.n).toBe(lastCount);
    expect(r.first).toBe(values[0]);
    expect(r.v7).toBe(values[7]);
    expect(r.lastv).toBe(values[lastCount - 1]);
    expect(r.sum).toBeCloseTo(sum, 0);
    expect(r.f16).toBe(lastCount);
    expect(r.shape).toEqual([padBytes]);
    expect(r.rss / 1024).toBeLessThan(300); // maxRSS is in KiB
  });
});
