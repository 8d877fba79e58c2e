// OpenVINO IR (.xml + .bin): models converted and saved by openvino (tests/fixtures/openvino/
// generate.py); Const values compared bit for bit with what openvino.Core().read_model holds
// (expected.json), layers and edges with its operations. The .bin is a sibling the core asks the
// host for; bad input is made by editing the XML text, and every rule gets a file that breaks it.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";
import { mutate, rng, typedCodes } from "./helpers/mutations";

const DIR = join(FIXTURES, "openvino");
const expected = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8")).files as Record<string, any>;
const DTYPE: Record<string, string> = { f32: "F32", f16: "F16", bf16: "BF16", u8: "U8", i8: "I8", i64: "I64", u4: "U4", i4: "I4", nf4: "U4" };
let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => { open = (await sdk()).open; });
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-openvino-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sha = (a: ArrayBufferView) => createHash("sha256").update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest("hex");
const text = (f: string) => readFileSync(join(DIR, f), "utf8");
let dirs = 0;
// The XML text saved as m.xml next to a copy of `bin` (as m.bin); returns the XML's path.
function withBin(xml: string, bin = "tiny.bin", name = "m.xml"): string {
  const d = join(tmp, String(dirs++));
  mkdirSync(d);
  writeFileSync(join(d, name), xml);
  if (bin) copyFileSync(join(DIR, bin), join(d, name.replace(/\.[^.]*$/, "") + ".bin"));
  return join(d, name);
}

describe("openvino fixtures: values equal openvino's read_model", () => {
  for (const [file, e] of Object.entries(expected)) {
    it(file, async () => {
      const m = await open(join(DIR, file));
      try {
        expect(m.format).toBe("openvino");
        expect(m.tensors.map((t) => t.name).sort()).toEqual(e.constants.map((c: any) => c.name).sort());
        for (const c of e.constants) {
          const t = m.tensor(c.name)!;
          expect(t.dtype, c.name).toBe(DTYPE[c.element_type]);
          expect(t.shape, c.name).toEqual(c.shape);
          expect((t.info as any).element_type).toBe(c.element_type);
          // Stored bytes as they are (sub-byte types packed), then unpacked values where known.
          expect(sha(await t.read()), c.name).toBe(c.sha256);
          if (c.values) expect(Array.from((await t.read({ dtype: "F32" })) as Float32Array), c.name).toEqual(c.values);
          if (c.f32_sha256) expect(sha(await t.read({ dtype: "F32" })), `${c.name} as F32`).toBe(c.f32_sha256);
        }
        const g = m.graph as any;
        expect(g.inputs.map((i: any) => [i.name, i.dtype, i.shape])).toEqual(e.parameters);
        expect(g.outputs.map((o: any) => o.layer)).toEqual(e.results);
        // The IR writes some types by their legacy names (ReLU for Relu).
        expect(g.nodes.map((n: any) => [n.name, n.op_type.toLowerCase(), n.version]).sort()).toEqual(e.ops.map(([n, t, v]: string[]) => [n, t.toLowerCase(), v]).sort());
        const rt = Object.keys((m.metadata.rt_info ?? {}) as object).sort();
        expect(rt).toEqual(e.rt_info.filter((k: string) => k !== "version"));
      } finally {
        await m.close();
      }
    });
  }

  it("edges become node inputs: a Const feeds its tensor, other layers their port names", async () => {
    const m = await open(join(DIR, "tiny_f16.xml"));
    const g = m.graph as any;
    const conv = g.nodes.find((n: any) => n.name === "Transpose_1938");
    expect([conv.op_type, conv.inputs, conv.outputs, conv.rt_info]).toEqual(["Convert", ["Transpose_1938_compressed"], ["Transpose_1938:1"], ["decompression"]]);
    const mm = g.nodes.find((n: any) => n.op_type === "MatMul");
    expect(mm.inputs).toEqual(["x", "Transpose_1938:1"]);
    expect(mm.attributes).toEqual({ transpose_a: "false", transpose_b: "true" });
    expect((m.metadata.rt_info as any).conversion_parameters.is_python_object).toBe("False");
    expect(m.findings).toEqual([]);
    await m.close();
  });

  it("u4 and i4 unpack low nibble first; an nf4 Const reads as its stored codes only", async () => {
    const m = await open(join(DIR, "quant.xml"));
    const bin = readFileSync(join(DIR, "quant.bin"));
    const u4 = m.tensor("w_u4")!;
    const off = (u4.info as any).offset;
    const u = (await u4.read({ dtype: "F32" })) as Float32Array;
    expect(u[0]).toBe(bin[off] & 15);
    expect(u[1]).toBe(bin[off] >> 4);
    const nf = m.tensor("w_nf4")!;
    const b = Array.from(bin.subarray((nf.info as any).offset, (nf.info as any).offset + 2));
    expect(Array.from((await nf.read()) as Uint8Array)).toEqual(b);
    const codes = [b[0] & 15, b[0] >> 4, b[1] & 15, b[1] >> 4];
    await expect(nf.read({ dtype: "F32" })).rejects.toMatchObject({ code: "UNREADABLE" });
    // NF4's table is symmetric around its 0.0 code (7): -1.0 is code 0 and 1.0 code 15.
    expect([codes[0], codes[1], codes[3]]).toEqual([0, 7, 15]);
    await m.close();
  });

  it("a layer from a custom operation set is a medium finding", async () => {
    const m = await open(join(DIR, "ext.xml"));
    expect(m.findings.map((f) => [f.code, f.severity])).toEqual([["openvino-extension-op", "medium"]]);
    expect(m.findings[0].message).toContain("my_extension");
    await m.close();
  });
});

