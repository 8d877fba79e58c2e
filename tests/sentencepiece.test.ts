// SentencePiece: tiny unigram and BPE models trained by the sentencepiece package
// (tests/fixtures/sentencepiece/generate.py) and the corpus models. Pieces, types and ids must
// equal what sentencepiece reports; scores are read bit for bit; everything is also compared with
// protobufjs decoding the same bytes through our .proto subset.
import { describe, expect, it, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { CORPUS, FIXTURES, corpusManifest, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "sentencepiece");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")).files as Record<string, any>;
const ModelProto = protobuf.loadSync(join(FIXTURES, "protobuf", "sentencepiece-subset.proto")).lookupType("sentencepiece.ModelProto");
const TYPES = ["", "NORMAL", "UNKNOWN", "CONTROL", "USER_DEFINED", "UNUSED", "BYTE"];

let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => {
  open = (await sdk()).open;
});
const hex = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");

describe("sentencepiece fixtures: what sentencepiece reports", () => {
  for (const [file, e] of Object.entries(expected)) {
    it(file, async () => {
      const m = await open(join(DIR, file));
      try {
        expect(m.format).toBe("sentencepiece");
        const md = m.metadata as any;
        expect(md.vocab_size).toBe(e.vocab_size);
        expect(md.model_type).toBe(e.model_type);
        expect(md.vocab.pieces).toEqual(e.pieces);
        expect(md.vocab.types).toEqual(e.types);
        for (const k of ["unk_id", "bos_id", "eos_id", "pad_id", "normalizer_name"]) expect(md[k], k).toBe(e[k]);
        expect(md.normalizer_spec.add_dummy_prefix).toBe(e.add_dummy_prefix);
        expect(md.trainer_spec.vocab_size).toBe(e.trainer_vocab_size);
        expect(md.trainer_spec.user_defined_symbols).toEqual(e.user_defined_symbols);
        expect(md.trainer_spec.character_coverage).toBe(e.character_coverage);
        const scores = m.tensors.find((t) => t.name === "scores")!;
        expect(hex(await scores.read())).toBe(e.scores_hex);
      } finally {
        await m.close();
      }
    });
  }
});

describe("sentencepiece: agrees with protobufjs and the corpus manifest", () => {
  const files = [...Object.keys(expected).map((f) => join(DIR, f)), join(CORPUS, "sentencepiece", "test_model.model"), join(CORPUS, "sentencepiece", "test_ja_model.model")];
  for (const p of files) {
    it(p.replace(CORPUS, "corpus").replace(DIR, "fixtures"), async () => {
      const bytes = readFileSync(p);
      const ref = ModelProto.toObject(ModelProto.decode(bytes), { defaults: true }) as any;
      const m = await open(p);
      try {
        const md = m.metadata as any;
        expect(md.vocab.pieces).toEqual(ref.pieces.map((x: any) => x.piece));
        expect(md.vocab.types).toEqual(ref.pieces.map((x: any) => TYPES[x.type]));
        const scores = new Float32Array(ref.pieces.map((x: any) => x.score));
        expect(hex(await m.tensors.find((t) => t.name === "scores")!.read())).toBe(hex(scores));
        expect(md.trainer_spec.unk_id).toBe(ref.trainerSpec.unkId);
        expect(md.trainer_spec.pad_id).toBe(ref.trainerSpec.padId);
        const cm = ref.normalizerSpec.precompiledCharsmap as Uint8Array;
        if (cm && cm.length) expect(hex(await m.tensors.find((t) => t.name === "normalizer.precompiled_charsmap")!.read())).toBe(hex(cm));
        const c = corpusManifest().cases[p.replace(CORPUS + "/", "")];
        if (c) {
          expect(md.vocab_size).toBe(c.metadata.vocab_size);
          expect(md.vocab.pieces.slice(0, c.metadata.first_pieces.length)).toEqual(c.metadata.first_pieces);
          expect(md.normalizer_name).toBe(c.metadata.normalizer_name);
          expect(md.normalizer_spec.precompiled_charsmap_bytes).toBe(c.metadata.precompiled_charsmap_bytes);
        }
      } finally {
        await m.close();
      }
    });
  }

  it("bad input: truncation and a score with the wrong wire type", async () => {
    const b = readFileSync(join(DIR, "unigram.model"));
    await expect(open(b.subarray(0, b.length - 5), { name: "x.model", format: "sentencepiece" })).rejects.toMatchObject({ code: "TRUNCATED" });
    const w = protobuf.Writer.create();
    const piece = protobuf.Writer.create().uint32(10).string("<unk>").uint32(16).uint32(3).finish(); // score as varint
    w.uint32(10).bytes(piece).uint32(10).bytes(protobuf.Writer.create().uint32(10).string("a").finish()).uint32(18).bytes(new Uint8Array(0));
    await expect(open(w.finish(), { name: "x.model", format: "sentencepiece" })).rejects.toMatchObject({ code: "CORRUPT" });
  });
});

describe("sentencepiece: fuzz", () => {
  it("mutated models give indexes or typed errors", async () => {
    let s = 99;
    const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
    const orig = readFileSync(join(DIR, "bpe.model"));
    for (let i = 0; i < 200; i++) {
      const b = Uint8Array.from(orig);
      const bytes = i % 4 === 0 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      if (i % 4 !== 0) for (let k = 0; k < 1 + (i % 3); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      try {
        const m = await open(bytes, { name: "x.model", format: "sentencepiece" });
        for (const t of m.tensors) await t.read();
        await m.close();
      } catch (e: any) {
        expect(e.constructor.name, String(e.stack)).toBe("OmnimodelError");
      }
    }
  });
});
