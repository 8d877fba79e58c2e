// Writes the pipeline benchmark's model when no Python peers are installed: a safetensors file of
// F32 and F16 tensors (16 MiB each, random bits), the same layout make_file.py writes with
// numpy + safetensors. Written in 16 MiB pieces, so making a 1 GB file needs 16 MiB of memory.
//   node bench/pipeline/make-file.mjs OUT[.safetensors|.gguf] [MEGABYTES=1024]
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


/**
 * A GGUF v3 file of Q4_K tensors (4096 x 1024 each; 144-byte blocks of 256 values, scales set to
 * 1.0 so the values are finite): dequantized to F32, `megabytes` of output.
 */
export function makeQ4KGguf(path, megabytes = 1024) {
  const rows = 4096, cols = 1024, blocks = (rows * cols) / 256, bytes = blocks * 144;
  const count = Math.max(1, Math.round((megabytes << 20) / (rows * cols * 4)));
  const parts = [];
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
  const str = (s) => { u64(Buffer.byteLength(s)); parts.push(Buffer.from(s)); };
  parts.push(Buffer.from("GGUF"));
  u32(3); u64(count); u64(0);
  for (let i = 0; i < count; i++) { str(`blk.${i}.ffn.weight`); u32(2); u64(cols); u64(rows); u32(12); u64(i * bytes); }
  let head = Buffer.concat(parts);
  head = Buffer.concat([head, Buffer.alloc((32 - (head.length % 32)) % 32)]);
  const fd = openSync(path, "w");
  writeSync(fd, head);
  const body = new Uint8Array(bytes);
  const words = new Uint32Array(body.buffer);
  let x = 0x2545f491;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < words.length; j++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[j] = x >>> 0; }
    for (let b = 0; b < blocks; b++) { body[b * 144] = 0x00; body[b * 144 + 1] = 0x3c; body[b * 144 + 2] = 0x00; body[b * 144 + 3] = 0x3c; }
    writeSync(fd, body);
  }
  closeSync(fd);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, mb] = [process.argv[2], Number(process.argv[3] ?? 1024)];
  if (out.endsWith(".gguf")) makeQ4KGguf(out, mb);
  else makeSafetensors(out, mb);
}
