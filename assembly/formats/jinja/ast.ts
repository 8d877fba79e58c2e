// The Jinja syntax tree: one node class, the kind saying how `str` and `kids` are used.

export const enum N {
  // expressions
  NAME = 0, // str = identifier
  STR = 1, // str = decoded value
  NUM = 2, // str = literal text
  CONST = 3, // str = true/false/none (any case Jinja accepts)
  LIST = 4, TUPLE = 5, // kids = items
  DICT = 6, // kids = key, value, key, value...
  GETATTR = 7, // kids[0] = object, str = attribute
  GETITEM = 8, // kids[0] = object, kids[1] = key or SLICE
  SLICE = 9, // kids = start, stop, step (EMPTY when absent)
  CALL = 10, // kids[0] = callee, then arguments (KWARG / STARARGS / STARKW nodes among them)
  KWARG = 11, // str = name, kids[0] = value
  STARARGS = 12, STARKW = 13, // kids[0] = value
  FILTER = 14, // kids[0] = operand (EMPTY in a filter block), str = filter name, then arguments
  TEST = 15, // kids[0] = operand, str = test name, then arguments; negated flag
  BINOP = 16, // str = operator (or, and, in, not in, ==, +, ~, ...), kids = left, right
  UNOP = 17, // str = not / - / +, kids[0]
  COND = 18, // kids = body, test, else (EMPTY when absent)
  EMPTY = 19,
  // statements
  TEMPLATE = 30, // kids = body
  BODY = 31, // kids = statements
  OUTPUT = 32, // kids[0] = expression
  IF = 33, // kids = test, body, else body (BODY, possibly holding one IF for elif)
  FOR = 34, // kids = target, iterable, body, else body, condition (EMPTY when absent)
  SET = 35, // kids = target, value
  SETBLOCK = 36, // kids = target, body, filter (EMPTY when absent)
  MACRO = 37, // str = name, kids = params (NAME or KWARG with default)..., last = body
  CALLBLOCK = 38, // kids = call expression, body, then caller params
  FILTERBLOCK = 39, // kids = filter chain (FILTER with EMPTY operand at its root), body
  BREAK = 40, CONTINUE = 41,
  GENERATION = 42, // kids[0] = body (Hugging Face's {% generation %})
  LOADER = 43, // include / import / from / extends / block: str = keyword, kids = expressions seen
  DO = 44, // kids[0] = expression
}

export class Node {
  kids: Node[] = [];
  negated: bool = false;
  // Longest path to a leaf: the parser refuses trees taller than MAX_HEIGHT, so every recursive
  // walk over a tree stays within the wasm stack.
  height: i32 = 1;
  constructor(public kind: N, public str: string, public start: i32, public end: i32) {}
  add(n: Node): Node {
    this.kids.push(n);
    if (n.height + 1 > this.height) this.height = n.height + 1;
    return this;
  }
}

export const MAX_HEIGHT: i32 = 160;

export function isStatement(k: N): bool { return <i32>k >= 30; }
