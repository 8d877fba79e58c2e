// Builds the inspector page into dist/inspector/: two bundles (the page and the worker that owns
// the core), the HTML and CSS, and omnimodel.wasm next to them. The result is a static folder:
// any static host serves it, `omnimodel serve` serves it locally.
//
// It also writes omnimodel-inspector.html: the same page as one self-contained file (scripts,
// styles, the worker and the wasm inlined) that works when opened straight from disk (file://),
// where browsers refuse to load worker.js or fetch omnimodel.wasm.
//
// usage: node scripts/build-inspector.mjs [--out DIR] [--watch]

import { build, context } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const outIx = args.indexOf("--out");
const out = outIx >= 0 ? resolve(args[outIx + 1]) : join(root, "dist", "inspector");
const src = join(root, "ts", "inspector");
const wasm = join(root, "build", "omnimodel.wasm");

if (!existsSync(wasm)) {
  console.error("build/omnimodel.wasm is missing: run `npm run build:wasm` first");
  process.exit(1);
}
mkdirSync(out, { recursive: true });

const options = {
  entryPoints: { inspector: join(src, "main.ts"), worker: join(src, "worker.ts") },
  outdir: out,
  bundle: true,
  // classic scripts (not modules): the worker then starts in every browser that has workers
  format: "iife",
  target: ["es2022", "chrome100", "firefox100", "safari15"],
  platform: "browser",
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
};

for (const f of ["index.html", "styles.css"]) copyFileSync(join(src, f), join(out, f));
copyFileSync(wasm, join(out, "omnimodel.wasm"));

if (args.includes("--watch")) {
  const ctx = await context(options);
  await ctx.watch();
  console.log(`watching; output in ${out}`);
} else {
  const r = await build({ ...options, metafile: true });
  const sizes = Object.entries(r.metafile.outputs)
    .filter(([f]) => f.endsWith(".js"))
    .map(([f, o]) => `${f.split("/").pop()} ${(o.bytes / 1024).toFixed(0)} KiB`);
  const single = writeSingleFile();
  console.log(`inspector -> ${out} (${sizes.join(", ")}; ${single})`);
}

function writeSingleFile() {
  const read = (f) => readFileSync(join(out, f), "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
  const b64 = readFileSync(wasm).toString("base64");
  const workerSource = `var OMNIMODEL_WASM_BASE64=${JSON.stringify(b64)};\n${read("worker.js")}`;
  const page = read("inspector.js");
  if (/<\/script|<!--/i.test(page)) throw new Error("inspector.js contains text that would end an inline <script>");
  // "</" cannot appear inside the JSON string literal, so it cannot close the <script> early
  const workerLiteral = JSON.stringify(workerSource).replace(/<\//g, "<\\/");
  const csp = "default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval'; worker-src blob:; style-src 'unsafe-inline'; img-src data: blob:; connect-src http: https:";
  let html = readFileSync(join(src, "index.html"), "utf8");
  const swap = (from, to) => {
    if (!html.includes(from)) throw new Error(`index.html no longer contains ${from}`);
    html = html.replace(from, () => to);
  };
  swap(/content="default-src[^"]*"/.exec(html)[0], `content="${csp}"`);
  swap('<link rel="stylesheet" href="styles.css">', `<style>\n${readFileSync(join(src, "styles.css"), "utf8")}</style>`);
  swap('<script src="inspector.js"></script>', `<script>window.OMNIMODEL_WORKER_SOURCE=${workerLiteral};</script>\n<script>${page}</script>`);
  const file = join(out, "omnimodel-inspector.html");
  writeFileSync(file, html);
  return `omnimodel-inspector.html ${(html.length / 1024).toFixed(0)} KiB`;
}
