// Error codes: part of the ABI. Hosts turn them into typed errors with the stable name below.
// A format picks the most specific code; the message says which rule was broken and where.

export const E_OK: i32 = 0;
export const E_TRUNCATED: i32 = 1; // the file ends before a structure it declares
export const E_UNKNOWN_FORMAT: i32 = 2; // nothing recognises the content
export const E_HEADER_TOO_SMALL: i32 = 3;
export const E_HEADER_TOO_LARGE: i32 = 4;
export const E_INVALID_HEADER_LENGTH: i32 = 5;
export const E_INVALID_HEADER: i32 = 6; // header bytes are not what the format requires (encoding, magic, version)
export const E_INVALID_JSON: i32 = 7; // JSON text that does not parse or has the wrong shape
export const E_INVALID_OFFSET: i32 = 8; // data offsets out of bounds, overlapping or leaving holes
export const E_OVERFLOW: i32 = 9; // sizes whose arithmetic overflows
export const E_MISALIGNED: i32 = 10; // sub-byte data not ending on a byte, bad alignment
export const E_SIZE_MISMATCH: i32 = 11; // declared byte size disagrees with shape x dtype
export const E_INCOMPLETE_BUFFER: i32 = 12; // the data region is shorter or longer than declared
export const E_DUPLICATE: i32 = 13; // duplicate names/keys
export const E_UNSUPPORTED: i32 = 14; // valid but not (yet) supported: names the feature
export const E_LIMIT: i32 = 15; // a safety cap was hit (count, depth, size, expansion)
export const E_BAD_DTYPE: i32 = 16;
export const E_BAD_SHAPE: i32 = 17;
export const E_CHECKSUM: i32 = 18;
export const E_DECOMPRESS: i32 = 19;
export const E_SOURCE_MISSING: i32 = 20; // a sibling file the model needs is not available
export const E_PATH_VIOLATION: i32 = 21; // a reference to a file outside the model's directory
export const E_NOT_FOUND: i32 = 22; // no such tensor / member
export const E_NO_MEMORY: i32 = 23;
export const E_BAD_ARGUMENT: i32 = 24; // the host called the ABI wrongly
export const E_IO: i32 = 25; // the host could not deliver bytes
export const E_UNREADABLE: i32 = 26; // the tensor exists but its values cannot be produced (strings, objects)
export const E_CORRUPT: i32 = 27; // inconsistent internal structure (bad pointers, cycles)

const NAMES: string[] = [
  "OK", "TRUNCATED", "UNKNOWN_FORMAT", "HEADER_TOO_SMALL", "HEADER_TOO_LARGE", "INVALID_HEADER_LENGTH",
  "INVALID_HEADER", "INVALID_JSON", "INVALID_OFFSET", "OVERFLOW", "MISALIGNED", "SIZE_MISMATCH",
  "INCOMPLETE_BUFFER", "DUPLICATE", "UNSUPPORTED", "LIMIT", "BAD_DTYPE", "BAD_SHAPE", "CHECKSUM",
  "DECOMPRESS", "SOURCE_MISSING", "PATH_VIOLATION", "NOT_FOUND", "NO_MEMORY", "BAD_ARGUMENT", "IO",
  "UNREADABLE", "CORRUPT",
];

export function errorName(code: i32): string {
  return code >= 0 && code < NAMES.length ? NAMES[code] : "ERROR";
}
