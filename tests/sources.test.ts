// Every source kind the issue names: file paths, bytes, Blob/File, http(s) URLs with Range
// requests (fetching only what the index needs), directories, and the sibling resolver.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync, copyFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";
import { startRangeServer, type RangeServer } from "./helpers/range-server";

const basic = join(FIXTURES, "basic");
let server: RangeServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "omnimodel-src-"));
  // A 16 MB safetensors file: inspecting it over HTTP must fetch a small fraction of it.
  const n = 4 * 1024 * 1024;
  const header = JSON.stringify({ w: { dtype: "F32", shape: [n], data_offsets: [0, n * 4] } });
  const buf = Buffer.alloc(8 + header.length + n * 4);
  buf.writeBigUInt64LE(BigInt(header.length), 0);
  buf.write(header, 8);
  for (let i = 0; i < 64; i++) buf.writeFloatLE(i * 0.5, 8 + header.length + i * 4);
  writeFileSync(join(dir, "big.safetensors"), buf);
  copyFileSync(join(basic, "stored.npz"), join(dir, "stored.npz"));
  server = await startRangeServer(dir);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sources", () => {
  it("a URL is indexed with Range requests, fetching far less than the file", async () => {
    const { open } = await sdk();
    server.reset();
    const m = await open(`${server.url}/big.safetensors`);
    expect(m.tensors[0].shape).toEqual([4 * 1024 * 1024]);
    expect(server.bytesServed()).toBeLessThan(256 * 1024);
    const v = (await m.tensor("w")!.read()) as Float32Array;
    expect(v[63]).toBe(31.5);
    await m.close();
  });

  it("a server that ignores Range is read as one streamed download, with an info finding", async () => {
    const { open } = await sdk();
    const s2 = await startRangeServer(dir, { ignoreRanges: true });
    try {
      const m = await open(`${s2.url}/big.safetensors`);
      const f = m.findings.find((x) => x.code === "range-unsupported");
      expect(f?.severity).toBe("info");
      expect(f?.impact).toMatch(/download/);
      const v = (await m.tensor("w")!.read()) as Float32Array;
      expect(v[63]).toBe(31.5);
      expect(v.length).toBe(4 * 1024 * 1024);
      // Header then data, read forward: one GET for the whole job.
      expect(s2.requests()).toBe(1);
      await m.close();
      // An npz is read from its end (the zip directory), then its members: the values still match
      // the file read from disk, with the download restarted as needed.
      const z = await open(`${s2.url}/stored.npz`);
      const local = await open(join(dir, "stored.npz"));
      expect(z.index.tensors).toEqual(local.index.tensors);
      for (const t of local.tensors) expect(Buffer.from((await z.tensor(t.name)!.read()).buffer)).toEqual(Buffer.from((await t.read()).buffer));
      await z.close();
      await local.close();
    } finally {
      await s2.close();
    }
  });

  it("the streamed download keeps memory bounded: reads behind its windows restart it, values unchanged", async () => {
    const { StreamedUrlSource, UrlSource } = await sdk();
    const s2 = await startRangeServer(dir, { ignoreRanges: true });
    try {
      const file = readFileSync(join(dir, "big.safetensors"));
      const src = await UrlSource.open(`${s2.url}/big.safetensors`, { headBytes: 4096, windowBytes: 64 * 1024 });
      expect(src).toBeInstanceOf(StreamedUrlSource);
      const s = src as InstanceType<typeof StreamedUrlSource>;
      // Forward, then a jump back into the head, then back behind the window: bytes equal the file's.
      for (const [off, len] of [[0, 100], [1_000_000, 70_000], [10, 50], [2_000_000, 1000], [500_000, 300], [file.length - 16, 16]]) {
        expect(Buffer.from(await s.read(off, len)), `${off}+${len}`).toEqual(file.subarray(off, off + len));
      }
      expect(s.requests).toBe(2); // the read at 500,000 was behind the 64 KiB window
      await expect(s.read(file.length - 4, 8)).rejects.toMatchObject({ code: "IO" });
      await s.close?.();
    } finally {
      await s2.close();
    }
  });

  it("a server that ignores Range and does not say the size is refused with a clear error", async () => {
    const { open } = await sdk();
    const s2 = await startRangeServer(dir, { ignoreRanges: true, noLength: true });
    try {
      await expect(open(`${s2.url}/stored.npz`)).rejects.toMatchObject({ code: "UNSUPPORTED", message: expect.stringMatching(/Content-Length/) });
    } finally {
      await s2.close();
    }
  });

  it("bytes, ArrayBuffer and Blob give the same index as the path", async () => {
    const { open } = await sdk();
    const path = join(basic, "deflated.npz");
    const bytes = new Uint8Array(readFileSync(path));
    const a = await open(path);
    const b = await open(bytes);
    const c = await open(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const d = await open(new Blob([bytes]));
    for (const m of [b, c, d]) {
      expect(m.index.tensors).toEqual(a.index.tensors);
      expect(Array.from((await m.tensor("w")!.read()) as Float32Array)).toEqual(Array.from((await a.tensor("w")!.read()) as Float32Array));
    }
    for (const m of [a, b, c, d]) await m.close();
  });

  it("a missing file is SOURCE_MISSING, an unknown format names what it looks like", async () => {
    const { open } = await sdk();
    await expect(open(join(dir, "nope.bin"))).rejects.toMatchObject({ code: "SOURCE_MISSING" });
    await expect(open(new TextEncoder().encode("<!DOCTYPE html><html><body>Sign in</body></html>"), { name: "model.bin" })).rejects.toThrow(/HTML page/);
    await expect(open(new TextEncoder().encode("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n"))).rejects.toThrow(/Git LFS pointer/);
    await expect(open(new Uint8Array(0))).rejects.toThrow(/empty/);
  });

  it("a directory opens through its entry file", async () => {
    const { open } = await sdk();
    const d = join(dir, "folder");
    mkdirSync(d);
    copyFileSync(join(basic, "all_dtypes.safetensors"), join(d, "model.safetensors"));
    writeFileSync(join(d, "README.md"), "hello");
    const m = await open(d);
    expect(m.format).toBe("safetensors");
    await m.close();
  });

  it("the resolver keeps siblings inside the model's directory, symlinks included", async () => {
    const { FileSource, OmnimodelError } = await sdk();
    const d = join(dir, "resolver");
    mkdirSync(join(d, "sub"), { recursive: true });
    writeFileSync(join(d, "main.bin"), "x");
    writeFileSync(join(d, "sub", "ok.bin"), "y");
    writeFileSync(join(dir, "secret.txt"), "outside");
    symlinkSync(join(dir, "secret.txt"), join(d, "escape.bin"));
    const main = new FileSource(join(d, "main.bin"));
    expect((await main.sibling("sub/ok.bin")).size).toBe(1);
    for (const bad of ["../secret.txt", "/etc/passwd", "escape.bin", "sub/../../secret.txt"]) {
      const err = await main.sibling(bad).then(() => null, (e) => e);
      expect(err, bad).toBeInstanceOf(OmnimodelError);
      expect(err.code, bad).toBe("PATH_VIOLATION");
    }
    await expect(main.sibling("missing.bin")).rejects.toMatchObject({ code: "SOURCE_MISSING" });
    main.close();
  });

  it("a model referring to a file through a symlink out of its directory is PATH_VIOLATION", async () => {
    const { open } = await sdk();
    const d = join(dir, "sharded");
    mkdirSync(d);
    const outside = join(dir, "outside.safetensors");
    copyFileSync(join(basic, "small_numpy.safetensors"), outside);
    symlinkSync(outside, join(d, "model-00001-of-00001.safetensors"));
    writeFileSync(join(d, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: 24 }, weight_map: { a: "model-00001-of-00001.safetensors" } }));
    await expect(open(join(d, "model.safetensors.index.json"))).rejects.toMatchObject({ code: "PATH_VIOLATION" });
    // The same shard as a real file inside the directory opens.
    rmSync(join(d, "model-00001-of-00001.safetensors"));
    copyFileSync(outside, join(d, "model-00001-of-00001.safetensors"));
    const m = await open(join(d, "model.safetensors.index.json"));
    expect(m.tensor("a")!.shape).toEqual([2, 3]);
    await m.close();
  });
});
