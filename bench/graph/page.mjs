// The inspector's graph view against Netron, in the same headless Chromium: time from navigation
// to the first drawn graph, and peak memory, on generated ONNX graphs (small, 5k and 100k nodes).
// A/B interleaved (the order alternates every round), a fresh browser per run; medians with the
// min-max of the per-round ratios, and the load average before and after.
//
// Ours: the page (dist/inspector) opens the model by URL from a loopback server; first render =
// the graph canvas has drawn a frame (.graph-stage[data-frames]). Netron: `netron FILE --port P`
// on loopback; first render = its SVG has node elements. Netron's cookie notice is accepted by
// the poller as soon as it shows. Memory: the browser's processes' summed PSS (page, worker,
// GPU and browser processes; /proc/PID/smaps_rollup) and the page's main-thread JS heap
// (CDP Performance.getMetrics JSHeapUsedSize), both the peak of 100 ms samples.
//
// usage: npm run build && node bench/graph/page.mjs [--netron PATH] [--rounds N] [--sizes 50,5000,100000]
//        [--timeout SECONDS] [--only ours|netron]
// needs: Chromium (CHROMIUM_PATH, default /usr/bin/chromium), pip `netron` (path via --netron).

import { spawn } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { onnxGraphBytes } from "./onnx-graph-gen.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PAGE = join(ROOT, "dist", "inspector");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const NETRON = opt("--netron", "netron");
const ROUNDS = Number(opt("--rounds", "3"));
const SIZES = opt("--sizes", "50,5000,100000").split(",").map(Number);
const ONLY = opt("--only", null); // "ours" or "netron": one side only (no ratios)
const TIMEOUT = Number(opt("--timeout", "240")) * 1000;
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"];

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };

function serve(dir, model) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = path === "/model.onnx" ? model : resolve(dir, path === "/" ? "index.html" : path.slice(1));
    if (file !== model && !file.startsWith(dir + sep)) return res.writeHead(404).end();
    if (!existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
    const size = statSync(file).size;
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    if (m) {
      const start = Number(m[1]), end = Math.min(Number(m[2]), size - 1);
      res.writeHead(206, { "Content-Type": type, "Content-Range": `bytes ${start}-${end}/${size}`, "Content-Length": end - start + 1 });
      createReadStream(file, { start, end }).pipe(res);
    } else {
      res.writeHead(200, { "Content-Type": type, "Content-Length": size });
      createReadStream(file).pipe(res);
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/** Summed PSS (bytes) of every process below this one (the browser and its children). */
function treePss() {
  const parent = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, pp] of parent) if (!mine.has(p) && mine.has(pp) && !netronPids.has(p)) { mine.add(p); grew = true; }
  }
  mine.delete(process.pid);
  let kb = 0;
  for (const p of mine) {
    try {
      kb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"))?.[1] ?? 0);
    } catch {}
  }
  return kb * 1024;
}
const netronPids = new Set();

// where our time went: the core's index, the graph model, the layout (all in the worker)
const BREAKDOWN = `(() => { const d = document.querySelector(".graph-stage").dataset; const ix = [...document.querySelectorAll("#summary dt")].find((x) => x.textContent === "indexed in"); const at = (m) => { const e = performance.getEntriesByName("omnimodel:" + m)[0]; return e ? Math.round(e.startTime) : "?"; }; return "indexed " + ix.nextElementSibling.textContent + ", graph " + d.buildMs + " ms, layout " + d.layoutMs + " ms; from navigation: opened " + at("opened") + ", summary drawn " + at("rendered-summary") + ", graph received " + at("graph-received") + ", first frame " + at("graph-first-frame") + ", whole graph's first frame " + at("whole-graph-first-frame") + " ms"; })()`;

// isDone: a first view is drawn; isWhole (ours): the whole graph is drawn (a large graph first
// shows its first nodes while the rest is laid out). Netron draws everything at once.
async function run(url, isDone, onTick, after, isWhole = null) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    // Runtime.evaluate, not page.evaluate: Netron replaces window.eval, which page.evaluate uses
    const ev = async (expression) => (await cdp.send("Runtime.evaluate", { expression, returnByValue: true })).result.value;
    let peakPss = 0, peakHeap = 0;
    const t0 = performance.now();
    const nav = page.goto(url, { timeout: TIMEOUT });
    let done = false, ms = NaN, whole = NaN;
    while (performance.now() - t0 < TIMEOUT) {
      peakPss = Math.max(peakPss, treePss());
      try {
        const { metrics } = await cdp.send("Performance.getMetrics");
        peakHeap = Math.max(peakHeap, metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0);
        if (!done && (await ev(isDone))) { done = true; ms = performance.now() - t0; }
        if (done && (!isWhole || (await ev(isWhole)))) { whole = performance.now() - t0; break; }
        if (onTick) await ev(onTick);
      } catch {} // navigating: no context yet
      await new Promise((r) => setTimeout(r, 100));
    }
    await nav.catch(() => {});
    let detail = done && after ? await ev(after) : "";
    if (done && isWhole) detail += `; ${await interaction(page)}`;
    return { ms: done ? ms : Infinity, whole: Number.isNaN(whole) ? Infinity : whole, pss: peakPss, heap: peakHeap, detail };
  } finally {
    await browser.close();
  }
}

