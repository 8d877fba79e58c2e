// Checksums used by the containers: CRC-32 (gzip, zip, PNG), Adler-32 (zlib) and
// CRC-32C (Castagnoli; TFRecord and TF checkpoint blocks use it, "masked").
//
// All functions take the running value of a previous call as `init` (zlib style):
//   crc32(0, p, n), crc32c(0, p, n), adler32(1, p, n) start a fresh checksum, and
//   f(f(init, a, n1), a + n1, n2) == f(init, a, n1 + n2).
// The CRCs use slicing-by-8 tables (8 x 256 u32 each), built on first use in raw memory.

const CRC32_POLY: u32 = 0xedb88320; // reflected 0x04C11DB7
const CRC32C_POLY: u32 = 0x82f63b78; // reflected 0x1EDC6F41 (Castagnoli)

let crc32Tables: usize = 0;
let crc32cTables: usize = 0;

// Build the 8 slicing tables for a reflected polynomial: table k maps a byte that sits
// k bytes before the end of an 8-byte group to its contribution to the CRC.
function buildTables(poly: u32): usize {
  const t = heap.alloc(8 * 256 * 4);
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    store<u32>(t + (<usize>n << 2), c);
  }
  for (let n: usize = 0; n < 256; n++) {
    let c = load<u32>(t + (n << 2));
    for (let k: usize = 1; k < 8; k++) {
      c = load<u32>(t + ((<usize>(c & 0xff)) << 2)) ^ (c >>> 8);
      store<u32>(t + (k << 10) + (n << 2), c);
    }
  }
  return t;
}

// @ts-ignore: decorator
@inline
function tab(t: usize, k: usize, b: u32): u32 {
  return load<u32>(t + (k << 10) + (<usize>(b & 0xff) << 2));
}

function crcSliced(t: usize, init: u32, ptr: usize, len: usize): u32 {
  let c = ~init;
  let p = ptr;
  const end = ptr + len;
  // Byte-wise until 8-byte groups remain (alignment does not matter for wasm loads).
  while (end - p >= 8) {
    const lo = load<u32>(p) ^ c;
    const hi = load<u32>(p, 4);
    c =
      tab(t, 7, lo) ^ tab(t, 6, lo >>> 8) ^ tab(t, 5, lo >>> 16) ^ tab(t, 4, lo >>> 24) ^
      tab(t, 3, hi) ^ tab(t, 2, hi >>> 8) ^ tab(t, 1, hi >>> 16) ^ tab(t, 0, hi >>> 24);
    p += 8;
  }
  while (p < end) {
    c = tab(t, 0, c ^ <u32>load<u8>(p)) ^ (c >>> 8);
    p++;
  }
  return ~c;
}

/** CRC-32 (IEEE, as zlib/gzip/zip): crc32(0, "123456789") == 0xCBF43926. */
export function crc32(init: u32, ptr: usize, len: usize): u32 {
  if (crc32Tables == 0) crc32Tables = buildTables(CRC32_POLY);
  return crcSliced(crc32Tables, init, ptr, len);
}

/** CRC-32 of one byte; used for header bytes that are read one at a time. */
export function crc32Byte(init: u32, b: u32): u32 {
  if (crc32Tables == 0) crc32Tables = buildTables(CRC32_POLY);
  const c = ~init;
  return ~(tab(crc32Tables, 0, c ^ b) ^ (c >>> 8));
}

/** CRC-32C (Castagnoli): crc32c(0, "123456789") == 0xE3069283. */
export function crc32c(init: u32, ptr: usize, len: usize): u32 {
  if (crc32cTables == 0) crc32cTables = buildTables(CRC32C_POLY);
  return crcSliced(crc32cTables, init, ptr, len);
}

const CRC_MASK_DELTA: u32 = 0xa282ead8;

/** TensorFlow's masked CRC (tensorflow/core/lib/hash/crc32c.h: Mask). */
export function maskCrc32c(crc: u32): u32 {
  return ((crc >>> 15) | (crc << 17)) + CRC_MASK_DELTA;
}

/** Inverse of maskCrc32c. */
export function unmaskCrc32c(masked: u32): u32 {
  const rot = masked - CRC_MASK_DELTA;
  return (rot >>> 17) | (rot << 15);
}

const ADLER_BASE: u32 = 65521;
// Largest n such that 255 n (n + 1) / 2 + (n + 1) (BASE - 1) <= 2^32 - 1 (zlib's NMAX).
const ADLER_NMAX: usize = 5552;

/** Adler-32 (zlib): adler32(1, p, n) starts fresh. */
export function adler32(init: u32, ptr: usize, len: usize): u32 {
  let a = init & 0xffff;
  let b = init >>> 16;
  let p = ptr;
  let remaining = len;
  while (remaining > 0) {
    let n = remaining < ADLER_NMAX ? remaining : ADLER_NMAX;
    remaining -= n;
    // 16 bytes per step in SIMD: a gains the byte sum; b gains 16 a (per step, via the
    // running prefix vps) plus the bytes weighted 16..1.
    if (n >= 16) {
      const blocks = n >>> 4;
      let vs1 = i32x4.splat(0);
      let vps = i32x4.splat(0);
      let vw = i32x4.splat(0);
      const wLo = i16x8(16, 15, 14, 13, 12, 11, 10, 9);
      const wHi = i16x8(8, 7, 6, 5, 4, 3, 2, 1);
      for (let k: usize = 0; k < blocks; k++) {
        const v = v128.load(p);
        vps = i32x4.add(vps, vs1);
        vs1 = i32x4.add(vs1, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v)));
        vw = i32x4.add(vw, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v), wLo));
        vw = i32x4.add(vw, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(v), wHi));
        p += 16;
      }
      const sum1 = <u64>i32x4.extract_lane(vs1, 0) + <u64>i32x4.extract_lane(vs1, 1) + <u64>i32x4.extract_lane(vs1, 2) + <u64>i32x4.extract_lane(vs1, 3);
      const sumP = <u64>i32x4.extract_lane(vps, 0) + <u64>i32x4.extract_lane(vps, 1) + <u64>i32x4.extract_lane(vps, 2) + <u64>i32x4.extract_lane(vps, 3);
      const sumW = <u64>i32x4.extract_lane(vw, 0) + <u64>i32x4.extract_lane(vw, 1) + <u64>i32x4.extract_lane(vw, 2) + <u64>i32x4.extract_lane(vw, 3);
      const bytes = <u64>(blocks << 4);
      const b64 = <u64>b + bytes * <u64>a + (sumP << 4) + sumW;
      a = <u32>((<u64>a + sum1) % <u64>ADLER_BASE);
      b = <u32>(b64 % <u64>ADLER_BASE);
      n -= blocks << 4;
    }
    while (n >= 8) {
      a += <u32>load<u8>(p); b += a;
      a += <u32>load<u8>(p, 1); b += a;
      a += <u32>load<u8>(p, 2); b += a;
      a += <u32>load<u8>(p, 3); b += a;
      a += <u32>load<u8>(p, 4); b += a;
      a += <u32>load<u8>(p, 5); b += a;
      a += <u32>load<u8>(p, 6); b += a;
      a += <u32>load<u8>(p, 7); b += a;
      p += 8;
      n -= 8;
    }
    while (n > 0) {
      a += <u32>load<u8>(p); b += a;
      p++;
      n--;
    }
    a %= ADLER_BASE;
    b %= ADLER_BASE;
  }
  return (b << 16) | a;
}
