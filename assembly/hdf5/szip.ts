// Szip (HDF5 filter 4) decoding: the CCSDS 121.0 adaptive entropy coder as libaec's szip
// compatibility layer drives it. A chunk is a 4-byte little-endian decoded size followed by the
// coded stream. 32- and 64-bit pixels are coded as byte planes (8-bit samples) and interleaved
// back; scanlines that are not a whole number of blocks were padded by the encoder.

const NN_OPTION: u32 = 32; // SZ_NN_OPTION_MASK: the samples went through the NN predictor
const ROS: i32 = 5; // "remainder of segment" code for zero blocks

class Bits {
  pos: u64 = 0; // bit position
  constructor(public p: usize, public len: usize) {}
  ok: bool = true;

  get(n: i32): u32 {
    let v: u32 = 0;
    for (let i = 0; i < n; i++) {
      const byte = <usize>(this.pos >> 3);
      if (byte >= this.len) { this.ok = false; return 0; }
      const bit = (<u32>load<u8>(this.p + byte) >> (7 - <u32>(this.pos & 7))) & 1;
      v = (v << 1) | bit;
      this.pos++;
    }
    return v;
  }

  // Fundamental sequence: the number of 0 bits before the next 1.
  fs(): u32 {
    let n: u32 = 0;
    while (true) {
      const byte = <usize>(this.pos >> 3);
      if (byte >= this.len) { this.ok = false; return 0; }
      const bit = (<u32>load<u8>(this.p + byte) >> (7 - <u32>(this.pos & 7))) & 1;
      this.pos++;
      if (bit) return n;
      if (++n > 1 << 20) { this.ok = false; return 0; }
    }
  }
}

export let szipError: string = "";