/**
 * Panning and zooming the whole graph: the canvas's own draw time per frame (data-draw-ms) over a
 * fit-to-view (every node drawn as a box), 10 wheel zooms in and 20 drags, as max and median.
 */
async function interaction(page) {
  const times = [];
  const frame = async () => {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    times.push(Number(await page.$eval(".graph-stage", (e) => e.dataset.drawMs)));
  };
  await page.click(".graph-fit");
  await frame();
  const fitted = times[0];
  const box = await page.$eval("canvas.graph-canvas", (c) => { const r = c.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; });
  await page.mouse.move(box.x, box.y);
  for (let i = 0; i < 10; i++) { await page.mouse.wheel(0, -240); await frame(); }
  for (let i = 0; i < 20; i++) {
    await page.mouse.down();
    await page.mouse.move(box.x + 40 * ((i % 2) ? -1 : 1), box.y + 30, { steps: 2 });
    await page.mouse.up();
    await frame();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return `draw per frame: fitted ${fitted} ms, over zoom and pan median ${sorted[sorted.length >> 1]} ms, max ${sorted[sorted.length - 1]} ms`;
}

function startNetron(file) {
  return new Promise((ok, fail) => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const p = spawn(NETRON, [file, "--port", String(port), "--host", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
    netronPids.add(p.pid);
    let out = "";
    const listen = (d) => {
      out += d;
      if (out.includes("Serving")) ok({ url: `http://127.0.0.1:${port}/`, stop: () => p.kill() });
    };
    p.stdout.on("data", listen); // it says where it serves on stderr when not on a terminal
    p.stderr.on("data", listen);
    p.on("error", fail);
    p.on("exit", (c) => fail(new Error(`netron exited (${c}): ${out}`)));
  });
}

const median = (xs) => { if (!xs.length) return NaN; const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const mib = (b) => (b / 1048576).toFixed(0);
const sec = (ms) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : `>${TIMEOUT / 1000}`);

const tmp = mkdtempSync(join(tmpdir(), "graph-bench-"));
const rows = [];
console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(" ")}; ${ROUNDS} rounds; Chromium ${CHROMIUM}`);
try {
  for (const n of SIZES) {
    const file = join(tmp, `residual-${n}.onnx`);
    writeFileSync(file, onnxGraphBytes(n));
    const server = await serve(PAGE, file);
    const ours = `http://127.0.0.1:${server.address().port}/?url=/model.onnx`;
    const netron = ONLY === "ours" ? { url: "", stop() {} } : await startNetron(file);
    const A = [], B = [];
    try {
      for (let r = 0; r < ROUNDS; r++) {
        const order = ONLY ? [ONLY] : r % 2 ? ["netron", "ours"] : ["ours", "netron"];
        for (const who of order) {
          const res = who === "ours"
            ? await run(ours, `!!document.querySelector(".graph-stage[data-frames]")`, null, BREAKDOWN, `!!document.querySelector(".graph-stage[data-frames]:not([data-partial])")`)
            : await run(netron.url, `document.querySelectorAll("svg .node").length > 0`, `(() => { const b = document.getElementById("message-button"); if (b && b.offsetParent) b.click(); })()`);
          (who === "ours" ? A : B).push(res);
          console.log(`${n} nodes, round ${r + 1}, ${who}: first render ${sec(res.ms)} s${who === "ours" ? `, whole graph ${sec(res.whole)} s` : ""}, peak PSS ${mib(res.pss)} MiB, peak main-thread JS heap ${mib(res.heap)} MiB${res.detail ? ` (${res.detail})` : ""}`);
        }
      }
    } finally {
      netron.stop();
      server.close();
    }
    const ratios = A.length && B.length ? A.map((a, i) => B[i].ms / a.ms) : [];
    rows.push({ n, bytes: statSync(file).size, A, B, ratios });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log("\n| graph | file | ours: first render | ours: whole graph | Netron: first render | Netron / ours (min-max) | ours: peak PSS | Netron: peak PSS | ours: main JS heap | Netron: main JS heap |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const fin = r.ratios.filter(Number.isFinite);
  const rr = !r.ratios.length ? "—" : fin.length === r.ratios.length ? `${median(r.ratios).toFixed(1)}× (${Math.min(...r.ratios).toFixed(1)}–${Math.max(...r.ratios).toFixed(1)})` : `Netron timed out in ${r.ratios.length - fin.length} of ${r.ratios.length}`;
  console.log(`| ${r.n.toLocaleString("en-US")} nodes | ${(r.bytes / 1048576).toFixed(1)} MiB | ${sec(median(r.A.map((x) => x.ms)))} s | ${sec(median(r.A.map((x) => x.whole)))} s | ${sec(median(r.B.map((x) => x.ms)))} s | ${rr} | ${mib(median(r.A.map((x) => x.pss)))} MiB | ${mib(median(r.B.map((x) => x.pss)))} MiB | ${mib(median(r.A.map((x) => x.heap)))} MiB | ${mib(median(r.B.map((x) => x.heap)))} MiB |`);
}
