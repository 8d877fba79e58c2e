// Soak measurement (not a test): N opens and closes of fixtures in one process, printing RSS and
// wasm memory every N/10 cycles, then C concurrent reads across M open models with their time.
// usage: node bench/soak/soak.mjs [opens=10000] [models=50] [reads=1000]   (after npm run build)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { open, init } from "../../dist/bindings/node-index.js";

const root = join(import.meta.dirname, "..", "..");
const [opens = 10000, nModels = 50, nReads = 1000] = process.argv.slice(2).map(Number);
const files = ["tests/fixtures/hosts/mixed.safetensors", "tests/fixtures/hdf5/latest.h5", "tests/fixtures/misc/torchserve-tiny.mar"].map((f) => join(root, f));
const bytes = files.map((f) => new Uint8Array(readFileSync(f)));
const core = await init();
const mib = (n) => (n / 2 ** 20).toFixed(1);
const t0 = performance.now();
for (let i = 0; i < opens; i++) {
  const k = i % files.length;
  const m = await open(i % 2 ? files[k] : bytes[k], { name: files[k].split("/").pop() });
  if (m.tensors.length) await m.tensors[i % m.tensors.length].read().catch(() => {});
  await m.close();
  if ((i + 1) % Math.max(1, Math.floor(opens / 10)) === 0) {
    console.log(`opens ${i + 1}: rss ${mib(process.memoryUsage().rss)} MiB, wasm ${mib(core.exports.memory.buffer.byteLength)} MiB, ${((performance.now() - t0) / (i + 1)).toFixed(2)} ms/open`);
  }
}
const models = await Promise.all(Array.from({ length: nModels }, () => open(files[0])));
const t1 = performance.now();
await Promise.all(Array.from({ length: nReads }, (_, i) => models[i % nModels].tensors[i % models[0].tensors.length].read()));
console.log(`${nReads} concurrent reads over ${nModels} models: ${(performance.now() - t1).toFixed(0)} ms; rss ${mib(process.memoryUsage().rss)} MiB, wasm ${mib(core.exports.memory.buffer.byteLength)} MiB; load ${(await import("node:os")).loadavg()[0].toFixed(1)}`);
await Promise.all(models.map((m) => m.close()));
