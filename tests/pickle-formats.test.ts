// The pickle-family formats through the SDK (built core + dist/): PyTorch zip and legacy files,
// joblib dumps (raw, zlib, gzip; other codecs named in the error), plain pickles with numpy
// arrays. Every tensor's values are read through its plan and compared bit for bit with the bytes
// torch / numpy reported when the generator wrote the file.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sdk } from "./helpers/core";
import { expected, FIXTURES } from "./helpers/pickle-wasm";

const EXP = expected();
const hex = (a: ArrayBufferView) => Buffer.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).toString("hex");
// numpy reports big-endian arrays in their own byte order; reads come back little-endian
function swapHex(h: string, size: number): string {
  const b = Buffer.from(h, "hex");
  for (let i = 0; i < b.length; i += size) b.subarray(i, i + size).reverse();
  return b.toString("hex");
}

async function openFixture(name: string) {
  const { open } = await sdk();
  return open(join(FIXTURES, name));
}

async function checkTorch(name: string, facts: Record<string, any>, format = "pytorch", ceiling = "medium") {
  const m = await openFixture(name);
  try {
    expect(m.format).toBe(format);
    for (const [tn, f] of Object.entries<any>(facts)) {
      const t = m.tensor(tn);
      expect(t, tn).toBeDefined();
      expect(t!.dtype, tn).toBe(f.dtype);
      expect(t!.shape, tn).toEqual(f.shape);
      expect(hex(await t!.read()), tn).toBe(f.c_bytes);
    }
    const levels = ["none", "info", "low", "medium", "high", "critical"];
    expect(levels.slice(0, levels.indexOf(ceiling) + 1)).toContain(m.findings.reduce((a: string, f: any) => (["none", "info", "low", "medium", "high", "critical"].indexOf(f.severity) > ["none", "info", "low", "medium", "high", "critical"].indexOf(a) ? f.severity : a), "none"));
    return m;
  } catch (e) {
    await m.close();
    throw e;
  }
}

describe("PyTorch", () => {
  it("zip: every dtype, views sharing a storage (offsets, strides, transposes)", async () => {
    const m = await checkTorch("torch-dtypes.pt", EXP["torch-dtypes.pt"].tensors);
    expect(m.tensors.length).toBe(Object.keys(EXP["torch-dtypes.pt"].tensors).length);
    await m.close();
  });
  it("zip: a full nn.Module, named like state_dict()", async () => {
    // the module's own class (__main__.Small) is user code outside the allowlist: high, and only it
    const m = await checkTorch("torch-module.pt", EXP["torch-module.pt"].tensors, "pytorch", "high");
    expect(m.tensors.map((t: any) => t.name).sort()).toEqual(Object.keys(EXP["torch-module.pt"].tensors).sort());
    const high = m.findings.filter((f: any) => f.severity === "high").map((f: any) => f.message.split(":")[0]);
    expect(high).toEqual(["__main__.Small"]);
    await m.close();
  });
  it("zip: a checkpoint with optimizer state; hyperparameters in metadata", async () => {
    const m = await checkTorch("torch-checkpoint.pt", EXP["torch-checkpoint.pt"].tensors);
    const objects = (m.metadata as any)["pickle.objects"];
    for (const [k, v] of Object.entries(EXP["torch-checkpoint.pt"].metadata)) expect(objects[k]).toEqual(v);
    await m.close();
  });
  it("legacy stacked pickles with raw storages", async () => {
    const m = await checkTorch("torch-legacy.pt", EXP["torch-legacy.pt"].tensors);
    expect(m.formatVersion).toBe("legacy");
    await m.close();
  });
  it("quantized and sparse tensors keep their structure", async () => {
    const m = await openFixture("torch-special.pt");
    const e = EXP["torch-special.pt"];
    expect(hex(await m.tensor("q")!.read())).toBe(e.q_int_repr);
    expect(hex(await m.tensor("sparse.indices")!.read())).toBe(e.sparse_indices);
    expect(hex(await m.tensor("sparse.values")!.read())).toBe(e.sparse_values);
    expect(hex(await m.tensor("param")!.read())).toBe(e.param);
    await m.close();
  });
});

describe("mutated PyTorch files give findings or typed errors, never a trap", () => {
  it("300 mutants of zip, legacy and joblib files, read through every plan", async () => {
    const { open, BytesSource } = await sdk();
    let s = 777;
    const rnd = (n: number) => { s = (s * 1103515245 + 12345) >>> 0; return s % n; };
    const seeds = ["torch-dtypes.pt", "torch-legacy.pt", "torch-special.pt", "joblib-raw.pkl", "torch-tar-payload.pt"];
    for (let k = 0; k < 300; k++) {
      const name = seeds[k % seeds.length];
      const m = new Uint8Array(readFileSync(join(FIXTURES, name)));
      // zips: aim at the pickle and the first records, where the structure is
      const span = name.endsWith(".pt") && name !== "torch-legacy.pt" && name !== "torch-tar-payload.pt" ? Math.min(m.length, 1500) : m.length;
      for (let e = 0; e < 1 + rnd(4); e++) m[rnd(span)] = rnd(256);
      try {
        const model = await open(new BytesSource(m, name));
        for (const t of model.tensors) await t.read().catch((err: any) => expect(err.name, String(err)).toBe("OmnimodelError"));
        await model.close();
      } catch (e: any) {
        expect(e.name, String(e)).toBe("OmnimodelError");
      }
    }
  });
});

