// ONNX: fixtures written by the onnx package (tests/fixtures/onnx/generate.py), the ONNX files of
// the shared corpus, and crafted bad input. Values are compared bit for bit with what
// onnx.numpy_helper.to_array read (expected.json); the structure is compared with an independent
// decode of the same bytes by protobufjs using our own .proto subset.
import { describe, expect, it, beforeAll } from "vitest";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { createHash } from "node:crypto";
import { CORPUS, FIXTURES, corpusManifest, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "onnx");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")).files as Record<string, Record<string, any>>;
const root = protobuf.loadSync(join(FIXTURES, "protobuf", "onnx-subset.proto"));
const ModelProto = root.lookupType("onnx.ModelProto");
const TensorProto = root.lookupType("onnx.TensorProto");

const DTYPE: Record<string, string> = {
  FLOAT: "F32", UINT8: "U8", INT8: "I8", UINT16: "U16", INT16: "I16", INT32: "I32", INT64: "I64", STRING: "STR", BOOL: "BOOL",
  FLOAT16: "F16", DOUBLE: "F64", UINT32: "U32", UINT64: "U64", COMPLEX64: "C64", COMPLEX128: "C128", BFLOAT16: "BF16",
  FLOAT8E4M3FN: "F8_E4M3", FLOAT8E4M3FNUZ: "F8_E4M3FNUZ", FLOAT8E5M2: "F8_E5M2", FLOAT8E5M2FNUZ: "F8_E5M2FNUZ", UINT4: "U4",
  INT4: "I4", FLOAT4E2M1: "F4", FLOAT8E8M0: "F8_E8M0", UINT2: "U2", INT2: "I2", FLOAT6E2M3: "F6_E2M3", FLOAT6E3M2: "F6_E3M2",
};
const TYPE_NAMES = Object.keys(DTYPE);
const ONNX_TYPES = ["UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2", "FLOAT6E2M3", "FLOAT6E3M2"];

let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => {
  open = (await sdk()).open;
});

const hex = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");

async function bytesOf(t: { read(): Promise<ArrayBufferView> }): Promise<string> {
  return hex(await t.read());
}

describe("onnx fixtures: values equal onnx.numpy_helper.to_array", () => {
  for (const [file, tensors] of Object.entries(expected)) {
    it(file, async () => {
      const m = await open(join(DIR, file));
      try {
        expect(m.format).toBe("onnx");
        const names = m.tensors.map((t) => t.name).sort();
        expect(names).toEqual(Object.keys(tensors).sort());
        for (const t of m.tensors) {
          const e = tensors[t.name];
          expect(t.dtype, t.name).toBe(DTYPE[e.data_type]);
          expect(t.shape, t.name).toEqual(e.shape);
          if (e.strings) {
            expect((t.info as any).values).toEqual(e.strings);
            await expect(t.read()).rejects.toThrow(/strings/);
          } else {
            expect(await bytesOf(t), t.name).toBe(e.hex);
          }
        }
      } finally {
        await m.close();
      }
    });
  }
});

// --- protobufjs agreement -------------------------------------------------------------------

function num(v: unknown): number {
  return typeof v === "string" ? Number(v) : (v as number);
}

interface RefTensor { name: string; dims: number[]; dtype: string; rawLength?: number }

function refTensor(t: any): RefTensor {
  return { name: t.name ?? "", dims: (t.dims ?? []).map(num), dtype: DTYPE[ONNX_TYPES[t.dataType]], rawLength: t.rawData ? t.rawData.length : undefined };
}

// Initializers of the graph and of every subgraph in attributes, in file order.
function refInitializers(g: any, out: RefTensor[] = []): RefTensor[] {
  for (const t of g.initializer ?? []) out.push(refTensor(t));
  for (const s of g.sparseInitializer ?? []) {
    out.push(refTensor(s.values));
    if (s.indices) out.push(refTensor(s.indices));
  }
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.g) refInitializers(a.g, out);
      for (const sg of a.graphs ?? []) refInitializers(sg, out);
    }
  }
  return out;
}

