// Builds tests/wasm-entries/pickle-entry.ts with the release flags (cached per source state in the
// OS temp directory) and runs the pickle machine on bytes, returning its JSON report.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..", "..");

function sourceHash(): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) h.update(p).update(readFileSync(p));
    }
  };
  for (const d of ["assembly/pickle", "assembly/util"]) walk(join(ROOT, d));
  h.update(readFileSync(join(ROOT, "tests/wasm-entries/pickle-entry.ts")));
  return h.digest("hex").slice(0, 16);
}

let cached: WebAssembly.Instance | null = null;

export function pickleWasm(): any {
  if (cached) return cached.exports;
  const out = join(tmpdir(), `omnimodel-pickle-${sourceHash()}.wasm`);
  if (!existsSync(out)) {
    const tmp = out + "." + process.pid;
    // run from the temp directory so the project's asconfig.json (the full module) is not merged in
    execFileSync(join(ROOT, "node_modules/.bin/asc"), [join(ROOT, "tests/wasm-entries/pickle-entry.ts"),
      "--runtime", "incremental", "--enable", "simd", "--use", "abort=", "-O3", "-o", tmp], { cwd: tmpdir(), stdio: "pipe" });
    renameSync(tmp, out);
  }
  const mod = new WebAssembly.Module(readFileSync(out));
  if (WebAssembly.Module.imports(mod).length !== 0) throw new Error("pickle module has imports");
  cached = new WebAssembly.Instance(mod, {});
  return cached.exports;
}

export interface InspectOptions { chunk?: number; skipLarge?: boolean }

export function inspectPickle(data: Uint8Array, opts: InspectOptions = {}): any {
  const e = pickleWasm();
  const p = e.alloc(Math.max(data.length, 1));
  new Uint8Array(e.memory.buffer, p, data.length).set(data);
  const n = e.inspectPickle(p, data.length, opts.chunk ?? 0, opts.skipLarge ?? false);
  const text = Buffer.from(new Uint8Array(e.memory.buffer, e.resultPtr(), n)).toString("utf8");
  e.dealloc(p);
  return JSON.parse(text);
}

export const FIXTURES = join(ROOT, "tests", "fixtures", "pickle");
export const CORPUS = resolve(ROOT, "..", "shared", "corpus");

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}
export function expected(): any {
  return JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8"));
}

// Gathers a strided view (element offset, shape, strides in elements) from a byte buffer into
// C-order bytes.
export function gather(buf: Uint8Array, elem: number, offset: number, shape: number[], stride: number[]): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(n * elem);
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let e = offset;
    for (let d = 0; d < shape.length; d++) e += idx[d] * stride[d];
    const src = e * elem;
    if (src < 0 || src + elem > buf.length) throw new Error(`element ${k} at byte ${src} is outside the data (${buf.length} bytes)`);
    out.set(buf.subarray(src, src + elem), k * elem);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// Minimal reader for the stored (uncompressed) zips torch.save writes: name -> bytes.
export function readStoredZip(buf: Uint8Array): Map<string, Uint8Array> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= 0; i--) if (dv.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new Error("no end of central directory");
  let count = dv.getUint16(eocd + 10, true);
  let cd = dv.getUint32(eocd + 16, true);
  if (cd === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    const z64 = Number(dv.getBigUint64(loc + 8, true));
    count = Number(dv.getBigUint64(z64 + 32, true));
    cd = Number(dv.getBigUint64(z64 + 48, true));
  }
  const out = new Map<string, Uint8Array>();
  let p = cd;
  for (let i = 0; i < count; i++) {
    const nameLen = dv.getUint16(p + 28, true), extraLen = dv.getUint16(p + 30, true), commentLen = dv.getUint16(p + 32, true);
    let size = dv.getUint32(p + 20, true);
    let local = dv.getUint32(p + 42, true);
    const name = Buffer.from(buf.subarray(p + 46, p + 46 + nameLen)).toString("utf8");
    // zip64 extra: sizes/offset present only for the fields that overflowed
    let e = p + 46 + nameLen;
    const end = e + extraLen;
    while (e + 4 <= end) {
      const id = dv.getUint16(e, true), len = dv.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (dv.getUint32(p + 24, true) === 0xffffffff) { q += 8; }
        if (size === 0xffffffff) { size = Number(dv.getBigUint64(q, true)); q += 8; }
        if (local === 0xffffffff) { local = Number(dv.getBigUint64(q, true)); }
      }
      e += 4 + len;
    }
    if (dv.getUint16(p + 10, true) !== 0) throw new Error(`${name} is compressed`);
    const lnl = dv.getUint16(local + 26, true), lel = dv.getUint16(local + 28, true);
    const start = local + 30 + lnl + lel;
    out.set(name, buf.subarray(start, start + size));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
