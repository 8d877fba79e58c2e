// Inflate (raw deflate, zlib, gzip) and checksums of the wasm core, checked against node:zlib.
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

const ROOT = path.resolve(__dirname, "..");
const CORPUS = process.env.OMNIMODEL_CORPUS ?? path.resolve(ROOT, "../shared/corpus");

type Exports = Record<string, any> & { memory: WebAssembly.Memory };
let w: Exports;
let wasmModule: WebAssembly.Module;

const RAW = 0, ZLIB = 1, GZIP = 2;
const FORMATS = [RAW, ZLIB, GZIP];
const compressors: Record<number, (b: Buffer, o?: zlib.ZlibOptions) => Buffer> = {
  [RAW]: zlib.deflateRawSync,
  [ZLIB]: zlib.deflateSync,
  [GZIP]: zlib.gzipSync,
};
const decompressors: Record<number, (b: Buffer) => Buffer> = {
  [RAW]: zlib.inflateRawSync,
  [ZLIB]: zlib.inflateSync,
  [GZIP]: zlib.gunzipSync,
};

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inflate-test-"));
  const out = path.join(dir, "inflate.wasm");
  // --config points away from the repo's asconfig.json, whose entries are not this test's.
  execFileSync(
    "npx",
    ["asc", "tests/wasm-entries/inflate-entry.ts", "--config", "/dev/null", "--runtime", "incremental",
      "--enable", "simd", "--use", "abort=", "-O3", "-o", out],
    { cwd: ROOT, stdio: "pipe" },
  );
  wasmModule = new WebAssembly.Module(fs.readFileSync(out));
  const instance = new WebAssembly.Instance(wasmModule, {});
  w = instance.exports as Exports;
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

const u32 = (x: number) => x >>> 0;

function withBytes<T>(data: Uint8Array, fn: (ptr: number) => T): T {
  const p = u32(w.alloc(Math.max(1, data.length)));
  new Uint8Array(w.memory.buffer).set(data, p);
  try {
    return fn(p);
  } finally {
    w.dealloc(p);
  }
}

interface Result {
  out: Buffer;
  code: number; // 0 or the negative error code
  message: string;
  finished: boolean;
  totalIn: number;
  totalOut: number;
}

const ERR_NAMES = [
  "INFLATE_ERR_TRUNCATED", "INFLATE_ERR_BAD_HEADER", "INFLATE_ERR_DICTIONARY", "INFLATE_ERR_BAD_BLOCK_TYPE",
  "INFLATE_ERR_STORED_LENGTH", "INFLATE_ERR_BAD_CODE_LENGTHS", "INFLATE_ERR_BAD_CODE",
  "INFLATE_ERR_DISTANCE_TOO_FAR", "INFLATE_ERR_CHECKSUM", "INFLATE_ERR_LENGTH_MISMATCH", "INFLATE_ERR_BOMB",
  "INFLATE_ERR_ARGUMENT",
];
const err = (name: string): number => (w[name] as WebAssembly.Global).value as number;

/** Feed `comp` in `chunk`-byte pushes, pull in `pullSize` pieces, call endInput at the end. */
function inflate(format: number, comp: Uint8Array, chunk = Infinity, pullSize = 1 << 16,
  opts: { cap?: bigint; concatenated?: boolean; endInput?: boolean } = {}): Result {
  const h = w.create(format, opts.cap ?? 1n << 40n, opts.concatenated ?? true);
  const chunkSize = Math.max(1, Math.min(chunk, comp.length));
  const ip = u32(w.alloc(chunkSize));
  const op = u32(w.alloc(pullSize));
  const outs: Buffer[] = [];
  let off = 0, code = 0, ended = false;
  // Every iteration either pulls bytes, pushes bytes or ends the input, so this is bounded;
  // the guard turns a hang into a failure.
  for (let guard = 0; ; guard++) {
    if (guard > 4 * comp.length + 100_000_000) throw new Error("inflater made no progress");
    const r = Number(w.pull(h, op, pullSize));
    if (r < 0) { code = r; break; }
    if (r > 0) {
      if (r > pullSize) throw new Error(`pull returned ${r} > cap ${pullSize}`);
      outs.push(Buffer.from(new Uint8Array(w.memory.buffer, op, r)));
      continue;
    }
    if (w.finished(h)) break;
    if (!w.needsInput(h) && !ended) throw new Error("pull returned 0 without finished or needsInput");
    if (off < comp.length) {
      const c = comp.subarray(off, off + chunkSize);
      new Uint8Array(w.memory.buffer).set(c, ip);
      w.push(h, ip, c.length);
      off += c.length;
    } else if (!ended && opts.endInput !== false) {
      w.endInput(h);
      ended = true;
    } else {
      break;
    }
  }
  const mp = u32(w.alloc(512));
  const mlen = w.errorMessage(h, mp, 512);
  const message = Buffer.from(new Uint8Array(w.memory.buffer, mp, Math.min(mlen, 512))).toString("utf8");
  w.dealloc(mp);
  const res: Result = {
    out: Buffer.concat(outs), code, message, finished: !!w.finished(h),
    totalIn: Number(w.totalIn(h)), totalOut: Number(w.totalOut(h)),
  };
  expect(w.errorCode(h)).toBe(code);
  w.destroy(h);
  w.dealloc(ip);
  w.dealloc(op);
  return res;
}

