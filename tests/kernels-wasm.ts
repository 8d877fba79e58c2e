// Builds tests/wasm-entries/kernels-entry.ts with the release flags (once per source state,
// cached in the OS temp directory) and gives tests typed access to its exports and memory.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");
const ENTRY_DIR = join(ROOT, "tests", "wasm-entries");

export interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  copyBytes(dst: number, src: number, n: number): void;
  f16ToF32(src: number, n: number, dst: number, simd: number): void;
  bf16ToF32(src: number, n: number, dst: number, simd: number): void;
  f8e4m3ToF32(src: number, n: number, dst: number, simd: number): void;
  f8e5m2ToF32(src: number, n: number, dst: number, simd: number): void;
  f8e4m3fnuzToF32(src: number, n: number, dst: number, simd: number): void;
  f8e5m2fnuzToF32(src: number, n: number, dst: number, simd: number): void;
  e8m0ToF32(src: number, n: number, dst: number, simd: number): void;
  f32ToF16(src: number, n: number, dst: number, simd: number): void;
  f32ToBF16(src: number, n: number, dst: number, simd: number): void;
  f64ToF32(src: number, n: number, dst: number, simd: number): void;
  byteswap(src: number, n: number, elemSize: number, dst: number): number;
  byteswapPath(src: number, n: number, elemSize: number, dst: number, simd: number): number;
  ggmlBlockElements(type: number): number;
  ggmlBlockBytes(type: number): number;
  ggmlRowBytes(type: number, n: bigint): bigint;
  dequantizeGGML(type: number, src: number, n: number, dst: number, simd: number): number;
  quantizeGGML(type: number, src: number, n: number, dst: number, simd: number): number;
  typeName(type: number): number;
  nameBuffer(): number;
  typeFromName(len: number): number;
  gridIQ2XXS(): number; gridIQ2XS(): number; gridIQ2S(): number; gridIQ3XXS(): number; gridIQ3S(): number; gridIQ1S(): number;
}

function sourceHash(): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(ROOT, "assembly", "kernels"));
  h.update(readFileSync(join(ENTRY_DIR, "kernels-entry.ts")));
  return h.digest("hex").slice(0, 16);
}

/** Path of the compiled kernels module, compiling it if the sources changed. */
export function buildKernels(): string {
  const out = join(tmpdir(), `omnimodel-kernels-${sourceHash()}.wasm`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  // run from the entry directory so the repository's asconfig.json (the core build) is not
  // picked up; the flags are those of the release build
  execFileSync(join(ROOT, "node_modules", ".bin", "asc"), [
    "kernels-entry.ts", "--runtime", "incremental", "--enable", "simd", "--use", "abort=",
    "-O3", "--noAssert", "-o", tmp,
  ], { cwd: ENTRY_DIR, stdio: "pipe" });
  renameSync(tmp, out);
  return out;
}

export function loadKernels(): KernelExports {
  const bytes = readFileSync(buildKernels());
  const module = new WebAssembly.Module(bytes);
  if (WebAssembly.Module.imports(module).length !== 0) throw new Error("kernels module has imports");
  return new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
}

/** Copies bytes into freshly allocated wasm memory (at ptr + misalign) and returns the address. */
export function put(k: KernelExports, data: Uint8Array, misalign = 0): number {
  const p = k.alloc(data.length + 32) + misalign;
  new Uint8Array(k.memory.buffer, p, data.length).set(data);
  return p;
}

export function bytesAt(k: KernelExports, ptr: number, n: number): Uint8Array {
  return new Uint8Array(k.memory.buffer, ptr, n);
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Index of the first differing 32-bit word, or -1 (compares bits, never floats). */
export function firstWordMismatch(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -2;
  const n = a.length >> 2;
  const va = new DataView(a.buffer, a.byteOffset, a.length);
  const vb = new DataView(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < n; i++) if (va.getUint32(i * 4, true) !== vb.getUint32(i * 4, true)) return i;
  return -1;
}

export const FIXTURES = join(ROOT, "tests", "fixtures", "ggml-kernels");
export const CORPUS = join(ROOT, "..", "shared", "corpus");
