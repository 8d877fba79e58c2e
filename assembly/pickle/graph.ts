// The symbolic object graph built by the pickle machine. Every pickle value is a node id into one
// arena; the stack and the memo hold ids, never copies, so DUP/memo "billion laughs" stay linear
// and cycles (L.append(L)) are just edges back to an earlier node.

import { latin1String } from "./text";
export const enum NodeKind {
  NONE = 0, BOOL = 1, INT = 2, BIGINT = 3, FLOAT = 4,
  STR = 5,        // text (BINUNICODE, UNICODE, ...); s holds it, or off/len when too large to copy
  PYSTR = 6,      // Python 2 str (STRING/BINSTRING/SHORT_BINSTRING): bytes, usually read as latin-1 text
  BYTES = 7, BYTEARRAY = 8,
  LIST = 9, TUPLE = 10, DICT = 11, SET = 12, FROZENSET = 13,
  GLOBAL = 14,    // an imported name: s = module, s2 = qualname
  CALL = 15,      // a = callee node, b = args node, c = kwargs node (-1 when none); i = CallKind
  PERSID = 16,    // a = pid node (BINPERSID) or s = pid text (PERSID)
  EXT = 17,       // i = extension code
  OOBBUF = 18,    // NEXT_BUFFER: i = index; flag READONLY
}

export const enum CallKind { REDUCE = 0, NEWOBJ = 1, NEWOBJ_EX = 2, OBJ = 3, INST = 4 }

// How a GLOBAL was written and used. The scanner classifies by these.
export const enum GFlag {
  OP_GLOBAL = 1, OP_STACK_GLOBAL = 2, OP_INST = 4, OP_EXT = 8,
  CALLED = 16,          // callee of REDUCE/NEWOBJ/NEWOBJ_EX/OBJ/INST
  DISCARDED = 32,       // a call of it was dropped by POP/POP_MARK (run for its side effect)
  BUILD_TARGET = 64,    // BUILD applied to the global itself (setattr on a module attribute)
  DYNAMIC = 128,        // module or name not a literal string (computed at run time)
  FROM_MEMO = 256,      // STACK_GLOBAL operand came from the memo
  PY2_STRING = 512,     // STACK_GLOBAL operand was a Python 2 STRING/BINSTRING
  MUTATED = 1024,       // APPEND/SETITEM applied to the global
  IN_PID = 2048,        // reached from a persistent id
}

// Node flags.
export const enum NFlag {
  RANGE = 1,        // payload not copied: off/len describe where it sits in the input
  READONLY = 2,     // READONLY_BUFFER applied
  DISCARDED = 4,    // call result dropped by POP
  HAS_STATE = 8,    // BUILD applied
  BAD_UTF8 = 16,    // text was not valid UTF-8 (decoded with replacement)
  SURROGATE = 32,   // text contained surrogate code points (surrogatepass)
  ESCAPED = 64,     // protocol-0 STRING: data is the decoded copy, off/len point at the quoted text
}

export class Node {
  kind: i32;
  flags: u32 = 0;
  gflags: u32 = 0;          // GLOBAL usage (GFlag)
  i: i64 = 0;               // INT value, BOOL, CallKind, EXT code, OOB index
  f: f64 = 0;
  s: string = "";           // STR/BIGINT text, GLOBAL module
  s2: string = "";          // GLOBAL qualname
  data: Uint8Array | null = null; // BYTES/BYTEARRAY/PYSTR copied payload
  off: u64 = 0;             // absolute input offset of the payload (always recorded)
  len: u64 = 0;             // payload length in bytes
  a: i32 = -1;              // CALL callee / PERSID pid / BUILD-less target
  b: i32 = -1;              // CALL args
  c: i32 = -1;              // CALL kwargs
  state: i32 = -1;          // BUILD state (last one applied)
  extraStates: Array<i32> | null = null; // earlier BUILD states when BUILD is applied repeatedly
  items: Array<i32> | null = null; // LIST/TUPLE/SET items; DICT keys; appended items of objects
  vals: Array<i32> | null = null;  // DICT values; SETITEM values on objects
  appended: Array<i32> | null = null; // APPEND/APPENDS/ADDITEMS applied to a non-list target
  norm: string | null = null; // GLOBAL: normalised "module.name", computed once by the folder
  pos: u64 = 0;             // input offset of the opcode that made the node
  stream: i32 = 0;          // which stacked pickle made it
  constructor(kind: i32) { this.kind = kind; }

  itemCount(): i32 { const it = this.items; return it ? it.length : 0; }
}

export class Graph {
  nodes: Array<Node> = new Array<Node>();
  globals: Array<i32> = new Array<i32>();    // ids of GLOBAL nodes in order of appearance
  roots: Array<i32> = new Array<i32>();      // one per completed pickle (the value at STOP)
  rootPos: Array<u64> = new Array<u64>();    // offset just after each STOP

  get count(): i32 { return this.nodes.length; }
  at(id: i32): Node { return this.nodes[id]; }
  add(n: Node): i32 { this.nodes.push(n); return this.nodes.length - 1; }
  kindOf(id: i32): i32 { return id < 0 || id >= this.nodes.length ? -1 : <i32>this.nodes[id].kind; }

  // "module.qualname" of a GLOBAL node, or "" for anything else.
  globalName(id: i32): string {
    if (this.kindOf(id) != NodeKind.GLOBAL) return "";
    const n = this.nodes[id];
    return n.s + "." + n.s2;
  }
  // The callee's global name of a CALL node (following nested calls is the caller's business).
  calleeName(id: i32): string {
    if (this.kindOf(id) != NodeKind.CALL) return "";
    return this.globalName(this.nodes[id].a);
  }
  // Items of a LIST/TUPLE node, or null.
  seq(id: i32): Array<i32> | null {
    const k = this.kindOf(id);
    if (k != NodeKind.TUPLE && k != NodeKind.LIST) return null;
    const it = this.nodes[id].items;
    return it ? it : new Array<i32>();
  }
  // Text of a STR or PYSTR node (PYSTR read as latin-1), or null.
  text(id: i32): string | null {
    const k = this.kindOf(id);
    if (k == NodeKind.STR) { const n = this.nodes[id]; return (n.flags & NFlag.RANGE) ? null : n.s; }
    if (k == NodeKind.PYSTR) {
      const d = this.nodes[id].data;
      if (!d) return null;
      return latin1String(d.dataStart, <usize>d.length);
    }
    return null;
  }
  isInt(id: i32): bool { const k = this.kindOf(id); return k == NodeKind.INT || k == NodeKind.BOOL; }
  intOf(id: i32): i64 { return this.nodes[id].i; }
}
