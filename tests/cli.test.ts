// The CLI contract: inspect --json prints exactly the index, dump writes .npy, convert writes
// safetensors that read back bit for bit, scan's exit codes (0 below, 1 at/above, 2 unreadable).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT, sdk } from "./helpers/core";

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const basic = (f: string) => join(FIXTURES, "basic", f);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("omnimodel CLI", () => {
  it("inspect --json prints the index and nothing else", () => {
    const r = cli("inspect", "--json", basic("all_dtypes.safetensors"));
    expect(r.code).toBe(0);
    const idx = JSON.parse(r.out);
    expect(Object.keys(idx)).toEqual(["format", "formatVersion", "tensors", "metadata", "graph", "findings", "children"]);
    expect(idx.format).toBe("safetensors");
    expect(idx.tensors.find((t: any) => t.name === "t_BF16")).toMatchObject({ dtype: "BF16", shape: [3, 5], byteLength: 30 });
  });

  it("inspect prints a human summary", () => {
    const r = cli("inspect", join(ROOT, "samples", "tiny-mlp.safetensors"));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/format: safetensors/);
    expect(r.out).toMatch(/parameters: 212/);
    expect(r.out).toMatch(/0\.weight\s+F32\s+\[16, 8\]/);
  });

  it("errors are one clear line with the code and exit 2, no stack trace", () => {
    const r = cli("inspect", join(ROOT, "..", "shared", "corpus", "safetensors", "invalid", "invalid_info.safetensors"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error \[SIZE_MISMATCH\]: .*invalid_info\.safetensors: /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("dump prints values and writes .npy", async () => {
    const r = cli("dump", basic("small_numpy.safetensors"), "a");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/0 1 2 3 4 5/);
    const out = join(tmp, "a.npy");
    expect(cli("dump", basic("fortran_f4.npy"), "fortran_f4", "--out", out).code).toBe(0);
    const { open } = await sdk();
    const a = await open(out);
    const b = await open(basic("fortran_f4.npy"));
    expect(a.tensors[0].shape).toEqual([3, 4, 5]);
    expect(Array.from((await a.tensors[0].read()) as Float32Array)).toEqual(Array.from((await b.tensors[0].read()) as Float32Array));
    // numpy's own header layout: magic, version 1.0, padded to 64 bytes, newline-terminated.
    const raw = readFileSync(out);
    expect(raw.subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
    const hl = raw.readUInt16LE(8);
    expect((10 + hl) % 64).toBe(0);
    expect(raw[10 + hl - 1]).toBe(0x0a);
    await a.close();
    await b.close();
  });

  it("convert keeps every tensor bit for bit, F32 converts floats", async () => {
    const { open } = await sdk();
    const out = join(tmp, "c.safetensors");
    expect(cli("convert", basic("all_dtypes.safetensors"), out).code).toBe(0);
    const a = await open(out);
    const b = await open(basic("all_dtypes.safetensors"));
    expect(a.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(b.tensors.map((t) => [t.name, t.dtype, t.shape]));
    for (const t of b.tensors) {
      expect(Buffer.from(((await a.tensor(t.name)!.read()) as any).buffer)).toEqual(Buffer.from(((await t.read()) as any).buffer));
    }
    const out32 = join(tmp, "c32.safetensors");
    expect(cli("convert", basic("all_dtypes.safetensors"), out32, "--dtype", "F32").code).toBe(0);
    const c = await open(out32);
    expect(c.tensor("t_BF16")!.dtype).toBe("F32");
    expect(c.tensor("t_I32")!.dtype).toBe("I32");
    expect(Array.from((await c.tensor("t_BF16")!.read()) as Float32Array)).toEqual(Array.from((await b.tensor("t_BF16")!.read({ dtype: "F32" })) as Float32Array));
    for (const m of [a, b, c]) await m.close();
  });

  it("convert writes sub-byte integers packed as U8 and says so in __metadata__", async () => {
    const { open } = await sdk();
    const src = join(ROOT, "..", "shared", "corpus", "onnx", "node", "test_cast_FLOAT_to_INT4", "test_data_set_0", "output_0.pb");
    const out = join(tmp, "i4.safetensors");
    expect(cli("convert", src, out).code).toBe(0);
    const a = await open(out);
    const b = await open(src);
    expect(b.tensors[0]).toMatchObject({ dtype: "I4", shape: [5, 5] });
    expect(a.tensors[0]).toMatchObject({ dtype: "U8", shape: [13] });
    expect(a.metadata["output.packed"]).toBe("I4 [5, 5], packed little-endian in U8 bytes");
    expect(Buffer.from(((await a.tensors[0].read()) as any).buffer)).toEqual(Buffer.from(((await b.tensors[0].read()) as any).buffer));
    await a.close();
    await b.close();
  });

  it("scan exit codes: 0 below the threshold, 1 at or above, 2 unreadable", () => {
    expect(cli("scan", basic("all_dtypes.safetensors")).code).toBe(0);
    expect(cli("scan", basic("object.npy")).code).toBe(0); // medium < default high
    expect(cli("scan", basic("object.npy"), "--fail-on", "medium").code).toBe(1);
    const bad = join(tmp, "bad.bin");
    writeFileSync(bad, "not a model at all, just text\n");
    expect(cli("scan", bad).code).toBe(2);
    const j = JSON.parse(cli("scan", "--json", basic("object.npy")).out);
    expect(j.findings[0]).toMatchObject({ severity: "medium", code: "pickled-object-array" });
  });
});
