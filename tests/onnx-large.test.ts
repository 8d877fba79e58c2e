// A model whose external data file is larger than 2 GiB (sparse, created in a temp directory at
// test time, never committed): offsets past 2^31 must survive every step from the protobuf
// strings to the read plan.
import { describe, expect, it } from "vitest";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, ftruncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import protobuf from "protobufjs";
import { FIXTURES, sdk } from "./helpers/core";

const ModelProto = protobuf.loadSync(join(FIXTURES, "protobuf", "onnx-subset.proto")).lookupType("onnx.ModelProto");

describe("onnx: external data beyond 2 GiB", () => {
  it("indexes a 2.5 GB sparse data file and reads a tensor stored past 2^31", async () => {
    const dir = mkdtempSync(join(tmpdir(), "onnx-large-"));
    try {
      const dataSize = 2_500_000_000;
      const tailOffset = 2_300_000_000;
      const tail = Float32Array.from({ length: 16 }, (_, i) => i * 0.5 - 3);
      const fd = openSync(join(dir, "big.onnx.data"), "w");
      ftruncateSync(fd, dataSize);
      writeSync(fd, new Uint8Array(tail.buffer), 0, 64, tailOffset);
      closeSync(fd);
      const ext = (offset: number, length: number) => [
        { key: "location", value: "big.onnx.data" },
        { key: "offset", value: String(offset) },
        { key: "length", value: String(length) },
      ];
      const model = ModelProto.encode(ModelProto.fromObject({
        irVersion: 10, producerName: "test", opsetImport: [{ domain: "", version: 21 }],
        graph: {
          name: "big",
          node: [{ opType: "Add", input: ["huge", "huge"], output: ["y"] }],
          initializer: [
            { name: "huge", dims: [550_000_000], dataType: 1, dataLocation: 1, externalData: ext(0, 2_200_000_000) },
            { name: "tail", dims: [16], dataType: 1, dataLocation: 1, externalData: ext(tailOffset, 64) },
          ],
        },
      })).finish();
      writeFileSync(join(dir, "big.onnx"), model);
      const { open } = await sdk();
      const m = await open(join(dir, "big.onnx"));
      try {
        expect(m.tensors.map((t) => [t.name, t.byteLength])).toEqual([["huge", 2_200_000_000], ["tail", 64]]);
        const t = m.tensors.find((x) => x.name === "tail")!;
        expect(Array.from(await t.read())).toEqual(Array.from(tail));
        // The first window of the huge tensor streams without loading 2.2 GB.
        for await (const chunk of m.tensors[0].chunks()) {
          expect(chunk.length).toBeGreaterThan(0);
          expect((chunk as Float32Array).every((v) => v === 0)).toBe(true);
          break;
        }
      } finally {
        await m.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
