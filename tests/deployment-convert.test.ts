// convert for the deployment formats: every readable tensor of a TFLite, ExecuTorch, OpenVINO IR
// and Core ML model lands in safetensors (dtype keep) with the values its reader gives.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-deploy-convert-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FILES = ["tflite/float.tflite", "tflite/float16.tflite", "pte/xnnpack.pte", "openvino/tiny.xml", "openvino/tiny_f16.xml", "coreml/nn.mlmodel", "coreml/program_f32.mlpackage"];

describe("convert: deployment formats", () => {
  for (const file of FILES) {
    it(file, async () => {
      const { open, convert } = await sdk();
      const src = await open(join(FIXTURES, file));
      const out = join(tmp, file.replace(/[/.]/g, "_") + ".safetensors");
      const r = await convert(join(FIXTURES, file), out);
      const back = await open(out);
      const readable = src.tensors;
      expect(r.tensors).toBe(readable.length);
      for (const t of readable) {
        const w = back.tensors.find((x) => x.name === t.name)!;
        expect(w, t.name).toBeDefined();
        expect(Buffer.from((await w.read()).buffer).equals(Buffer.from((await t.read()).buffer)), t.name).toBe(true);
      }
      await back.close();
      await src.close();
    });
  }
});