// Deterministic pseudo-random bytes.
function prng(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    b[i] = s & 0xff;
  }
  return b;
}

const sourceText = fs.readFileSync(path.join(ROOT, "assembly/containers/inflate.ts"));
const INPUTS: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  one: Buffer.from("x"),
  random: prng(48 * 1024, 7),
  repetitive: Buffer.concat([Buffer.alloc(70_000, 0), Buffer.from("abcabcabcab".repeat(9000)), Buffer.alloc(5000, 0xff)]),
  text: Buffer.concat([sourceText, sourceText, sourceText]).subarray(0, 150_000),
};
const SETTINGS: [string, zlib.ZlibOptions][] = [
  ["level 0", { level: 0 }], ["level 1", { level: 1 }], ["level 6", { level: 6 }], ["level 9", { level: 9 }],
  ["Z_FIXED", { strategy: zlib.constants.Z_FIXED }],
  ["Z_HUFFMAN_ONLY", { strategy: zlib.constants.Z_HUFFMAN_ONLY }],
  ["Z_RLE", { strategy: zlib.constants.Z_RLE }],
];

describe("module", () => {
  it("has no imports", () => {
    expect(WebAssembly.Module.imports(wasmModule)).toEqual([]);
  });
});

describe("checksums", () => {
  const digits = Buffer.from("123456789");
  it("match the standard check values", () => {
    withBytes(digits, (p) => {
      expect(u32(w.crc32(0, p, 9))).toBe(0xcbf43926);
      expect(u32(w.crc32c(0, p, 9))).toBe(0xe3069283);
      expect(u32(w.adler32(1, p, 9))).toBe(0x091e01de);
    });
  });
  it("crc32c matches the RFC 3720 (iSCSI) test vectors", () => {
    const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const dec = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));
    const cases: [Buffer, number][] = [
      [Buffer.alloc(32, 0), 0x8a9136aa], [Buffer.alloc(32, 0xff), 0x62a8ab43], [inc, 0x46dd794e], [dec, 0x113fdb5c],
    ];
    for (const [data, want] of cases) withBytes(data, (p) => expect(u32(w.crc32c(0, p, 32))).toBe(want));
  });
  it("crc32 equals node:zlib crc32 and adler32 equals the zlib trailer, also when split", () => {
    for (const n of [0, 1, 7, 8, 9, 100, 5551, 5552, 5553, 70_000]) {
      const data = prng(n, n + 3);
      withBytes(data, (p) => {
        const zl = zlib.deflateSync(data, { level: 1 });
        const gz = zlib.gzipSync(data, { level: 1 });
        const adler = zl.readUInt32BE(zl.length - 4);
        expect(u32(w.crc32(0, p, n))).toBe((zlib as unknown as { crc32(d: Buffer): number }).crc32(data));
        // The gzip trailer is a second source for the CRC.
        expect(u32(w.crc32(0, p, n))).toBe(gz.readUInt32LE(gz.length - 8));
        expect(u32(w.adler32(1, p, n))).toBe(adler);
        const k = Math.floor(n / 3);
        expect(u32(w.crc32(u32(w.crc32(0, p, k)), p + k, n - k))).toBe(u32(w.crc32(0, p, n)));
        expect(u32(w.crc32c(u32(w.crc32c(0, p, k)), p + k, n - k))).toBe(u32(w.crc32c(0, p, n)));
        expect(u32(w.adler32(u32(w.adler32(1, p, k)), p + k, n - k))).toBe(adler);
      });
    }
  });
  it("crc32c equals a bitwise reference; mask/unmask follow TensorFlow's definition", () => {
    const bitwise = (d: Buffer) => {
      let c = 0xffffffff;
      for (const b of d) { c ^= b; for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1; }
      return u32(~c);
    };
    for (const n of [0, 3, 8, 13, 1000]) {
      const data = prng(n, 99 + n);
      withBytes(data, (p) => expect(u32(w.crc32c(0, p, n))).toBe(bitwise(data)));
    }
    for (const crc of [0, 1, 0xe3069283, 0xffffffff, 0x12345678]) {
      // tensorflow/core/lib/hash/crc32c.h: ((crc >> 15) | (crc << 17)) + 0xa282ead8
      const masked = u32(((crc >>> 15) | (crc << 17)) + 0xa282ead8);
      expect(u32(w.maskCrc32c(crc))).toBe(masked);
      expect(u32(w.unmaskCrc32c(masked))).toBe(crc);
    }
  });
});

