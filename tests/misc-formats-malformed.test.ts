// Broken inputs for the misc formats: truncations, lying counts, path tricks in shard indexes and
// tar archives. Each must give a typed error or a finding, never a crash or a wrong model.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const dir = join(FIXTURES, "misc");
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-misc-bad-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (f: string) => new Uint8Array(readFileSync(join(dir, f)));

async function tryOpen(name: string, bytes: Uint8Array | string, siblings: Record<string, Uint8Array | string> = {}) {
  const d = mkdtempSync(join(tmp, "case-"));
  writeFileSync(join(d, name), bytes);
  for (const [k, v] of Object.entries(siblings)) writeFileSync(join(d, k), v);
  const { open } = await sdk();
  try {
    const m = await open(join(d, name));
    const r = { format: m.format, findings: m.findings, tensors: m.tensors, metadata: m.metadata };
    await m.close();
    return r as any;
  } catch (e: any) {
    return { code: e.code, message: String(e.message) } as any;
  }
}

describe("truncated files give typed errors", () => {
  const cases: [string, number[], string][] = [
    ["fasttext-skipgram.bin", [9, 64, 100, 300, 1000, 2000], "TRUNCATED"],
    ["word2vec-vectors.bin", [20, 100, 400, 600], "TRUNCATED"],
  ];
  for (const [file, cuts, code] of cases) {
    for (const cut of cuts) {
      it(`${file} cut at ${cut}`, async () => {
        const r = await tryOpen(file, fixture(file).slice(0, cut));
        expect(r.code, JSON.stringify(r).slice(0, 200)).toBe(code);
      });
    }
  }
  it("an XGBoost UBJSON document cut short", async () => {
    const b = fixture("xgboost-binary.ubj");
    const r = await tryOpen("m.ubj", b.slice(0, b.length - 40));
    expect(r.code).toBe("INVALID_JSON");
  });
  it("a tar.gz cut short", async () => {
    const b = fixture("torchserve-tiny.tar.gz");
    const r = await tryOpen("t.tar.gz", b.slice(0, b.length - 100));
    expect(["DECOMPRESS", "TRUNCATED"]).toContain(r.code);
  });
});

describe("lying counts are refused before any loop or allocation", () => {
  it("fastText dimension beyond the cap", async () => {
    const b = fixture("fasttext-skipgram.bin");
    new DataView(b.buffer).setInt32(8, 1 << 30, true);
    const r = await tryOpen("x.bin", b);
    expect(r.code).toBeDefined();
    expect(r.format).toBeUndefined();
  });
  it("fastText dictionary whose words and labels do not add up", async () => {
    const b = fixture("fasttext-skipgram.bin");
    new DataView(b.buffer).setInt32(8 + 56 + 4, 1_000_000, true); // nwords
    const r = await tryOpen("x.bin", b);
    expect(r.code).toBe("CORRUPT");
  });
  it("fastText matrix larger than the file", async () => {
    const b = fixture("fasttext-skipgram.bin");
    const r = await tryOpen("x.bin", b.slice(0, b.length - 1));
    expect(r.code).toBe("TRUNCATED");
  });
  it("word2vec header promising more words than the file holds", async () => {
    const text = readFileSync(join(dir, "word2vec-vectors.bin"));
    const nl = text.indexOf(10);
    const [, dim] = text.subarray(0, nl).toString().split(" ");
    const b = Buffer.concat([Buffer.from(`999 ${dim}\n`), text.subarray(nl + 1)]);
    const r = await tryOpen("v.bin", b);
    expect(r.code).toBe("TRUNCATED");
  });
  it("word2vec vocabulary beyond the cap", async () => {
    const r = await tryOpen("v.bin", Buffer.concat([Buffer.from("99999999999 4\nw "), Buffer.alloc(16)]));
    expect(r.format).toBeUndefined();
  });
  it("UBJSON string length beyond the document", async () => {
    const b = Buffer.from([0x7b, 0x4c, 0, 0, 0, 0, 0, 0, 0, 7, ...Buffer.from("learner"), 0x53, 0x4c, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7d]);
    const r = await tryOpen("m.ubj", b);
    expect(r.code).toBe("INVALID_JSON");
  });
  it("UBJSON nesting bomb", async () => {
    const head = Buffer.from([0x7b, 0x4c, 0, 0, 0, 0, 0, 0, 0, 7, ...Buffer.from("learner")]);
    const r = await tryOpen("m.ubj", Buffer.concat([head, Buffer.alloc(100000, 0x5b)]));
    expect(r.code).toBe("INVALID_JSON");
  });
  it("LightGBM without a version line", async () => {
    const r = await tryOpen("m.txt", "tree\nnum_class=1\nmax_feature_idx=0\n\nTree=0\nnum_leaves=1\n");
    expect(r.code).toBe("INVALID_HEADER");
  });
  it("LightGBM with fewer feature names than max_feature_idx declares", async () => {
    const r = await tryOpen("m.txt", "tree\nversion=v4\nnum_class=1\nmax_feature_idx=2\nfeature_names=a b\n\nTree=0\nend of trees\n");
    expect(r.format).toBe("lightgbm");
    expect(r.findings.map((f: any) => f.code)).toContain("feature-count");
  });
});

