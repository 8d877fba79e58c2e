// TensorFlow: fixtures written by tensorflow-cpu (tests/fixtures/tf/generate.py) and the TF files
// of the shared corpus. Values are compared bit for bit with what TensorFlow read back
// (tf.make_ndarray for Const nodes, tf.train.load_checkpoint for bundles); graphs and signatures
// with protobufjs decoding the same bytes through our .proto subset; bad input gives typed errors.
import { describe, expect, it, beforeAll } from "vitest";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import protobuf from "protobufjs";
import { CORPUS, FIXTURES, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "tf");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")).files as Record<string, Record<string, any>>;
const root = protobuf.loadSync(join(FIXTURES, "protobuf", "tf-subset.proto"));
const GraphDef = root.lookupType("tensorflow.GraphDef");
const SavedModel = root.lookupType("tensorflow.SavedModel");
const TF_DT: Record<number, string> = { 1: "F32", 2: "F64", 3: "I32", 4: "U8", 5: "I16", 6: "I8", 7: "STR", 8: "C64", 9: "I64", 10: "BOOL", 14: "BF16", 17: "U16", 18: "C128", 19: "F16", 22: "U32", 23: "U64" };

let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => {
  open = (await sdk()).open;
});

const hex = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");

function entryPath(key: string): string {
  if (key.endsWith(".pb")) return join(DIR, key);
  if (key === "saved_model") return join(DIR, "saved_model", "saved_model.pb");
  if (key.endsWith(".ckpt")) return join(DIR, key); // V1: one file
  return join(DIR, key + ".index");
}

describe("tf fixtures: values equal what TensorFlow reads", () => {
  for (const [key, tensors] of Object.entries(expected)) {
    it(key, async () => {
      const m = await open(entryPath(key));
      try {
        expect(m.format).toBe(key.endsWith(".pb") ? "tf-graphdef" : key === "saved_model" ? "tf-savedmodel" : "tf-checkpoint");
        expect(m.tensors.map((t) => t.name).sort()).toEqual(Object.keys(tensors).sort());
        for (const t of m.tensors) {
          const e = tensors[t.name];
          expect(t.dtype, t.name).toBe(e.dtype);
          expect(t.shape, t.name).toEqual(e.shape);
          if (e.strings) {
            if (key.endsWith(".pb")) expect((t.info as any).values).toEqual(e.strings);
            await expect(t.read()).rejects.toThrow(/strings/);
          } else {
            expect(hex(await t.read()), t.name).toBe(e.hex);
          }
        }
      } finally {
        await m.close();
      }
    });
  }

  it("checkpoint extras: TF1 .meta and state file, TF2 object graph keys, verified CRCs", async () => {
    const m1 = await open(join(DIR, "ckpt_tf1", "model-7.index"));
    const md1 = m1.metadata as any;
    expect(md1.meta_graph.ops).toContain("SaveV2");
    expect(md1.meta_graph.saver_def.version).toBe(2);
    expect(md1.checkpoint_state_file).toContain("model-7");
    expect(md1.checkpoint).toMatchObject({ num_shards: 1, endianness: "LITTLE", index_data_block_compression: ["none"] });
    expect(m1.tensors.every((t) => (t.info as any).crc32c === "verified")).toBe(true);
    await m1.close();
    const m2 = await open(join(DIR, "ckpt_tf2", "ckpt.index"));
    const keys = ((m2.metadata as any).object_graph as any[]).map((o) => o.checkpoint_key);
    expect(keys).toContain("dense/.ATTRIBUTES/VARIABLE_VALUE");
    await m2.close();
  });

  it("file ops are high findings", async () => {
    const m = await open(join(DIR, "fileop.pb"));
    const codes = m.findings.filter((f) => f.severity === "high").map((f) => f.message);
    expect(codes.some((c) => c.includes("ReadFile"))).toBe(true);
    expect(codes.some((c) => c.includes("WriteFile"))).toBe(true);
    await m.close();
  });
});

