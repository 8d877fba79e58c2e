// Seeded byte mutations for the per-format "never a trap" tests: a few bytes replaced, a
// truncation, or a run filled; every outcome must be an index or one of the typed error codes.

/** The error codes a malformed file may give (each test adds those its format can also give). */
export const TYPED_CODES = ["TRUNCATED", "UNKNOWN_FORMAT", "INVALID_HEADER", "CORRUPT", "LIMIT", "UNSUPPORTED", "INVALID_OFFSET", "OVERFLOW",
  "SIZE_MISMATCH", "BAD_DTYPE", "BAD_SHAPE", "INVALID_JSON", "DECOMPRESS", "INCOMPLETE_BUFFER", "HEADER_TOO_SMALL", "INVALID_HEADER_LENGTH", "MISALIGNED", "DUPLICATE"];

export const typedCodes = (...extra: string[]): Set<string> => new Set([...TYPED_CODES, ...extra]);

/** xorshift32 in [0, 1). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

/**
 * One mutation of b. `pick` draws a replacement byte (any byte by default; text formats pass
 * their syntax characters), `fills` the two bytes a run may be filled with.
 */
export function mutate(b: Uint8Array, r: () => number, pick: (r: () => number) => number = (q) => Math.floor(q() * 256), fills: [number, number] = [0xff, 0]): Uint8Array {
  const out = new Uint8Array(b);
  const kind = Math.floor(r() * 3);
  if (kind === 0) { for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) out[Math.floor(r() * out.length)] = pick(r); return out; }
  if (kind === 1) return out.slice(0, Math.floor(r() * out.length));
  const at = Math.floor(r() * out.length);
  out.fill(r() < 0.5 ? fills[0] : fills[1], at, Math.min(out.length, at + 1 + Math.floor(r() * 16)));
  return out;
}