describe("legacy tar and npy object arrays", () => {
  it("the pre-0.2 torch tar: every pickle scanned, also one hidden after raw storage bytes", async () => {
    const m = await openFixture("torch-tar-payload.pt");
    try {
      expect(m.format).toBe("pytorch");
      expect(m.formatVersion).toBe("tar");
      expect(m.findings.some((f: any) => f.severity === "critical" && f.message.startsWith("os.system") && f.location.startsWith("storages"))).toBe(true);
    } finally {
      await m.close();
    }
  });
  it("an object .npy: the pickle is read by the machine, its objects are metadata", async () => {
    const m = await openFixture("numpy-objects.npy");
    try {
      expect(m.format).toBe("npy");
      expect((m.metadata as any).objects).toEqual(EXP["numpy-objects.npy"].objects);
      expect(m.findings.every((f: any) => f.severity !== "critical" && f.severity !== "high")).toBe(true);
    } finally {
      await m.close();
    }
  });
});

describe("joblib", () => {
  for (const comp of ["raw", "zlib", "gzip"]) {
    it(`${comp}: NumpyArrayWrapper arrays read from the stream`, async () => {
      const name = `joblib-${comp}.pkl`;
      const m = await openFixture(name);
      try {
        expect(m.format).toBe("joblib");
        for (const [tn, f] of Object.entries<any>(EXP[name].arrays)) {
          const t = m.tensor(tn)!;
          expect(t, tn).toBeDefined();
          expect(t.shape, tn).toEqual(f.shape);
          expect(hex(await t.read()), tn).toBe(f.c_bytes);
        }
        expect(m.tensor("obj")!.dtype).toBe("OBJECT");
      } finally {
        await m.close();
      }
    });
  }
  for (const comp of ["lzma", "xz", "bz2", "lz4"]) {
    it(`${comp}: decoded in the core; arrays read from the decoded stream`, async () => {
      const name = `joblib-${comp}.pkl`;
      const m = await openFixture(name);
      try {
        expect(m.format).toBe("joblib");
        expect(m.formatVersion).toBe(comp);
        for (const [tn, f] of Object.entries<any>(EXP[name].arrays)) {
          expect(m.tensor(tn)!.shape, tn).toEqual(f.shape);
          expect(hex(await m.tensor(tn)!.read()), tn).toBe(f.c_bytes);
        }
      } finally {
        await m.close();
      }
    });
  }
  it("mutated xz, lzma, bz2 and lz4 streams give typed errors, never a trap", async () => {
    const { open, BytesSource } = await sdk();
    let s = 12345;
    const rnd = (n: number) => { s = (s * 1103515245 + 12345) >>> 0; return s % n; };
    for (const comp of ["lzma", "xz", "bz2", "lz4"]) {
      const src = readFileSync(join(FIXTURES, `joblib-${comp}.pkl`));
      for (let k = 0; k < 150; k++) {
        const m = new Uint8Array(src);
        for (let e = 0; e < 1 + rnd(3); e++) m[4 + rnd(m.length - 4)] = rnd(256);
        try {
          const model = await open(new BytesSource(m, `x-${comp}.pkl`));
          await model.close();
        } catch (e: any) {
          expect(e.name, String(e)).toBe("OmnimodelError");
        }
      }
    }
  });
});

describe("plain pickles", () => {
  for (const proto of [3, 4, 5]) {
    it(`numpy arrays at protocol ${proto}`, async () => {
      const name = `numpy-p${proto}.pkl`;
      const m = await openFixture(name);
      try {
        expect(m.format).toBe("pickle");
        for (const [tn, f] of Object.entries<any>(EXP[name].arrays)) {
          const t = m.tensor(tn)!;
          expect(t.shape, tn).toEqual(f.shape);
          const size = Number(f.dtype.slice(2));
          const want = f.dtype[0] === ">" ? swapHex(f.c_bytes, size) : f.c_bytes;
          expect(hex(await t.read()), tn).toBe(want);
        }
      } finally {
        await m.close();
      }
    });
  }
  it("a malicious pickle opens with critical findings and nothing runs", async () => {
    const m = await openFixture("mal-canary-os-system.pkl");
    expect(m.findings.some((f: any) => f.severity === "critical")).toBe(true);
    await m.close();
  });
  it("not a pickle: a clean typed error", async () => {
    await expect(openFixture("mal-tuple-no-mark.pkl")).rejects.toMatchObject({ code: "CORRUPT" });
  });
});