describe("tf: the index agrees with protobufjs", () => {
  const graphs = [join(DIR, "frozen.pb"), join(DIR, "fileop.pb"), join(CORPUS, "tf", "tf2onnx-regression-frozen.pb"), join(CORPUS, "tf", "tf2onnx-gru-frozen.pb")];
  for (const p of graphs) {
    it(p.replace(CORPUS, "corpus").replace(DIR, "fixtures"), async () => {
      const ref = GraphDef.toObject(GraphDef.decode(readFileSync(p)), { longs: String, defaults: false }) as any;
      const m = await open(p);
      try {
        const nodes = (m.graph as any).nodes.map((n: any) => ({ name: n.name, op: n.op, inputs: n.inputs }));
        expect(nodes).toEqual(ref.node.map((n: any) => ({ name: n.name, op: n.op, inputs: n.input ?? [] })));
        const consts = ref.node.filter((n: any) => n.op === "Const");
        expect(m.tensors.map((t) => t.name)).toEqual(consts.map((n: any) => n.name));
        for (const n of consts) {
          const t = n.attr.value.tensor;
          const ours = m.tensors.find((x) => x.name === n.name)!;
          expect(ours.dtype, n.name).toBe(TF_DT[t.dtype]);
          expect(ours.shape, n.name).toEqual((t.tensorShape?.dim ?? []).map((d: any) => Number(d.size ?? 0)));
        }
      } finally {
        await m.close();
      }
    });
  }

  for (const p of [join(DIR, "saved_model", "saved_model.pb"), join(CORPUS, "tf", "saved_model_half_plus_two_cpu", "00000123", "saved_model.pb"), join(CORPUS, "tf", "saved_model_half_plus_two_tf2_cpu", "00000123", "saved_model.pb")]) {
    it("signatures: " + p.replace(CORPUS, "corpus").replace(DIR, "fixtures"), async () => {
      const ref = SavedModel.toObject(SavedModel.decode(readFileSync(p)), { longs: String }) as any;
      const m = await open(p);
      try {
        const mgs = (m.metadata as any).meta_graphs;
        expect(mgs.length).toBe(ref.metaGraphs.length);
        for (let i = 0; i < mgs.length; i++) {
          const r = ref.metaGraphs[i];
          expect(mgs[i].tags).toEqual(r.metaInfoDef.tags);
          expect(Object.keys(mgs[i].signatures).sort()).toEqual(Object.keys(r.signatureDef).sort());
          for (const [k, s] of Object.entries<any>(r.signatureDef)) {
            expect(mgs[i].signatures[k].method_name).toBe(s.methodName ?? "");
            for (const [ik, iv] of Object.entries<any>(s.inputs ?? {})) expect(mgs[i].signatures[k].inputs[ik].name).toBe(iv.name);
          }
          expect(mgs[i].node_count).toBe(r.graphDef.node?.length ?? 0);
          expect(mgs[i].function_count).toBe(r.graphDef.library?.function?.length ?? 0);
        }
      } finally {
        await m.close();
      }
    });
  }
});

// A minimal SSTable walk (uncompressed blocks only) to get each key's BundleEntryProto bytes.
function sstEntries(b: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const f = protobuf.Reader.create(b.subarray(b.length - 48));
  f.uint64(); f.uint64();
  const ioff = Number(f.uint64()), isz = Number(f.uint64());
  const block = (off: number, size: number, each: (k: string, v: Uint8Array) => void) => {
    expect(b[off + size]).toBe(0); // no compression
    const n = new DataView(b.buffer, b.byteOffset).getUint32(off + size - 4, true);
    const end = off + size - 4 - 4 * n;
    let p = off;
    let prev = Buffer.alloc(0);
    while (p < end) {
      const r = protobuf.Reader.create(b.subarray(p, end));
      const shared = r.uint32(), unshared = r.uint32(), vlen = r.uint32();
      p += r.pos;
      const key = Buffer.concat([prev.subarray(0, shared), b.subarray(p, p + unshared)]);
      p += unshared;
      each(key.toString("utf8"), b.subarray(p, p + vlen));
      p += vlen;
      prev = key;
    }
  };
  block(ioff, isz, (_k, v) => {
    const r = protobuf.Reader.create(v);
    block(Number(r.uint64()), Number(r.uint64()), (k, val) => out.set(k, val));
  });
  return out;
}