// Decodes a chunk into dst (outLen bytes). cd = [options, pixels per block, bits per pixel,
// pixels per scanline]. Returns 0 or -1 (szipError set).
export function szipDecode(src: usize, len: usize, dst: usize, outLen: usize, cd: u32[]): i32 {
  if (cd.length < 4) { szipError = "szip parameters missing"; return -1; }
  if (len < 4) { szipError = "szip chunk shorter than its header"; return -1; }
  const opts = cd[0];
  const J = <i32>cd[1];
  const bpp = <i32>cd[2];
  const pps = <i32>cd[3];
  if (J <= 0 || J > 256 || pps <= 0 || bpp <= 0 || bpp > 64) { szipError = "bad szip parameters"; return -1; }
  const deinterleave = bpp == 32 || bpp == 64;
  const n = deinterleave ? 8 : bpp;
  if (n > 32) { szipError = "szip samples wider than 32 bits"; return -1; }
  const pixel: usize = n > 16 ? 4 : n > 8 ? 2 : 1;
  const rsi = (pps + J - 1) / J;
  const padScan = pps % J != 0;
  let bufSize: usize = outLen;
  let scanlines: usize = 0;
  if (padScan) {
    scanlines = (outLen / pixel + <usize>pps - 1) / <usize>pps;
    bufSize = <usize>rsi * <usize>J * pixel * scanlines;
  }
  if (bufSize > (<usize>1 << 30)) { szipError = "szip chunk too large"; return -1; }
  const buf = heap.alloc(bufSize + 8);
  const nsamples = bufSize / pixel;
  const b = new Bits(src + 4, len - 4);
  const pp = (opts & NN_OPTION) != 0;
  const idLen: i32 = n > 16 ? 5 : n > 8 ? 4 : 3;
  const idMax: u32 = (<u32>1 << <u32>idLen) - 1;
  const xmax: u64 = (<u64>1 << <u64>n) - 1;
  let out: usize = 0; // samples written
  let rc = 0;
  const rsiSamples = <usize>rsi * <usize>J;
  while (out < nsamples && rc == 0) {
    const rsiStart = out;
    let blocks = 0;
    while (blocks < rsi && out < nsamples) {
      const ref = pp && blocks == 0 ? 1 : 0;
      const id = b.get(idLen);
      if (!b.ok) { rc = -1; break; }
      const room = nsamples - out;
      if (id == 0) {
        const se = b.get(1);
        if (ref) put(buf, out++, pixel, b.get(n));
        if (se == 0) {
          let zb = <i32>b.fs() + 1;
          if (zb == ROS) zb = min(rsi - blocks, 64 - (blocks % 64));
          else if (zb > ROS) zb--;
          const zs = <usize>zb * <usize>J - <usize>ref;
          for (let i: usize = 0; i < zs && out < nsamples; i++) put(buf, out++, pixel, 0);
          blocks += zb;
          continue;
        }
        let i = ref;
        while (i < J) {
          const m = b.fs();
          if (m > 90000) { b.ok = false; break; }
          // m = s(s+1)/2 + second, first = s - second
          let s: u32 = 0;
          while ((s + 1) * (s + 2) / 2 <= m) s++;
          const second = m - s * (s + 1) / 2;
          if ((i & 1) == 0) { put(buf, out++, pixel, s - second); i++; }
          if (out < nsamples) put(buf, out++, pixel, second);
          i++;
        }
      } else if (id == idMax) {
        for (let i = 0; i < J && out < nsamples; i++) put(buf, out++, pixel, b.get(n));
      } else {
        const k = <i32>id - 1;
        if (ref) put(buf, out++, pixel, b.get(n));
        const cnt = J - ref;
        const first = out;
        for (let i = 0; i < cnt; i++) {
          const f = b.fs();
          if (out < nsamples) put(buf, out++, pixel, f << <u32>k);
        }
        if (k > 0) {
          for (let i = 0; i < cnt; i++) {
            const lo = b.get(k);
            const at = first + <usize>i;
            if (at < nsamples) put(buf, at, pixel, getS(buf, at, pixel) | lo);
          }
        }
      }
      if (!b.ok) { rc = -1; break; }
      blocks++;
    }
    if (rc != 0) break;
    if (pp) {
      // Undo the unit-delay predictor over this reference sample interval.
      const end = out;
      let last = <u64>getS(buf, rsiStart, pixel);
      for (let i = rsiStart + 1; i < end; i++) {
        const d = <u64>getS(buf, i, pixel);
        const th = last < xmax - last ? last : xmax - last;
        let x: u64;
        if (d <= 2 * th) x = (d & 1) ? last - ((d + 1) >> 1) : last + (d >> 1);
        else x = th == last ? d : xmax - d;
        put(buf, i, pixel, <u32>x);
        last = x;
      }
    }
    if (rsiSamples == 0) break;
  }
  if (rc != 0 || !b.ok) {
    heap.free(buf);
    szipError = "szip stream is corrupt or ends early";
    return -1;
  }
  // Samples wider than a byte: SZ_MSB_OPTION_MASK (16) means they are big-endian in the data.
  if (pixel > 1 && (opts & 16) != 0) {
    for (let i: usize = 0; i < nsamples; i++) {
      if (pixel == 2) store<u16>(buf + i * 2, bswap<u16>(load<u16>(buf + i * 2)));
      else store<u32>(buf + i * 4, bswap<u32>(load<u32>(buf + i * 4)));
    }
  }
  // Remove scanline padding, then undo the byte-plane interleaving.
  let data = buf;
  if (padScan) {
    const line = <usize>pps * pixel;
    const padded = rsiSamples * pixel;
    for (let l: usize = 1; l < scanlines; l++) memory.copy(buf + l * line, buf + l * padded, line);
  }
  if (deinterleave) {
    const w = <usize>(bpp / 8);
    const cnt = outLen / w;
    for (let i: usize = 0; i < cnt; i++) {
      for (let j: usize = 0; j < w; j++) store<u8>(dst + i * w + j, load<u8>(data + j * cnt + i));
    }
  } else {
    memory.copy(dst, data, outLen);
  }
  heap.free(buf);
  return 0;
}

@inline function put(buf: usize, i: usize, pixel: usize, v: u32): void {
  if (pixel == 1) store<u8>(buf + i, <u8>v);
  else if (pixel == 2) store<u16>(buf + i * 2, <u16>v);
  else store<u32>(buf + i * 4, v);
}

@inline function getS(buf: usize, i: usize, pixel: usize): u32 {
  if (pixel == 1) return <u32>load<u8>(buf + i);
  if (pixel == 2) return <u32>load<u16>(buf + i * 2);
  return load<u32>(buf + i * 4);
}
