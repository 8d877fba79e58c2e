// The wasm core, instantiated once per realm, with thin typed access to its ABI exports.
// Pointers come back from wasm as signed i32: every one goes through `>>> 0`.

import { OmnimodelError, errorCodeName } from "./errors.ts";

export const ABI_MAJOR = 1;

export const S_DONE = 0;
export const S_NEED_BYTES = 1;
export const S_NEED_SOURCE = 2;
export const S_OUTPUT = 3;
export const S_COPY = 4;
export const S_ERROR = -1;

interface Exports {
  memory: WebAssembly.Memory;
  abi_version(): number;
  features(): number;
  alloc(size: number): number;
  free(ptr: number): void;
  index_open(size: number): number;
  job_set_name(h: number, ptr: number, len: number): number;
  job_set_options(h: number, ptr: number, len: number): number;
  read_open(index: number, tensor: number, dtype: number): number;
  read_output_length(h: number): number;
  metadata_array(index: number, keyPtr: number, keyLen: number): number;
  job_run(h: number): number;
  job_need_source(h: number): number;
  job_need_offset(h: number): number;
  job_need_length(h: number): number;
  job_need_name(h: number): number;
  job_need_name_length(h: number): number;
  job_feed(h: number, len: number): number;
  job_commit(h: number, len: number): number;
  job_source_found(h: number, source: number, size: number): number;
  job_source_failed(h: number, source: number, code: number, ptr: number, len: number): number;
  job_output_ptr(h: number): number;
  job_output_length(h: number): number;
  job_output_offset(h: number): number;
  job_result(h: number): number;
  job_result_length(h: number): number;
  job_error_code(h: number): number;
  job_error_offset(h: number): number;
  job_error_message(h: number): number;
  job_error_message_length(h: number): number;
  job_close(h: number): void;
  dtype_code(ptr: number, len: number): number;
  convert_plan(index: number, want: number): number;
  gguf_plan(index: number, type: number, setFileType: number, optsPtr: number, optsLen: number): number;
  quantize_rows(type: number, src: number, n: number, dst: number): number;
  dtype_byte_length(dtype: number, n: number): number;
  child_open(index: number, child: number): number;
  strings_open(index: number, tensor: number): number;
  npy_header(dtype: number, shapePtr: number, n: number): number;
  choose_entry(ptr: number, len: number): number;
  kernel_to_f32(dtype: number, src: number, n: number, dst: number): number;
}

export type WasmInput = WebAssembly.Module | BufferSource | Response | Promise<Response>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Core {
  readonly exports: Exports;
  /** The compiled module this instance came from (workers of a pool instantiate it again). */
  module: WebAssembly.Module | null = null;

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as Exports;
    const v = this.exports.abi_version() >>> 0;
    if (v >>> 16 !== ABI_MAJOR) {
      throw new OmnimodelError("ABI_MISMATCH", `omnimodel.wasm speaks ABI ${v >>> 16}.${v & 0xffff}; this SDK needs ${ABI_MAJOR}.x`);
    }
  }

  static async instantiate(input: WasmInput): Promise<Core> {
    let module: WebAssembly.Module;
    if (input instanceof WebAssembly.Module) module = input;
    else if (typeof Response !== "undefined" && (input instanceof Response || input instanceof Promise)) {
      const res = await input;
      module = await WebAssembly.compile(await res.arrayBuffer());
    } else module = await WebAssembly.compile(input as BufferSource);
    // Synchronous instantiation of an already compiled module works everywhere (Workers too).
    const core = new Core(new WebAssembly.Instance(module, {}));
    core.module = module;
    return core;
  }

  /** A fresh view of wasm memory (memory growth detaches old views). */
  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, ptr >>> 0, len >>> 0);
  }

  string(ptr: number, len: number): string {
    if (!len) return "";
    return decoder.decode(this.bytes(ptr, len));
  }

  /** Copies a UTF-8 string into wasm memory; the caller frees it. */
  putString(s: string): [number, number] {
    const b = encoder.encode(s);
    const ptr = this.exports.alloc(Math.max(b.length, 1)) >>> 0;
    if (!ptr) throw new OmnimodelError("NO_MEMORY", "the core could not allocate memory for a string");
    this.bytes(ptr, b.length).set(b);
    return [ptr, b.length];
  }

  withString<T>(s: string, fn: (ptr: number, len: number) => T): T {
    const [ptr, len] = this.putString(s);
    try {
      return fn(ptr, len);
    } finally {
      this.exports.free(ptr);
    }
  }

  jobError(h: number, file?: string): OmnimodelError {
    const e = this.exports;
    const code = e.job_error_code(h);
    const msg = this.string(e.job_error_message(h), e.job_error_message_length(h) >>> 0) || "unknown error";
    const offset = e.job_error_offset(h);
    return new OmnimodelError(errorCodeName(code), msg, { file, offset });
  }

  needName(h: number): string {
    return this.string(this.exports.job_need_name(h), this.exports.job_need_name_length(h) >>> 0);
  }

  /** Bytes at a finished job's output pointer, copied out. */
  output(h: number): Uint8Array {
    const e = this.exports;
    return this.bytes(e.job_output_ptr(h), e.job_output_length(h) >>> 0).slice();
  }

  result(h: number): string {
    return this.string(this.exports.job_result(h), this.exports.job_result_length(h) >>> 0);
  }
}