describe("tf checkpoints: BundleEntryProto decoded by protobufjs agrees with the index", () => {
  const BundleEntry = root.lookupType("tensorflow.BundleEntryProto");
  for (const p of [join(DIR, "ckpt_tf1", "model-7.index"), join(DIR, "ckpt_tf2", "ckpt.index"), join(DIR, "saved_model", "variables", "variables.index"), join(CORPUS, "tf", "tf2onnx-regression-checkpoint", "model.index"), join(CORPUS, "tf", "tf-keras-lso_ckpt_tf2.2", "ckpt.index")]) {
    it(p.replace(CORPUS, "corpus").replace(DIR, "fixtures"), async () => {
      const entries = sstEntries(readFileSync(p));
      const m = await open(p);
      try {
        const keys = [...entries.keys()].filter((k) => k !== "");
        expect(m.tensors.map((t) => t.name)).toEqual(keys);
        for (const t of m.tensors) {
          const e = BundleEntry.toObject(BundleEntry.decode(entries.get(t.name)!), { longs: Number, defaults: true }) as any;
          const info = t.info as any;
          expect([info.shard, info.offset, info.size], t.name).toEqual([e.shardId, e.offset, e.size]);
          expect(t.shape, t.name).toEqual((e.shape?.dim ?? []).map((d: any) => d.size));
          expect(t.dtype, t.name).toBe(TF_DT[e.dtype]);
        }
      } finally {
        await m.close();
      }
    });
  }
});

async function codeOf(bytes: Uint8Array, name: string, siblings?: Map<string, Uint8Array>, format?: string): Promise<string> {
  try {
    const m = await open(bytes, { name, siblings, format });
    for (const t of m.tensors) { try { await t.read(); } catch (e: any) { if (e.code !== "UNREADABLE") throw e; } }
    await m.close();
    return "none";
  } catch (e: any) {
    return e.code;
  }
}