describe("crc32c on real TensorFlow files", () => {
  // A TF checkpoint .index is a LevelDB-style table: every block is followed by a type byte and
  // the masked CRC-32C of block + type. The 48-byte footer holds the metaindex and index handles.
  const files = [
    "tf/saved_model_half_plus_two_tf2_cpu/00000123/variables/variables.index",
    "tf/tf-keras-lso_ckpt_tf2.2/ckpt.index",
    "tf/saved_model_half_plus_two_cpu/00000123/variables/variables.index",
    "tf/tf2onnx-regression-checkpoint/model.index",
  ];
  const varint = (b: Buffer, pos: { p: number }) => {
    let v = 0, shift = 0;
    for (;;) {
      const x = b[pos.p++];
      v += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) return v;
      shift += 7;
    }
  };
  it("block trailers of checkpoint index files verify", () => {
    for (const f of files) {
      const b = fs.readFileSync(path.join(CORPUS, f));
      expect(b.readUInt32LE(b.length - 8)).toBe(0x8b80fb57); // table magic, low half
      const pos = { p: b.length - 48 };
      const handles = [[varint(b, pos), varint(b, pos)], [varint(b, pos), varint(b, pos)]];
      for (const [off, size] of handles) {
        const stored = b.readUInt32LE(off + size + 1);
        withBytes(b.subarray(off, off + size + 1), (p) => {
          const crc = u32(w.crc32c(0, p, size + 1));
          expect(u32(w.maskCrc32c(crc)), f).toBe(stored);
          expect(u32(w.unmaskCrc32c(stored))).toBe(crc);
        });
      }
    }
  });
});

