// fastText, word2vec, XGBoost, LightGBM, gensim, TorchServe and Hugging Face documents / shard
// indexes, written by the real libraries (tests/fixtures/misc/generate.py). Facts and values are
// compared with what those libraries report (values bit for bit, as sha256 of the bytes).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const dir = join(FIXTURES, "misc");
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Record<string, any>;
const sha = (a: ArrayBufferView) => createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");

async function withModel<T>(file: string, f: (m: any) => Promise<T>): Promise<T> {
  const { open } = await sdk();
  const m = await open(join(dir, file));
  try {
    return await f(m);
  } finally {
    await m.close();
  }
}

async function checkTensors(m: any, tensors: Record<string, any>) {
  for (const [name, e] of Object.entries<any>(tensors)) {
    const t = m.tensor(name);
    expect(t, `tensor ${name}`).toBeTruthy();
    expect(t.dtype, name).toBe(e.dtype);
    expect(t.shape, name).toEqual(e.shape);
    if (e.sha256) expect(sha(await t.read()), `${name} values`).toBe(e.sha256);
    else await expect(t.read()).rejects.toMatchObject({ code: "UNREADABLE" });
  }
}

describe("fastText (fasttext 0.9.2 save_model)", () => {
  for (const file of ["fasttext-skipgram.bin", "fasttext-supervised.bin"]) {
    it(file, () =>
      withModel(file, async (m) => {
        const e = expected[file];
        expect(m.format).toBe("fasttext");
        expect(m.metadata.dim).toBe(e.dim);
        expect(m.metadata.has_magic).toBe(true);
        expect(m.tensors.map((t: any) => t.name)).toEqual(["input_matrix", "output_matrix"]);
        await checkTensors(m, e.tensors);
        if (e.first_words) expect(m.metadata.first_words).toEqual(e.first_words);
        if (e.labels) expect(m.metadata.first_labels).toEqual(e.labels);
      }));
  }
});

describe("fastText quantized (.ftz, fasttext quantize)", () => {
  it("fasttext-quantized.ftz lists codes and codebooks; the product-quantized matrix is not readable as numbers", () =>
    withModel("fasttext-quantized.ftz", async (m) => {
      const e = expected["fasttext-quantized.ftz"];
      expect(m.format).toBe("fasttext");
      expect(m.metadata.first_labels).toEqual(e.labels);
      const input = m.tensor("input_matrix");
      expect(input.shape).toEqual([e.input_rows, e.dim]);
      await expect(input.read()).rejects.toMatchObject({ code: "UNREADABLE" });
      expect(m.tensor("input_matrix.codes").shape).toEqual([e.codes]);
      // the whole file is accounted for: no trailing bytes
      expect(m.findings.filter((f: any) => f.code === "trailing-bytes")).toEqual([]);
    }));
});

describe("word2vec (gensim 4.3 save_word2vec_format)", () => {
  for (const file of ["word2vec-vectors.bin", "word2vec-vectors.txt"]) {
    it(file, () =>
      withModel(file, async (m) => {
        const e = expected[file];
        expect(m.format).toBe("word2vec");
        expect(m.metadata.vocab_size).toBe(e.vocab_size);
        expect(m.metadata.dim).toBe(e.dim);
        expect(m.metadata.first_words).toEqual(e.first_words);
        await checkTensors(m, e.tensors);
      }));
  }
});

describe("XGBoost (xgboost 2.1.4 save_model: JSON, UBJSON, legacy binary)", () => {
  for (const file of ["xgboost-binary.json", "xgboost-binary.ubj", "xgboost-binary.deprecated", "xgboost-linear.ubj"]) {
    it(file, () =>
      withModel(file, async (m) => {
        const e = expected[file];
        expect(m.format).toBe("xgboost");
        expect(m.metadata.objective).toBe(e.objective);
        expect(m.metadata.booster).toBe(e.booster);
        const nf = m.metadata.num_feature ?? Number((m.metadata.learner_model_param as any).num_feature);
        expect(Number(nf)).toBe(e.num_feature);
        if (e.num_trees !== undefined) expect(Number(m.metadata.num_trees)).toBe(e.num_trees);
        if (e.feature_names && !file.endsWith(".deprecated")) expect(m.metadata.feature_names).toEqual(e.feature_names);
        expect(m.tensors).toHaveLength(0);
      }));
  }
  it("the legacy binary is recognised by its structure, with the binf prefix reported", () =>
    withModel("xgboost-binary.deprecated", async (m) => {
      expect(m.formatVersion).toBe("legacy-binary");
      expect(m.metadata.binf_prefix).toBe(true);
    }));
});