describe("tf: bad input", () => {
  const index = readFileSync(join(DIR, "ckpt_tf1", "model-7.index"));
  const data = readFileSync(join(DIR, "ckpt_tf1", "model-7.data-00000-of-00001"));
  const sib = (d: Uint8Array) => new Map([["model-7.data-00000-of-00001", d]]);

  it("a checkpoint index block with a flipped byte fails its CRC32C", async () => {
    const b = Uint8Array.from(index);
    b[5] ^= 0x40;
    expect(await codeOf(b, "model-7.index", sib(data))).toBe("CHECKSUM");
  });
  it("a data shard with a flipped byte fails the tensor's CRC32C", async () => {
    const d = Uint8Array.from(data);
    d[d.length - 3] ^= 1;
    expect(await codeOf(Uint8Array.from(index), "model-7.index", sib(d))).toBe("CHECKSUM");
  });
  it("a shard shorter than its entries", async () => {
    expect(await codeOf(Uint8Array.from(index), "model-7.index", sib(data.subarray(0, 10)))).toBe("INVALID_OFFSET");
  });
  it("a corrupt Snappy block (corpus half_plus_two index, CRC recomputed) is a DECOMPRESS error", async () => {
    const p = join(CORPUS, "tf", "saved_model_half_plus_two_cpu", "00000123", "variables");
    const idx = Uint8Array.from(readFileSync(join(p, "variables.index")));
    // The first data block starts at 0; its handle is in the index block. Break its Snappy
    // preamble (declared length) and fix the trailer CRC so only the decoder can object.
    const dv = new DataView(idx.buffer);
    const footer = idx.length - 48;
    const r = protobuf.Reader.create(idx.subarray(footer));
    r.uint64(); r.uint64();
    const ioff = Number(r.uint64()); const isz = Number(r.uint64());
    const ir = protobuf.Reader.create(idx.subarray(ioff, ioff + isz));
    ir.uint32(); const unshared = ir.uint32(); ir.uint32(); ir.skip(unshared);
    const boff = Number(ir.uint64()); const bsz = Number(ir.uint64());
    expect(idx[boff + bsz]).toBe(1); // Snappy
    idx[boff] = 0x7f; // declares 127 bytes
    const crc = crc32c(idx.subarray(boff, boff + bsz + 1));
    dv.setUint32(boff + bsz + 1, ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0, true);
    expect(await codeOf(idx, "variables.index")).toBe("DECOMPRESS");
  });
  it("a truncated footer", async () => {
    expect(await codeOf(index.subarray(0, index.length - 3), "model-7.index", sib(data), "tf-checkpoint")).toBe("INVALID_HEADER");
  });
  it("Const nodes: tensor_content of the wrong size, broadcast bombs, negative dims", async () => {
    const NodeDef = root.lookupType("tensorflow.NodeDef");
    const graph = (tensor: any) => GraphDef.encode(GraphDef.fromObject({ node: [NodeDef.fromObject({ name: "c", op: "Const", attr: { value: { tensor } } })] })).finish();
    expect(await codeOf(graph({ dtype: 1, tensorShape: { dim: [{ size: 3 }] }, tensorContent: new Uint8Array(8) }), "g.pb")).toBe("SIZE_MISMATCH");
    expect(await codeOf(graph({ dtype: 1, tensorShape: { dim: [{ size: 2 }] }, floatVal: [1, 2, 3] }), "g.pb")).toBe("SIZE_MISMATCH");
    expect(await codeOf(graph({ dtype: 1, tensorShape: { dim: [{ size: -1 }] }, floatVal: [1] }), "g.pb")).toBe("BAD_SHAPE");
    const bomb = await open(graph({ dtype: 1, tensorShape: { dim: [{ size: 1 << 20 }, { size: 1 << 20 }] }, floatVal: [1] }), { name: "g.pb" });
    expect(bomb.findings.some((f) => f.code === "broadcast-expansion")).toBe(true);
    await expect(bomb.tensors[0].read()).rejects.toThrow(/broadcast/);
    await bomb.close();
  });
  it("fuzz: mutated graphs and checkpoint indexes give indexes or typed errors", async () => {
    let s = 12345;
    const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
    for (const [file, name, format] of [[join(DIR, "frozen.pb"), "f.pb", "tf-graphdef"], [join(DIR, "ckpt_tf1", "model-7.index"), "model-7.index", "tf-checkpoint"], [join(DIR, "saved_model", "saved_model.pb"), "saved_model.pb", "tf-savedmodel"], [join(DIR, "ckpt_v1", "model.ckpt"), "model.ckpt", "tf-checkpoint"]]) {
      const orig = readFileSync(file);
      for (let i = 0; i < 120; i++) {
        const b = Uint8Array.from(orig);
        const bytes = i % 3 === 0 ? b.subarray(0, Math.floor(r() * b.length)) : b;
        if (i % 3 !== 0) for (let k = 0; k < 3; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
        try {
          const m = await open(bytes, { name, format, siblings: sib(data) });
          for (const t of m.tensors) { try { await t.read(); } catch (e: any) { expect(e.constructor.name).toBe("OmnimodelError"); } }
          await m.close();
        } catch (e: any) {
          expect(e.constructor.name, String(e.stack)).toBe("OmnimodelError");
        }
      }
    }
  }, 60_000);
});

function crc32c(b: Uint8Array): number {
  let c = ~0 >>> 0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

export { cpSync, mkdtempSync, rmSync, tmpdir, writeFileSync };
