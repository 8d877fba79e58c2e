// Builds the standalone browser bundle: dist/web/omnimodel.js (one ES module, no dependencies,
// usable from <script type="module"> with no build step). It fetches the package's one
// build/omnimodel.wasm (../../build/ from dist/web/), so the package ships the core once.
// Run after `npm run build`: node bindings/build-web.mjs
import { build } from "esbuild";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "web");
mkdirSync(out, { recursive: true });
const common = { bundle: true, format: "esm", platform: "browser", target: "es2022", minify: true, sourcemap: true, logLevel: "warning" };
await build({
  ...common,
  entryPoints: [join(root, "bindings", "web.ts")],
  outfile: join(out, "omnimodel.js"),
  define: { __OMNIMODEL_POOL_WORKER__: JSON.stringify("./pool-worker.js") },
});
// The Web Worker a readAll/convert pool starts (ts/pool/web-worker.ts), next to the bundle.
await build({ ...common, entryPoints: [join(root, "ts", "pool", "web-worker.ts")], outfile: join(out, "pool-worker.js") });
rmSync(join(out, "omnimodel.wasm"), { force: true }); // an older build's copy
console.log("dist/web/omnimodel.js, dist/web/pool-worker.js (core: build/omnimodel.wasm)");
