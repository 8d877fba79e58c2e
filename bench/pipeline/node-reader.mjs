// One measurement in a fresh process, so peak memory (maxRSS) belongs to that reader alone.
//   node bench/pipeline/node-reader.mjs VARIANT FILE [THREADS]
// Prints {"seconds", "bytes", "maxRssMB"} as JSON. Variants:
//   omnimodel      open the file and read() every tensor into a new typed array (the SDK);
//                  with THREADS, model.readAll({ threads: THREADS }) through the worker pool
//   omnimodel-into readInto() every tensor into one reused, already-touched buffer (the SDK's
//                  one-copy path without first-touch page faults: what cat measures)
//   fs-fresh       a new Uint8Array per tensor filled by readSync (the limit for fresh arrays)
//   wasm-memcpy    memory.copy inside a wasm instance, as many bytes as the file has
//   native-memcpy  Buffer.copy (libc memmove), as many bytes as the file has
//   omnimodel-f32  readAll({ dtype: "F32", threads: THREADS }) (a GGUF file: dequantization)
//   convert        omnimodel convert FILE OUT --dtype F32 --threads THREADS
//   kernel         the Q4_K kernel alone, one thread, as many blocks as the file has
import { closeSync, openSync, readSync, statSync, unlinkSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const [variant, file, threads] = process.argv.slice(2);
const size = statSync(file).size;
const COPY = 64 << 20;

// (module (memory (export "m") 1) (func (export "c") (param i32 i32 i32) memory.copy))
const MEMCPY_WASM = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 3, 127, 127, 127, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1,
  7, 9, 2, 1, 109, 2, 0, 1, 99, 0, 0, 10, 14, 1, 12, 0, 32, 0, 32, 1, 32, 2, 252, 10, 0, 0, 11]);

function safetensorsRanges(path) {
  const fd = openSync(path, "r");
  const head = Buffer.alloc(8);
  readSync(fd, head, 0, 8, 0);
  const n = Number(head.readBigUInt64LE(0));
  const text = Buffer.alloc(n);
  readSync(fd, text, 0, n, 8);
  closeSync(fd);
  const h = JSON.parse(text.toString("utf8"));
  return Object.entries(h).filter(([k]) => k !== "__metadata__").map(([, v]) => [8 + n + v.data_offsets[0], v.data_offsets[1] - v.data_offsets[0]]);
}

async function run() {
  if (variant === "omnimodel") {
    const { open } = await import(pathToFileURL(resolve(ROOT, "dist/bindings/node-index.js")).href);
    const t0 = performance.now();
    const m = await open(file);
    // every array stays alive, as a loaded state dict does; with THREADS, readAll through the pool
    const kept = threads ? await m.readAll({ threads: Number(threads) }) : [];
    if (!threads) for (const t of m.tensors) kept.push(await t.read());
    await m.close();
    return [performance.now() - t0, kept.reduce((a, b) => a + b.byteLength, 0)];
  }
  if (variant === "omnimodel-into") {
    const { open } = await import(pathToFileURL(resolve(ROOT, "dist/bindings/node-index.js")).href);
    const m = await open(file);
    const buf = new Uint8Array(Math.max(...m.tensors.map((t) => t.byteLength)));
    buf.fill(1); // touched before timing, as cat's reused buffer is
    const t0 = performance.now();
    let n = 0;
    for (const t of m.tensors) n += await t.readInto(buf);
    const ms = performance.now() - t0;
    await m.close();
    return [ms, n];
  }
  if (variant === "omnimodel-f32") {
    // every tensor dequantized to F32 with readAll (THREADS workers; 1: this thread)
    const { open } = await import(pathToFileURL(resolve(ROOT, "dist/bindings/node-index.js")).href);
    const t0 = performance.now();
    const m = await open(file);
    const kept = await m.readAll({ dtype: "F32", threads: Number(threads ?? 1) });
    await m.close();
    return [performance.now() - t0, kept.reduce((a, b) => a + b.byteLength, 0)];
  }
  if (variant === "convert") {
    // the CLI's convert to an F32 safetensors file (THREADS workers)
    const out = `${file}.${process.pid}.out.safetensors`;
    const { main } = await import(pathToFileURL(resolve(ROOT, "dist/ts/cli.js")).href);
    const t0 = performance.now();
    // in this process, so maxRSS counts the writer and its pool; the summary line is muted
    const write = process.stderr.write;
    process.stderr.write = () => true;
    const code = await main(["convert", file, out, "--dtype", "F32", "--threads", threads ?? "1"]);
    process.stderr.write = write;
    if (code !== 0) throw new Error(`convert exited with ${code}`);
    const ms = performance.now() - t0;
    const bytes = statSync(out).size;
    unlinkSync(out);
    return [ms, bytes];
  }
  if (variant === "kernel") {
    // the dequantization kernel alone on one thread, through the core's kernel_to_f32 export:
    // one 4096 x 1024 Q4_K tensor's blocks in wasm memory, dequantized as many times as the file holds
    const { readFileSync } = await import("node:fs");
    const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(resolve(ROOT, "build/omnimodel.wasm"))), {}).exports;
    const n = 4096 * 1024;
    const src = e.alloc((n / 256) * 144) >>> 0, dst = e.alloc(n * 4) >>> 0;
    const fd = openSync(file, "r");
    readSync(fd, new Uint8Array(e.memory.buffer, src, (n / 256) * 144), 0, (n / 256) * 144, size - (n / 256) * 144);
    closeSync(fd);
    const reps = Math.round(size / ((n / 256) * 144));
    e.kernel_to_f32(4096 + 12, src, n, dst);
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) e.kernel_to_f32(4096 + 12, src, n, dst);
    return [performance.now() - t0, reps * n * 4];
  }
  if (variant === "fs-fresh") {
    const t0 = performance.now();
    const ranges = safetensorsRanges(file);
    const fd = openSync(file, "r");
    const kept = [];
    for (const [off, len] of ranges) {
      const a = new Uint8Array(len);
      for (let d = 0; d < len; ) d += readSync(fd, a, d, len - d, off + d);
      kept.push(a);
    }
    closeSync(fd);
    return [performance.now() - t0, kept.reduce((a, b) => a + b.byteLength, 0)];
  }
  if (variant === "wasm-memcpy") {
    const { m, c } = new WebAssembly.Instance(new WebAssembly.Module(MEMCPY_WASM), {}).exports;
    m.grow((2 * COPY) >> 16);
    c(COPY, 0, COPY); // warm: pages touched
    const t0 = performance.now();
    for (let done = 0; done < size; done += COPY) c(COPY, 0, Math.min(COPY, size - done));
    return [performance.now() - t0, size];
  }
  if (variant === "native-memcpy") {
    const a = Buffer.alloc(COPY, 1), b = Buffer.alloc(COPY);
    a.copy(b);
    const t0 = performance.now();
    for (let done = 0; done < size; done += COPY) a.copy(b, 0, 0, Math.min(COPY, size - done));
    return [performance.now() - t0, size];
  }
  throw new Error(`unknown variant ${variant}`);
}

const [ms, bytes] = await run();
console.log(JSON.stringify({ seconds: ms / 1000, bytes, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
