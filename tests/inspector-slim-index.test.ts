// The index the inspector page receives: long graph lists cut, op counts kept, the rest as is.
import { describe, expect, it } from "vitest";
import { indexForPage, LONG_LIST } from "../ts/inspector/slim-index.ts";
import type { ModelIndex } from "../ts/model.ts";

const base = { format: "onnx", formatVersion: null, tensors: [], metadata: { a: 1 }, findings: [], children: [] } as unknown as ModelIndex;

describe("inspector: the index sent to the page", () => {
  it("cuts a node list longer than the limit and keeps its op counts", () => {
    const n = LONG_LIST + 7;
    const nodes = Array.from({ length: n }, (_, i) => ({ name: `n${i}`, op_type: i % 3 ? "Relu" : "MatMul" }));
    const out = indexForPage({ ...base, graph: { name: "g", nodes, inputs: ["x"] } } as ModelIndex);
    const g = out.graph as any;
    expect(g.nodes.length).toBe(501);
    expect(g.nodes[0]).toEqual({ name: "n0", op_type: "MatMul" });
    expect(g.nodes[500]).toMatch(/4,507 more/);
    expect(g.node_count).toBe(n);
    expect(g.ops).toEqual({ MatMul: Math.ceil(n / 3), Relu: n - Math.ceil(n / 3) });
    expect(g.inputs).toEqual(["x"]);
    expect(out.metadata).toBe(base.metadata);
  });
  it("leaves short lists and graphs without nodes alone, and keeps counts a format gave", () => {
    const small = { name: "g", nodes: [{ op: "Add" }], ops: { Add: 1 } };
    expect((indexForPage({ ...base, graph: small } as ModelIndex).graph as any)).toEqual(small);
    const nested = { meta_graphs: [{ nodes: Array.from({ length: LONG_LIST + 1 }, () => ({ op: "Const" })), ops: { Const: 99 } }] };
    const g = indexForPage({ ...base, graph: nested } as ModelIndex).graph as any;
    expect(g.meta_graphs[0].ops).toEqual({ Const: 99 });
    expect(g.meta_graphs[0].nodes.length).toBe(501);
    expect(indexForPage({ ...base, tensors: [{ name: "w" }] } as unknown as ModelIndex)).toEqual({ ...base, tensors: [], graph: undefined });
  });
});
