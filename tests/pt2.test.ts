// torch.export (.pt2): programs exported and saved by torch (tests/fixtures/pt2/generate.py);
// weights and constants compared bit for bit with what torch.export.load holds, the graph's
// targets and signature with the loaded program's, pickles in the archive scanned.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "pt2");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")).files as Record<string, any>;
let open: Awaited<ReturnType<typeof sdk>>["open"];
let scan: Awaited<ReturnType<typeof sdk>>["scan"];
beforeAll(async () => { ({ open, scan } = await sdk() as any); });
const sha = (a: ArrayBufferView) => createHash("sha256").update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest("hex");

describe("pt2 fixtures: values equal torch.export.load's", () => {
  for (const [file, e] of Object.entries(expected)) {
    it(file, async () => {
      const m = await open(join(DIR, file));
      try {
        expect(m.format).toBe("torch-export");
        expect(m.tensors.map((t) => t.name).sort()).toEqual(Object.keys(e.tensors).sort());
        for (const t of m.tensors) {
          const x = e.tensors[t.name];
          expect(t.dtype, t.name).toBe(x.dtype);
          expect(t.shape, t.name).toEqual(x.shape);
          expect(sha(await t.read()), t.name).toBe(x.sha256);
        }
        const g = m.graph as any;
        expect(g.nodes.filter((n: any) => n.op_type.startsWith("torch.ops.")).map((n: any) => n.op_type)).toEqual(e.targets);
        // The serialized spec says "tensor_constant" for what torch's InputKind calls CONSTANT_TENSOR.
        const kind = (k: string) => (k === "tensor_constant" ? "constant_tensor" : k);
        expect(g.inputs.map((i: any) => [kind(i.kind), i.name])).toEqual(e.inputs);
        expect(g.outputs.map((i: any) => [i.kind, i.name])).toEqual(e.outputs);
        expect(m.findings).toEqual([]);
        expect(m.children.map((c: any) => c.name)).toEqual([file.replace(".pt2", "") + "/data/sample_inputs/model.pt"]);
      } finally {
        await m.close();
      }
    });
  }

  it("a pickle carried as an extra file is scanned: os.system is critical", async () => {
    const m = await open(join(DIR, "extra_pickle.pt2"));
    expect(m.format).toBe("torch-export");
    const f = m.findings.find((x) => x.code === "pickle-global");
    expect(f?.severity).toBe("critical");
    expect(f?.location).toContain("extra/payload.pkl");
    await m.close();
  });

  it("F32 reads of the F16 and BF16 weights", async () => {
    const m = await open(join(DIR, "conv.pt2"));
    const emb = m.tensor("emb")!;
    const raw = new Uint16Array((await emb.read()).buffer.slice(0));
    const f = await emb.read({ dtype: "F32" }) as Float32Array;
    const u = new Uint32Array(f.buffer, f.byteOffset, f.length);
    for (let i = 0; i < raw.length; i++) expect(u[i]).toBe(raw[i] << 16 >>> 0);
    await m.close();
  });
});

// --- bad input: archives rebuilt with one member changed ------------------------------------------
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll } from "vitest";

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-pt2-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Rewrites one stored member's bytes in place (same length), located through the central
// directory (torch writes local headers with zero sizes and a data descriptor).
function patchMember(file: string, member: string, edit: (s: string) => string): Uint8Array {
  const b = new Uint8Array(readFileSync(join(DIR, file)));
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const v = new DataView(b.buffer);
  let cd = -1;
  for (let at = buf.indexOf(Buffer.from(member)); at >= 0; at = buf.indexOf(Buffer.from(member), at + 1)) {
    if (v.getUint32(at - 46, true) === 0x02014b50) { cd = at - 46; break; }
  }
  expect(cd).toBeGreaterThan(0);
  const size = v.getUint32(cd + 24, true);
  const local = v.getUint32(cd + 42, true);
  const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
  const text = buf.subarray(start, start + size).toString("utf8");
  const edited = edit(text);
  expect(edited).not.toBe(text);
  const out = Buffer.from(edited.padEnd(size, " "));
  expect(out.length).toBe(size);
  b.set(out, start);
  return b;
}

