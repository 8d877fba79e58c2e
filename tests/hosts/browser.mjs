// Browser host test: Debian's Chromium (headless, via playwright-core; no browser download)
// loads tests/hosts/browser/index.html, which imports the standalone ESM bundle from a
// <script type="module"> and checks the conformance list from File objects and from URLs read
// with Range requests. Prints "browser: N passed, N failed".
import { chromium } from "playwright-core";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./range-server.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(join(root, "dist/web/omnimodel.js"))) throw new Error("dist/web/omnimodel.js missing: run node bindings/build-web.mjs");

const server = await startServer(root);
const t0 = performance.now();
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
let passed = 0;
let failed = 0;
const check = (ok, what, detail) => {
  if (ok) passed++;
  else {
    failed++;
    console.log(`  FAIL ${what}`, detail ?? "");
  }
};
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${server.url}/tests/hosts/browser/index.html`);
  await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 60_000 });
  const r = await page.evaluate(() => window.__results);
  check(!r.exception, "no exception", r.exception);
  check(errors.length === 0, "no page errors", errors);
  const n = r.files?.passed + r.files?.failed;
  check(r.files && r.files.failed === 0 && r.files.passed >= 8, `conformance from File objects (${r.files?.passed}/${n})`, r.files?.failures);
  check(r.urls && r.urls.failed === 0 && r.urls.passed === r.files?.passed, `conformance from URLs (${r.urls?.passed})`, r.urls?.failures);
  const urlReads = server.log.filter((l) => l.path.startsWith("/tests/fixtures/hosts/") && l.range !== null);
  const plain = server.log.filter((l) => l.path.startsWith("/tests/fixtures/hosts/") && l.range === null);
  // File objects were fetched whole (plain GETs, one per case and sibling, plus three for the
  // checks below); URL reads were all ranged.
  const facts = JSON.parse(readFileSync(join(root, "tests/conformance/facts.json"), "utf8"));
  const siblings = facts.cases.reduce((a, c) => a + (c.siblings?.length ?? 0), 0);
  check(urlReads.length >= r.urls?.passed && plain.length === n + siblings + 3, `URL reads used Range requests (${urlReads.length} ranged)`, { plain: plain.length });
  check(r.isFloat32Array && r.firstValues?.length === 3, "F32 tensor as Float32Array", r.firstValues);
  check(r.negative === 1, "the conformance check detects a wrong fact", r.negative);
  check(r.simd === true, "the SIMD build validates in Chromium");
  check(r.pool && r.pool.workers === 4 && /pool-worker\.js$/.test(r.pool.script), "readAll({ threads: 2 }) starts two Web Workers per model", r.pool);
  check(r.pool && r.pool.compared > 0 && r.pool.equal === r.pool.compared, `readAll through Web Workers gives one thread's bytes (${r.pool?.equal}/${r.pool?.compared} tensors)`, r.pool);
  const wasmReq = server.log.find((l) => l.path.endsWith("/omnimodel.wasm"));
  check(!!wasmReq, "the bundle fetched omnimodel.wasm next to itself");
  console.log(`browser: Chromium ${browser.version()}, init ${r.initMs?.toFixed(0)} ms, total ${(performance.now() - t0).toFixed(0)} ms`);
} finally {
  await browser.close();
  await server.close();
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
