// Malformed protobuf and ONNX input: each must give a typed error (never a trap, hang or huge
// allocation), and a deterministic fuzz run over mutated fixtures must only ever produce indexes
// or OmnimodelErrors.
import { describe, expect, it, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { FIXTURES, sdk } from "./helpers/core";

const root = protobuf.loadSync(join(FIXTURES, "protobuf", "onnx-subset.proto"));
const ModelProto = root.lookupType("onnx.ModelProto");

let open: Awaited<ReturnType<typeof sdk>>["open"];
beforeAll(async () => {
  open = (await sdk()).open;
});

function model(graph: any): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject({ irVersion: 9, producerName: "t", opsetImport: [{ domain: "", version: 21 }], graph })).finish();
}

// A model whose graph payload is `body` (raw bytes), to place malformed fields inside the graph.
function withGraphBytes(body: number[]): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).int64(9);
  w.uint32((2 << 3) | 2).string("t");
  w.uint32((7 << 3) | 2).bytes(Uint8Array.from(body));
  return w.finish();
}

async function errorOf(bytes: Uint8Array, name = "m.onnx"): Promise<{ code: string; message: string }> {
  try {
    const m = await open(bytes, { name, format: "onnx" });
    for (const t of m.tensors) await t.read();
    await m.close();
  } catch (e: any) {
    return { code: e.code, message: e.message };
  }
  return { code: "none", message: "" };
}

