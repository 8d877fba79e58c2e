// Typed errors of the pickle machine. Every failure is one of these codes with the input offset of
// the opcode that caused it; the machine never traps.

export const enum PickleError {
  NONE = 0,
  TRUNCATED = 1,          // input ended inside an opcode or before STOP
  UNKNOWN_OPCODE = 2,
  NO_MARK = 3,            // TUPLE/LIST/DICT/... without a MARK
  STACK_UNDERFLOW = 4,    // pop on an empty stack (or across a MARK)
  BAD_MEMO = 5,           // GET of a missing memo key, negative PUT
  BAD_ARGUMENT = 6,       // malformed text argument (int/float/quoted string/escape)
  BAD_TEXT = 7,           // GLOBAL/INST names not UTF-8
  FRAME = 8,              // opcode straddling a frame end, nested FRAME, frame beyond EOF
  PROTOCOL = 9,           // PROTO > 5
  BAD_STOP = 10,          // STOP with an empty stack
  CAP_OPCODES = 20,
  CAP_STACK = 21,
  CAP_MEMO = 22,
  CAP_NODES = 23,
  CAP_LENGTH = 24,        // declared length above a cap or beyond the known end of input
  CAP_LINE = 25,          // text argument longer than the line cap
  EMPTY = 30,             // no bytes at all
}

export function pickleErrorName(code: i32): string {
  switch (code) {
    case PickleError.TRUNCATED: return "truncated";
    case PickleError.UNKNOWN_OPCODE: return "unknown-opcode";
    case PickleError.NO_MARK: return "no-mark";
    case PickleError.STACK_UNDERFLOW: return "stack-underflow";
    case PickleError.BAD_MEMO: return "bad-memo";
    case PickleError.BAD_ARGUMENT: return "bad-argument";
    case PickleError.BAD_TEXT: return "bad-text";
    case PickleError.FRAME: return "frame";
    case PickleError.PROTOCOL: return "protocol";
    case PickleError.BAD_STOP: return "bad-stop";
    case PickleError.CAP_OPCODES: return "cap-opcodes";
    case PickleError.CAP_STACK: return "cap-stack";
    case PickleError.CAP_MEMO: return "cap-memo";
    case PickleError.CAP_NODES: return "cap-nodes";
    case PickleError.CAP_LENGTH: return "cap-length";
    case PickleError.CAP_LINE: return "cap-line";
    case PickleError.EMPTY: return "empty";
  }
  return "none";
}
