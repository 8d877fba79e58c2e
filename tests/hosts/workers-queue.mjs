// The example Worker's Queues consumer (bindings/workers/worker.mjs), offline in workerd through
// miniflare, which runs Queues and KV locally: fixtures served by a local Range server are
// posted to /enqueue, the queue() handler scans them into KV, and every row equals the CLI's
// (`omnimodel scan --from-list --jsonl`) for the same URL. Queuing them again scans only the
// new ones. Prints "workers-queue: N passed, N failed".
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./range-server.mjs";
import { tally } from "./tally.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const work = mkdtempSync(join(tmpdir(), "omnimodel-queue-"));
const { check, finish } = tally("workers-queue");
// Same columns as python/tests/batch_support.py COMPARED: all but the time and the host's wording.
const COMPARED = ["source", "format", "size", "tensors", "parameters", "bytes_fetched", "highest", "findings", "error"];

const fixtures = (dir) => readdirSync(join(root, dir)).filter((n) => /\.(safetensors|gguf|pkl|pt|npy)$/.test(n)).map((n) => `${dir}/${n}`);
const files = [...fixtures("tests/fixtures/hosts"), ...fixtures("tests/fixtures/gguf"), ...fixtures("tests/fixtures/scan/malicious").slice(0, 40)];

const server = await startServer(root);
let mf;
try {
  await build({
    entryPoints: [join(root, "bindings", "workers", "worker.mjs")], outfile: join(work, "worker.mjs"), bundle: true, format: "esm",
    platform: "neutral", target: "es2022", logLevel: "warning", alias: { omnimodel: join(root, "dist", "bindings", "web.js") },
    plugins: [{ name: "compiled-wasm", setup(b) { b.onResolve({ filter: /\.wasm$/ }, () => ({ path: "./omnimodel.wasm", external: true })); } }],
  });
  copyFileSync(join(root, "build", "omnimodel.wasm"), join(work, "omnimodel.wasm"));
  mf = new Miniflare({
    scriptPath: join(work, "worker.mjs"), modulesRoot: work, modules: true, compatibilityDate: "2026-04-01",
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    queueProducers: { SCAN_QUEUE: "omnimodel-scan" },
    queueConsumers: { "omnimodel-scan": { maxBatchSize: 10, maxBatchTimeout: 1 } },
    kvNamespaces: ["ROWS"],
  });
  await mf.ready;

  const enqueue = async (urls) => (await mf.dispatchFetch("http://worker.test/enqueue", { method: "POST", body: JSON.stringify(urls) })).json();
  const rows = async () => {
    const text = await (await mf.dispatchFetch("http://worker.test/rows")).text();
    return new Map(text.split("\n").filter(Boolean).map((l) => { const r = JSON.parse(l); return [r.source, r]; }));
  };
  const until = async (n) => {
    const t0 = Date.now();
    let got = await rows();
    while (got.size < n && Date.now() - t0 < 180_000) {
      await new Promise((r) => setTimeout(r, 250));
      got = await rows();
    }
    return got;
  };

  const urls = [...files.map((f) => `${server.url}/${f}`), `${server.url}/missing/nothing.gguf`];
  const q = await enqueue(urls);
  check(q.queued === urls.length, "queued", q);
  const t0 = performance.now();
  const got = await until(urls.length);
  const ms = performance.now() - t0;
  check(got.size === urls.length, `${got.size} of ${urls.length} rows in KV`);

  // The CLI on the same URLs (asynchronously: the Range server runs in this process).
  const list = join(work, "list.txt");
  writeFileSync(list, urls.join("\n") + "\n");
  try {
    await promisify(execFile)("node", [join(root, "bin", "omnimodel.js"), "scan", "--from-list", list, "--jsonl", join(work, "cli.jsonl")], { cwd: root });
  } catch (e) {
    if (![1, 2].includes(e.code)) throw e; // 1: findings, 2: unreadable files; both expected here
  }
  const cli = new Map(readFileSync(join(work, "cli.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => { const r = JSON.parse(l); return [r.source, r]; }));
  let same = 0;
  for (const u of urls) {
    const a = got.get(u);
    const b = cli.get(u);
    const diff = a && b ? COMPARED.find((c) => JSON.stringify(a[c]) !== JSON.stringify(b[c])) : "missing";
    if (diff) check(false, `row of ${u} differs in ${diff}`, { worker: a?.[diff], cli: b?.[diff] });
    else same++;
  }
  check(same === urls.length, `${same} rows equal the CLI's`);
  check([...got.values()].some((r) => r.highest === "critical") && got.get(urls.at(-1))?.error === "IO", "findings and errors are rows too");

  // Queue them again with three new ones: only the new ones are fetched.
  const served = server.log.length;
  const more = ["tests/fixtures/scan/malicious", "tests/fixtures/pickle"].flatMap(fixtures).filter((f) => !files.includes(f)).slice(0, 3).map((f) => `${server.url}/${f}`);
  await enqueue([...urls, ...more]);
  const after = await until(urls.length + more.length);
  check(after.size === urls.length + more.length, `rerun: ${after.size} rows`);
  check(urls.every((u) => JSON.stringify(after.get(u)) === JSON.stringify(got.get(u))), "rerun: earlier rows unchanged");
  const fetched = new Set(server.log.slice(served).map((l) => `${server.url}${l.path}`));
  check([...fetched].every((u) => more.includes(u)) && more.every((u) => fetched.has(u)), "rerun: only the new URLs were fetched", [...fetched]);
  console.log(`workers-queue: ${urls.length} URLs scanned through the queue in ${ms.toFixed(0)} ms`);
} finally {
  await mf?.dispose();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
finish();