describe("onnx: bad input gives typed errors", () => {
  it("a varint cut by the end of its message", async () => {
    // node field (1, LEN) whose length varint has its continuation bit set at the end
    expect((await errorOf(withGraphBytes([0x0a, 0x85]))).code).toBe("TRUNCATED");
  });
  it("a length running past the end of its message", async () => {
    expect((await errorOf(withGraphBytes([0x0a, 0x40, 0x01, 0x02]))).code).toBe("TRUNCATED");
    const whole = model({ name: "g" });
    const cut = whole.slice(0, whole.length - 1);
    expect((await errorOf(cut)).code).toBe("TRUNCATED");
  });
  it("a varint longer than 10 bytes", async () => {
    expect((await errorOf(withGraphBytes([0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).code).toBe("CORRUPT");
  });
  it("wrong wire types (a node as a varint, groups, type 7)", async () => {
    expect((await errorOf(withGraphBytes([0x08, 0x01]))).code).toBe("CORRUPT");
    expect((await errorOf(withGraphBytes([0x0b]))).code).toBe("CORRUPT");
    expect((await errorOf(withGraphBytes([0x0f, 0x00]))).code).toBe("CORRUPT");
  });
  it("field number 0", async () => {
    expect((await errorOf(withGraphBytes([0x02, 0x00]))).code).toBe("CORRUPT");
  });
  it("a recursion depth bomb (If inside If, 200 deep) is a LIMIT error", async () => {
    // Built byte by byte: protobufjs itself refuses to encode objects this deep.
    const len = (w: protobuf.Writer, field: number, b: Uint8Array) => w.uint32((field << 3) | 2).bytes(b);
    let g = protobuf.Writer.create().uint32((2 << 3) | 2).string("leaf").finish();
    for (let i = 0; i < 200; i++) {
      const attr = len(protobuf.Writer.create().uint32((1 << 3) | 2).string("then_branch").uint32((20 << 3) | 0).int32(5), 6, g).finish();
      const node = len(protobuf.Writer.create().uint32((4 << 3) | 2).string("If"), 5, attr).finish();
      g = len(protobuf.Writer.create(), 1, node).finish();
    }
    const e = await errorOf(withGraphBytes(Array.from(g)));
    expect(e.code).toBe("LIMIT");
    expect(e.message).toMatch(/deeper/);
  });
  it("raw_data shorter or longer than type x shape", async () => {
    for (const n of [7, 9]) {
      const e = await errorOf(model({ initializer: [{ name: "w", dims: [2], dataType: 1, rawData: new Uint8Array(n) }] }));
      expect(e.code).toBe("SIZE_MISMATCH");
      expect(e.message).toContain(`${n} bytes of raw_data`);
    }
  });
  it("typed fields holding fewer or more values than the shape", async () => {
    expect((await errorOf(model({ initializer: [{ name: "i", dims: [3], dataType: 7, int64Data: [1, 2] }] }))).code).toBe("SIZE_MISMATCH");
    expect((await errorOf(model({ initializer: [{ name: "f", dims: [1], dataType: 1, floatData: [1, 2] }] }))).code).toBe("SIZE_MISMATCH");
    expect((await errorOf(model({ initializer: [{ name: "s", dims: [2], dataType: 8, stringData: [new Uint8Array([65])] }] }))).code).toBe("SIZE_MISMATCH");
  });
  it("dims whose product overflows, negative dims, unknown data types", async () => {
    expect((await errorOf(model({ initializer: [{ name: "o", dims: [2 ** 40, 2 ** 40], dataType: 1, rawData: new Uint8Array(4) }] }))).code).toBe("OVERFLOW");
    expect((await errorOf(model({ initializer: [{ name: "n", dims: [-3], dataType: 1 }] }))).code).toBe("BAD_SHAPE");
    expect((await errorOf(model({ initializer: [{ name: "u", dims: [1], dataType: 99, rawData: new Uint8Array(4) }] }))).code).toBe("BAD_DTYPE");
    expect((await errorOf(model({ initializer: [{ name: "z", dims: [1], dataType: 0 }] }))).code).toBe("BAD_DTYPE");
  });
  it("external data: wrong length, offset past the end, missing file", async () => {
    const ext = (kv: Record<string, string>) => model({ initializer: [{ name: "e", dims: [4], dataType: 1, dataLocation: 1, externalData: Object.entries(kv).map(([key, value]) => ({ key, value })) }] });
    const sib = new Map([["d.bin", new Uint8Array(32)]]);
    const run = async (bytes: Uint8Array) => {
      try {
        const m = await open(bytes, { name: "m.onnx", siblings: sib });
        const r = { findings: m.findings, err: "" };
        try { await m.tensors[0].read(); } catch (e: any) { r.err = e.code; }
        await m.close();
        return r;
      } catch (e: any) {
        return { findings: [], err: e.code as string };
      }
    };
    expect((await run(ext({ location: "d.bin", offset: "0", length: "17" }))).err).toBe("SIZE_MISMATCH");
    expect((await run(ext({ location: "d.bin", offset: "20" }))).err).toBe("INVALID_OFFSET");
    expect((await run(ext({ location: "d.bin", offset: "x" }))).err).toBe("INVALID_OFFSET");
    const missing = await run(ext({ location: "nope.bin" }));
    expect(missing.findings.some((f: any) => f.code === "external-data-missing")).toBe(true);
    expect(missing.err).toBe("UNREADABLE");
    const ok = await run(ext({ location: "d.bin", offset: "16", length: "16" }));
    expect(ok.err).toBe("");
    for (const loc of ["/etc/passwd", "../x.bin", "a/../../x", "http://h/x"]) {
      const r = await run(ext({ location: loc }));
      expect(r.findings.some((f: any) => f.code === "path-escape" && f.severity === "high"), loc).toBe(true);
      expect(r.err).toBe("UNREADABLE");
    }
  });
  it("a model whose fields are not in field-number order (graph first) is still read", async () => {
    const g = protobuf.Writer.create().uint32((2 << 3) | 2).string("g").finish();
    const w = protobuf.Writer.create();
    w.uint32((7 << 3) | 2).bytes(g);
    w.uint32((8 << 3) | 2).bytes(protobuf.Writer.create().uint32((2 << 3) | 0).int64(21).finish());
    w.uint32((1 << 3) | 0).int64(9);
    const m = await open(w.finish(), { name: "reordered.onnx" });
    expect(m.format).toBe("onnx");
    expect((m.metadata as any).ir_version).toBe(9);
    expect((m.metadata as any).graph_name).toBe("g");
    await m.close();
  });
  it("unpacked repeated fields (allowed by protobuf) read like packed ones", async () => {
    // float_data and int64_data written one tag per value, as proto2 writers without packing do.
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 0).int64(3); // dims
    w.uint32((2 << 3) | 0).int32(7); // INT64
    w.uint32((8 << 3) | 2).string("u");
    for (const v of [5, -1, 300]) w.uint32((7 << 3) | 0).int64(v);
    const tensor = w.finish();
    const g = protobuf.Writer.create().uint32((5 << 3) | 2).bytes(tensor).finish();
    const m = await open(withGraphBytes(Array.from(g)), { name: "m.onnx" });
    const v = await m.tensors[0].read();
    expect(Array.from(v as BigInt64Array)).toEqual([5n, -1n, 300n]);
    await m.close();
  });

  // Top-level nodes are written to the index straight from their wire bytes; text that needs
  // escaping, non-ASCII names, repeated and mistyped fields are handed to the general parser.
  // Both must describe a node exactly as protobuf reads it.
  it("node names, op types and lists read as protobuf defines them, escaped or not", async () => {
    const node = (build: (w: protobuf.Writer) => void) => {
      const w = protobuf.Writer.create();
      build(w);
      return w.finish();
    };
    const s = (w: protobuf.Writer, field: number, v: string) => w.uint32((field << 3) | 2).string(v);
    const nodes = [
      node((w) => { s(w, 1, "x"); s(w, 1, ""); s(w, 2, "y"); s(w, 3, "plain"); s(w, 4, "Relu"); }),
      node((w) => { s(w, 1, 'quote"and\\back'); s(w, 2, "tab\tnl\n"); s(w, 3, "n\u00e4me \u2028 ☃"); s(w, 4, "Add"); s(w, 7, "com.example"); }),
      // the last of a repeated singular field wins; a varint in a string field reads as ""
      node((w) => { s(w, 3, "first"); s(w, 3, "second"); s(w, 4, "Sub"); w.uint32((7 << 3) | 0).int32(3); s(w, 8, "ov"); }),
      node((w) => { s(w, 4, "Cast"); s(w, 5, ""); w.uint32((5 << 3) | 2).bytes(node((a) => { s(a, 1, "to"); a.uint32((3 << 3) | 0).int64(7); a.uint32((20 << 3) | 0).int32(2); })); }),
    ];
    const g = protobuf.Writer.create();
    for (const n of nodes) g.uint32((1 << 3) | 2).bytes(n);
    const m = await open(withGraphBytes(Array.from(g.finish())), { name: "names.onnx" });
    const got = (m.index.graph as any).nodes;
    expect(got).toEqual([
      { name: "plain", op_type: "Relu", domain: "", inputs: ["x", ""], outputs: ["y"], attributes: {} },
      { name: "n\u00e4me \u2028 ☃", op_type: "Add", domain: "com.example", inputs: ['quote"and\\back'], outputs: ["tab\tnl\n"], attributes: {} },
      { name: "second", op_type: "Sub", domain: "", overload: "ov", inputs: [], outputs: [], attributes: {} },
      { name: "", op_type: "Cast", domain: "", inputs: [], outputs: [], attributes: { "": null, to: 7 } },
    ]);
    expect((m.metadata as any).node_count).toBe(4);
    expect((m.metadata as any).op_types).toEqual(["Cast", "Relu", "Sub", "com.example::Add"]);
    await m.close();
  });
  it("a node whose attribute is not a message fails as the general parser says", async () => {
    const n = protobuf.Writer.create().uint32((4 << 3) | 2).string("Relu").uint32((5 << 3) | 0).int32(1).finish();
    const g = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(n).finish();
    const e = await errorOf(withGraphBytes(Array.from(g)));
    expect(e.code).toBe("CORRUPT");
    expect(e.message).toMatch(/AttributeProto.*wire type/);
  });
});

// xorshift32: deterministic mutations.
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

describe("onnx: fuzz (deterministic mutations of the fixtures)", () => {
  for (const file of ["structure.onnx", "dtypes_typed.onnx", "dtypes_raw.onnx"]) {
    it(file, async () => {
      const orig = readFileSync(join(FIXTURES, "onnx", file));
      const r = rng(file.length * 7919);
      let indexed = 0, refused = 0;
      for (let i = 0; i < 250; i++) {
        const b = Uint8Array.from(orig);
        const kind = i % 4;
        let bytes: Uint8Array = b;
        if (kind === 0) for (let k = 0; k < 1 + Math.floor(r() * 4); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
        else if (kind === 1) bytes = b.slice(0, Math.floor(r() * b.length));
        else if (kind === 2) { const at = Math.floor(r() * b.length); b[at] = 0xff; if (at + 1 < b.length) b[at + 1] = 0xff; }
        else { const at = Math.floor(r() * b.length); bytes = new Uint8Array([...b.slice(0, at), Math.floor(r() * 256), ...b.slice(at)]); }
        try {
          const m = await open(bytes, { name: "f.onnx", format: "onnx" });
          for (const t of m.tensors) {
            try { await t.read(); } catch (e: any) { expect(e.constructor.name, String(e)).toBe("OmnimodelError"); }
          }
          await m.close();
          indexed++;
        } catch (e: any) {
          expect(e.constructor.name, String(e.stack)).toBe("OmnimodelError");
          refused++;
        }
      }
      expect(indexed + refused).toBe(250);
      expect(refused).toBeGreaterThan(0);
    });
  }
});
