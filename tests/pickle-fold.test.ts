// Folding known shapes into values, compared bit for bit with what numpy, torch and sklearn
// themselves report (tests/fixtures/pickle/expected.json, written by generate.py).
import { describe, expect, it } from "vitest";
import { expected, fixture, gather, inspectPickle, readStoredZip } from "./helpers/pickle-wasm";

const EXP = expected();
const NP_DTYPE: Record<string, string> = {
  f2: "F16", f4: "F32", f8: "F64", i1: "I8", i2: "I16", i4: "I32", i8: "I64", u1: "U8", u2: "U16", u4: "U32", u8: "U64",
  b1: "BOOL", c8: "C64", c16: "C128",
};
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function tensorBytes(t: any, data: Uint8Array, inlineOf?: (t: any) => Uint8Array): Uint8Array {
  let buf: Uint8Array;
  if (t.range) buf = data.subarray(t.range.offset, t.range.offset + t.range.length);
  else if (inlineOf) buf = inlineOf(t);
  else throw new Error(`${t.name}: no data`);
  return gather(buf, t.elemBytes, t.offset, t.shape, t.stride);
}

function checkArrays(r: any, data: Uint8Array, facts: Record<string, any>, prefix = "") {
  const byName = new Map<string, any>(r.tensors.map((t: any) => [t.name, t]));
  for (const [name, f] of Object.entries<any>(facts)) {
    const t = byName.get(prefix + name);
    expect(t, name).toBeDefined();
    expect(t.dtype, name).toBe(NP_DTYPE[f.dtype.slice(1)]);
    expect(!!t.bigEndian, name).toBe(f.dtype[0] === ">");
    expect(t.shape, name).toEqual(f.shape);
    // protocol 0-2 bytes are latin-1 text inside the pickle: they exist only decoded (inlineHex)
    expect(hex(tensorBytes(t, data, (x) => new Uint8Array(Buffer.from(x.inlineHex, "hex")))), name).toBe(f.c_bytes);
  }
}

describe("numpy arrays at every protocol", () => {
  for (let proto = 0; proto <= 5; proto++) {
    const name = `numpy-p${proto}.pkl`;
    it(name, () => {
      const data = fixture(name);
      const r = inspectPickle(data);
      expect(r.error).toBeUndefined();
      expect(r.highest).toBe("none");
      checkArrays(r, data, EXP[name].arrays);
      expect(r.metadata.scalar_f8).toEqual({ $numpy: "<f8", value: EXP[name].scalars.scalar_f8 });
      expect(r.metadata.scalar_i8).toEqual({ $numpy: "<i8", value: EXP[name].scalars.scalar_i8 });
      const obj = r.tensors.find((t: any) => t.name === "objects");
      expect(obj.dtype).toBe("OBJECT");
      expect(obj.extra.objects).toEqual([1, "two", null]);
    });
  }
});

describe("sklearn estimators", () => {
  for (const proto of [2, 4, 5]) {
    const name = `sklearn-logreg-p${proto}.pkl`;
    it(name, () => {
      const data = fixture(name);
      const r = inspectPickle(data);
      expect(r.error).toBeUndefined();
      expect(r.highest).toBe("info");
      checkArrays(r, data, EXP[name].arrays);
      expect(r.metadata.$class).toBe(EXP[name].class);
      expect(r.metadata.state.C).toBe(EXP[name].C);
      expect(r.metadata.state.coef_).toEqual({ $tensor: "coef_" });
    });
  }
});

// Reads a torch zip: runs the machine on data.pkl, gathers every tensor from data/<key>.
function torchZip(name: string) {
  const zip = readStoredZip(fixture(name));
  const pkl = [...zip.keys()].find((k) => k.endsWith("/data.pkl"))!;
  const prefix = pkl.slice(0, -"data.pkl".length);
  const r = inspectPickle(zip.get(pkl)!);
  const bytesOf = (t: any) => {
    const st = zip.get(prefix + "data/" + t.storage.key);
    if (!st) throw new Error(`no storage ${t.storage.key}`);
    return gather(st, t.elemBytes, t.offset, t.shape, t.stride);
  };
  return { r, bytesOf, zip };
}

