// `omnimodel gguf set|rm|split|merge` and `convert ... .gguf` from the command line, on the
// gguf-py-written fixture (tests/fixtures/gguf-writer/convert). Split sets follow llama.cpp's
// gguf-split (tools/gguf-split): PREFIX-0000i-of-0000N.gguf, split.no and split.count UINT16,
// split.tensors.count INT32, every metadata pair in the first file only; merge must give back
// the original bytes.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, sdk } from "./helpers/core";

const SRC = join(ROOT, "tests", "fixtures", "gguf-writer", "convert", "source.gguf");
const dir = mkdtempSync(join(tmpdir(), "omnimodel-gguf-edit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => ({ open } = await sdk()));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });
}

// the bytes of one GGUF pair: u64 key length, key, u32 type, value
function pairBytes(key: string, type: number, value: Buffer): Buffer {
  const k = Buffer.from(key);
  const h = Buffer.alloc(8 + k.length + 4);
  h.writeBigUInt64LE(BigInt(k.length), 0);
  k.copy(h, 8);
  h.writeUInt32LE(type, 8 + k.length);
  return Buffer.concat([h, value]);
}
const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const i32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; };

describe("gguf split / merge", () => {
  it("splits by size into llama.cpp-named files and merges back byte for byte", async () => {
    const prefix = join(dir, "parts");
    const r = cli("gguf", "split", SRC, prefix, "--max-size", "10K");
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(dir).filter((f) => f.startsWith("parts-")).sort();
    expect(files).toEqual(["parts-00001-of-00003.gguf", "parts-00002-of-00003.gguf", "parts-00003-of-00003.gguf"]);
    for (let i = 0; i < 3; i++) {
      const b = readFileSync(join(dir, files[i]));
      const want = Buffer.concat([pairBytes("split.no", 2, u16(i)), pairBytes("split.count", 2, u16(3)), pairBytes("split.tensors.count", 5, i32(6))]);
      expect(b.includes(want), files[i]).toBe(true);
      // metadata only in the first file
      expect(b.includes(Buffer.from("tokenizer.ggml.tokens"))).toBe(i === 0);
    }
    const m = await open(join(dir, files[0]));
    try {
      expect(m.tensors.length).toBe(6); // the set reads as one model
    } finally { await m.close(); }
    const merged = join(dir, "merged.gguf");
    expect(cli("gguf", "merge", join(dir, files[0]), merged).status).toBe(0);
    expect(readFileSync(merged).equals(readFileSync(SRC))).toBe(true);
  });

  it("splits by tensor count", () => {
    const r = cli("gguf", "split", SRC, join(dir, "t"), "--max-tensors", "4");
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith("t-")).sort()).toEqual(["t-00001-of-00002.gguf", "t-00002-of-00002.gguf"]);
  });

  it("merge refuses a file that is not the first of a set", () => {
    const r = cli("gguf", "merge", SRC, join(dir, "x.gguf"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/not the first file of a split set/);
  });

  it("split needs a limit", () => {
    expect(cli("gguf", "split", SRC).status).not.toBe(0);
    expect(cli("gguf", "split", SRC, "--max-size", "lots").stderr).toMatch(/not a size/);
  });
});

describe("gguf set / rm", () => {
  it("sets a pair keeping its type, adds typed pairs, removes one; the rest is untouched", async () => {
    const f = join(dir, "edit.gguf");
    copyFileSync(SRC, f);
    expect(cli("gguf", "set", f, "llama.block_count", "7").status).toBe(0); // UINT32 in the source
    expect(cli("gguf", "set", f, "x.new", "--type", "INT16", "--", "-5").status).toBe(0); // -- before a negative value
    expect(cli("gguf", "rm", f, "x.i8").status).toBe(0);
    const b = readFileSync(f);
    const u32 = Buffer.alloc(4); u32.writeUInt32LE(7);
    const i16 = Buffer.alloc(2); i16.writeInt16LE(-5);
    expect(b.includes(pairBytes("llama.block_count", 4, u32))).toBe(true);
    expect(b.includes(pairBytes("x.new", 3, i16))).toBe(true);
    expect(b.includes(Buffer.from("x.i8"))).toBe(false);
    const a = await open(SRC), e = await open(f);
    try {
      expect(e.metadata["llama.block_count"]).toBe(7);
      expect(e.metadata["general.name"]).toBe(a.metadata["general.name"]);
      for (const t of a.tensors) {
        const x = Buffer.from((await t.read()).buffer), y = Buffer.from((await e.tensor(t.name).read()).buffer);
        expect(y.equals(x), t.name).toBe(true);
      }
    } finally { await a.close(); await e.close(); }
  });

  it("-o writes a new file and leaves the original", () => {
    const out = join(dir, "named.gguf");
    expect(cli("gguf", "set", SRC, "general.name", "other", "-o", out).status).toBe(0);
    expect(readFileSync(out).includes(Buffer.from("other"))).toBe(true);
    expect(readFileSync(SRC).includes(Buffer.from("other"))).toBe(false);
  });

  it("refuses values that do not fit their type, unknown types, arrays, missing keys", () => {
    const f = join(dir, "bad.gguf");
    copyFileSync(SRC, f);
    expect(cli("gguf", "set", f, "x.i8", "300").stderr).toMatch(/out of range for INT8/);
    expect(cli("gguf", "set", f, "x.u", "--type", "UINT32", "--", "-1").stderr).toMatch(/out of range/);
    expect(cli("gguf", "set", f, "x.v", "1", "--type", "INT128").stderr).toMatch(/unknown value type/);
    expect(cli("gguf", "set", f, "tokenizer.ggml.tokens", "a").stderr).toMatch(/arrays cannot be set/);
    expect(cli("gguf", "set", f, "x.flag", "maybe").stderr).toMatch(/not a BOOL/);
    expect(cli("gguf", "rm", f, "no.such.key").stderr).toMatch(/no metadata key/);
    expect(readFileSync(f).equals(readFileSync(SRC))).toBe(true); // a refused edit changes nothing
  });
});

describe("convert to GGUF from the command line", () => {
  it("quantizes with --type and notes the tensors kept at F16", () => {
    const out = join(dir, "q.gguf");
    const r = cli("convert", SRC, out, "--type", "Q8_0");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: blk\.0\.ffn_odd\.weight: rows of 40 values do not fill Q8_0 blocks of 32: written as F16/);
  });
  it("refuses unknown types and --dtype for GGUF", () => {
    expect(cli("convert", SRC, join(dir, "z.gguf"), "--type", "Q9").status).not.toBe(0);
    expect(cli("convert", SRC, join(dir, "z.gguf"), "--dtype", "F16").stderr).toMatch(/--dtype is for safetensors/);
  });
});