async function agree(path: string) {
  const bytes = readFileSync(path);
  const ref = ModelProto.toObject(ModelProto.decode(bytes), { longs: String, bytes: Array }) as any;
  const m = await open(path);
  try {
    const idx: any = { tensors: m.tensors, metadata: m.metadata, graph: m.graph };
    const inits = refInitializers(ref.graph ?? {});
    // Same initializers, same names/shapes/types, in the same order (top level first is how we list).
    const ours = idx.tensors.map((t: any) => ({ name: t.name, dims: t.shape, dtype: t.dtype }));
    expect(new Set(ours.map((t: any) => JSON.stringify(t)))).toEqual(new Set(inits.map((t) => JSON.stringify({ name: t.name, dims: t.dims, dtype: t.dtype }))));
    for (const t of inits) {
      const o = idx.tensors.find((x: any) => x.name === t.name);
      if (t.rawLength !== undefined) expect(o.byteLength, t.name).toBe(t.rawLength);
    }
    expect(idx.metadata.ir_version).toBe(num(ref.irVersion));
    const opsets: Record<string, number> = {};
    for (const o of ref.opsetImport ?? []) opsets[o.domain || "ai.onnx"] = num(o.version);
    expect(idx.metadata.opset_import).toEqual(opsets);
    expect(idx.metadata.producer_name ?? "").toBe(ref.producerName ?? "");
    const props: Record<string, string> = {};
    for (const p of ref.metadataProps ?? []) props[p.key] = p.value;
    expect(idx.metadata.metadata_props ?? {}).toEqual(props);
    const nodes = (ref.graph?.node ?? []).map((n: any) => ({ op: n.opType, domain: n.domain ?? "", inputs: n.input ?? [], outputs: n.output ?? [], name: n.name ?? "", attrs: (n.attribute ?? []).map((a: any) => a.name) }));
    const got = (idx.graph?.nodes ?? []).map((n: any) => ({ op: n.op_type, domain: n.domain, inputs: n.inputs, outputs: n.outputs, name: n.name, attrs: Object.keys(n.attributes) }));
    expect(got).toEqual(nodes);
    const io = (l: any[]) => (l ?? []).map((v: any) => v.name);
    expect((idx.metadata.inputs ?? []).map((v: any) => v.name)).toEqual(io(ref.graph?.input));
    expect((idx.metadata.outputs ?? []).map((v: any) => v.name)).toEqual(io(ref.graph?.output));
    for (let i = 0; i < (ref.graph?.input ?? []).length; i++) {
      const tt = ref.graph.input[i].type?.tensorType;
      if (!tt) continue;
      expect(idx.metadata.inputs[i].elem_type).toBe(ONNX_TYPES[tt.elemType]);
      const dims = (tt.shape?.dim ?? []).map((d: any) => (d.dimValue !== undefined ? num(d.dimValue) : d.dimParam !== undefined ? d.dimParam : null));
      if (tt.shape) expect(idx.metadata.inputs[i].shape).toEqual(dims);
    }
    expect((idx.metadata.functions ?? []).map((f: any) => f.name)).toEqual((ref.functions ?? []).map((f: any) => f.name));
  } finally {
    await m.close();
  }
}

function corpusOnnxModels(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(".onnx")) out.push(p);
    }
  };
  const base = join(CORPUS, "onnx");
  if (existsSync(base)) walk(base);
  return out;
}

describe("onnx: the index agrees with protobufjs decoding the same bytes", () => {
  const files = ["dtypes_raw.onnx", "dtypes_typed.onnx", "external.onnx", "structure.onnx"].map((f) => join(DIR, f));
  for (const f of [...files, ...corpusOnnxModels()]) it(f.replace(CORPUS, "corpus").replace(DIR, "fixtures"), () => agree(f));

  it("bare TensorProto files (fixture and corpus test data)", async () => {
    const pbs = [join(DIR, "tensor.pb")];
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (e.endsWith(".pb") && !p.includes("optional")) pbs.push(p);
      }
    };
    if (existsSync(join(CORPUS, "onnx"))) walk(join(CORPUS, "onnx"));
    expect(pbs.length).toBeGreaterThan(5);
    for (const p of pbs) {
      const ref = TensorProto.toObject(TensorProto.decode(readFileSync(p)), { longs: String }) as any;
      const m = await open(p);
      try {
        expect(m.tensors.length).toBe(1);
        const t = m.tensors[0];
        expect(t.name).toBe(ref.name ?? "");
        expect(t.shape).toEqual((ref.dims ?? []).map(num));
        expect(t.dtype).toBe(DTYPE[ONNX_TYPES[ref.dataType]]);
      } finally {
        await m.close();
      }
    }
  });
});