describe("LightGBM (lightgbm 4.6 save_model)", () => {
  it("lightgbm-regression.txt", () =>
    withModel("lightgbm-regression.txt", async (m) => {
      const e = expected["lightgbm-regression.txt"];
      expect(m.format).toBe("lightgbm");
      expect(m.metadata.num_trees).toBe(e.num_trees);
      expect(m.metadata.feature_names).toEqual(e.feature_names);
      expect(m.metadata.num_feature).toBe(e.num_feature);
      expect(m.metadata.objective).toBe(e.objective);
      expect(m.metadata.has_parameters_section).toBe(true);
      expect((m.metadata.parameters as any).num_leaves).toBe("4");
    }));
});

describe("gensim (SaveLoad.save with side .npy arrays)", () => {
  it("reads the pickle without running it and the side arrays through the resolver", () =>
    withModel("gensim-word2vec.model", async (m) => {
      const e = expected["gensim-word2vec.model"];
      expect(m.format).toBe("pickle");
      expect((m.metadata.gensim as any).side_files).toEqual(e.side_files);
      await checkTensors(m, e.tensors);
      // the pickle's globals are classified: gensim's model classes are on the scanner's allowlist
      const g = (m.metadata.pickle as any).globals.find((x: any) => x.name === "gensim.models.word2vec.Word2Vec");
      expect(g?.severity).toBe("info");
      expect(g?.uses).toContain("called");
    }));
});

describe("TorchServe (torch-model-archiver 0.12: default, tgz, no-archive)", () => {
  for (const file of ["torchserve-tiny.mar", "torchserve-tiny.tar.gz", "torchserve-tiny-dir/MAR-INF/MANIFEST.json"]) {
    it(file, () =>
      withModel(file, async (m) => {
        const e = expected[file];
        expect(m.format).toBe("torchserve-mar");
        expect(m.metadata.container).toBe(e.container);
        expect((m.metadata.manifest as any).model).toEqual(e.model);
        const py = m.findings.filter((f: any) => f.code === "torchserve-python");
        expect(py.length).toBeGreaterThanOrEqual(1);
        expect(py.every((f: any) => f.severity === "high")).toBe(true);
        expect(m.findings.some((f: any) => f.code === "torchserve-requirements")).toBe(true);
        if (e.container !== "directory") {
          const handler = py.find((f: any) => f.location.endsWith("handler.py"));
          expect(handler.detail.code).toBe(readFileSync(join(dir, "torchserve-tiny-dir", "handler.py"), "utf8"));
          expect(py.map((f: any) => f.location.split("/").pop()).sort()).toEqual([...e.python].sort());
          const child = m.children.find((c: any) => c.name.endsWith("weights.npy"));
          expect(child.format).toBe(e.serialized_format);
          expect(child.size).toBe(readFileSync(join(dir, "torchserve-tiny-dir", "weights.npy")).length);
        }
      }));
  }
  it("a directory opens through its manifest", () =>
    withModel("torchserve-tiny-dir", async (m) => {
      expect(m.format).toBe("torchserve-mar");
      expect(m.formatVersion).toBe("directory");
    }));
});

describe("Hugging Face documents and the sharded safetensors index", () => {
  it("model.safetensors.index.json opens every shard as one model", () =>
    withModel("hf-tiny/model.safetensors.index.json", async (m) => {
      const e = expected["hf-tiny/model.safetensors.index.json"];
      expect(m.format).toBe("safetensors");
      expect(m.formatVersion).toBe("sharded");
      expect(m.metadata.shards).toEqual(e.shards);
      expect(m.tensors.map((t: any) => t.name).sort()).toEqual(Object.keys(e.tensors).sort());
      await checkTensors(m, e.tensors);
      expect(m.findings.filter((f: any) => f.severity !== "info")).toEqual([]);
      // each shard's __metadata__ as save_file wrote it
      for (const shard of e.shards) expect((m.metadata.shard_metadata as any)[shard]).toEqual({ format: "np" });
    }));
  for (const file of ["hf-tiny/config.json", "hf-tiny/generation_config.json", "hf-tiny/tokenizer.json", "hf-tiny/tokenizer_config.json"]) {
    it(file, () =>
      withModel(file, async (m) => {
        const e = expected[file];
        expect(m.format).toBe("json");
        expect(m.metadata.kind).toBe(e.kind);
        if (e.model_type) expect(m.metadata.model_type).toBe(e.model_type);
        if (e.vocab_size) expect(m.metadata.vocab_size).toBe(e.vocab_size);
        expect(m.tensors).toHaveLength(0);
      }));
  }
});

