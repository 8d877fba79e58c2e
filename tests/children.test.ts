// Archive members opened as models of their own: stored zip members are read in place, deflated
// ones and tar.gz members are decompressed by the core; the child's tensors read bit for bit.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";
import { zipOf } from "./helpers/zip";

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-children-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("children", () => {
  const inner = new Uint8Array(readFileSync(join(FIXTURES, "basic", "all_dtypes.safetensors")));

  for (const method of [0, 8] as const) {
    it(`a ${method ? "deflated" : "stored"} zip member opens as its own model`, async () => {
      const { open } = await sdk();
      const path = join(tmp, `outer${method}.zip`);
      writeFileSync(path, zipOf("weights/model.safetensors", inner, method));
      const outer = await open(path);
      expect(outer.format).toBe("zip");
      expect(outer.children).toEqual([{ name: "weights/model.safetensors", format: "safetensors", size: inner.length, readable: true }]);
      const child = await outer.openChild("weights/model.safetensors");
      const direct = await open(join(FIXTURES, "basic", "all_dtypes.safetensors"));
      expect(child.index.tensors).toEqual(direct.index.tensors);
      for (const t of direct.tensors) {
        expect(Buffer.from(((await child.tensor(t.name)!.read()) as any).buffer)).toEqual(Buffer.from(((await t.read()) as any).buffer));
      }
      for (const m of [child, direct, outer]) await m.close();
    });
  }

  // A ustar archive of one file, optionally gzipped.
  function tarOf(name: string, content: Uint8Array): Uint8Array {
    const h = Buffer.alloc(512);
    h.write(name, 0, "latin1");
    h.write("0000644\0", 100, "latin1");
    h.write("0000000\0", 108, "latin1");
    h.write("0000000\0", 116, "latin1");
    h.write(content.length.toString(8).padStart(11, "0") + "\0", 124, "latin1");
    h.write("00000000000\0", 136, "latin1");
    h.write("        ", 148, "latin1");
    h.write("0", 156, "latin1");
    h.write("ustar\u000000", 257, "latin1");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
    const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
    return Buffer.concat([h, content, pad, Buffer.alloc(1024)]);
  }

  it("a tar.gz member is decompressed by the core and opened", async () => {
    const { open } = await sdk();
    const path = join(tmp, "bundle.tar.gz");
    writeFileSync(path, gzipSync(tarOf("model.safetensors", inner)));
    const outer = await open(path);
    const i = outer.children.findIndex((c) => c.name === "model.safetensors");
    expect(outer.children[i]).toMatchObject({ format: "safetensors", size: inner.length, readable: true });
    const child = await outer.openChild(i);
    expect(child.format).toBe("safetensors");
    expect(Array.from((await child.tensor("t_I32")!.read()) as Int32Array).length).toBe(15);
    await child.close();
    await outer.close();
  });

  it("unknown children and unreadable ones give typed errors", async () => {
    const { open } = await sdk();
    const outer = await open(zipOf("x.safetensors", inner, 0), { name: "o.zip" });
    await expect(outer.openChild("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await outer.close();
  });
});
