// A streaming decoder of stored values that are not a flat array of elements (protobuf repeated
// fields, latin-1 text in pickles). The read job pushes stored bytes in and pulls decoded bytes
// out through this one interface, whatever the encoding.

export abstract class ValueDecoder {
  needsInput: bool = false;
  errorMessage: string = "";
  // Appends stored bytes (the read job pushes at most its compressed-chunk size at a time).
  abstract push(ptr: usize, n: usize): void;
  // No more stored bytes will come.
  abstract endInput(): void;
  // Writes up to n decoded bytes at dst: the count, 0 when input is needed (needsInput) or the
  // segment is complete, -1 on malformed input (errorMessage).
  abstract pull(dst: usize, n: usize): i32;
  abstract dispose(): void;
}
