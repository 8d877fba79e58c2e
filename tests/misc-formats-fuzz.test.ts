// Mutated copies of the misc fixtures (seeded byte flips, truncations, splices): every one must
// open or be refused with a typed error; a trap, a hang or an untyped exception fails the test.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const dir = join(FIXTURES, "misc");
const FILES = [
  "fasttext-skipgram.bin", "fasttext-supervised.bin", "fasttext-quantized.ftz", "word2vec-vectors.bin", "word2vec-vectors.txt",
  "xgboost-binary.json", "xgboost-binary.ubj", "xgboost-binary.deprecated", "lightgbm-regression.txt",
  "torchserve-tiny.mar", "torchserve-tiny.tar.gz", "hf-tiny/config.json", "hf-tiny/tokenizer.json",
];
const KNOWN = new Set(["TRUNCATED", "UNKNOWN_FORMAT", "INVALID_HEADER", "INVALID_JSON", "CORRUPT", "LIMIT", "DECOMPRESS", "UNSUPPORTED",
  "INVALID_OFFSET", "OVERFLOW", "SIZE_MISMATCH", "INCOMPLETE_BUFFER", "DUPLICATE", "BAD_DTYPE", "BAD_SHAPE", "CHECKSUM", "SOURCE_MISSING",
  "PATH_VIOLATION", "HEADER_TOO_SMALL", "HEADER_TOO_LARGE", "INVALID_HEADER_LENGTH", "MISALIGNED"]);

// xorshift32: the same mutations on every run
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

function mutate(b: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 3);
  const out = new Uint8Array(b);
  if (kind === 0) {
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return out;
  }
  if (kind === 1) return out.slice(0, Math.floor(r() * out.length));
  // overwrite a run with 0xff (huge counts) or 0x00
  const at = Math.floor(r() * out.length), len = 1 + Math.floor(r() * 16), v = r() < 0.5 ? 0xff : 0;
  out.fill(v, at, Math.min(out.length, at + len));
  return out;
}

describe("mutated misc fixtures never trap", () => {
  for (const file of FILES) {
    it(file, async () => {
      const { open } = await sdk();
      const base = new Uint8Array(readFileSync(join(dir, file)));
      const r = rng(file.length * 7919 + base.length);
      for (let i = 0; i < 60; i++) {
        const bytes = mutate(base, r);
        try {
          const m = await open(bytes, { name: file.split("/").pop() });
          for (const t of m.tensors.slice(0, 4)) {
            try { await t.read(); } catch (e: any) { expect(KNOWN.has(e.code) || e.code === "UNREADABLE", `${file} #${i} read: ${e.code} ${e.message}`).toBe(true); }
          }
          await m.close();
        } catch (e: any) {
          expect(KNOWN.has(e.code), `${file} mutation ${i}: ${e.code} ${e.message}`).toBe(true);
        }
      }
    }, 60000);
  }
});