describe("shard indexes go through the resolver", () => {
  const st = readFileSync(join(dir, "hf-tiny", "model-00003-of-00003.safetensors"));
  it("a shard path leaving the directory is refused with a path-escape finding", async () => {
    const r = await tryOpen("model.safetensors.index.json", JSON.stringify({ metadata: {}, weight_map: { a: "../outside.safetensors" } }));
    expect(r.code).toBe("PATH_VIOLATION");
  });
  it("an absolute shard path is refused", async () => {
    const r = await tryOpen("model.safetensors.index.json", JSON.stringify({ weight_map: { a: "/etc/passwd" } }));
    expect(r.code).toBe("PATH_VIOLATION");
  });
  it("a missing shard names the file", async () => {
    const r = await tryOpen("model.safetensors.index.json", JSON.stringify({ weight_map: { a: "model-00001-of-00002.safetensors" } }));
    expect(r.code).toBe("SOURCE_MISSING");
    expect(r.message).toContain("model-00001-of-00002.safetensors");
  });
  it("tensors the index lists but no shard holds, and unlisted ones, are findings", async () => {
    const r = await tryOpen("model.safetensors.index.json", JSON.stringify({ metadata: { total_size: 1 }, weight_map: { "pooler.dense.bias": "s.safetensors", ghost: "s.safetensors" } }), { "s.safetensors": st });
    expect(r.format).toBe("safetensors");
    const codes = r.findings.map((f: any) => f.code);
    expect(codes).toContain("shard-missing-tensor");
    expect(codes).toContain("shard-total-size");
  });
  it("a shard that is not a model is an error naming it", async () => {
    const r = await tryOpen("model.safetensors.index.json", JSON.stringify({ weight_map: { a: "s.safetensors" } }), { "s.safetensors": "<html><body>login</body></html>" });
    expect(r.code).toBe("UNKNOWN_FORMAT");
    expect(r.message).toContain("s.safetensors");
  });
});

// A ustar header for `name` (size bytes follow), checksum filled in.
function tarHeader(name: string, size: number, type = "0"): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(size.toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write(type, 156);
  h.write("ustar\x0000", 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}
const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
function tar(members: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [n, body] of members) parts.push(tarHeader(n, Buffer.byteLength(body)), pad(Buffer.from(body)));
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

describe("tar archives", () => {
  const manifest = JSON.stringify({ runtime: "python", model: { modelName: "m", handler: "h.py", modelVersion: "1" } });
  it("a member escaping the folder is a high finding", async () => {
    const r = await tryOpen("a.tar.gz", gzipSync(tar([["m/MAR-INF/MANIFEST.json", manifest], ["m/h.py", "print(1)\n"], ["../../evil.py", "x"]])));
    expect(r.format).toBe("torchserve-mar");
    expect(r.findings.some((f: any) => f.code === "tar-path-escape" && f.severity === "high")).toBe(true);
    expect(r.metadata.path_traversal_members).toEqual(["../../evil.py"]);
  });
  it("a bad header checksum is CORRUPT", async () => {
    const t = tar([["m/MAR-INF/MANIFEST.json", manifest]]);
    t[10] ^= 0xff;
    const r = await tryOpen("a.tar", t);
    expect(r.format).toBeUndefined();
  });
  it("a plain tar without a manifest is listed as an archive", async () => {
    const npy = readFileSync(join(dir, "torchserve-tiny-dir", "weights.npy")).toString("latin1");
    const r = await tryOpen("a.tar", Buffer.concat([tarHeader("w.npy", npy.length), pad(Buffer.from(npy, "latin1")), Buffer.alloc(1024)]));
    expect(r.format).toBe("tar");
  });
});
