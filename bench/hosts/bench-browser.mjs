// Chromium side of bench/hosts: headless Debian Chromium loads the standalone bundle in a page;
// the model is fetched into a File first, then timed: cold start (import the bundle, instantiate
// the core with compileStreaming, first inspect of the File) and the best of three reads of every
// tensor into a preallocated buffer. Usage: node bench/hosts/bench-browser.mjs MODEL
import { chromium } from "playwright-core";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../tests/hosts/range-server.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const server = await startServer(root, { "/model.safetensors": resolve(process.argv[2]) });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/tests/hosts/browser/index.html`); // any page of the origin
  const r = await page.evaluate(async () => {
    const file = new File([await (await fetch("/model.safetensors")).arrayBuffer()], "model.safetensors");
    const t0 = performance.now();
    const om = await import("/dist/web/omnimodel.js?bench");
    const m = await om.open(file);
    const cold = performance.now() - t0;
    const reads = {};
    for (const t of m.tensors) {
      for (const [label, dtype] of [["F32", "F32"], ["stored", undefined]]) {
        const opts = dtype ? { dtype } : {};
        const buf = new Uint8Array(t.outputByteLength(opts));
        let best = Infinity;
        for (let k = 0; k < 3; k++) {
          const s = performance.now();
          await t.readInto(buf, opts);
          best = Math.min(best, performance.now() - s);
        }
        reads[`${t.name}/${label}`] = { bytes: buf.length, ms: best };
      }
    }
    await m.close();
    return { cold_ms: cold, reads };
  });
  console.log(JSON.stringify(r));
} finally {
  await browser.close();
  await server.close();
}
