// Scale-offset (HDF5 filter 6) decoding, as libhdf5's H5Zscaleoffset.c defines it: a header
// (minimum bits u32, size byte, minimum value) at 21 bytes, then every element packed in `minbits`
// bits, most significant bit first. Integers add the minimum back; floats with D-scaling divide
// by 10^D and add the minimum. With a defined fill value, the all-ones code stands for it.
// cd = [scale type, scale factor, elements, class, size, sign, order, fill defined, fill...].

export let scaleOffsetError: string = "";

export function scaleOffsetDecode(src: usize, len: usize, dst: usize, outLen: usize, cd: u32[]): i32 {
  if (cd.length < 8) { scaleOffsetError = "scale-offset parameters missing"; return -1; }
  const scaleType = cd[0];
  const D = <i32>cd[1];
  const n = <usize>cd[2];
  const cls = cd[3];
  const size = <usize>cd[4];
  const signed = cd[5] != 0;
  const bigEndian = cd[6] != 0;
  const fillDefined = cd[7] != 0;
  if (size != 1 && size != 2 && size != 4 && size != 8) { scaleOffsetError = "scale-offset element size " + size.toString(); return -1; }
  if (n * size != outLen) { scaleOffsetError = "scale-offset chunk of " + n.toString() + " elements does not fill " + outLen.toString() + " bytes"; return -1; }
  if (cls == 1 && scaleType != 0) { scaleOffsetError = "scale-offset E-scaling is not supported"; return -1; }
  if (len < 21) { scaleOffsetError = "scale-offset chunk shorter than its header"; return -1; }
  const minbits = load<u32>(src);
  let mvs = <usize>load<u8>(src + 4);
  if (mvs > 8) mvs = 8;
  let minval: u64 = 0;
  for (let i: usize = 0; i < mvs; i++) minval |= <u64>load<u8>(src + 5 + i) << (<u64>i * 8);
  const data = src + 21;
  const avail = len - 21;
  if (minbits > <u32>size * 8) { scaleOffsetError = "scale-offset minimum bits exceed the element size"; return -1; }
  if (minbits == <u32>size * 8) {
    // Stored as they are (in memory order, little-endian here).
    if (avail < outLen) { scaleOffsetError = "scale-offset chunk is short"; return -1; }
    memory.copy(dst, data, outLen);
  } else {
    if ((<u64>n * <u64>minbits + 7) / 8 > <u64>avail) { scaleOffsetError = "scale-offset chunk is short"; return -1; }
    let bit: u64 = 0;
    const fillCode: u64 = minbits == 0 ? 0 : (minbits == 64 ? u64.MAX_VALUE : (<u64>1 << <u64>minbits) - 1);
    // The fill value sits in cd[8..] as raw little-endian bytes.
    let fill: u64 = 0;
    for (let i = 8; i < cd.length && i < 10; i++) fill |= <u64>cd[i] << (<u64>(i - 8) * 32);
    for (let i: usize = 0; i < n; i++) {
      let v: u64 = 0;
      for (let k: u32 = 0; k < minbits; k++) {
        const b = (<u64>load<u8>(data + <usize>(bit >> 3)) >> (7 - (bit & 7))) & 1;
        v = (v << 1) | b;
        bit++;
      }
      const at = dst + i * size;
      if (cls == 0) {
        let x: u64;
        if (fillDefined && minbits > 0 && v == fillCode) x = fill;
        else x = v + minval;
        storeN(at, size, x);
      } else if (size == 4) {
        const min = reinterpret<f32>(<u32>minval);
        const x = fillDefined && minbits > 0 && v == fillCode ? reinterpret<f32>(<u32>fill) : <f32>(<f32><i32>v / <f32>Math.pow(10.0, <f64>D)) + min;
        store<f32>(at, x);
      } else if (size == 8) {
        const min = reinterpret<f64>(minval);
        const x = fillDefined && minbits > 0 && v == fillCode ? reinterpret<f64>(fill) : <f64><i64>v / Math.pow(10.0, <f64>D) + min;
        store<f64>(at, x);
      } else {
        scaleOffsetError = "scale-offset float of " + size.toString() + " bytes";
        return -1;
      }
    }
    if (signed) {
      // Signed integers: the minimum was added in two's complement; nothing else to do.
    }
  }
  if (bigEndian && size > 1) {
    for (let i: usize = 0; i < n; i++) {
      const at = dst + i * size;
      if (size == 2) store<u16>(at, bswap<u16>(load<u16>(at)));
      else if (size == 4) store<u32>(at, bswap<u32>(load<u32>(at)));
      else store<u64>(at, bswap<u64>(load<u64>(at)));
    }
  }
  return 0;
}

function storeN(at: usize, size: usize, v: u64): void {
  if (size == 1) store<u8>(at, <u8>v);
  else if (size == 2) store<u16>(at, <u16>v);
  else if (size == 4) store<u32>(at, <u32>v);
  else store<u64>(at, v);
}