describe("pytorch_model.bin.index.json (torch 2.9 legacy and zip shards, generate_torch.py)", () => {
  const all = JSON.parse(readFileSync(join(dir, "expected-torch.json"), "utf8"));
  for (const file of ["hf-torch-shards/pytorch_model.bin.index.json", "hf-torch-zip-shards/pytorch_model.bin.index.json"]) {
    const exp = all[file];
    it(`${file}: both shards open as one model, values bit for bit`, () =>
      withModel(file, async (m) => {
        expect(m.format).toBe(exp.format);
        expect(m.formatVersion).toBe("sharded");
        expect(m.metadata.shards).toEqual(exp.shards);
        expect(m.tensors.map((t: any) => t.name).sort()).toEqual(Object.keys(exp.tensors).sort());
        await checkTensors(m, exp.tensors);
        // each shard's pickle is scanned; findings carry the shard's name
        expect(m.findings.every((f: any) => exp.shards.some((s: string) => f.location.startsWith(s)))).toBe(true);
      }));
  }
});

describe("Keras config documents (keras 3.15 to_json, generate_keras.py)", () => {
  const exp = JSON.parse(readFileSync(join(dir, "expected-keras.json"), "utf8"));
  for (const file of ["keras-plain.json", "keras-lambda.json"]) {
    it(file, () =>
      withModel(file, async (m) => {
        const e = exp[file];
        expect(m.format).toBe(e.format);
        expect(m.metadata.kind).toBe(e.kind);
        expect(m.metadata.model_class).toBe(e.model_class);
        expect(m.metadata.has_lambda_layer).toBe(e.lambda);
        const high = m.findings.filter((f: any) => f.severity === "high" || f.severity === "critical");
        if (e.lambda) expect(high.map((f: any) => f.code)).toContain("keras-lambda");
        else expect(high).toEqual([]);
      }));
  }
});

describe("a headerless TF.js shard opens through the model.json beside it", () => {
  for (const [shard, json] of [["tf/tfjs/graph_model/weights.bin", "tf/tfjs/graph_model/model.json"], ["tf/tfjs/rn_graph_model/group1-shard1of1.bin", "tf/tfjs/rn_graph_model/model.json"]]) {
    it(shard, async () => {
      const { open } = await sdk();
      const { CORPUS } = await import("./helpers/core");
      const a = await open(join(CORPUS, shard));
      const b = await open(join(CORPUS, json));
      try {
        expect(a.format).toBe("tfjs");
        expect(a.findings.map((f: any) => f.code)).toContain("opened-through-companion");
        expect(a.tensors.map((t: any) => [t.name, t.dtype, t.shape])).toEqual(b.tensors.map((t: any) => [t.name, t.dtype, t.shape]));
        for (let i = 0; i < a.tensors.length; i++) expect(sha(await a.tensors[i].read())).toBe(sha(await b.tensors[i].read()));
      } finally {
        await a.close();
        await b.close();
      }
    });
  }
  it("without model.json the error names it", async () => {
    const { open } = await sdk();
    await expect(open(new Uint8Array(64), { name: "group1-shard1of3.bin" })).rejects.toMatchObject({ code: "SOURCE_MISSING", message: expect.stringContaining("model.json") });
  });
});

describe("JSON documents that are not models are named", () => {
  const cases: [string, unknown, string][] = [
    ["notebook.json", { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }, "jupyter-notebook"],
    ["package.json", { name: "x", version: "1.0.0", dependencies: {} }, "npm-package"],
    ["coco.json", { images: [], annotations: [], categories: [] }, "coco-annotations"],
    ["vocab.json", { hello: 0, world: 1, "[UNK]": 2 }, "vocabulary"],
    ["special_tokens_map.json", { bos_token: "<s>", eos_token: "</s>" }, "special-tokens-map"],
    ["other.json", { anything: [1, 2, 3] }, "unknown"],
  ];
  for (const [name, doc, kind] of cases) {
    it(name, async () => {
      const { open } = await sdk();
      const m = await open(new TextEncoder().encode(JSON.stringify(doc)), { name });
      try {
        expect(m.format).toBe("json");
        expect(m.metadata.kind).toBe(kind);
        expect(m.tensors).toHaveLength(0);
      } finally {
        await m.close();
      }
    });
  }
  it("a directory with a shard index opens as the sharded model", () =>
    withModel("hf-tiny", async (m) => {
      expect(m.format).toBe("safetensors");
      expect(m.formatVersion).toBe("sharded");
    }));
});
