// Builds the inspector page into dist/inspector/: two bundles (the page and the worker that owns
// the core), the HTML and CSS, and omnimodel.wasm next to them. The result is a static folder:
// any static host serves it, `omnimodel serve` serves it locally.
//
// usage: node scripts/build-inspector.mjs [--out DIR] [--watch]

import { build, context } from "esbuild";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
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
  console.log(`inspector -> ${out} (${sizes.join(", ")})`);
}
