// The layout and the exports: boxes in a layer do not overlap, edges run from the producer's box
// to the consumer's, cycles terminate, a 100,000-node ONNX graph lays out and renders; the
// `graph` verb writes SVG, DOT that Graphviz accepts, mermaid and JSON.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT, sdk } from "./helpers/core";
// @ts-expect-error: a plain ES module without types
import { syntheticOnnx } from "./fixtures/graph/synthetic-onnx.mjs";

type Graph = import("../dist/ts/graph/types.js").Graph;
type Layout = import("../dist/ts/graph/types.js").Layout;

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-graph-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function checkLayout(g: Graph, L: Layout): void {
  expect(L.nodes.map((n) => n.id)).toEqual(g.nodes.map((n) => n.id));
  expect(L.edges).toHaveLength(g.edges.length);
  const at = new Map(L.nodes.map((n) => [n.id, n]));
  for (const n of L.nodes) for (const v of [n.x, n.y, n.w, n.h]) expect(Number.isFinite(v)).toBe(true);
  // no two boxes of a layer overlap
  const rows = new Map<number, typeof L.nodes>();
  for (const n of L.nodes) rows.set(Math.round(n.y + n.h / 2), [...(rows.get(Math.round(n.y + n.h / 2)) ?? []), n]);
  for (const row of rows.values()) {
    row.sort((a, b) => a.x - b.x);
    for (let i = 1; i < row.length; i++) expect(row[i].x).toBeGreaterThanOrEqual(row[i - 1].x + row[i - 1].w - 1e-6);
  }
  L.edges.forEach((e, i) => {
    expect(e.from).toBe(g.edges[i].from);
    const p = e.points;
    expect(p.length).toBeGreaterThanOrEqual(4);
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const touches = (n: typeof a, x: number, y: number) => x >= n.x - 1e-6 && x <= n.x + n.w + 1e-6 && (Math.abs(y - n.y) < 1e-6 || Math.abs(y - n.y - n.h) < 1e-6);
    expect(touches(a, p[0], p[1])).toBe(true);
    expect(touches(b, p[p.length - 2], p[p.length - 1])).toBe(true);
  });
}

describe("layout", () => {
  it("places a real graph without overlaps, edges from box to box", async () => {
    const { open, modelGraph, layoutGraph } = await sdk();
    const m = await open(join(FIXTURES, "graph", "control_flow.onnx"));
    const g = modelGraph(m);
    await m.close();
    checkLayout(g, layoutGraph(g));
    for (const s of g.subgraphs) checkLayout(s, layoutGraph(s));
  });

  it("a cycle (TF while loops) terminates and every edge is drawn", async () => {
    const { layoutGraph } = await sdk();
    const node = (id: string) => ({ id, name: id, op: "Op", attributes: {}, inputs: [], outputs: [], weights: [], subgraphs: [], kind: "op" as const });
    const g: Graph = { id: "main", name: "loop", format: "test", kind: "graph", nodes: ["a", "b", "c", "d"].map(node), inputs: [], outputs: [], subgraphs: [],
      edges: [["a", "b"], ["b", "c"], ["c", "b"], ["c", "d"], ["d", "a"], ["a", "d"], ["a", "b"]].map(([from, to]) => ({ from, to, tensor: `${from}-${to}` })) };
    checkLayout(g, layoutGraph(g));
  });

  it("a 100,000-node ONNX graph builds, lays out and renders", async () => {
    const { open, BytesSource, modelGraph, layoutGraph, graphToSvg } = await sdk();
    const { bytes, nodes, edges } = syntheticOnnx(100_000);
    const m = await open(new BytesSource(bytes, "large.onnx"));
    const g = modelGraph(m);
    await m.close();
    expect(g.nodes.filter((n) => n.kind === "op")).toHaveLength(nodes);
    expect(g.edges).toHaveLength(edges);
    const L = layoutGraph(g);
    expect(L.nodes).toHaveLength(g.nodes.length);
    expect(L.edges.every((e) => e.points.length >= 4)).toBe(true);
    const svg = graphToSvg(g, { layout: L });
    expect(svg.match(/<rect /g)).toHaveLength(g.nodes.length);
  }, 300_000);
});

describe("omnimodel graph", () => {
  const onnx = join(FIXTURES, "graph", "control_flow.onnx");

  it("--format json is the Graph the SDK builds", async () => {
    const { open, graph } = await sdk();
    const m = await open(onnx);
    const want = await graph(m);
    await m.close();
    const r = cli("graph", onnx, "--format", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(want);
  });

  it("DOT is accepted by Graphviz (dot -Tsvg), with and without subgraphs", () => {
    for (const extra of [[], ["--subgraphs"]]) {
      const out = join(tmp, `g${extra.length}.dot`);
      const r = cli("graph", onnx, "--format", "dot", "--out", out, ...extra);
      expect(r.code).toBe(0);
      const d = spawnSync("dot", ["-Tsvg", out], { encoding: "utf8" });
      expect(d.error).toBeUndefined();
      expect(d.status, d.stderr).toBe(0);
      expect(d.stdout).toMatch(/<svg/);
      expect(d.stdout).toContain("clip_upper");
    }
  });

  it("SVG has one box per node and parses as XML-ish markup", () => {
    const r = cli("graph", onnx);
    expect(r.code).toBe(0);
    expect(r.out.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    const g = JSON.parse(cli("graph", onnx, "--format", "json").out);
    expect(r.out.match(/<rect /g)).toHaveLength(g.nodes.length);
    const all = cli("graph", onnx, "--subgraphs");
    expect((all.out.match(/<rect /g) ?? []).length).toBeGreaterThan(g.nodes.length);
    expect(readFileSync(join(FIXTURES, "graph", "control_flow.onnx")).length).toBeGreaterThan(0);
  });

  it("mermaid is a flowchart with one line per node and edge", () => {
    const r = cli("graph", onnx, "--format", "mermaid");
    const g = JSON.parse(cli("graph", onnx, "--format", "json").out);
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toBe("flowchart TD");
    expect(lines.length - 1).toBe(g.nodes.length + g.edges.length);
  });

  it("weight-only files give the block view; bad flags are usage errors", () => {
    const r = cli("graph", join(ROOT, "samples", "tiny-mlp.safetensors"), "--format", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).kind).toBe("blocks");
    expect(cli("graph", onnx, "--format", "png").code).toBe(2);
    expect(cli("graph", onnx, "--bogus").code).toBe(2);
    expect(cli("graph", onnx, "--out", join(tmp, "missing", "x.svg")).code).not.toBe(0);
  });
});
