// Legacy GGML containers (assembly/formats/gguf/ggml.ts): the whisper.cpp files of the shared corpus
// against MANIFEST.json (names, dtypes, shapes, stored bytes), and GGJT v1/v2/v3 and whisper-style
// files built by tests/fixtures/gguf/gen_gguf.py, whose values are checked against gguf-py
// (current block layouts) or ggml's formulas (GGJT v1/v2-era layouts), bit for bit.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, corpusManifest, sdk } from "./helpers/core";

const dir = join(FIXTURES, "gguf");
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
const sha = (a: ArrayBufferView) => createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");

describe("whisper.cpp ggml files of the shared corpus", () => {
  const cases = Object.entries<any>(corpusManifest().cases).filter(([k]) => k.startsWith("ggml/"));
  for (const [rel, c] of cases) {
    it(`${rel}${c.valid === false ? " (must be refused)" : ""}`, async () => {
      const { open } = await sdk();
      if (c.valid === false) {
        await expect(open(join(CORPUS, rel))).rejects.toMatchObject({ name: "OmnimodelError", code: "INVALID_HEADER" });
        return;
      }
      const m = await open(join(CORPUS, rel));
      try {
        expect(m.format).toBe("ggml");
        expect(m.tensors.length).toBe(c.tensor_count);
        expect(m.metadata.kind).toBe(c.metadata.kind);
        if (c.metadata.hparams && m.metadata.kind !== "silero") expect(m.metadata.hparams).toEqual(c.metadata.hparams);
        if (c.metadata.vocab) expect(m.metadata.first_tokens).toEqual(c.metadata.vocab.slice(0, 3));
        if (c.metadata.first_tokens) expect(m.metadata.first_tokens).toEqual(c.metadata.first_tokens);
        if (c.metadata.mel_filters) expect(m.metadata.mel_filters).toEqual(c.metadata.mel_filters);
        if (c.metadata.model_type) expect([m.metadata.model_type, m.metadata.version]).toEqual([c.metadata.model_type, c.metadata.version]);
        for (const [name, e] of Object.entries<any>(c.tensors ?? {})) {
          const t = m.tensor(name)!;
          expect([name, t.dtype, t.shape, (t.info as any).ggml_ne]).toEqual([name, e.dtype, e.shape, e.ggml_ne]);
          expect([name, sha(await t.read())]).toEqual([name, e.sha256]);
        }
      } finally {
        await m.close();
      }
    });
  }
});

describe("GGJT and whisper-style files built from the writers' layouts", () => {
  for (const [file, exp] of Object.entries<any>(expected.legacy)) {
    it(file, async () => {
      const { open } = await sdk();
      const m = await open(join(dir, file));
      try {
        expect([m.format, m.formatVersion]).toEqual(["ggml", exp.formatVersion]);
        if (exp.kind) expect(m.metadata.kind).toBe(exp.kind);
        expect(m.tensors.map((t) => t.name)).toEqual(Object.keys(exp.tensors));
        for (const [name, e] of Object.entries<any>(exp.tensors)) {
          const t = m.tensor(name)!;
          expect([name, t.dtype, t.shape]).toEqual([name, e.dtype, e.shape]);
          expect([name, sha(await t.read({ dtype: "F32" }))]).toEqual([name, e.f32_sha256]);
        }
      } finally {
        await m.close();
      }
    });
  }
});

describe("legacy headers that are not models or are broken", () => {
  const magic = (m: number, rest: number[] = []) => {
    const b = Buffer.alloc(4 + 4 * rest.length);
    b.writeUInt32LE(m, 0);
    rest.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 + 4 * i));
    return b;
  };
  const cases: [string, Buffer, string][] = [
    ["GGLA LoRA adapter", magic(0x67676c61, [1, 8, 16]), "UNSUPPORTED"],
    ["GGSN session file", magic(0x6767736e, [1, 0, 0]), "UNSUPPORTED"],
    ["GGJT version 4", magic(0x67676a74, [4, 0, 0]), "INVALID_HEADER"],
    ["GGMF version 2", magic(0x67676d66, [2, 0, 0]), "INVALID_HEADER"],
    ["GGJT with n_vocab past EOF", magic(0x67676a74, [3, 0x7fffffff, 1, 1, 1, 1, 1, 0]), "INVALID_HEADER"],
    ["GGJT vocab entry past EOF", magic(0x67676a74, [3, 1, 1, 1, 1, 1, 1, 0, 1000]), "INVALID_HEADER"],
  ];
  for (const [title, bytes, code] of cases) {
    it(title, async () => {
      const { open } = await sdk();
      await expect(open(bytes, { name: "model.bin" })).rejects.toMatchObject({ name: "OmnimodelError", code });
    });
  }

  it("many near-valid records do not make the record scan quadratic", async () => {
    // 60,000 tiny F32 records and one stray byte at the end: no offset chains to EOF. Walking
    // each candidate's chain anew would take ~1.8e9 record steps; the scan must stay linear.
    const rec = Buffer.concat([Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("a"), Buffer.alloc(4)]);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(0x67676d6c, 0);
    const file = Buffer.concat([head, ...new Array(60000).fill(rec), Buffer.from([1])]);
    const { open } = await sdk();
    const t0 = Date.now();
    const m = await open(file, { name: "model.bin" });
    expect(m.tensors.length).toBe(0);
    expect(m.metadata.kind).toBe("unknown");
    await m.close();
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it("a GGJT tensor record with a bad type id names the record", async () => {
    const { open } = await sdk();
    const good = readFileSync(join(dir, "ggjt-v3.bin"));
    const b = Buffer.from(good);
    const i = b.indexOf("tok_embeddings.weight") - 12; // n_dims, name_len, type, ne[1]
    b.writeUInt32LE(99, i + 8 - 4);
    const err = await open(b, { name: "model.bin" }).catch((e) => e);
    expect(err.name).toBe("OmnimodelError");
    expect(err.message).toContain("type id 99");
  });

  it("every truncation of a GGJT file is a typed error, except at record boundaries", async () => {
    const { open } = await sdk();
    const full = readFileSync(join(dir, "ggjt-v1.bin"));
    const whole = await open(full, { name: "model.bin" });
    // a cut exactly after the vocabulary or after a tensor's data leaves a valid, shorter file
    const ends = whole.tensors.map((t) => (t.info as any).offset + t.byteLength);
    // magic, version, 7 hparams, then 3 tokens "t0".."t2" as {u32 len, bytes, f32 score}
    const firstRecord = 36 + 3 * (4 + 2 + 4);
    await whole.close();
    let boundaries = 0;
    for (let n = 0; n < full.length; n++) {
      const r = await open(full.subarray(0, n), { name: "model.bin" }).then(async (m) => {
        const k = m.tensors.length;
        await m.close();
        return k;
      }, (e) => e.name);
      if (typeof r === "number") {
        expect([n, n === (r === 0 ? firstRecord : ends[r - 1])]).toEqual([n, true]);
        boundaries++;
      } else {
        expect([n, r]).toEqual([n, "OmnimodelError"]);
      }
    }
    expect(boundaries).toBe(ends.length); // after the vocabulary and after each tensor but the last
  });
});
