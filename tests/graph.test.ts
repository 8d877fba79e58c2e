// The graph model: node and edge counts equal what the writing library reports (ONNX protos,
// TensorFlow GraphDefs, Keras layers; tests/fixtures/graph/expected.json), weights attached to
// the nodes that use them, subgraphs and functions linked, the block view of weight-only files,
// and bad index shapes giving a graph rather than a crash.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, sdk } from "./helpers/core";

const G = join(FIXTURES, "graph");
const expected = JSON.parse(readFileSync(join(G, "expected.json"), "utf8"));
type Graph = import("../dist/ts/graph/types.js").Graph;

const ops = (g: Graph) => g.nodes.filter((n) => n.kind === "op");
function byId(root: Graph, id: string): Graph | undefined {
  if (root.id === id) return root;
  for (const s of root.subgraphs) {
    const hit = byId(s, id);
    if (hit) return hit;
  }
  return undefined;
}

async function graphOf(path: string): Promise<Graph> {
  const { open, graph } = await sdk();
  const m = await open(path);
  try {
    return await graph(m);
  } finally {
    await m.close();
  }
}

describe("graph counts equal the reference libraries'", () => {
  for (const [file, graphs] of Object.entries<Record<string, { nodes: number; edges: number }>>(expected.files)) {
    it(file, async () => {
      const g = await graphOf(join(G, file));
      const seen: Record<string, { nodes: number; edges: number }> = {};
      for (const id of Object.keys(graphs)) {
        const s = byId(g, id);
        expect(s, `graph ${id}`).toBeDefined();
        seen[id] = { nodes: ops(s!).length, edges: s!.edges.length };
      }
      const want = Object.fromEntries(Object.entries(graphs).map(([k, v]) => [k, { nodes: v.nodes, edges: v.edges }]));
      expect(seen).toEqual(want);
    });
  }
});

