// Seeded byte-level mutations. Every mutator takes (bytes, rng) and returns new bytes plus a short
// description, so a reproducer says what was done to which seed. The same seed of the generator
// gives the same mutations on every machine.

/** mulberry32: small, fast, good enough to spread mutations; state is one u32. */
export function makeRng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (list) => list[Math.floor(next() * list.length)];
  return next;
}

// Headers, counts and offsets live near the start of most formats (and, for zip, near the end),
// so positions are biased there: half of them fall in the first 4 KiB or the last 1 KiB.
function position(len, r) {
  if (len === 0) return 0;
  const u = r();
  if (u < 0.35) return r.int(Math.min(len, 4096));
  if (u < 0.5) return Math.max(0, len - 1 - r.int(Math.min(len, 1024)));
  return r.int(len);
}

function rangeLen(len, r) {
  const max = Math.max(1, Math.min(len, r() < 0.7 ? 64 : 4096));
  return 1 + r.int(max);
}

// Values that break size arithmetic: zero, one, sign boundaries, all-ones and all-ones minus a
// little (a + small wraps), powers of two that make products overflow 32 bits.
const BOUNDARY_U64 = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x10000n,
  0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0xfffffffcn, 0xfffffff0n, 0x100000000n,
  0x40000000n, 0x20000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn,
  0xfffffffffffffff0n, 0x0010000000000000n, 0x40000000000000n,
];

export const MUTATORS = {
  bitflip(b, r) {
    const out = new Uint8Array(b);
    if (!out.length) return { bytes: out, what: "bitflip(empty)" };
    const n = 1 + r.int(8);
    const at = [];
    for (let i = 0; i < n; i++) {
      const p = position(out.length, r), bit = r.int(8);
      out[p] ^= 1 << bit;
      at.push(`${p}.${bit}`);
    }
    return { bytes: out, what: `bitflip ${at.join(",")}` };
  },
  randomBytes(b, r) {
    const out = new Uint8Array(b);
    if (!out.length) return { bytes: out, what: "bytes(empty)" };
    const n = 1 + r.int(4);
    const at = [];
    for (let i = 0; i < n; i++) {
      const p = position(out.length, r);
      out[p] = r.int(256);
      at.push(p);
    }
    return { bytes: out, what: `bytes ${at.join(",")}` };
  },
  boundaryInt(b, r) {
    const out = new Uint8Array(b);
    const width = r.pick([2, 4, 4, 4, 8, 8]);
    if (out.length < width) return { bytes: out, what: "boundary(short)" };
    const p = Math.min(out.length - width, position(out.length, r)) & ~(width - 1);
    let v = r.pick(BOUNDARY_U64) & ((1n << BigInt(width * 8)) - 1n);
    // Sometimes the value is relative to what is there: n-1, n+1, n*2^k, -n.
    if (r() < 0.3) {
      const dv = new DataView(out.buffer, out.byteOffset);
      const cur = width === 2 ? BigInt(dv.getUint16(p, true)) : width === 4 ? BigInt(dv.getUint32(p, true)) : dv.getBigUint64(p, true);
      v = r.pick([cur + 1n, cur - 1n, cur << 16n, cur << 31n, -cur]) & ((1n << BigInt(width * 8)) - 1n);
    }
    const little = r() < 0.8;
    for (let i = 0; i < width; i++) {
      const byte = Number((v >> BigInt(8 * i)) & 0xffn);
      out[little ? p + i : p + width - 1 - i] = byte;
    }
    return { bytes: out, what: `boundary u${width * 8}${little ? "le" : "be"}@${p}=0x${v.toString(16)}` };
  },
  truncate(b, r) {
    const at = r() < 0.5 ? position(b.length, r) : r.int(b.length + 1);
    return { bytes: b.slice(0, at), what: `truncate ${at}` };
  },
  duplicateRange(b, r) {
    if (!b.length) return { bytes: new Uint8Array(b), what: "dup(empty)" };
    const from = position(b.length, r), len = Math.min(rangeLen(b.length, r), b.length - from), to = position(b.length, r);
    const out = new Uint8Array(b.length + len);
    out.set(b.subarray(0, to), 0);
    out.set(b.subarray(from, from + len), to);
    out.set(b.subarray(to), to + len);
    return { bytes: out, what: `dup ${from}+${len}->${to}` };
  },
  deleteRange(b, r) {
    if (!b.length) return { bytes: new Uint8Array(b), what: "del(empty)" };
    const from = position(b.length, r), len = Math.min(rangeLen(b.length, r), b.length - from);
    const out = new Uint8Array(b.length - len);
    out.set(b.subarray(0, from), 0);
    out.set(b.subarray(from + len), from);
    return { bytes: out, what: `del ${from}+${len}` };
  },
  overwriteRange(b, r) {
    const out = new Uint8Array(b);
    if (!out.length) return { bytes: out, what: "copy(empty)" };
    const from = position(out.length, r), to = position(out.length, r);
    const len = Math.min(rangeLen(out.length, r), out.length - from, out.length - to);
    out.copyWithin(to, from, from + len);
    return { bytes: out, what: `copy ${from}+${len}->${to}` };
  },
  fillRange(b, r) {
    const out = new Uint8Array(b);
    if (!out.length) return { bytes: out, what: "fill(empty)" };
    const at = position(out.length, r), len = rangeLen(out.length, r), v = r.pick([0, 0xff, 0x7f, 0x80]);
    out.fill(v, at, Math.min(out.length, at + len));
    return { bytes: out, what: `fill ${at}+${len}=${v}` };
  },
};

const WEIGHTS = [
  ["bitflip", 5], ["randomBytes", 3], ["boundaryInt", 6], ["truncate", 2],
  ["duplicateRange", 1], ["deleteRange", 1], ["overwriteRange", 1], ["fillRange", 1],
];
const TOTAL = WEIGHTS.reduce((a, [, w]) => a + w, 0);

/** One to three stacked byte-level mutations. */
export function mutateBytes(b, r) {
  let bytes = b;
  const what = [];
  const n = r() < 0.6 ? 1 : 2 + r.int(2);
  for (let i = 0; i < n; i++) {
    let u = r() * TOTAL, name = WEIGHTS[0][0];
    for (const [k, w] of WEIGHTS) {
      if ((u -= w) < 0) { name = k; break; }
    }
    const m = MUTATORS[name](bytes, r);
    bytes = m.bytes;
    what.push(m.what);
  }
  return { bytes, what: what.join("; ") };
}
