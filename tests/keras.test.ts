// Keras files written by tf-keras (Keras 2) and Keras 3 (tests/fixtures/keras/generate.py):
// weights bit for bit as h5py reads them, the model config as a layer graph, weights mapped to
// layers, and Lambda layers reported as code that runs on load.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "keras");
const expected: Record<string, any> = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8"));
const sha = (a: ArrayBufferView) => createHash("sha256").update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest("hex");

describe.each(Object.keys(expected))("%s", (file) => {
  const e = expected[file];
  it("weights match h5py bit for bit; findings as expected", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, file));
    try {
      expect(m.format).toBe(e.format);
      expect(m.tensors.map((t) => t.name).sort()).toEqual(Object.keys(e.tensors).sort());
      for (const [name, f] of Object.entries<any>(e.tensors)) {
        const t = m.tensor(name)!;
        expect(t.shape, name).toEqual(f.shape);
        if (!f.dtype) continue;
        expect(t.dtype, name).toBe(f.dtype);
        expect(sha(await t.read()), name).toBe(f.sha256);
      }
      const lambda = m.findings.filter((x) => x.code === "keras-lambda");
      if (e.lambda) {
        expect(lambda.length).toBeGreaterThan(0);
        expect(lambda[0].severity).toBe("high");
        expect(m.metadata.has_lambda_layer).toBe(true);
      } else {
        expect(m.highestSeverity === "high" || m.highestSeverity === "critical").toBe(false);
      }
      if (e.layers) expect(m.metadata.layers).toEqual(e.layers);
      if (e.keras_version) expect(m.metadata.keras_version).toBe(e.keras_version);
    } finally {
      await m.close();
    }
  });
});

describe("keras specifics", () => {
  it("a config naming a command-running function as a layer class is critical (CVE-2025-1550)", async () => {
    const { open } = await sdk();
    // Same-length edit inside the stored config.json: keras.layers.Dense -> subprocess.x.Popen.
    const s = readFileSync(join(DIR, "k3_model.keras")).toString("latin1");
    const edited = s.replace('"module": "keras.layers", "class_name": "Dense"', '"module": "subprocess.x", "class_name": "Popen"');
    expect(edited).not.toBe(s);
    const m = await open(new Uint8Array(Buffer.from(edited, "latin1")), { name: "evil.keras" });
    try {
      const f = m.findings.find((x) => x.code === "keras-dangerous-callable");
      expect(f?.severity).toBe("critical");
      expect(f?.message).toMatch(/subprocess\.x\.Popen/);
    } finally {
      await m.close();
    }
  });

  it("Keras 2 full model: graph with connections, training config, weights per layer", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, "k2_full.h5"));
    try {
      const g = m.graph as any;
      const logits = g.nodes.find((n: any) => n.name === "logits");
      expect(logits.class).toBe("Dense");
      expect(logits.inputs).toEqual(["norm"]);
      expect((m.metadata.training_config as any).optimizer_config.class_name).toMatch(/Adam/i);
      const k = m.tensor("model_weights/hidden/hidden/kernel:0")!;
      expect(k.info).toMatchObject({ layer: "hidden", weight: "hidden/kernel:0", weightIndex: 0 });
      expect(m.tensors.some((t) => t.name.startsWith("optimizer_weights/"))).toBe(true);
    } finally {
      await m.close();
    }
  });

  it("Keras 3 .keras: weights read in place from the zip and mapped to layer names", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, "k3_model.keras"));
    try {
      expect(m.formatVersion).toBe("keras3");
      expect(m.tensor("layers/dense/vars/0")!.info).toMatchObject({ layer: "first" });
      expect(m.tensor("layers/dense_1/vars/0")!.info).toMatchObject({ layer: "second" });
      expect(m.tensor("layers/dense_2/vars/1")!.info).toMatchObject({ layer: "head" });
      const g = m.graph as any;
      expect(g.nodes.find((n: any) => n.name === "head").inputs).toEqual(["second"]);
    } finally {
      await m.close();
    }
  });

  it("a config naming a class outside Keras is a medium finding", async () => {
    const { open } = await sdk();
    const m = await open(join(DIR, "k3_model.keras"));
    const bytes = new Uint8Array(readFileSync(join(DIR, "k2_lambda.h5")));
    try {
      expect(m.findings.some((f) => f.code === "keras-custom-class")).toBe(false);
    } finally {
      await m.close();
    }
    // Rename the Dense class in the embedded model_config (same length, so the file stays valid).
    const s = Buffer.from(bytes).toString("latin1").replaceAll('"class_name": "Dense"', '"class_name": "Evils"');
    const m2 = await open(new Uint8Array(Buffer.from(s, "latin1")), { name: "custom.h5" });
    try {
      const f = m2.findings.find((x) => x.code === "keras-custom-class");
      expect(f?.severity).toBe("medium");
      expect(f?.message).toMatch(/Evils/);
    } finally {
      await m2.close();
    }
  });
});