describe("graph structure", () => {
  it("ONNX: initializers are weights, subgraphs and functions are linked, optional inputs skipped", async () => {
    const g = await graphOf(join(G, "control_flow.onnx"));
    const node = (name: string, gr: Graph = g) => gr.nodes.find((n) => n.name === name)!;
    expect(node("proj").weights).toEqual(["w"]);
    expect(g.edges.some((e) => e.tensor === "w")).toBe(false);
    const iff = node("branch");
    expect(iff.subgraphs.sort()).toEqual(["n1.else_branch", "n1.then_branch"]);
    expect(iff.attributes.then_branch).toEqual({ graph: "n1.then_branch" });
    expect(node("then_add", byId(g, "n1.then_branch")!).weights).toEqual(["then_bias"]);
    // "h" comes from the outer scope: an implicit input of the branch
    expect(byId(g, "n1.then_branch")!.nodes.find((n) => n.kind === "input")).toMatchObject({ name: "h", attributes: { implicit: true } });
    expect(node("call_fn").subgraphs).toEqual(["fn0:local.graph.ScaleShift"]);
    expect(g.edges.filter((e) => e.to === node("clip_upper").id).map((e) => e.tensor).sort()).toEqual(["fn_out", "h"]);
    expect(g.edges.filter((e) => e.to === node("self_add").id)).toHaveLength(1);
    expect(g.inputs).toEqual(["x", "cond", "trip"]);
    expect(g.outputs).toEqual(["y", "z"]);
    expect(g.edges.find((e) => e.tensor === "x")).toMatchObject({ shape: ["N", 4], dtype: "FLOAT" });
    const ids = new Set<string>();
    const walk = (x: Graph) => { for (const n of x.nodes) { expect(ids.has(n.id)).toBe(false); ids.add(n.id); } x.subgraphs.forEach(walk); };
    walk(g);
  });

  it("TensorFlow: tf.cond branches are functions linked from the If node; Consts carry their tensors", async () => {
    const g = await graphOf(join(G, "tf_cond.pb"));
    const iff = g.nodes.find((n) => /If$/.test(n.op))!;
    expect(iff.subgraphs.length).toBe(2);
    for (const s of iff.subgraphs) expect(byId(g, s)).toBeDefined();
    const c = g.nodes.find((n) => n.op === "Const" && n.weights.length)!;
    expect(c.weights).toEqual([c.name]);
  });

  it("SavedModel: function bodies from the core, variables as weights", async () => {
    const g = await graphOf(join(FIXTURES, "tf", "saved_model"));
    const call = g.nodes.find((n) => n.name === "StatefulPartitionedCall")!;
    expect(call.subgraphs).toEqual(["fn:__inference_signature_wrapper___call___66"]);
    expect(g.nodes.find((n) => n.name === "w")!.weights).toEqual(["w/.ATTRIBUTES/VARIABLE_VALUE"]);
    const fn = byId(g, "fn:__inference___call___56")!;
    expect(ops(fn).map((n) => n.op).sort()).toEqual(["AddV2", "Cast", "Identity", "MatMul", "NoOp", "ReadVariableOp", "ReadVariableOp"]);
    expect(fn.inputs).toEqual(["x", "matmul_readvariableop_resource", "cast_readvariableop_resource"]);
  });

  it("Keras 2: the layers model.layers lists (existing fixture), with their weights and configs", async () => {
    const want = JSON.parse(readFileSync(join(FIXTURES, "keras", "expected.json"), "utf8"))["k2_full.h5"].layers;
    const g = await graphOf(join(FIXTURES, "keras", "k2_full.h5"));
    expect(ops(g).map((n) => n.op)).toEqual(want);
    const hidden = g.nodes.find((n) => n.name === "hidden")!;
    expect(hidden.weights.sort()).toEqual(["model_weights/hidden/hidden/bias:0", "model_weights/hidden/hidden/kernel:0"]);
    expect(hidden.attributes).toMatchObject({ units: 3, activation: "relu" });
    expect(g.inputs).toEqual(["features"]);
    expect(g.outputs).toEqual(["logits"]);
  });

  it("Keras 3: weights found through the store names", async () => {
    const g = await graphOf(join(FIXTURES, "keras", "k3_model.keras"));
    expect(g.nodes.find((n) => n.name === "first")!.weights).toEqual(["layers/dense/vars/0", "layers/dense/vars/1"]);
  });

  it("TF.js graph model: the topology from model.json", async () => {
    const g = await graphOf(join(FIXTURES, "tfjs", "graph"));
    const want = JSON.parse(readFileSync(join(FIXTURES, "tfjs", "graph", "model.json"), "utf8")).modelTopology.node;
    expect(ops(g).map((n) => n.name)).toEqual(want.map((n: any) => n.name));
  });

  // Converted by the tensorflowjs converter from tf_keras 2 and Keras 3 models
  // (fixtures/tfjs/generate_layers_models.py); expected_layers.json is what Keras says of them.
  for (const dir of ["layers_k2", "layers_k3"]) {
    it(`TF.js layers model (${dir}): Keras' layers, connections, nested block, weights and configs`, async () => {
      const want = JSON.parse(readFileSync(join(FIXTURES, "tfjs", "expected_layers.json"), "utf8"))[dir];
      const { open, graph } = await sdk();
      const m = await open(join(FIXTURES, "tfjs", dir));
      const g = await graph(m);
      const shapeOf = (names: string[]) => names.map((w) => m.tensors.find((t) => t.name === w)!.shape.map(Number));
      expect(g.kind).toBe("graph");
      expect(ops(g).map((n) => [n.name, n.op])).toEqual(want.layers.map((l: any) => [l.name, l.class]));
      // Keras' connections between layers, plus one edge into the output node
      const byId = new Map(g.nodes.map((n) => [n.id, n]));
      const links = g.edges.filter((e) => byId.get(e.to)!.kind !== "output").map((e) => [byId.get(e.from)!.name, byId.get(e.to)!.name]);
      expect(links.length).toBe(want.edges);
      for (const l of want.layers) expect(links.filter(([, to]) => to === l.name).map(([from]) => from).sort()).toEqual(l.inputs);
      for (const l of want.layers) expect(shapeOf(ops(g).find((n) => n.name === l.name)!.weights)).toEqual(l.weights);
      const block = ops(g).find((n) => n.name === "block")!;
      const sub = g.subgraphs.find((x) => x.id === block.subgraphs[0])!;
      for (const l of want.nested.block) expect(shapeOf(sub.nodes.find((n) => n.name === l.name)!.weights)).toEqual(l.weights);
      expect(ops(g).find((n) => n.name === "stem")!.attributes).toMatchObject({ units: 8, activation: "relu" });
      expect(ops(g).find((n) => n.name === "head")!.attributes).toMatchObject({ units: 3, activation: "softmax" });
      // values bit for bit with tensorflowjs.read_weights
      for (const t of m.tensors) expect(Buffer.from((await t.read()).buffer).toString("hex"), t.name).toBe(want.weights[t.name].hex);
      expect(m.metadata.layer_classes).toEqual(["Functional", "InputLayer", "Dense", "Sequential", "Add"]);
      await m.close();
    });
  }

  // The deployment formats list operators in ONNX's words (ts/graph/formats/nodes.ts).
  it("OpenVINO IR: the operations read_model lists, weights from the .bin on their node", async () => {
    const want = JSON.parse(readFileSync(join(FIXTURES, "openvino", "expected.json"), "utf8")).files;
    for (const file of ["tiny.xml", "ext.xml"]) {
      const g = await graphOf(join(FIXTURES, "openvino", file));
      expect(g.kind).toBe("graph");
      const got = ops(g).filter((n) => n.op !== "Const").map((n) => [n.name, n.op.toLowerCase()]).sort();
      expect(got, file).toEqual(want[file].ops.map(([name, op]: string[]) => [name, op.toLowerCase()]).sort());
    }
    const g = await graphOf(join(FIXTURES, "openvino", "tiny.xml"));
    expect(g.nodes.some((n) => n.weights.length > 0)).toBe(true);
  });
  it("Core ML: the layers and ML program operations coremltools lists, in order", async () => {
    const want = JSON.parse(readFileSync(join(FIXTURES, "coreml", "expected.json"), "utf8")).files;
    for (const [file, key] of [["nn.mlmodel", "layers"], ["program.mlpackage", "ops"], ["program_f32.mlpackage", "ops"]]) {
      const g = await graphOf(join(FIXTURES, "coreml", file));
      const listed = want[file][key].map((x: string | string[]) => (Array.isArray(x) ? x[1] : x));
      expect(ops(g).map((n) => n.op), file).toEqual(listed);
    }
    const g = await graphOf(join(FIXTURES, "coreml", "program_f32.mlpackage"));
    expect(ops(g).find((n) => n.op === "linear")!.weights.length).toBe(2);
  });
  it("TFLite, torch.export and ExecuTorch: operator graphs with their stored weights", async () => {
    for (const [file, op] of [["tflite/float.tflite", "CONV_2D"], ["pt2/conv.pt2", "torch.ops.aten.conv2d.default"], ["pte/xnnpack.pte", "delegate:XnnpackBackend"]]) {
      const { open, graph } = await sdk();
      const m = await open(join(FIXTURES, file));
      const g = await graph(m);
      expect(g.kind, file).toBe("graph");
      const n = ops(g).find((x) => x.op === op)!;
      expect(n, file).toBeDefined();
      // every weight on a node is a stored tensor
      for (const w of n.weights) expect(m.tensors.some((t) => t.name === w), `${file}: ${w}`).toBe(true);
      expect(n.weights.length, file).toBeGreaterThan(0);
      await m.close();
    }
  });

  it("block view: GGUF blocks repeat llama.block_count times (llama.cpp's own metadata)", async () => {
    const { open, modelGraph } = await sdk();
    const m = await open(join(CORPUS, "gguf", "stories260K.gguf"));
    const g = modelGraph(m);
    expect(g.kind).toBe("blocks");
    const blk = g.nodes.find((n) => n.kind === "block")!;
    expect(blk.name).toBe("blk.N");
    expect(blk.count).toBe(Number(m.metadata["llama.block_count"]));
    expect(g.nodes[0].name).toBe("token_embd");
    // every tensor belongs to exactly one node
    expect(g.nodes.flatMap((n) => n.weights).sort()).toEqual(m.tensors.map((t) => t.name).sort());
    await m.close();
  });

  it("TorchServe archives give the graph of the model inside", async () => {
    const g = await graphOf(join(FIXTURES, "misc", "torchserve-tiny.mar"));
    expect(g.name).toMatch(/in torchserve-mar/);
  });

  it("index shapes a format never writes give a graph, not a crash", async () => {
    const { modelGraph } = await sdk();
    const tensors = [{ name: "a.0.w", dtype: "F32", shape: [1] }];
    const weird: unknown[] = [5, "x", null, [], { nodes: 3 }, { nodes: [1, null, "a", { op_type: 7, inputs: "x" }] },
      { meta_graphs: [null] }, { nodes: [{ name: "n", class: 5, inputs: [[[]]] }] }, { nodes: [{ attributes: { g: { nodes: [{ attributes: { g: { nodes: [] } } }] } } }] }];
    for (const format of ["onnx", "tf-graphdef", "tf-savedmodel", "tfjs", "keras", "torchscript", "safetensors"]) {
      for (const graph of weird) {
        const g = modelGraph({ format, graph, tensors, metadata: { "pickle.objects": graph as any } });
        expect(Array.isArray(g.nodes)).toBe(true);
        expect(JSON.parse(JSON.stringify(g))).toEqual(g);
      }
    }
  });
});

describe("golden graphs (what the Python package must return too)", () => {
  it("golden.json is the Node output for every listed fixture", async () => {
    // @ts-expect-error: a plain ES module without types
    const { goldenGraphs } = await import("./fixtures/graph/write-golden.mjs");
    const golden = JSON.parse(readFileSync(join(G, "golden.json"), "utf8"));
    expect(await goldenGraphs()).toEqual(golden);
  });
});
