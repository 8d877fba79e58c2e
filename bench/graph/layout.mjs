// Layout time of the graph view at 500, 5,000 and 100,000 nodes: our layered layout
// (ts/graph/layout.ts) against @dagrejs/dagre and elkjs (layered algorithm), on the same graph
// (the synthetic residual ONNX of tests/fixtures/graph/synthetic-onnx.mjs, through modelGraph),
// with the same node sizes. Each measurement runs in its own process with a time cap (a library
// that needs longer is reported as "> cap"), the libraries interleaved round by round.
//   node bench/graph/layout.mjs [--rounds 3] [--cap 120] [--sizes 500,5000,100000]
// Needs `npm run build` first.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadavg } from "node:os";

const here = fileURLToPath(import.meta.url);
const root = new URL("../../", import.meta.url);

async function graphOf(n) {
  const { open, BytesSource, modelGraph } = await import(new URL("dist/bindings/node-index.js", root));
  const { syntheticOnnx } = await import(new URL("tests/fixtures/graph/synthetic-onnx.mjs", root));
  const m = await open(new BytesSource(syntheticOnnx(n).bytes, "bench.onnx"));
  const g = modelGraph(m);
  await m.close();
  return g;
}

async function one(lib, n) {
  const g = await graphOf(n);
  const { layoutGraph, defaultNodeSize } = await import(new URL("dist/ts/graph/layout.js", root));
  const sizes = new Map(g.nodes.map((x) => [x.id, defaultNodeSize(x)]));
  let t;
  const c0 = process.cpuUsage();
  if (lib === "ours") {
    t = performance.now();
    layoutGraph(g);
  } else if (lib === "dagre") {
    const dagre = (await import("@dagrejs/dagre")).default;
    t = performance.now();
    const dg = new dagre.graphlib.Graph({ multigraph: true });
    dg.setGraph({ rankdir: "TB", nodesep: 16, ranksep: 36 });
    dg.setDefaultEdgeLabel(() => ({}));
    for (const x of g.nodes) { const [w, h] = sizes.get(x.id); dg.setNode(x.id, { width: w, height: h }); }
    g.edges.forEach((e, i) => dg.setEdge(e.from, e.to, {}, String(i)));
    dagre.layout(dg);
  } else {
    const ELK = (await import("elkjs/lib/elk.bundled.js")).default;
    const elk = new ELK();
    t = performance.now();
    await elk.layout({
      id: "root",
      layoutOptions: { "elk.algorithm": "layered", "elk.direction": "DOWN" },
      children: g.nodes.map((x) => { const [w, h] = sizes.get(x.id); return { id: x.id, width: w, height: h }; }),
      edges: g.edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
    });
  }
  const c = process.cpuUsage(c0);
  // wall and CPU time: on a shared machine the CPU time is the steadier of the two
  process.stdout.write(`${performance.now() - t} ${(c.user + c.system) / 1000}`);
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

async function main() {
  const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : d; };
  const rounds = Number(arg("--rounds", 3));
  const cap = Number(arg("--cap", 120));
  const sizes = arg("--sizes", "500,5000,100000").split(",").map(Number);
  const libs = ["ours", "dagre", "elk"];
  console.log(`node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}, cap ${cap}s, ${rounds} rounds`);
  for (const n of sizes) {
    const res = Object.fromEntries(libs.map((l) => [l, []]));
    const cpus = Object.fromEntries(libs.map((l) => [l, []]));
    const over = new Set();
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...libs].reverse() : libs;
      for (const lib of order) {
        if (over.has(lib)) continue;
        const p = spawnSync(process.execPath, ["--max-old-space-size=8192", here, "--one", lib, String(n)], { encoding: "utf8", timeout: cap * 1000 });
        if (p.status !== 0 || !p.stdout) { over.add(lib); continue; }
        const [wall, cpu] = p.stdout.split(" ").map(Number);
        res[lib].push(wall);
        cpus[lib].push(cpu);
      }
    }
    const ours = median(res.ours);
    const line = libs.map((l) => {
      if (!res[l].length) return `${l}: > ${cap} s`;
      const ratios = res[l].map((v, i) => v / (res.ours[i] ?? ours));
      return `${l}: median ${median(res[l]).toFixed(0)} ms wall (min ${Math.min(...res[l]).toFixed(0)}, max ${Math.max(...res[l]).toFixed(0)}), ${median(cpus[l]).toFixed(0)} ms cpu` +
        (l === "ours" ? "" : `, x${median(ratios).toFixed(1)} ours (${Math.min(...ratios).toFixed(1)}-${Math.max(...ratios).toFixed(1)})`);
    });
    console.log(`${n} nodes: ${line.join("; ")}`);
  }
  console.log(`load average after ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
}

if (process.argv[2] === "--one") await one(process.argv[3], Number(process.argv[4]));
else await main();