describe("onnx corpus: every tensor's values hash to the manifest's sha256 (sub-byte types packed)", () => {
  const cases = Object.entries(corpusManifest().cases).filter(([k, c]) => k.startsWith("onnx/") && Object.values<any>(c.tensors ?? {}).some((t) => t.sha256));
  for (const [key, c] of cases) {
    it(key, async () => {
      const m = await open(join(CORPUS, key));
      try {
        for (const [name, e] of Object.entries<any>(c.tensors)) {
          if (!e.sha256) continue;
          const t = m.tensors.find((x) => x.name === name)!;
          const b = await t.read();
          expect(createHash("sha256").update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).digest("hex"), name).toBe(e.sha256);
        }
      } finally {
        await m.close();
      }
    });
  }
});

describe("onnx structure", () => {
  it("graph: subgraphs, attributes, functions, custom domains, sparse initializers", async () => {
    const m = await open(join(DIR, "structure.onnx"));
    try {
      const g = m.graph as any;
      const iff = g.nodes.find((n: any) => n.op_type === "If");
      expect(iff.attributes.then_branch.nodes[0].op_type).toBe("Add");
      expect(iff.attributes.then_branch.initializers).toEqual(["then_bias"]);
      expect(iff.attributes.else_branch.nodes[0].op_type).toBe("Neg");
      const act = g.nodes.find((n: any) => n.op_type === "LeakyRelu");
      expect(act.attributes.alpha).toBe(0.25);
      expect(g.nodes.find((n: any) => n.op_type === "Transpose").attributes.perm).toEqual([1, 0]);
      const md = m.metadata as any;
      expect(md.attribute_tensors[0]).toMatchObject({ node: "", attribute: "value", name: "const_value", dtype: "F32", shape: [2] });
      expect(md.functions[0]).toMatchObject({ name: "MyScale", domain: "local.fn", inputs: ["x"], outputs: ["y"] });
      expect(md.metadata_props).toEqual({ author: "fixtures", purpose: "structure" });
      expect(md.inputs[0]).toEqual({ name: "X", type: "tensor", elem_type: "FLOAT", shape: ["N", 4] });
      const custom = m.findings.find((f) => f.code === "custom-op-domain");
      expect(custom?.severity).toBe("medium");
      expect(custom?.location).toBe("com.example.custom");
      expect(m.findings.find((f) => f.code === "local-functions")?.location).toBe("local.fn");
      const sp = m.tensors.find((t) => t.name === "sp")!;
      expect((sp.info as any).sparse_dims).toEqual([3, 4]);
      expect((sp.info as any).sparse_indices).toBe("sp_indices");
    } finally {
      await m.close();
    }
  });

  it("external data outside the directory is a high finding and the tensor is unreadable", async () => {
    const m = await open(join(DIR, "escape.onnx"));
    try {
      const f = m.findings.find((x) => x.code === "path-escape");
      expect(f?.severity).toBe("high");
      await expect(m.tensors[0].read()).rejects.toThrow(/outside|\.\./);
    } finally {
      await m.close();
    }
  });

  it("external data: plans point into the data file at the offsets onnx wrote", async () => {
    const ref = ModelProto.toObject(ModelProto.decode(readFileSync(join(DIR, "external.onnx"))), { longs: String }) as any;
    const m = await open(join(DIR, "external.onnx"));
    try {
      for (const t of ref.graph.initializer) {
        const kv: Record<string, string> = {};
        for (const e of t.externalData ?? []) kv[e.key] = e.value;
        const ours = m.tensors.find((x) => x.name === t.name)!;
        expect((ours.info as any).storage).toBe(t.externalData?.length ? "external" : "raw_data");
        if (t.externalData?.length) expect((ours.info as any).external_data).toEqual(kv);
      }
    } finally {
      await m.close();
    }
  });
});

export { ModelProto, TensorProto, root as onnxRoot, TYPE_NAMES };