describe("openvino: the .bin is a sibling", () => {
  it("an .xml without its .bin opens with a finding, its Consts unreadable", async () => {
    const p = withBin(text("tiny.xml"), "");
    const m = await open(p);
    expect(m.format).toBe("openvino");
    expect(m.findings.map((f) => f.code)).toEqual(["openvino-weights-missing"]);
    await expect(m.tensors[0].read()).rejects.toMatchObject({ code: "UNREADABLE" });
    await m.close();
  });
  it("opened from bytes, with no name to find the .bin by", async () => {
    const m = await open(new Uint8Array(readFileSync(join(DIR, "tiny.xml"))));
    expect(m.findings.map((f) => f.code)).toEqual(["openvino-weights-missing"]);
    await m.close();
  });
  it("the .bin is found by the model's own name, whatever its extension; a misleading one is a finding", async () => {
    const p = withBin(text("tiny.xml"), "tiny.bin", "model.onnx");
    const m = await open(p);
    expect(m.format).toBe("openvino");
    expect(m.findings.map((f) => f.code)).toEqual(["extension-mismatch"]);
    expect(sha(await m.tensor("Transpose_1938")!.read())).toBe(expected["tiny.xml"].constants.find((c: any) => c.name === "Transpose_1938").sha256);
    await m.close();
  });
  it("a .xml that is not IR is not claimed", async () => {
    const p = withBin('<?xml version="1.0"?>\n<config><item a="1"/></config>\n', "");
    await expect(open(p)).rejects.toMatchObject({ code: "UNKNOWN_FORMAT" });
    await expect(open(p, { format: "openvino" })).rejects.toMatchObject({ code: "INVALID_HEADER" });
  });
});

async function refused(xml: string, code: string, message?: RegExp, bin = "tiny.bin") {
  const err = await open(withBin(xml, bin), { format: "openvino" }).then(async (m) => { await m.close(); return null; }, (e) => e);
  expect(err, "the file should be refused").not.toBeNull();
  expect(err.code, err.message).toBe(code);
  if (message) expect(err.message).toMatch(message);
}