describe("pt2 bad input: typed errors", () => {
  const cfg = "small/data/weights/model_weights_config.json";
  it("a weight larger than its member", async () => {
    // Zip CRCs are not checked for stored members by the index: the rule is the size.
    const b = patchMember("small.pt2", cfg, (s) => s.replace('"sizes": [{"as_int": 3}, {"as_int": 4}]', '"sizes": [{"as_int": 9}, {"as_int": 4}]'));
    await expect(open(b, { name: "m.pt2" })).rejects.toMatchObject({ code: "INVALID_OFFSET" });
  });
  it("a storage offset that would wrap", async () => {
    // 2^62 elements of 4 bytes: the byte offset wraps u64.
    const b = patchMember("small.pt2", cfg, (s) => s.replace('"requires_grad": true, ', "").replace('"storage_offset": {"as_int": 0}, "layout": 7}}, "lin.bias"', '"storage_offset": {"as_int": 4611686018427387904}, "layout": 7}}, "lin.bias"'));
    await expect(open(b, { name: "m.pt2" })).rejects.toMatchObject({ code: "BAD_SHAPE" });
  });
  it("an unknown dtype code", async () => {
    const b = patchMember("small.pt2", cfg, (s) => s.replace('"dtype": 7', '"dtype": 99'.slice(0, 10)));
    await expect(open(b, { name: "m.pt2" })).rejects.toMatchObject({ code: "BAD_DTYPE" });
  });
  it("a weight whose member is missing", async () => {
    const b = patchMember("small.pt2", cfg, (s) => s.replace('"path_name": "weight_1"', '"path_name": "weight_9"'));
    await expect(open(b, { name: "m.pt2" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
  it("a config that is not JSON", async () => {
    const b = patchMember("small.pt2", cfg, (s) => "{" + s.slice(2));
    await expect(open(b, { name: "m.pt2" })).rejects.toMatchObject({ code: "INVALID_JSON" });
  });
});

// --- seeded mutations: open or a typed error, never a trap ---------------------------------------
const KNOWN = new Set(["TRUNCATED", "UNKNOWN_FORMAT", "INVALID_HEADER", "CORRUPT", "LIMIT", "UNSUPPORTED", "INVALID_OFFSET", "OVERFLOW",
  "SIZE_MISMATCH", "BAD_DTYPE", "BAD_SHAPE", "INVALID_JSON", "DECOMPRESS", "INCOMPLETE_BUFFER", "NOT_FOUND", "CHECKSUM", "DUPLICATE",
  "HEADER_TOO_SMALL", "HEADER_TOO_LARGE", "INVALID_HEADER_LENGTH", "MISALIGNED"]);
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}
describe("mutated pt2 fixtures never trap", () => {
  it("small.pt2", async () => {
    const base = new Uint8Array(readFileSync(join(DIR, "small.pt2")));
    const r = rng(2026);
    for (let i = 0; i < 120; i++) {
      const b = new Uint8Array(base);
      const kind = Math.floor(r() * 3);
      if (kind === 0) for (let k = 0; k < 8; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      const bytes = kind === 1 ? b.slice(0, Math.floor(r() * b.length)) : b;
      if (kind === 2) bytes.fill(r() < 0.5 ? 0xff : 0x20, Math.floor(r() * b.length), Math.floor(r() * b.length));
      try {
        const m = await open(bytes, { name: "small.pt2" });
        for (const t of m.tensors) {
          try { await t.read(); } catch (e: any) { expect(KNOWN.has(e.code) || e.code === "UNREADABLE", `#${i} read: ${e.code} ${e.message}`).toBe(true); }
        }
        await m.close();
      } catch (e: any) {
        expect(KNOWN.has(e.code), `mutation ${i}: ${e.code} ${e.message}`).toBe(true);
      }
    }
  }, 120000);
});
