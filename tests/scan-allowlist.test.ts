// The allowlist-first pickle policy: benign files written by the libraries the allowlist covers
// are never critical (and here nothing is high), callables outside it are high even with a
// harmless name, known code-running names stay critical, and docs/scanner-allowlist.md lists
// every entry of the policy's allowlist.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "./helpers/core";

const DIR = join(FIXTURES, "scan-allowlist");
const RANK: Record<string, number> = { none: 0, info: 1, low: 2, medium: 3, high: 4, critical: 5 };

async function scanOne(path: string) {
  await import("../dist/bindings/node-index.js");
  const { scanPath } = await import("../dist/ts/scan/index.js");
  const r = await scanPath(path);
  expect(r.files.length).toBe(1);
  return r.files[0];
}

const show = (f: any) => `${f.status} ${f.highest}: ${f.findings.map((x: any) => `${x.severity} ${x.message}`).join(" | ")}`;
const pickleGlobals = (f: any) => f.findings.filter((x: any) => x.code === "pickle-global").map((x: any) => `${x.severity} ${x.message.split(": ")[0]}`);

describe("benign files of the allowlisted libraries", () => {
  const benign = readdirSync(DIR).filter((n) => !n.endsWith(".py") && !n.startsWith("outside-")).sort();
  it("the generator wrote every kind the allowlist is measured on", () => {
    for (const n of ["pandas-frame.pkl", "sklearn-pipeline.joblib", "training_args.bin", "numpy-random-states.pkl", "lightning-checkpoint.ckpt", "dill-numpy.pkl"]) {
      expect(benign).toContain(n);
    }
  });
  for (const name of benign) {
    it(`${name}: scanned, nothing at high or above`, async () => {
      const f = await scanOne(join(DIR, name));
      expect(f.status, show(f)).toBe("scanned");
      expect(RANK[f.highest], show(f)).toBeLessThan(RANK.high);
    });
  }
  it("the library classes and rebuild functions are classified as allowed, not merely unflagged", async () => {
    await import("../dist/bindings/node-index.js");
    const { open } = await import("../dist/ts/open.js");
    const m = await open(join(DIR, "pandas-frame.pkl"));
    try {
      const globals: any[] = (m.metadata as any).pickle.globals;
      const byName = Object.fromEntries(globals.map((g) => [g.name, g]));
      expect(byName["pandas._libs.internals._unpickle_block"].severity).toBe("info");
      expect(byName["pandas._libs.internals._unpickle_block"].uses).toContain("called");
      expect(byName["pandas.core.frame.DataFrame"].severity).toBe("info");
    } finally {
      await m.close();
    }
  });
  it("training_args.bin: the transformers and accelerate classes are constructed and allowed", async () => {
    await import("../dist/bindings/node-index.js");
    const { open } = await import("../dist/ts/open.js");
    const m = await open(join(DIR, "training_args.bin"));
    try {
      const names = ((m.metadata as any)["pickle"] ?? (m.metadata as any)["data.pkl"] ?? Object.values(m.metadata as any).find((v: any) => v?.globals))
        .globals.map((g: any) => `${g.severity} ${g.name}`);
      expect(names).toContain("info transformers.training_args.TrainingArguments");
      expect(names).toContain("info accelerate.state.PartialState");
    } finally {
      await m.close();
    }
  });
});

describe("callables outside the allowlist", () => {
  it("a function called by REDUCE is high though its name is harmless", async () => {
    const f = await scanOne(join(DIR, "outside-reduce-function.pkl"));
    expect(pickleGlobals(f)).toEqual(["high statistics.fmean"]);
  });
  it("a class constructed by NEWOBJ and BUILT is high", async () => {
    const f = await scanOne(join(DIR, "outside-newobj-class-p2.pkl"));
    expect(pickleGlobals(f)).toContain("high email.message.Message");
  });
  it("a class rebuilt by copyreg._reconstructor (protocol 0: the class is an argument) is high", async () => {
    const f = await scanOne(join(DIR, "outside-reconstructor-class-p0.pkl"));
    expect(pickleGlobals(f)).toContain("high email.message.Message");
    expect(f.highest).toBe("high");
  });
  it("a user ndarray subclass rebuilt by numpy's _reconstruct (the class is an argument) is high", async () => {
    const f = await scanOne(join(DIR, "outside-ndarray-subclass.pkl"));
    expect(pickleGlobals(f)).toEqual(["high __main__.UserArray"]);
  });
  it("a user Tensor subclass rebuilt by torch's _rebuild_from_type_v2 is high", async () => {
    const f = await scanOne(join(DIR, "outside-tensor-subclass.pt"));
    expect(pickleGlobals(f)).toEqual(["high __main__.UserTensor"]);
  });
  it("torch.fx's exec-with-source helper is critical", async () => {
    const f = await scanOne(join(FIXTURES, "scan-recursion", "fx-exec-with-source.pkl"));
    expect(pickleGlobals(f)).toEqual(["critical torch.fx.graph_module._exec_with_source"]);
  });
  it("a whole-module torch.save of a user class is high, and only for that class", async () => {
    const f = await scanOne(join(FIXTURES, "pickle", "torch-module.pt"));
    expect(f.highest).toBe("high");
    expect(pickleGlobals(f).filter((x: string) => x.startsWith("high") || x.startsWith("critical"))).toEqual(["high __main__.Small"]);
  });
});

describe("dill-pickled numpy arrays agree with the folding", () => {
  const files = [join(DIR, "dill-numpy.pkl"), ...readdirSync(join(FIXTURES, "pickle-writers")).filter((n) => /^dill.*-arrays\.pkl$/.test(n)).map((n) => join(FIXTURES, "pickle-writers", n))];
  for (const p of files) {
    it(`${p.split("/").pop()}: not critical, the arrays are read as tensors`, async () => {
      const f = await scanOne(p);
      expect(RANK[f.highest], show(f)).toBeLessThan(RANK.high);
    });
  }
  it("the same wrapper around os.system stays critical", async () => {
    const f = await scanOne(join(FIXTURES, "pickle-writers", "mal-dill0.4.1-create-array-os-system.pkl"));
    expect(f.highest).toBe("critical");
  });
});

describe("docs/scanner-allowlist.md", () => {
  const policy = readFileSync(join(ROOT, "assembly", "pickle", "policy.ts"), "utf8");
  const doc = readFileSync(join(ROOT, "docs", "scanner-allowlist.md"), "utf8");
  const list = (name: string): string[] => {
    const m = new RegExp(`const ${name}: string\\[\\] = \\[([\\s\\S]*?)\\n\\];`).exec(policy);
    expect(m, name).not.toBeNull();
    return [...m![1].replace(/\/\/[^\n]*/g, "").matchAll(/"([^"]+)"/g)].map((x) => x[1]);
  };
  for (const name of ["SAFE_EXACT", "ALLOWED_CLASS_NAMESPACES", "NOT_ALLOWED_NAMESPACES", "LIBRARY_FUNCTIONS", "NUMPY_SCALAR_TYPES", "TORCH_DTYPES"]) {
    it(`lists every entry of ${name}`, () => {
      const entries = list(name);
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.filter((e) => !doc.includes("`" + e + "`"))).toEqual([]);
    });
  }
});