describe("openvino bad input: typed errors", () => {
  const tiny = text("tiny.xml");
  it("a truncated document", async () => {
    for (const n of [60, tiny.length >> 1, tiny.length - 10]) await refused(tiny.slice(0, n), "TRUNCATED", /ends inside/);
  });
  it("mismatched and stray end tags, a second root, text outside the root", async () => {
    await refused(tiny.replace("</output>", "</outputs>"), "CORRUPT", /closes <output>/);
    await refused(tiny + "<net/>", "CORRUPT", /second root/);
    await refused(tiny + "junk", "CORRUPT", /text outside/);
  });
  it("entities: unknown ones and DOCTYPE internal subsets are refused, the predefined ones decoded", async () => {
    await refused(tiny.replace('name="x"', 'name="&foo;"'), "UNSUPPORTED", /&foo;/);
    await refused(tiny.replace("<net", '<!DOCTYPE net [<!ENTITY a "b">]>\n<net'), "UNSUPPORTED", /internal subset/);
    const m = await open(withBin(tiny.replace('<layer id="0" name="x"', '<layer id="0" name="x&amp;&#x79;&#122;&lt;"')), { format: "openvino" });
    expect((m.graph as any).nodes[0].inputs[0]).toBe("x"); // the port's names are unchanged
    expect((m.metadata.inputs as any)[0].name).toBe("x");
    await m.close();
  });
  it("an attribute value past the cap, nesting past the cap, a repeated attribute", async () => {
    await refused(tiny.replace('name="x"', `name="${"a".repeat((1 << 20) + 10)}"`), "LIMIT", /longer than/);
    await refused(tiny.replace("<layers>", "<layers>" + "<a>".repeat(300)), "LIMIT", /nested deeper/);
    await refused(tiny.replace('<layer id="0"', '<layer id="0" id="9"'), "CORRUPT", /repeats/);
  });
  it("a Const whose size disagrees with its shape, or runs past the .bin", async () => {
    await refused(tiny.replace('shape="3, 4" offset="0" size="48"', 'shape="3, 5" offset="0" size="48"'), "SIZE_MISMATCH", /60 bytes/);
    await refused(tiny.replace('offset="0" size="48"', 'offset="40" size="48"'), "INVALID_OFFSET", /of the \.bin, which has 60/);
    await refused(tiny.replace('shape="3, 4" offset="0"', 'shape="3, -4" offset="0"'), "BAD_SHAPE");
    await refused(tiny.replace('offset="0" size="48"', 'offset="zero" size="48"'), "INVALID_OFFSET", /offset\/size/);
  });
  it("edges from layers or ports that do not exist, two edges into one port, duplicate layer ids", async () => {
    await refused(tiny.replace('<edge from-layer="0"', '<edge from-layer="55"'), "INVALID_OFFSET", /layer 55/);
    await refused(tiny.replace('<edge from-layer="0" from-port="0"', '<edge from-layer="0" from-port="7"'), "INVALID_OFFSET", /port 7/);
    await refused(tiny.replace("</edges>", '<edge from-layer="1" from-port="0" to-layer="2" to-port="0" />\n</edges>'), "CORRUPT", /two edges/);
    await refused(tiny.replace('<layer id="1"', '<layer id="0"'), "CORRUPT", /two layers/);
    await refused(tiny.replace('<layer id="1"', '<layer id="one"'), "CORRUPT", /numeric id/);
  });
});

// --- seeded mutations: open or a typed error, never a trap ---------------------------------------
const KNOWN = typedCodes("SOURCE_MISSING");
const XML_BYTES = [0x3c, 0x3e, 0x22, 0x2f, 0x26, 0x31, 0x2c];
// XML syntax characters as replacements, runs of spaces or digits: the tokenizer is reached
const mutateXml = (b: Uint8Array, r: () => number) => mutate(b, r, (q) => XML_BYTES[Math.floor(q() * 7)], [0x20, 0x39]);

describe("mutated openvino fixtures never trap", () => {
  for (const [file, bin] of [["tiny_f16.xml", "tiny_f16.bin"], ["quant.xml", "quant.bin"]]) {
    it(file, async () => {
      const base = new Uint8Array(readFileSync(join(DIR, file)));
      const r = rng(base.length * 31 + file.length);
      const d = join(tmp, "mut-" + file);
      mkdirSync(d);
      copyFileSync(join(DIR, bin), join(d, "m.bin"));
      for (let i = 0; i < 100; i++) {
        writeFileSync(join(d, "m.xml"), mutateXml(base, r));
        try {
          const m = await open(join(d, "m.xml"), { format: "openvino" });
          for (const t of m.tensors.slice(0, 6)) {
            try { await t.read({ dtype: "F32" }); } catch (e: any) { expect(KNOWN.has(e.code) || e.code === "UNREADABLE", `${file} #${i} read: ${e.code} ${e.message}`).toBe(true); }
          }
          await m.close();
        } catch (e: any) {
          expect(KNOWN.has(e.code), `${file} mutation ${i}: ${e.code} ${e.message}`).toBe(true);
        }
      }
    }, 120000);
  }
});
