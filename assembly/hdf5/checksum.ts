// The two checksums HDF5 uses: Jenkins lookup3 (superblock v2+, OHDR/OCHK, v2 B-trees, fractal
// heaps, chunk-index arrays) and Fletcher-32 (filter 3, over each chunk's bytes).

@inline function rot(x: u32, k: u32): u32 { return (x << k) | (x >>> (32 - k)); }

// H5_checksum_lookup3 (Bob Jenkins' hashlittle, byte-at-a-time variant: alignment-independent).
export function lookup3(p: usize, len: usize, init: u32 = 0): u32 {
  let a: u32 = 0xdeadbeef + <u32>len + init;
  let b = a;
  let c = a;
  let n = len;
  let k = p;
  while (n > 12) {
    a += load<u32>(k);
    b += load<u32>(k + 4);
    c += load<u32>(k + 8);
    a -= c; a ^= rot(c, 4); c += b;
    b -= a; b ^= rot(a, 6); a += c;
    c -= b; c ^= rot(b, 8); b += a;
    a -= c; a ^= rot(c, 16); c += b;
    b -= a; b ^= rot(a, 19); a += c;
    c -= b; c ^= rot(b, 4); b += a;
    n -= 12;
    k += 12;
  }
  if (n == 0) return c;
  // Tail: bytes 0..n-1 added into a, b, c at their little-endian positions.
  for (let i: usize = 0; i < n; i++) {
    const v = <u32>load<u8>(k + i) << (<u32>(i & 3) * 8);
    if (i < 4) a += v;
    else if (i < 8) b += v;
    else c += v;
  }
  c ^= b; c -= rot(b, 14);
  a ^= c; a -= rot(c, 11);
  b ^= a; b -= rot(a, 25);
  c ^= b; c -= rot(b, 16);
  a ^= c; a -= rot(c, 4);
  b ^= a; b -= rot(a, 14);
  c ^= b; c -= rot(b, 24);
  return c;
}

// H5_checksum_fletcher32: 16-bit big-endian words, sums folded every 360 words.
export function fletcher32(p: usize, len: usize): u32 {
  let sum1: u32 = 0;
  let sum2: u32 = 0;
  let words = len >> 1;
  let q = p;
  while (words > 0) {
    const t: usize = words > 360 ? 360 : words;
    words -= t;
    for (let i: usize = 0; i < t; i++) {
      sum1 += (<u32>load<u8>(q) << 8) | <u32>load<u8>(q + 1);
      sum2 += sum1;
      q += 2;
    }
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  if (len & 1) {
    sum1 += <u32>load<u8>(q) << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >>> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >>> 16);
  return (sum2 << 16) | sum1;
}