describe("inflate matches node:zlib", () => {
  for (const format of FORMATS) {
    for (const [setting, opts] of SETTINGS) {
      it(`format ${format}, ${setting}`, () => {
        for (const [name, data] of Object.entries(INPUTS)) {
          const comp = compressors[format](data, opts);
          expect(decompressors[format](comp).equals(data)).toBe(true);
          for (const chunk of [1, 7, 4096, Infinity]) {
            // Large pulls with small pushes, and small pulls with large pushes.
            const pullSize = chunk === 1 ? 65536 : chunk === 7 ? 1 : chunk === 4096 ? 1000 : 1 << 20;
            const r = inflate(format, comp, chunk, name === "random" && pullSize === 1 ? 4099 : pullSize);
            expect(r.message, `${name} chunk ${chunk}`).toBe("");
            expect(r.code).toBe(0);
            expect(r.finished).toBe(true);
            expect(r.out.equals(data), `${name} chunk ${chunk}`).toBe(true);
            expect(r.totalOut).toBe(data.length);
            expect(r.totalIn).toBe(comp.length);
          }
        }
      }, 60_000);
    }
  }

  it("a multi-MiB stream with long matches across window slides", () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 40; i++) parts.push(prng(20_000, i % 5), INPUTS.text.subarray(i * 1000, i * 1000 + 30_000), Buffer.alloc(i * 500, i));
    const data = Buffer.concat(parts);
    for (const format of FORMATS) {
      const comp = compressors[format](data, { level: 9 });
      for (const [chunk, pull] of [[Infinity, 1 << 20], [65536, 3000], [333, 100_000]]) {
        const r = inflate(format, comp, chunk, pull);
        expect(r.code).toBe(0);
        expect(r.out.equals(data)).toBe(true);
      }
    }
  }, 60_000);

  it("gzip: concatenated members decode like gunzip; the flag stops after the first", () => {
    const a = INPUTS.text.subarray(0, 5000), b = prng(3000, 5), c = Buffer.from("tail member");
    const comp = Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b, { level: 1 }), zlib.gzipSync(c)]);
    const ref = zlib.gunzipSync(comp);
    for (const chunk of [1, 100, Infinity]) {
      const r = inflate(GZIP, comp, chunk);
      expect(r.code).toBe(0);
      expect(r.out.equals(ref)).toBe(true);
      expect(r.totalIn).toBe(comp.length);
    }
    // Members larger than the internal buffer, so the window slides inside later members.
    const big = [INPUTS.repetitive, INPUTS.text, prng(200_000, 9), INPUTS.repetitive];
    const bigComp = Buffer.concat(big.map((m, i) => zlib.gzipSync(m, { level: 1 + i * 2 })));
    const bigOut = inflate(GZIP, bigComp, 50_000, 1 << 20);
    expect(bigOut.code).toBe(0);
    expect(bigOut.out.equals(zlib.gunzipSync(bigComp))).toBe(true);
    // Bytes after a member that do not start another member are left alone.
    const trailing = inflate(GZIP, Buffer.concat([comp, Buffer.from("XYZ")]), 7);
    expect(trailing.code).toBe(0);
    expect(trailing.finished).toBe(true);
    expect(trailing.out.equals(ref)).toBe(true);
    expect(trailing.totalIn).toBe(comp.length);
    const first = inflate(GZIP, comp, Infinity, 65536, { concatenated: false });
    expect(first.code).toBe(0);
    expect(first.finished).toBe(true);
    expect(first.out.equals(a)).toBe(true);
    expect(first.totalIn).toBe(zlib.gzipSync(a).length);
  });

  it("gzip header with FEXTRA, FNAME, FCOMMENT and FHCRC", () => {
    const data = INPUTS.text.subarray(0, 20_000);
    const body = zlib.deflateRawSync(data);
    const extra = Buffer.from([0x41, 0x70, 4, 0, 1, 2, 3, 4]);
    const head = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 1, 2, 3, 4, 0, 3]),
      Buffer.from([extra.length, 0]), extra, Buffer.from("model.bin\0"), Buffer.from("a comment\0"),
    ]);
    const hcrc = Buffer.alloc(2);
    hcrc.writeUInt16LE(zlib.gzipSync(head).readUInt32LE(zlib.gzipSync(head).length - 8) & 0xffff);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(zlib.gzipSync(data).readUInt32LE(zlib.gzipSync(data).length - 8), 0);
    trailer.writeUInt32LE(data.length, 4);
    const comp = Buffer.concat([head, hcrc, body, trailer]);
    expect(zlib.gunzipSync(comp).equals(data)).toBe(true);
    for (const chunk of [1, 5, Infinity]) {
      const r = inflate(GZIP, comp, chunk);
      expect(r.code).toBe(0);
      expect(r.out.equals(data)).toBe(true);
    }
    const bad = Buffer.from(comp);
    bad[head.length] ^= 1; // header CRC
    expect(() => zlib.gunzipSync(bad)).toThrow();
    expect(inflate(GZIP, bad).code).toBe(err("INFLATE_ERR_CHECKSUM"));
  });

  it("raw and zlib streams stop at their end; trailing bytes are left alone", () => {
    const data = INPUTS.text.subarray(0, 10_000);
    for (const format of [RAW, ZLIB]) {
      const comp = compressors[format](data);
      const r = inflate(format, Buffer.concat([comp, Buffer.from("TRAILING")]), 3);
      expect(r.code).toBe(0);
      expect(r.out.equals(data)).toBe(true);
      expect(r.totalIn).toBe(comp.length);
    }
  });

  it("the joblib 0.10 compressed pickle (zlib) from the corpus", () => {
    const file = fs.readFileSync(path.join(CORPUS, "pickle/joblib_0.10.0_compressed_pickle_py34_np19.gz"));
    // joblib 0.10 writes a bare zlib stream despite the .gz name.
    expect(file[0]).toBe(0x78);
    const ref = zlib.inflateSync(file);
    for (const chunk of [1, 1000, Infinity]) {
      const r = inflate(ZLIB, file, chunk);
      expect(r.code).toBe(0);
      expect(r.out.equals(ref)).toBe(true);
      expect(r.totalIn).toBe(file.length);
    }
  });
});

