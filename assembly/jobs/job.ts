// A job is a resumable unit of work the host drives: run it, answer what it asks, run it again.
// Index jobs produce the index JSON; read jobs produce a tensor's values. Both speak the same
// statuses so one host loop serves both (bindings/ABI.md).

import { ByteBuf } from "../util/bytes";
import { errorName } from "../core/errors";

export const S_DONE: i32 = 0;
export const S_NEED_BYTES: i32 = 1; // feed `needLength` bytes of source `needSource` at `needOffset`
export const S_NEED_SOURCE: i32 = 2; // tell the job whether sibling `needName` exists (and its size)
export const S_OUTPUT: i32 = 3; // take `outLen` bytes at `outPtr`; they belong at `outOffset` of the result
export const S_COPY: i32 = 4; // copy `needLength` bytes of source `needSource` at `needOffset` to `outOffset` of the result, unchanged
export const S_ERROR: i32 = -1;

export class Job {
  status: i32 = S_NEED_BYTES;
  errorCode: i32 = 0;
  errorMessage: string = "";
  errorOffset: u64 = 0;
  errorBuf: ByteBuf = new ByteBuf();

  needSource: i32 = 0;
  needOffset: u64 = 0;
  needLength: u64 = 0;
  needName: string = "";
  nameBuf: ByteBuf = new ByteBuf();

  outPtr: usize = 0;
  outLen: usize = 0;
  outOffset: u64 = 0;

  result: ByteBuf = new ByteBuf();
  // Keeps the buffer behind outPtr alive (and frees it with the job) when the job owns it.
  keep: ByteBuf | null = null;

  run(): i32 { return S_ERROR; }
  feedBuffer(len: u64): usize { return 0; }
  commit(len: u64): i32 { return -1; }
  resolveSource(id: i32, size: u64): i32 { return -1; }
  failSource(id: i32, code: i32, message: string): i32 { return -1; }

  // Asks the host for `length` bytes of `source` at `offset`.
  needBytes(source: i32, offset: u64, length: u64): i32 {
    this.needSource = source;
    this.needOffset = offset;
    this.needLength = length;
    this.status = S_NEED_BYTES;
    return S_NEED_BYTES;
  }

  setError(code: i32, message: string, offset: u64): i32 {
    this.errorCode = code;
    this.errorMessage = message;
    this.errorOffset = offset;
    this.errorBuf.clear();
    this.errorBuf.str(message);
    this.status = S_ERROR;
    return S_ERROR;
  }

  errorCodeName(): string { return errorName(this.errorCode); }

  dispose(): void {
    const k = this.keep;
    if (k) k.dispose();
    this.keep = null;
    this.errorBuf.dispose();
    this.nameBuf.dispose();
    this.result.dispose();
  }
}
