// `omnimodel graph FILE [--format svg|dot|mermaid|json] [--out F] [--subgraphs]`: the model's
// graph without a browser. SVG uses the same layout as the inspector page; DOT is for Graphviz,
// mermaid for Markdown, JSON is the Graph object (nodes, edges, attributes) for scripts.

import { writeFileSync } from "node:fs";
import { open } from "../open.ts";
import { graph } from "../graph/index.ts";
import { allGraphs } from "../graph/build.ts";
import { graphToDot } from "../graph/export/dot.ts";
import { graphToMermaid } from "../graph/export/mermaid.ts";
import { graphToSvg } from "../graph/export/svg.ts";
import type { Graph } from "../graph/types.ts";
import { boolFlag, choiceFlag, stringFlag } from "./args.ts";
import { err } from "./output.ts";
import { checkOutputPath } from "./write-stream.ts";
import type { Verb } from "./verb.ts";

const FORMATS = ["svg", "dot", "mermaid", "json"] as const;

/** SVG draws one graph per picture: the top graph, then each subgraph below it when asked. */
function svgOf(g: Graph, subgraphs: boolean): string {
  if (!subgraphs || !g.subgraphs.length) return graphToSvg(g);
  const parts = allGraphs(g).map((s) => ({ g: s, svg: graphToSvg(s) }));
  let y = 0;
  let width = 0;
  const inner: string[] = [];
  for (const p of parts) {
    const w = Number(/width="([\d.]+)"/.exec(p.svg)?.[1] ?? 0);
    const h = Number(/height="([\d.]+)"/.exec(p.svg)?.[1] ?? 0);
    inner.push(`<text x="4" y="${y + 14}" style="font:bold 13px sans-serif">${p.g.id === g.id ? g.name : p.g.id}</text>`);
    inner.push(p.svg.replace(/^<svg /, `<svg x="0" y="${y + 20}" `));
    y += h + 32;
    width = Math.max(width, w);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">${inner.join("")}</svg>\n`;
}

export const graphVerb: Verb = {
  name: "graph",
  summary: "the model's graph as SVG, Graphviz DOT, mermaid or JSON (no browser needed)",
  synopsis: "FILE|DIR [--format svg|dot|mermaid|json] [--out F] [--subgraphs]",
  positionals: ["FILE"],
  options: {
    format: { type: "string", valueName: "FMT", help: "svg (default), dot, mermaid or json" },
    out: { type: "string", valueName: "F", help: "write to this file instead of stdout" },
    subgraphs: { type: "boolean", help: "include subgraphs (If/Loop bodies, functions, nested models)" },
  },
  details: "Files without a graph (safetensors, GGUF, state dicts) give the block view: tensor names\ngrouped into repeated blocks. JSON always includes subgraphs.\n\nExamples:\n  omnimodel graph model.onnx --out model.svg\n  omnimodel graph model.onnx --format dot | dot -Tpng > model.png",
  async run(a) {
    const file = a.positionals[0];
    const fmt = choiceFlag("graph", a, "format", FORMATS) ?? "svg";
    const outPath = stringFlag(a, "out");
    const subgraphs = boolFlag(a, "subgraphs");
    if (outPath) checkOutputPath(outPath);
    const m = await open(file);
    let text: string;
    try {
      const g = await graph(m);
      text = fmt === "json" ? JSON.stringify(g) + "\n" : fmt === "dot" ? graphToDot(g, { subgraphs }) : fmt === "mermaid" ? graphToMermaid(g, { subgraphs }) : svgOf(g, subgraphs);
    } finally {
      await m.close();
    }
    if (outPath) {
      writeFileSync(outPath, text);
      err(`wrote ${outPath}`);
    } else process.stdout.write(text);
    return 0;
  },
};
