// Builds the standalone browser bundle: dist/web/omnimodel.js (one ES module, no dependencies,
// usable from <script type="module"> with no build step) and dist/web/omnimodel.wasm next to it.
// Run after `npm run build`: node bindings/build-web.mjs
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "web");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, "bindings", "web.ts")],
  outfile: join(out, "omnimodel.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  define: { __OMNIMODEL_WASM__: JSON.stringify("./omnimodel.wasm") },
  logLevel: "warning",
});
copyFileSync(join(root, "build", "omnimodel.wasm"), join(out, "omnimodel.wasm"));
console.log("dist/web/omnimodel.js + omnimodel.wasm");
