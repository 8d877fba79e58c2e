// Writes the pipeline benchmark's model when no Python peers are installed: a safetensors file of
// F32 and F16 tensors (16 MiB each, random bits), the same layout make_file.py writes with
// numpy + safetensors. Written in 16 MiB pieces, so making a 1 GB file needs 16 MiB of memory.
//   node bench/pipeline/make-file.mjs OUT [MEGABYTES=1024]
import { closeSync, openSync, writeSync } from "node:fs";

export function makeSafetensors(path, megabytes = 1024) {
  const per = 16 << 20;
  const count = Math.max(1, Math.round((megabytes << 20) / per));
  const header = {};
  let at = 0;
  for (let i = 0; i < count; i++) {
    const half = i % 8 === 7; // one tensor in eight is F16 (a raw read too, no conversion)
    header[half ? `layers.${i}.half` : `layers.${i}.weight`] = { dtype: half ? "F16" : "F32", shape: half ? [4096, 2048] : [4096, 1024], data_offsets: [at, at + per] };
    at += per;
  }
  let text = JSON.stringify(header);
  text += " ".repeat((8 - (text.length % 8)) % 8);
  const fd = openSync(path, "w");
  const head = Buffer.alloc(8 + text.length);
  head.writeBigUInt64LE(BigInt(text.length), 0);
  head.write(text, 8, "latin1");
  writeSync(fd, head);
  const body = new Uint32Array(per / 4);
  let x = 0x9e3779b9; // xorshift: reproducible bits
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < body.length; j++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; body[j] = x >>> 0; }
    writeSync(fd, new Uint8Array(body.buffer));
  }
  closeSync(fd);
}

if (import.meta.url === `file://${process.argv[1]}`) makeSafetensors(process.argv[2], Number(process.argv[3] ?? 1024));
