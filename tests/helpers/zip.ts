// Test helper: the smallest zip the format allows (one member, no CRC check by our reader).
import { deflateRawSync } from "node:zlib";

// A zip with one member, stored (method 0) or deflated (method 8).
export function zipOf(name: string, content: Uint8Array, method: 0 | 8): Uint8Array {
  const data = method === 8 ? deflateRawSync(content) : content;
  const nb = new TextEncoder().encode(name);
  const local = Buffer.alloc(30 + nb.length);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(method, 8);
  local.writeUInt32LE(data.length, 18); local.writeUInt32LE(content.length, 22); local.writeUInt16LE(nb.length, 26);
  local.set(nb, 30);
  const cd = Buffer.alloc(46 + nb.length);
  cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(20, 6); cd.writeUInt16LE(method, 10);
  cd.writeUInt32LE(data.length, 20); cd.writeUInt32LE(content.length, 24); cd.writeUInt16LE(nb.length, 28);
  cd.set(nb, 46);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(1, 8); eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(local.length + data.length, 16);
  return Buffer.concat([local, data, cd, eocd]);
}
