// Screenshots of the inspector's graph view for the README (docs/inspector-graph-*.png): the
// graph card and the node panel, for an ONNX model (If branches expanded), a Keras model, a
// TensorFlow frozen graph and a sharded safetensors checkpoint's block view. Uses the repository's own fixtures.
//
// usage: npm run build && node bench/graph/page-screenshots.mjs [OUT_DIR]   (default docs/)

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PAGE = join(ROOT, "dist", "inspector");
const OUT = resolve(process.argv[2] ?? join(ROOT, "docs"));
const F = (p) => join(ROOT, "tests", "fixtures", p);
const SHOTS = [
  { name: "onnx", file: F("onnx/structure.onnx"), find: "branch", expand: true },
  { name: "keras", file: F("keras/k3_model.keras"), find: "dense" },
  { name: "tf", file: F("tf/frozen.pb"), find: "MatMul", keepZoom: true },
  { name: "safetensors-blocks", folder: F("misc/hf-tiny"), find: "encoder.layer" },
];
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = resolve(PAGE, path === "/" ? "index.html" : path.slice(1));
  if (!file.startsWith(PAGE + sep) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
  res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
try {
  for (const s of SHOTS) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => document.getElementById("engine")?.textContent?.startsWith("core ready"));
    if (s.folder) await page.setInputFiles("#folder-input", s.folder);
    else await page.setInputFiles("#file-input", s.file);
    await page.waitForSelector(".graph-stage[data-frames]", { timeout: 60_000 });
    if (s.find) {
      await page.fill("#graph-search", s.find);
      await page.press("#graph-search", "Enter");
      await page.waitForSelector(".node-detail");
      if (s.expand) {
        await page.click(".node-detail .toggle-subgraphs");
        await page.waitForFunction(() => Number(document.querySelector(".graph-stage")?.dataset.clusters) > 0);
      }
      if (!s.keepZoom) await page.click(".graph-fit");
    } else {
      // the block view: select the repeated block
      const box = await page.$eval("canvas.graph-canvas", (c) => { const r = c.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; });
      await page.mouse.click(box.x, box.y);
    }
    await page.waitForTimeout(300);
    // below the sticky header
    await page.$eval("#graph", (e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - document.querySelector("header").offsetHeight - 8));
    const a = await page.$eval("#graph", (e) => e.getBoundingClientRect().toJSON());
    const b = await page.$eval("#tensor-panel", (e) => e.getBoundingClientRect().toJSON());
    const clip = { x: a.x - 4, y: a.y - 4, width: b.right - a.x + 8, height: Math.min(a.height, 760) + 8 };
    const path = join(OUT, `inspector-graph-${s.name}.png`);
    await page.screenshot({ path, clip, scale: "css" });
    console.log(path);
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
