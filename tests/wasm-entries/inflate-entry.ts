// Test-only wasm entry: thin exports over the Inflater and the checksums so that
// tests/inflate.test.ts can drive them from JavaScript.
import { Inflater } from "../../assembly/containers/inflate";
import { crc32, adler32, crc32c, maskCrc32c, unmaskCrc32c } from "../../assembly/containers/checksums";

export { crc32, adler32, crc32c, maskCrc32c, unmaskCrc32c };
export {
  INFLATE_RAW, INFLATE_ZLIB, INFLATE_GZIP,
  INFLATE_ERR_TRUNCATED, INFLATE_ERR_BAD_HEADER, INFLATE_ERR_DICTIONARY, INFLATE_ERR_BAD_BLOCK_TYPE,
  INFLATE_ERR_STORED_LENGTH, INFLATE_ERR_BAD_CODE_LENGTHS, INFLATE_ERR_BAD_CODE,
  INFLATE_ERR_DISTANCE_TOO_FAR, INFLATE_ERR_CHECKSUM, INFLATE_ERR_LENGTH_MISMATCH,
  INFLATE_ERR_BOMB, INFLATE_ERR_ARGUMENT,
} from "../../assembly/containers/inflate";

// Live inflaters, by handle; the array keeps them reachable for the GC.
const live = new Array<Inflater | null>();

export function alloc(n: usize): usize {
  return heap.alloc(n);
}

export function dealloc(p: usize): void {
  heap.free(p);
}

export function create(format: i32, outputCap: u64, concatenated: bool): i32 {
  const inf = new Inflater(format, outputCap);
  inf.concatenatedMembers = concatenated;
  live.push(inf);
  return live.length - 1;
}

export function push(h: i32, ptr: usize, len: usize): void {
  live[h]!.push(ptr, len);
}

export function pull(h: i32, dst: usize, cap: usize): isize {
  return live[h]!.pull(dst, cap);
}

export function endInput(h: i32): void {
  live[h]!.endInput();
}

export function finished(h: i32): bool {
  return live[h]!.finished;
}

export function needsInput(h: i32): bool {
  return live[h]!.needsInput;
}

export function totalIn(h: i32): u64 {
  return live[h]!.totalIn;
}

export function totalOut(h: i32): u64 {
  return live[h]!.totalOut;
}

export function errorCode(h: i32): i32 {
  return live[h]!.errorCode;
}

// Writes the error message as UTF-8 to dst (up to cap bytes); returns its full length.
export function errorMessage(h: i32, dst: usize, cap: usize): usize {
  const buf = String.UTF8.encode(live[h]!.errorMessage);
  const n = <usize>buf.byteLength;
  memory.copy(dst, changetype<usize>(buf), n < cap ? n : cap);
  return n;
}

export function destroy(h: i32): void {
  const inf = live[h];
  if (inf != null) inf.dispose();
  live[h] = null;
}
