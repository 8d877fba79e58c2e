// The worker pool (ts/pool): reads and conversions through workers are bit for bit those of one
// thread, whatever the tensor types (every GGML block type dequantized by workers), targets at
// offsets, a tensor past 4 GiB in a sparse file, and the --threads flag's parsing.
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT, sdk } from "./helpers/core";

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-pool-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const allTypes = join(FIXTURES, "gguf", "all-types.gguf");

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
async function readAllBoth(path: string, options: { dtype?: string } = {}) {
  const { open } = await sdk();
  const m = await open(path);
  try {
    const one = await m.readAll({ ...options, threads: 1 });
    const two = await m.readAll({ ...options, threads: 2 });
    const three = await m.readAll({ ...options, threads: 3 });
    return { m, one, two, three };
  } finally {
    await m.close();
  }
}

describe("worker pool", () => {
  it("dequantizes every GGML type through workers bit for bit as one thread does", async () => {
    const { m, one, two, three } = await readAllBoth(allTypes, { dtype: "F32" });
    expect(one.length).toBe(m.tensors.length);
    expect(m.tensors.some((t) => t.dtype === "Q4_K")).toBe(true);
    for (let i = 0; i < one.length; i++) {
      expect(two[i].constructor).toBe(Float32Array);
      expect(bytesOf(two[i]).equals(bytesOf(one[i])), m.tensors[i].name).toBe(true);
      expect(bytesOf(three[i]).equals(bytesOf(one[i])), m.tensors[i].name).toBe(true);
    }
  });

  it("reads stored types through workers as one thread does, and as read() does", async () => {
    const { open } = await sdk();
    const path = join(FIXTURES, "basic", "all_dtypes.safetensors");
    const { m, one, two } = await readAllBoth(path);
    const m2 = await open(path);
    for (let i = 0; i < one.length; i++) {
      expect(bytesOf(two[i]).equals(bytesOf(one[i]))).toBe(true);
      expect(bytesOf(two[i]).equals(bytesOf(await m2.tensors[i].read()))).toBe(true);
      expect(two[i].constructor).toBe(one[i].constructor);
      expect(m.tensors[i].name).toBe(m2.tensors[i].name);
    }
    await m2.close();
  });

  it("readInto writes at the target's offset and nowhere else", async () => {
    const { open } = await sdk();
    const m = await open(allTypes);
    const t = m.tensors.find((x) => x.dtype === "Q6_K")!;
    const want = await t.read({ dtype: "F32" });
    const backing = new Uint8Array(want.byteLength + 24).fill(0xab);
    const n = await t.readInto(new Uint8Array(backing.buffer, 12, want.byteLength), { dtype: "F32" });
    expect(n).toBe(want.byteLength);
    expect(Buffer.from(backing.subarray(12, 12 + n)).equals(bytesOf(want))).toBe(true);
    expect([...backing.subarray(0, 12), ...backing.subarray(12 + n)].every((b) => b === 0xab)).toBe(true);
    await m.close();
  });

  it("convert --threads 2 writes the same file as --threads 1", () => {
    for (const dtype of ["keep", "F16"]) {
      const a = join(tmp, `one-${dtype}.safetensors`), b = join(tmp, `two-${dtype}.safetensors`);
      expect(cli("convert", allTypes, a, "--dtype", dtype, "--threads", "1").code).toBe(0);
      expect(cli("convert", allTypes, b, "--dtype", dtype, "--threads", "2").code).toBe(0);
      expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
      expect(readFileSync(a).length).toBeGreaterThan(1000);
    }
  });

  it("--threads takes a positive integer only", () => {
    for (const bad of ["0", "-1", "1.5", "two", ""]) {
      const r = cli("convert", allTypes, join(tmp, "bad.safetensors"), "--threads", bad);
      expect(r.code, bad).toBe(2);
      expect(r.err).toMatch(/--threads/);
    }
  });

  it("threads in the SDK options must be a positive integer", async () => {
    const { open } = await sdk();
    const m = await open(allTypes);
    await expect(m.readAll({ threads: 0 })).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    await expect(m.readAll({ threads: 1.5 })).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    await m.close();
  });

  it("workers read a tensor stored past 4 GiB of a sparse file (the pad streams on this thread)", () => {
    const padBytes = 4 * 2 ** 30 + 4096;
    const count = 100_000;
    let json = JSON.stringify({
      pad: { dtype: "U8", shape: [padBytes], data_offsets: [0, padBytes] },
      last: { dtype: "F32", shape: [count], data_offsets: [padBytes, padBytes + count * 4] },
    });
    json += " ".repeat((8 - (json.length % 8)) % 8);
    const path = join(tmp, "sparse.safetensors");
    const fd = openSync(path, "w");
    const head = Buffer.alloc(8 + json.length);
    head.writeBigUInt64LE(BigInt(json.length), 0);
    head.write(json, 8, "utf8");
    writeSync(fd, head, 0, head.length, 0);
    const values = new Float32Array(count).map((_, i) => Math.cos(i) * 100 + i);
    const start = 8 + json.length + padBytes;
    writeSync(fd, new Uint8Array(values.buffer), 0, values.byteLength, start);
    ftruncateSync(fd, start + values.byteLength);
    closeSync(fd);
    // In a child: the pool's read of "last" in a worker, F32 as stored and converted to F16.
    const script = `
      const { open } = await import(${JSON.stringify(join(ROOT, "dist/bindings/node-index.js"))});
      const { withPool } = await import(${JSON.stringify(join(ROOT, "dist/ts/pool/read-all.js"))});
      const m = await open(${JSON.stringify(path)});
      const out = await withPool(m, 2, async (pool) => {
        const f32 = await pool.read(1);
        const f16 = await pool.read(1, "F16");
        return { size: pool.size, f32: Buffer.from(f32).toString("base64"), f16: Buffer.from(f16).toString("base64") };
      });
      const local16 = Buffer.from((await m.tensor("last").read({ dtype: "F16" })).buffer).toString("base64");
      // a file, not stdout: over a megabyte on a pipe can be cut off when the process ends
      (await import("node:fs")).writeFileSync(${JSON.stringify(path + ".json")}, JSON.stringify({ ...out, local16 }));
      await m.close();
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const r = JSON.parse(readFileSync(path + ".json", "utf8"));
    expect(start).toBeGreaterThan(2 ** 32);
    expect(r.size).toBe(2);
    expect(Buffer.from(r.f32, "base64").equals(Buffer.from(values.buffer))).toBe(true);
    expect(r.f16).toBe(r.local16);
    expect(Buffer.from(r.f16, "base64").length).toBe(count * 2);
  });
});