// ---- crafted and damaged streams ----

class BitWriter {
  bytes: number[] = [];
  acc = 0;
  n = 0;
  bits(v: number, len: number) {
    for (let i = 0; i < len; i++) {
      this.acc |= ((v >>> i) & 1) << this.n;
      if (++this.n === 8) { this.bytes.push(this.acc); this.acc = 0; this.n = 0; }
    }
    return this;
  }
  // Huffman codes are sent most significant bit first.
  code(c: number, len: number) {
    for (let i = len - 1; i >= 0; i--) this.bits((c >>> i) & 1, 1);
    return this;
  }
  fixedLit(sym: number) {
    if (sym < 144) return this.code(0x30 + sym, 8);
    if (sym < 256) return this.code(0x190 + sym - 144, 9);
    if (sym < 280) return this.code(sym - 256, 7);
    return this.code(0xc0 + sym - 280, 8);
  }
  done() {
    if (this.n) this.bytes.push(this.acc);
    return Buffer.from(this.bytes);
  }
}

function expectBothReject(format: number, comp: Buffer, code: string) {
  expect(() => decompressors[format](comp)).toThrow();
  for (const chunk of [1, Infinity]) {
    const r = inflate(format, comp, chunk);
    expect(r.code, r.message).toBe(err(code));
    expect(r.message).toMatch(/compressed offset \d+/);
  }
}

