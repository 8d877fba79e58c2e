// Files larger than the core's first read windows: the row/line walks resume from their memoised
// progress after each cache miss. Synthetic files in the formats' documented layouts, values
// checked against the numbers written.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sdk } from "./helpers/core";

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-misc-large-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("multi-window files", () => {
  it("a 12 MB word2vec binary: every row's values, in order", async () => {
    const rows = 150_000, dim = 20;
    const parts: Buffer[] = [Buffer.from(`${rows} ${dim}\n`)];
    const row = new Float32Array(dim);
    for (let i = 0; i < rows; i++) {
      for (let k = 0; k < dim; k++) row[k] = i + k / 100;
      parts.push(Buffer.from(`w${i} `), Buffer.from(row.buffer.slice(0)), Buffer.from("\n"));
    }
    const p = join(tmp, "big.bin");
    writeFileSync(p, Buffer.concat(parts));
    const { open } = await sdk();
    const m = await open(p);
    try {
      expect(m.format).toBe("word2vec");
      expect(m.tensors[0].shape).toEqual([rows, dim]);
      expect(m.metadata.first_words).toEqual(["w0", "w1", "w2", "w3", "w4"]);
      const a = (await m.tensors[0].read()) as Float32Array;
      for (const i of [0, 1, 4095, 77_777, rows - 1]) for (const k of [0, dim - 1]) expect(a[i * dim + k]).toBe(Math.fround(i + k / 100));
    } finally {
      await m.close();
    }
  });

  it("a 6 MB LightGBM text model: every tree counted", async () => {
    const trees = 6000;
    const lines = ["tree", "version=v4", "num_class=1", "num_tree_per_iteration=1", "label_index=0", "max_feature_idx=1", "objective=regression", "feature_names=a b", "feature_infos=[0:1] [0:1]", "", ""];
    for (let t = 0; t < trees; t++) lines.push(`Tree=${t}`, "num_leaves=2", "num_cat=0", "split_feature=0", `leaf_value=${"0.125 ".repeat(100).trim()}`, "shrinkage=0.1", "", "");
    lines.push("end of trees", "", "feature_importances:", "a=6000", "", "parameters:", "[boosting: gbdt]", "end of parameters", "", "pandas_categorical:null", "");
    const p = join(tmp, "big.txt");
    writeFileSync(p, lines.join("\n"));
    const { open } = await sdk();
    const m = await open(p);
    try {
      expect(m.format).toBe("lightgbm");
      expect(m.metadata.num_trees).toBe(trees);
      expect((m.metadata.parameters as any).boosting).toBe("gbdt");
      expect(m.findings).toEqual([]);
    } finally {
      await m.close();
    }
  });
});
