// Mutation inside containers: a byte flip in a deflated zip member or a gzip stream only reaches
// the inflater (which then refuses the stream), never the parser of what is inside. So the member
// is unpacked, mutated and packed again with valid CRCs, sizes and checksums, and the inner parser
// (the pickle of a .pt, the .npy of an .npz, the .pt inside a .mar inside a .tar.gz) sees the
// mutation. Archives this does not understand (zip64, encrypted, other methods) return null and
// the caller falls back to mutating the outer bytes.
import { crc32, deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from "node:zlib";
import { mutateBytes } from "./mutate.mjs";

const MAX_INNER = 64 * 1024 * 1024;

function u16(b, o) { return b[o] | (b[o + 1] << 8); }
function u32(b, o) { return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0; }

/** The members of a plain (non-zip64) zip, with their stored bytes, or null. */
export function readZip(b) {
  if (b.length < 22) return null;
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 65557); i--) {
    if (u32(b, i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) return null;
  const count = u16(b, eocd + 10), cdSize = u32(b, eocd + 12), cdOff = u32(b, eocd + 16);
  if (count === 0xffff || cdOff === 0xffffffff || cdOff + cdSize > b.length) return null;
  const members = [];
  let p = cdOff;
  for (let i = 0; i < count; i++) {
    if (p + 46 > b.length || u32(b, p) !== 0x02014b50) return null;
    const flags = u16(b, p + 8), method = u16(b, p + 10);
    const csize = u32(b, p + 20), usize = u32(b, p + 24);
    const nl = u16(b, p + 28), xl = u16(b, p + 30), cl = u16(b, p + 32), local = u32(b, p + 42);
    if (csize === 0xffffffff || usize === 0xffffffff || local === 0xffffffff) return null;
    if (flags & 1 || (method !== 0 && method !== 8)) return null;
    const name = b.subarray(p + 46, p + 46 + nl);
    if (local + 30 > b.length || u32(b, local) !== 0x04034b50) return null;
    const lnl = u16(b, local + 26), lxl = u16(b, local + 28);
    const start = local + 30 + lnl + lxl;
    if (start + csize > b.length) return null;
    members.push({
      name: new Uint8Array(name), method, time: u32(b, p + 12),
      extra: b.slice(local + 30 + lnl, local + 30 + lnl + lxl),
      stored: b.subarray(start, start + csize), crc: u32(b, p + 16), usize,
    });
    p += 46 + nl + xl + cl;
  }
  return members;
}

export function writeZip(members) {
  const parts = [];
  const central = [];
  let off = 0;
  for (const m of members) {
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0); h.writeUInt16LE(20, 4); h.writeUInt16LE(0, 6); h.writeUInt16LE(m.method, 8);
    h.writeUInt32LE(m.time, 10); h.writeUInt32LE(m.crc, 14); h.writeUInt32LE(m.stored.length, 18);
    h.writeUInt32LE(m.usize, 22); h.writeUInt16LE(m.name.length, 26); h.writeUInt16LE(m.extra.length, 28);
    parts.push(h, m.name, m.extra, m.stored);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(20, 4); c.writeUInt16LE(20, 6); c.writeUInt16LE(0, 8);
    c.writeUInt16LE(m.method, 10); c.writeUInt32LE(m.time, 12); c.writeUInt32LE(m.crc, 16);
    c.writeUInt32LE(m.stored.length, 20); c.writeUInt32LE(m.usize, 24); c.writeUInt16LE(m.name.length, 28);
    c.writeUInt32LE(off, 42);
    central.push(c, m.name);
    off += 30 + m.name.length + m.extra.length + m.stored.length;
  }
  const cdSize = central.reduce((a, x) => a + x.length, 0);
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0); e.writeUInt16LE(members.length, 8); e.writeUInt16LE(members.length, 10);
  e.writeUInt32LE(cdSize, 12); e.writeUInt32LE(off, 16);
  return new Uint8Array(Buffer.concat([...parts, ...central, e]));
}

function isTar(b) {
  return b.length >= 512 && b[257] === 0x75 && b[258] === 0x73 && b[259] === 0x74 && b[260] === 0x61 && b[261] === 0x72;
}

function octal(b, o, n) {
  let v = 0;
  for (let i = o; i < o + n && b[i] >= 0x30 && b[i] <= 0x37; i++) v = v * 8 + (b[i] - 0x30);
  return v;
}

/** tar entries as [header(512), data]; stops at the first zero block or inconsistency. */
function readTar(b) {
  const out = [];
  for (let p = 0; p + 512 <= b.length; ) {
    if (b.subarray(p, p + 512).every((x) => x === 0)) break;
    const size = octal(b, p + 124, 12);
    if (p + 512 + size > b.length) return null;
    out.push({ header: b.slice(p, p + 512), data: b.subarray(p + 512, p + 512 + size) });
    p += 512 + Math.ceil(size / 512) * 512;
  }
  return out.length ? out : null;
}

function writeTar(entries) {
  const parts = [];
  for (const { header, data } of entries) {
    const h = Buffer.from(header);
    h.write(data.length.toString(8).padStart(11, "0") + "\0", 124, "latin1");
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const x of h) sum += x;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Mutates the bytes of one member (recursively: a zip inside a tar inside a gzip) and packs the
 * container again. Returns null when `b` is no container this understands.
 */
export function mutateInside(b, r, depth = 0) {
  if (depth > 3) return null;
  const inner = (bytes, where) => {
    const deeper = r() < 0.6 ? mutateInside(bytes, r, depth + 1) : null;
    const m = deeper ?? mutateBytes(bytes, r);
    return { bytes: m.bytes, what: `${where} { ${m.what} }` };
  };
  if (b.length > 18 && b[0] === 0x1f && b[1] === 0x8b) {
    let plain;
    try { plain = new Uint8Array(gunzipSync(b, { maxOutputLength: MAX_INNER })); } catch { return null; }
    const m = inner(plain, "gzip");
    return { bytes: new Uint8Array(gzipSync(m.bytes)), what: m.what };
  }
  if (isTar(b)) {
    const entries = readTar(b);
    const files = entries?.map((e, i) => [e, i]).filter(([e]) => e.data.length > 0);
    if (!files?.length) return null;
    const [entry, i] = r.pick(files);
    const m = inner(entry.data, `tar[${i}]`);
    entries[i] = { header: entry.header, data: m.bytes };
    return { bytes: writeTar(entries), what: m.what };
  }
  const members = readZip(b);
  if (!members?.length) return null;
  const candidates = members.map((m, i) => i).filter((i) => members[i].usize > 0 && members[i].usize <= MAX_INNER);
  if (!candidates.length) return null;
  const i = r.pick(candidates);
  const m = members[i];
  let plain;
  try { plain = m.method === 8 ? new Uint8Array(inflateRawSync(m.stored, { maxOutputLength: MAX_INNER })) : m.stored; } catch { return null; }
  const mut = inner(plain, `zip[${Buffer.from(m.name).toString("latin1")}]`);
  members[i] = {
    ...m,
    stored: m.method === 8 ? new Uint8Array(deflateRawSync(mut.bytes)) : mut.bytes,
    crc: crc32(mut.bytes) >>> 0,
    usize: mut.bytes.length,
  };
  return { bytes: writeZip(members), what: mut.what };
}