describe("malformed input", () => {
  it("truncation at every byte gives TRUNCATED after endInput", () => {
    const data = INPUTS.text.subarray(0, 3000);
    for (const format of FORMATS) {
      for (const opts of [{ level: 6 }, { level: 0 }, { strategy: zlib.constants.Z_FIXED }]) {
        const comp = compressors[format](data, opts);
        for (let cut = 0; cut < comp.length; cut++) {
          for (const chunk of cut % 11 === 0 ? [1, Infinity] : [Infinity]) {
            const r = inflate(format, comp.subarray(0, cut), chunk);
            expect(r.code, `format ${format} cut ${cut}`).toBe(err("INFLATE_ERR_TRUNCATED"));
            expect(r.finished).toBe(false);
            expect(data.subarray(0, r.out.length).equals(r.out)).toBe(true);
          }
        }
        // Without endInput the inflater just waits for more.
        const r = inflate(format, comp.subarray(0, comp.length - 1), Infinity, 65536, { endInput: false });
        expect(r.code).toBe(0);
        expect(r.finished).toBe(false);
      }
    }
  }, 60_000);

  it("flipped bits: same verdict and same output as node:zlib, never a trap or hang", () => {
    const data = Buffer.concat([INPUTS.text.subarray(0, 1500), prng(200, 3), Buffer.alloc(300, 7)]);
    const codes = new Set(ERR_NAMES.map(err));
    for (const format of FORMATS) {
      for (const opts of [{ level: 9 }, { strategy: zlib.constants.Z_FIXED }, { level: 0 }]) {
        const comp = compressors[format](data, opts);
        const step = comp.length > 1000 ? 3 : 1;
        for (let bit = 0; bit < comp.length * 8; bit += step) {
          const bad = Buffer.from(comp);
          bad[bit >> 3] ^= 1 << (bit & 7);
          let ref: Buffer | null = null;
          try { ref = decompressors[format](bad); } catch { ref = null; }
          const r = inflate(format, bad, Infinity, 65536, { cap: 1n << 24n });
          if (ref === null) {
            expect(r.code, `format ${format} bit ${bit}`).toBeLessThan(0);
            expect(codes.has(r.code)).toBe(true);
          } else {
            expect(r.code, `format ${format} bit ${bit}: ${r.message}`).toBe(0);
            expect(r.out.equals(ref)).toBe(true);
          }
        }
      }
    }
  }, 120_000);

  it("random garbage: same verdict and output as node:zlib", () => {
    const codes = new Set(ERR_NAMES.map(err));
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const bad = prng(1 + (i % 300), 1000 + i);
      // Make some of them look like a final fixed or dynamic block to get past the first bits.
      if (i % 3 === 1) bad[0] = (bad[0] & ~7) | 3;
      if (i % 3 === 2) bad[0] = (bad[0] & ~7) | 5;
      let ref: Buffer | null = null;
      try { ref = zlib.inflateRawSync(bad); } catch { ref = null; }
      const r = inflate(RAW, bad, i % 2 ? 1 : Infinity, 65536, { cap: 1n << 24n });
      if (ref === null) {
        expect(codes.has(r.code), `input ${i}: ${r.code}`).toBe(true);
      } else {
        accepted++;
        expect(r.code, `input ${i}: ${r.message}`).toBe(0);
        expect(r.out.equals(ref)).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  }, 60_000);

  it("checksum and length trailers are verified", () => {
    const data = INPUTS.text.subarray(0, 4000);
    const zl = zlib.deflateSync(data);
    const badAdler = Buffer.from(zl); badAdler[zl.length - 1] ^= 0x10;
    expectBothReject(ZLIB, badAdler, "INFLATE_ERR_CHECKSUM");
    const gz = zlib.gzipSync(data);
    const badCrc = Buffer.from(gz); badCrc[gz.length - 8] ^= 1;
    expectBothReject(GZIP, badCrc, "INFLATE_ERR_CHECKSUM");
    const badLen = Buffer.from(gz); badLen[gz.length - 4] ^= 1;
    expectBothReject(GZIP, badLen, "INFLATE_ERR_LENGTH_MISMATCH");
  });

  it("invalid zlib and gzip headers", () => {
    const body = zlib.deflateRawSync(Buffer.from("hello hello hello"));
    const zhead = (cmf: number, flg: number) => Buffer.concat([Buffer.from([cmf, flg]), body, Buffer.alloc(4)]);
    const fcheck = (cmf: number, flg: number) => flg + (31 - ((cmf * 256 + flg) % 31)) % 31;
    expectBothReject(ZLIB, zhead(0x77, fcheck(0x77, 0)), "INFLATE_ERR_BAD_HEADER"); // CM 7
    expectBothReject(ZLIB, zhead(0x88, fcheck(0x88, 0)), "INFLATE_ERR_BAD_HEADER"); // CINFO 8
    expectBothReject(ZLIB, zhead(0x78, fcheck(0x78, 0) ^ 1), "INFLATE_ERR_BAD_HEADER"); // FCHECK
    const dict = Buffer.concat([Buffer.from([0x78, fcheck(0x78, 0x20)]), Buffer.from([0, 0, 0, 1]), body]);
    expectBothReject(ZLIB, dict, "INFLATE_ERR_DICTIONARY");
    const gz = zlib.gzipSync(Buffer.from("hello"));
    const magic = Buffer.from(gz); magic[1] = 0x8c;
    expectBothReject(GZIP, magic, "INFLATE_ERR_BAD_HEADER");
    const method = Buffer.from(gz); method[2] = 7;
    expectBothReject(GZIP, method, "INFLATE_ERR_BAD_HEADER");
    const reserved = Buffer.from(gz); reserved[3] = 0x20;
    expectBothReject(GZIP, reserved, "INFLATE_ERR_BAD_HEADER");
    expect(inflate(7, gz).code).toBe(err("INFLATE_ERR_ARGUMENT"));
  });

  it("invalid deflate blocks", () => {
    // Block type 3.
    expectBothReject(RAW, new BitWriter().bits(1, 1).bits(3, 2).done(), "INFLATE_ERR_BAD_BLOCK_TYPE");
    // Stored block with NLEN not the complement of LEN.
    expectBothReject(RAW, Buffer.from([1, 5, 0, 0xfa, 0xfe, 1, 2, 3, 4, 5]), "INFLATE_ERR_STORED_LENGTH");
    // Fixed block: literal 'a', then a match 2 bytes back with 1 byte of output.
    expectBothReject(RAW, new BitWriter().bits(1, 1).bits(1, 2).fixedLit(97).fixedLit(257).code(1, 5).fixedLit(256).done(),
      "INFLATE_ERR_DISTANCE_TOO_FAR");
    // The same deep inside a longer block (decoded by the table-driven fast path): 30 bytes out, distance 200.
    const deep = new BitWriter().bits(1, 1).bits(1, 2);
    for (let i = 0; i < 30; i++) deep.fixedLit(65 + (i % 26));
    deep.fixedLit(257).code(15, 5).bits(200 - 193, 6);
    for (let i = 0; i < 40; i++) deep.fixedLit(97);
    expectBothReject(RAW, deep.fixedLit(256).done(), "INFLATE_ERR_DISTANCE_TOO_FAR");
    // Fixed block: literal/length symbol 286 and distance symbol 30 do not exist.
    expectBothReject(RAW, new BitWriter().bits(1, 1).bits(1, 2).fixedLit(97).fixedLit(286).done(), "INFLATE_ERR_BAD_CODE");
    expectBothReject(RAW, new BitWriter().bits(1, 1).bits(1, 2).fixedLit(97).fixedLit(257).code(30, 5).fixedLit(256).done(),
      "INFLATE_ERR_BAD_CODE");
    // Dynamic: 287 literal/length codes declared.
    expectBothReject(RAW, new BitWriter().bits(1, 1).bits(2, 2).bits(30, 5).bits(0, 5).bits(0, 4).bits(0, 12).done(),
      "INFLATE_ERR_BAD_CODE_LENGTHS");
    // Dynamic: code-length code over-subscribed (19 codes of length 1).
    const over = new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(15, 4);
    for (let i = 0; i < 19; i++) over.bits(1, 3);
    expectBothReject(RAW, over.bits(0, 16).done(), "INFLATE_ERR_BAD_CODE_LENGTHS");
    // Dynamic: code-length code {16: 1 bit, 0: 1 bit}; helper for the next cases.
    const dyn = () => new BitWriter().bits(1, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(0, 4)
      .bits(1, 3).bits(0, 3).bits(0, 3).bits(1, 3); // order 16, 17, 18, 0
    // Repeat-previous (16) as the first length.
    expectBothReject(RAW, dyn().code(1, 1).bits(0, 2).bits(0, 16).done(), "INFLATE_ERR_BAD_CODE_LENGTHS");
    // All 258 lengths zero: no end-of-block code.
    const noEob = dyn();
    for (let i = 0; i < 258; i++) noEob.code(0, 1);
    expectBothReject(RAW, noEob.bits(0, 16).done(), "INFLATE_ERR_BAD_CODE_LENGTHS");
    // Repeat running past the declared number of lengths: 257 zeros, then "repeat 6".
    const past = dyn();
    for (let i = 0; i < 257; i++) past.code(0, 1);
    expectBothReject(RAW, past.code(1, 1).bits(3, 2).bits(0, 16).done(), "INFLATE_ERR_BAD_CODE_LENGTHS");
  });

  it("a gzip member cannot reach back into the previous member's output", () => {
    const first = zlib.gzipSync(Buffer.from("abc"));
    const body = new BitWriter().bits(1, 1).bits(1, 2).fixedLit(257).code(2, 5).fixedLit(256).done(); // copy 3 from 3 back
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(first.readUInt32LE(first.length - 8), 0); // CRC-32 of "abc"
    trailer.writeUInt32LE(3, 4);
    const second = Buffer.concat([first.subarray(0, 10), body, trailer]);
    expectBothReject(GZIP, Buffer.concat([first, second]), "INFLATE_ERR_DISTANCE_TOO_FAR");
  });

  it("a 1 GiB bomb stops at the output cap, quickly", async () => {
    const zero = Buffer.alloc(64 << 20);
    const deflater = zlib.createDeflateRaw({ level: 9 });
    const parts: Buffer[] = [];
    deflater.on("data", (b: Buffer) => parts.push(b));
    const done = new Promise((resolve) => deflater.on("end", resolve));
    for (let i = 0; i < 16; i++) deflater.write(zero);
    deflater.end();
    await done;
    const bomb = Buffer.concat(parts);
    expect(bomb.length).toBeLessThan(2 << 20);
    const t0 = Date.now();
    const r = inflate(RAW, bomb, 1 << 16, 1 << 20, { cap: 16n << 20n });
    expect(r.code).toBe(err("INFLATE_ERR_BOMB"));
    expect(r.message).toMatch(/decompression bomb/);
    expect(r.out.length).toBe(16 << 20);
    expect(Date.now() - t0).toBeLessThan(5000);
  }, 60_000);

  it("the cap is exact: a stream of N bytes passes with cap N and fails with N - 1", () => {
    const data = INPUTS.repetitive;
    for (const format of FORMATS) {
      const comp = compressors[format](data);
      const ok = inflate(format, comp, 1000, 777, { cap: BigInt(data.length) });
      expect(ok.code).toBe(0);
      expect(ok.out.equals(data)).toBe(true);
      const over = inflate(format, comp, 1000, 777, { cap: BigInt(data.length - 1) });
      expect(over.code).toBe(err("INFLATE_ERR_BOMB"));
      expect(over.out.length).toBe(data.length - 1);
    }
  });
});
