// Every failure the SDK reports is an OmnimodelError with a stable `code` (the core's error
// names, bindings/ABI.md) and a message naming the file, the offset and the rule broken.

export type ErrorCode =
  | "TRUNCATED" | "UNKNOWN_FORMAT" | "HEADER_TOO_SMALL" | "HEADER_TOO_LARGE" | "INVALID_HEADER_LENGTH"
  | "INVALID_HEADER" | "INVALID_JSON" | "INVALID_OFFSET" | "OVERFLOW" | "MISALIGNED" | "SIZE_MISMATCH"
  | "INCOMPLETE_BUFFER" | "DUPLICATE" | "UNSUPPORTED" | "LIMIT" | "BAD_DTYPE" | "BAD_SHAPE" | "CHECKSUM"
  | "DECOMPRESS" | "SOURCE_MISSING" | "PATH_VIOLATION" | "NOT_FOUND" | "NO_MEMORY" | "BAD_ARGUMENT" | "IO"
  | "UNREADABLE" | "CORRUPT" | "ABI_MISMATCH" | "TOO_LARGE" | "ERROR";

export const ERROR_NAMES: ErrorCode[] = [
  "ERROR", "TRUNCATED", "UNKNOWN_FORMAT", "HEADER_TOO_SMALL", "HEADER_TOO_LARGE", "INVALID_HEADER_LENGTH",
  "INVALID_HEADER", "INVALID_JSON", "INVALID_OFFSET", "OVERFLOW", "MISALIGNED", "SIZE_MISMATCH",
  "INCOMPLETE_BUFFER", "DUPLICATE", "UNSUPPORTED", "LIMIT", "BAD_DTYPE", "BAD_SHAPE", "CHECKSUM",
  "DECOMPRESS", "SOURCE_MISSING", "PATH_VIOLATION", "NOT_FOUND", "NO_MEMORY", "BAD_ARGUMENT", "IO",
  "UNREADABLE", "CORRUPT",
];

export function errorCodeName(code: number): ErrorCode {
  return ERROR_NAMES[code] ?? "ERROR";
}

export class OmnimodelError extends Error {
  readonly code: ErrorCode;
  /** Byte offset in the file the error refers to, when known. */
  readonly offset: number | undefined;
  /** The file (path, URL or name) being read. */
  readonly file: string | undefined;

  constructor(code: ErrorCode, message: string, options: { file?: string; offset?: number; cause?: unknown } = {}) {
    const where = options.file ? `${options.file}: ` : "";
    super(`${where}${message}`, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "OmnimodelError";
    this.code = code;
    this.offset = options.offset;
    this.file = options.file;
  }
}