function checkTorch(r: any, bytesOf: (t: any) => Uint8Array, facts: Record<string, any>) {
  const byName = new Map<string, any>(r.tensors.map((t: any) => [t.name, t]));
  for (const [name, f] of Object.entries<any>(facts)) {
    const t = byName.get(name);
    expect(t, name).toBeDefined();
    expect(t.dtype, name).toBe(f.dtype);
    expect(t.shape, name).toEqual(f.shape);
    expect(t.stride, name).toEqual(f.stride);
    expect(t.offset, name).toBe(f.storage_offset);
    expect(hex(bytesOf(t)), name).toBe(f.c_bytes);
  }
}

describe("torch pickles (data.pkl of torch.save zips)", () => {
  it("a state dict with every dtype, views sharing one storage", () => {
    const { r, bytesOf } = torchZip("torch-dtypes.pt");
    expect(r.error).toBeUndefined();
    expect(r.highest).toBe("none");
    const facts = EXP["torch-dtypes.pt"].tensors;
    expect(r.tensors.length).toBe(Object.keys(facts).length);
    checkTorch(r, bytesOf, facts);
    for (const group of EXP["torch-dtypes.pt"].shared) {
      const keys = new Set(group.map((n: string) => r.tensors.find((t: any) => t.name === n).storage.key));
      expect(keys.size).toBe(1);
    }
    // the same data.pkl, streamed in small pieces, folds identically
    expect(inspectPickle(readStoredZip(fixture("torch-dtypes.pt")).get("torch-dtypes/data.pkl")!, { chunk: 5 }).tensors).toEqual(r.tensors);
  });
  it("a full nn.Module pickle is named like state_dict()", () => {
    const { r, bytesOf } = torchZip("torch-module.pt");
    expect(r.error).toBeUndefined();
    const facts = EXP["torch-module.pt"].tensors;
    expect(r.tensors.map((t: any) => t.name).sort()).toEqual(Object.keys(facts).sort());
    checkTorch(r, bytesOf, facts);
    expect(r.metadata.$class).toBe("__main__.Small");
    expect(r.metadata._buffers.scratch).toBe("<non-persistent buffer>");
  });
  it("a checkpoint with optimizer state and hyperparameters", () => {
    const { r, bytesOf } = torchZip("torch-checkpoint.pt");
    expect(r.error).toBeUndefined();
    expect(r.highest).toBe("none");
    checkTorch(r, bytesOf, EXP["torch-checkpoint.pt"].tensors);
    for (const [k, v] of Object.entries(EXP["torch-checkpoint.pt"].metadata)) expect(r.metadata[k]).toEqual(v);
    expect(r.metadata.optimizer.param_groups[0].lr).toBe(0.1);
  });
  it("quantized, sparse and parameter tensors keep their structure", () => {
    const { r, bytesOf } = torchZip("torch-special.pt");
    const e = EXP["torch-special.pt"];
    expect(r.error).toBeUndefined();
    expect(r.highest).toBe("none");
    const q = r.tensors.find((t: any) => t.name === "q");
    expect(q.dtype).toBe("U8");
    expect(q.extra.quantization).toEqual({ scheme: "torch.per_tensor_affine", scale: e.q_scale, zero_point: e.q_zero_point });
    expect(hex(bytesOf(q))).toBe(e.q_int_repr);
    expect(r.metadata.sparse.$sparse).toEqual({ $layout: "torch.sparse_coo" });
    expect(hex(bytesOf(r.tensors.find((t: any) => t.name === "sparse.indices")))).toBe(e.sparse_indices);
    expect(hex(bytesOf(r.tensors.find((t: any) => t.name === "sparse.values")))).toBe(e.sparse_values);
    const p = r.tensors.find((t: any) => t.name === "param");
    expect(p.extra.parameter).toBe(true);
    expect(hex(bytesOf(p))).toBe(e.param);
  });
});
