// A pickle virtual machine that never executes: it turns a pickle stream into a symbolic Graph.
//
// It is a push parser. The driver calls feed(ptr, len, isLast) with consecutive pieces of the
// stream (a whole file viewed in memory, or a decompressed stream arriving in pieces). The machine
// consumes whole opcodes, keeps an incomplete opcode in a small tail buffer, and does not copy large
// payloads: it records their absolute (offset, length) and then counts their bytes as they stream
// past (a driver that can seek may call skip() instead of feeding them).
//
// feed() returns a Status; `consumed` says how many of the given bytes were used. The machine stops
// after every STOP (stacked pickles: the driver decides whether to go on) and, when asked, after a
// BUILD of a named class (joblib writes raw array bytes right after it).

import { ByteBuf, isValidUtf8 } from "../util/bytes";
import { Graph, Node, NodeKind, CallKind, GFlag, NFlag } from "./graph";
import { PickleError } from "./errors";
import { IntText, parseIntText, parseFloatText, escapeDecode, rawUnicodeEscapeDecode, longBytes } from "./text";

export const enum Status { NEED_MORE = 0, STOP = 1, PAUSE = 2, ERROR = -1 }

export class PickleLimits {
  maxOpcodes: u64 = 64_000_000;
  maxStack: i32 = 100_000;
  maxMemo: i32 = 4_000_000;
  maxNodes: i32 = 4_000_000;
  maxLine: i32 = 16 << 20;         // text argument (protocol 0) bytes: protocol-0 arrays up to 16 MiB
  inlineBytes: u64 = 4096;         // bytes payloads up to this are copied; larger ones are ranges
  inlineText: u64 = 1 << 20;       // str payloads up to this are decoded; larger ones are ranges
  maxLongBytes: u64 = 8192;        // LONG1/LONG4 magnitude converted to decimal
  maxDeclared: u64 = 1 << 52;      // any declared length above this is refused outright
}

const NO_FRAME: u64 = u64.MAX_VALUE;
const INTERN_INTS: i32 = 1024;

export class PickleMachine {
  g: Graph = new Graph();
  limits: PickleLimits;
  // absolute input offset of the next byte to consume
  pos: u64 = 0;
  // total input length when known (file view); u64.MAX when streaming
  total: u64 = u64.MAX_VALUE;
  consumed: usize = 0;
  error: i32 = PickleError.NONE;
  errorMsg: string = "";
  errorPos: u64 = 0;
  // per-stream facts
  streams: i32 = 0;              // completed pickles
  protocols: Array<i32> = new Array<i32>(); // PROTO of each stream (-1 when none)
  notes: Array<string> = new Array<string>(); // anomalies that are not errors
  // expansion counters
  opcodes: u64 = 0;
  dups: u64 = 0;
  gets: u64 = 0;
  puts: u64 = 0;
  oobBuffers: i32 = 0;
  // pause control
  pauseOnBuildOf: Array<string> = new Array<string>();
  pausedNode: i32 = -1;

  private stack: Array<i32> = new Array<i32>();
  private marks: Array<i32> = new Array<i32>();
  // The memo: dense for the small sequential indices writers use, a map for anything else
  // (a giant LONG_BINPUT index must not allocate).
  private memoDense: Array<i32> = new Array<i32>();
  private memoSparse: Map<u32, i32> = new Map<u32, i32>();
  private memoCount: i32 = 0;
  private proto: i32 = -1;
  private opsInStream: u64 = 0;
  private frameEnd: u64 = NO_FRAME;
  private skipLeft: u64 = 0;
  private tail: ByteBuf = new ByteBuf();
  private pending: i32 = Status.NEED_MORE; // STOP/PAUSE reached inside step()
  private it: IntText = new IntText();
  private fl: StaticArray<f64> = new StaticArray<f64>(1);

  constructor(limits: PickleLimits = new PickleLimits()) { this.limits = limits; }

  get inStream(): bool { return this.opsInStream > 0; }
  get skipRemaining(): u64 { return this.skipLeft; }

  // Skips n payload bytes without their being fed (drivers that can seek). n <= skipRemaining.
  skip(n: u64): void {
    if (n > this.skipLeft) n = this.skipLeft;
    this.skipLeft -= n;
    this.pos += n;
  }

  // Bytes the driver consumed itself between opcodes (joblib array data, a nested pickle).
  advance(n: u64): void { this.pos += n; }

  // Marks the next n bytes as raw data outside the pickle opcodes (joblib array bytes); they are
  // counted past like a large payload. Returns their absolute offset.
  skipRaw(n: u64): u64 {
    const at = this.pos;
    this.skipLeft += n;
    return at;
  }

  feed(ptr: usize, len: usize, isLast: bool): i32 {
    this.consumed = 0;
    if (this.error) return Status.ERROR;
    let p = ptr;
    const end = ptr + len;
    this.pending = Status.NEED_MORE;
    while (true) {
      if (this.skipLeft > 0) {
        const avail = <u64>(end - p);
        const n = avail < this.skipLeft ? avail : this.skipLeft;
        p += <usize>n;
        this.pos += n;
        this.skipLeft -= n;
        if (this.skipLeft > 0) {
          if (isLast) { this.fail(PickleError.TRUNCATED, "input ends inside a payload"); break; }
          break;
        }
        continue;
      }
      if (p >= end && this.tail.len == 0) {
        if (isLast) {
          if (this.inStream) this.fail(PickleError.TRUNCATED, "input ends before STOP");
          else if (this.streams == 0 && this.pos == 0) this.fail(PickleError.EMPTY, "no pickle data");
        }
        break;
      }
      let r: isize = 0;
      if (this.tail.len > 0) {
        // complete an opcode begun in an earlier piece
        const t0 = this.tail.len;
        const room: usize = <usize>this.limits.inlineText + <usize>this.limits.maxLine + 64;
        let take = end - p;
        if (t0 + take > room) take = room > t0 ? room - t0 : 0;
        this.tail.raw(p, take);
        if (this.tail.failed) { this.fail(PickleError.CAP_LENGTH, "opcode too large to buffer"); break; }
        const final = isLast && p + take == end;
        r = this.step(this.tail.ptr, this.tail.len, final);
        if (r < 0) break;
        if (r == 0) {
          if (final) { this.fail(PickleError.TRUNCATED, "input ends inside an opcode"); break; }
          if (p + take == end) { p = end; break; }
          this.fail(PickleError.CAP_LENGTH, "opcode argument longer than the buffering cap");
          break;
        }
        p += <usize>r - t0;
        this.tail.clear();
      } else {
        r = this.step(p, end - p, isLast);
        if (r < 0) break;
        if (r == 0) {
          if (isLast) { this.fail(PickleError.TRUNCATED, "input ends inside an opcode"); break; }
          this.tail.raw(p, end - p);
          p = end;
          break;
        }
        p += <usize>r;
      }
      if (this.pending != Status.NEED_MORE) break;
    }
    this.consumed = p - ptr;
    if (this.error) return Status.ERROR;
    if (isLast && this.frameEnd != NO_FRAME && this.frameEnd > this.pos && this.pending == Status.NEED_MORE && p == end) {
      this.fail(PickleError.FRAME, "FRAME extends beyond the end of input");
      return Status.ERROR;
    }
    return this.pending;
  }

  // ------------------------------------------------------------------------------------------
  private fail(code: i32, msg: string): isize {
    if (!this.error) {
      this.error = code;
      this.errorMsg = msg;
      this.errorPos = this.pos;
    }
    return -1;
  }

  private newNode(kind: i32): Node | null {
    if (this.g.nodes.length >= this.limits.maxNodes) { this.fail(PickleError.CAP_NODES, "too many objects"); return null; }
    const n = new Node(kind);
    n.pos = this.pos;
    n.stream = this.streams;
    return n;
  }

  private push(id: i32): bool {
    if (this.stack.length >= this.limits.maxStack) { this.fail(PickleError.CAP_STACK, "stack deeper than the cap"); return false; }
    this.stack.push(id);
    return true;
  }

  private pushNew(n: Node | null): bool {
    if (!n) return false;
    return this.push(this.g.add(n));
  }

  private levelBase(): i32 { return this.marks.length ? this.marks[this.marks.length - 1] : 0; }

  private pop(): i32 {
    if (this.stack.length <= this.levelBase()) { this.fail(PickleError.STACK_UNDERFLOW, "pop from an empty stack"); return -1; }
    return this.stack.pop();
  }

  private top(): i32 {
    if (this.stack.length <= this.levelBase()) { this.fail(PickleError.STACK_UNDERFLOW, "empty stack"); return -1; }
    return this.stack[this.stack.length - 1];
  }

  // Pops back to the last MARK and returns the items above it.
  private popMark(): Array<i32> | null {
    if (this.marks.length == 0) { this.fail(PickleError.NO_MARK, "no MARK on the stack"); return null; }
    const base = this.marks.pop();
    const items = this.stack.slice(base);
    this.stack.length = base;
    return items;
  }

  private markDiscarded(id: i32): void {
    if (this.g.kindOf(id) != NodeKind.CALL) return;
    const n = this.g.at(id);
    n.flags |= NFlag.DISCARDED;
    if (this.g.kindOf(n.a) == NodeKind.GLOBAL) this.g.at(n.a).gflags |= GFlag.DISCARDED;
  }

  private addGlobal(module: string, name: string, how: u32): i32 {
    const n = this.newNode(NodeKind.GLOBAL);
    if (!n) return -1;
    n.s = module;
    n.s2 = name;
    n.gflags = how;
    const id = this.g.add(n);
    this.g.globals.push(id);
    return id;
  }

  private call(kind: i32, callee: i32, args: i32, kwargs: i32): bool {
    const n = this.newNode(NodeKind.CALL);
    if (!n) return false;
    n.i = kind;
    n.a = callee;
    n.b = args;
    n.c = kwargs;
    if (this.g.kindOf(callee) == NodeKind.GLOBAL) this.g.at(callee).gflags |= GFlag.CALLED;
    return this.pushNew(n);
  }

  private seqNode(kind: i32, items: Array<i32>): bool {
    const n = this.newNode(kind);
    if (!n) return false;
    n.items = items;
    return this.pushNew(n);
  }

  private memoPut(idx: u32, id: i32): bool {
    const dense = this.memoDense;
    const n = <u32>dense.length;
    // grow the dense part only by small steps past its end
    if (idx < n || (idx < n + 4096 && idx < <u32>this.limits.maxMemo)) {
      while (<u32>dense.length <= idx) dense.push(-1);
      if (dense[idx] < 0) {
        if (this.memoCount >= this.limits.maxMemo) { this.fail(PickleError.CAP_MEMO, "memo larger than the cap"); return false; }
        this.memoCount++;
      }
      dense[idx] = id;
    } else {
      if (!this.memoSparse.has(idx)) {
        if (this.memoCount >= this.limits.maxMemo) { this.fail(PickleError.CAP_MEMO, "memo larger than the cap"); return false; }
        this.memoCount++;
      }
      this.memoSparse.set(idx, id);
    }
    this.puts++;
    return true;
  }

  private memoGet(idx: u64): bool {
    this.gets++;
    let v: i32 = -1;
    if (idx < <u64>this.memoDense.length) v = this.memoDense[<i32>idx];
    else if (idx <= 0xffffffff && this.memoSparse.has(<u32>idx)) v = this.memoSparse.get(<u32>idx);
    if (v < 0) { this.fail(PickleError.BAD_MEMO, "memo key " + idx.toString() + " not found"); return false; }
    return this.push(v);
  }

  // Finds the end of a text line starting at p; returns its length (without '\n') or -1 (need more),
  // -2 on cap overflow.
  private line(p: usize, avail: usize): isize {
    const lim = avail < <usize>this.limits.maxLine + 1 ? avail : <usize>this.limits.maxLine + 1;
    for (let k: usize = 0; k < lim; k++) if (load<u8>(p + k) == 0x0a) return <isize>k;
    if (avail > <usize>this.limits.maxLine) return -2;
    return -1;
  }

  // Checks that [pos, pos+n) lies within the current frame (when one is open).
  private frameOk(n: u64): bool {
    if (this.frameEnd == NO_FRAME) return true;
    if (this.pos >= this.frameEnd) { this.frameEnd = NO_FRAME; return true; }
    if (this.pos + n > this.frameEnd) { this.fail(PickleError.FRAME, "opcode straddles the end of its FRAME"); return false; }
    return true;
  }

  private declared(n: u64, header: u64): bool {
    if (n > this.limits.maxDeclared || (this.total != u64.MAX_VALUE && this.pos + header + n > this.total)) {
      this.fail(PickleError.TRUNCATED, "declared length " + n.toString() + " runs past the end of input");
      return false;
    }
    return true;
  }

  private textNode(p: usize, n: usize, payloadOff: u64): Node | null {
    const node = this.newNode(NodeKind.STR);
    if (!node) return null;
    node.off = payloadOff;
    node.len = <u64>n;
    if (!isValidUtf8(p, n)) node.flags |= NFlag.BAD_UTF8;
    node.s = String.UTF8.decodeUnsafe(p, n, false);
    return node;
  }

  private bytesNode(kind: i32, p: usize, n: u64, payloadOff: u64, copy: bool): Node | null {
    const node = this.newNode(kind);
    if (!node) return null;
    node.off = payloadOff;
    node.len = n;
    if (copy) {
      const d = new Uint8Array(<i32>n);
      if (n) memory.copy(d.dataStart, p, <usize>n);
      node.data = d;
    } else node.flags |= NFlag.RANGE;
    return node;
  }

  // A length-prefixed payload (bytes/str). hdr = opcode + length field size.
  // Returns bytes consumed now (the header, plus the payload when inline), 0 = need more, -1 error.
  private payload(op: u32, p: usize, avail: usize, hdr: usize, n: u64, final: bool): isize {
    if (!this.frameOk(<u64>hdr + n)) return -1;
    if (!this.declared(n, hdr)) return -1;
    const isText = op == 0x58 || op == 0x8c || op == 0x8d;
    const inline = isText ? n <= this.limits.inlineText : n <= this.limits.inlineBytes;
    const at = this.pos + <u64>hdr;
    if (inline) {
      if (<u64>avail < <u64>hdr + n) return 0;
      let node: Node | null;
      const dp = p + hdr;
      if (isText) node = this.textNode(dp, <usize>n, at);
      else if (op == 0x96) node = this.bytesNode(NodeKind.BYTEARRAY, dp, n, at, true);
      else if (op == 0x54 || op == 0x55) node = this.bytesNode(NodeKind.PYSTR, dp, n, at, true);
      else node = this.bytesNode(NodeKind.BYTES, dp, n, at, true);
      if (!this.pushNew(node)) return -1;
      return <isize>(<u64>hdr + n);
    }
    let node: Node | null;
    if (isText) { node = this.newNode(NodeKind.STR); if (node) { node.off = at; node.len = n; node.flags |= NFlag.RANGE; } }
    else if (op == 0x96) node = this.bytesNode(NodeKind.BYTEARRAY, 0, n, at, false);
    else if (op == 0x54) node = this.bytesNode(NodeKind.PYSTR, 0, n, at, false);
    else node = this.bytesNode(NodeKind.BYTES, 0, n, at, false);
    if (!this.pushNew(node)) return -1;
    this.skipLeft = n;
    return <isize>hdr;
  }

  // Immutable small values are interned: one node for None, True, False and each small int, so a
  // large state dict does not allocate a node per shape or stride entry.
  private interned: StaticArray<i32> = new StaticArray<i32>(INTERN_INTS + 3).fill(-1);

  private internedNode(slot: i32, kind: i32, v: i64): bool {
    let id = this.interned[slot];
    if (id < 0) {
      const n = this.newNode(kind);
      if (!n) return false;
      n.i = v;
      id = this.g.add(n);
      this.interned[slot] = id;
    }
    return this.push(id);
  }

  private intNode(v: i64): bool {
    if (v >= 0 && v < INTERN_INTS) return this.internedNode(3 + <i32>v, NodeKind.INT, v);
    const n = this.newNode(NodeKind.INT);
    if (!n) return false;
    n.i = v;
    return this.pushNew(n);
  }

  private intTextNode(it: IntText): bool {
    if (!it.big) return this.intNode(it.value);
    const n = this.newNode(NodeKind.BIGINT);
    if (!n) return false;
    n.s = it.text;
    return this.pushNew(n);
  }

  private boolNode(v: bool): bool {
    return this.internedNode(v ? 1 : 2, NodeKind.BOOL, v ? 1 : 0);
  }


  // Name text of a STACK_GLOBAL operand, or null when it is not a literal string.
  private operandText(id: i32): string | null { return this.g.text(id); }

  private describe(id: i32): string {
    const k = this.g.kindOf(id);
    if (k == NodeKind.CALL) {
      const c = this.g.calleeName(id);
      return "<result of " + (c.length ? c : "a computed call") + ">";
    }
    if (k == NodeKind.GLOBAL) return "<" + this.g.globalName(id) + ">";
    return "<non-string operand>";
  }

  // Decodes and executes (symbolically) one opcode at p. Returns bytes consumed, 0 = need more
  // input, -1 = error.
  private step(p: usize, avail: usize, final: bool): isize {
    if (avail == 0) return 0;
    const op = <u32>load<u8>(p);
    if (this.opcodes >= this.limits.maxOpcodes) return this.fail(PickleError.CAP_OPCODES, "more opcodes than the cap");
    let used: isize = 1;
    switch (op) {
      // ---- structure ----
      case 0x80: { // PROTO
        if (avail < 2) return 0;
        if (!this.frameOk(2)) return -1;
        const v = <i32>load<u8>(p + 1);
        if (v > 5) return this.fail(PickleError.PROTOCOL, "unsupported pickle protocol " + v.toString());
        if (this.opsInStream > 0) this.notes.push("PROTO " + v.toString() + " is not the first opcode at offset " + this.pos.toString());
        if (this.proto < 0) this.proto = v;
        used = 2;
        break;
      }
      case 0x95: { // FRAME
        if (avail < 9) return 0;
        if (this.frameEnd != NO_FRAME && this.pos < this.frameEnd) return this.fail(PickleError.FRAME, "FRAME inside an unfinished frame");
        const n = load<u64>(p + 1);
        if (n > this.limits.maxDeclared || (this.total != u64.MAX_VALUE && this.pos + 9 + n > this.total)) return this.fail(PickleError.FRAME, "FRAME extends beyond the end of input");
        this.frameEnd = this.pos + 9 + n;
        used = 9;
        break;
      }
      case 0x2e: { // STOP
        if (!this.frameOk(1)) return -1;
        if (this.stack.length == 0) return this.fail(PickleError.BAD_STOP, "STOP with an empty stack");
        const v = this.stack[this.stack.length - 1];
        if (this.marks.length) this.notes.push("unbalanced MARK at STOP (offset " + this.pos.toString() + ")");
        if (this.stack.length > 1) this.notes.push("values left on the stack at STOP (offset " + this.pos.toString() + ")");
        this.g.roots.push(v);
        this.g.rootPos.push(this.pos + 1);
        this.protocols.push(this.proto);
        this.streams++;
        this.stack.length = 0;
        this.marks.length = 0;
        this.memoDense.length = 0;
        this.memoSparse.clear();
        this.memoCount = 0;
        this.proto = -1;
        this.opsInStream = 0;
        this.frameEnd = NO_FRAME;
        this.opcodes++;
        this.pos += 1;
        this.pending = Status.STOP;
        return 1;
      }
      case 0x28: // MARK
        if (!this.frameOk(1)) return -1;
        if (this.marks.length >= this.limits.maxStack) return this.fail(PickleError.CAP_STACK, "too many MARKs");
        this.marks.push(this.stack.length);
        break;
      case 0x30: { // POP
        if (!this.frameOk(1)) return -1;
        if (this.stack.length > this.levelBase()) this.markDiscarded(this.stack.pop());
        else {
          const items = this.popMark();
          if (!items) return -1;
        }
        break;
      }
      case 0x31: { // POP_MARK
        if (!this.frameOk(1)) return -1;
        const items = this.popMark();
        if (!items) return -1;
        for (let k = 0; k < items.length; k++) this.markDiscarded(items[k]);
        break;
      }
      case 0x32: { // DUP
        if (!this.frameOk(1)) return -1;
        const t = this.top();
        if (t < 0) return -1;
        this.dups++;
        if (!this.push(t)) return -1;
        break;
      }
      // ---- scalars ----
      case 0x4e: if (!this.frameOk(1) || !this.internedNode(0, NodeKind.NONE, 0)) return -1; break;
      case 0x88: if (!this.frameOk(1) || !this.boolNode(true)) return -1; break;
      case 0x89: if (!this.frameOk(1) || !this.boolNode(false)) return -1; break;
      case 0x4a: // BININT
        if (avail < 5) return 0;
        if (!this.frameOk(5) || !this.intNode(<i64>load<i32>(p + 1))) return -1;
        used = 5;
        break;
      case 0x4b: // BININT1
        if (avail < 2) return 0;
        if (!this.frameOk(2) || !this.intNode(<i64>load<u8>(p + 1))) return -1;
        used = 2;
        break;
      case 0x4d: // BININT2
        if (avail < 3) return 0;
        if (!this.frameOk(3) || !this.intNode(<i64>load<u16>(p + 1))) return -1;
        used = 3;
        break;
      case 0x8a: { // LONG1
        if (avail < 2) return 0;
        const n = <usize>load<u8>(p + 1);
        if (avail < 2 + n) return 0;
        if (!this.frameOk(2 + n)) return -1;
        longBytes(p + 2, n, this.it);
        if (!this.intTextNode(this.it)) return -1;
        used = <isize>(2 + n);
        break;
      }
      case 0x8b: { // LONG4
        if (avail < 5) return 0;
        const sn = load<i32>(p + 1);
        if (sn < 0) return this.fail(PickleError.BAD_ARGUMENT, "LONG4 with a negative byte count");
        const n = <u64>sn;
        if (n > this.limits.maxLongBytes) return this.fail(PickleError.CAP_LENGTH, "LONG4 of " + n.toString() + " bytes is above the cap");
        if (!this.declared(n, 5)) return -1;
        if (<u64>avail < 5 + n) return 0;
        if (!this.frameOk(5 + n)) return -1;
        longBytes(p + 5, <usize>n, this.it);
        if (!this.intTextNode(this.it)) return -1;
        used = <isize>(5 + n);
        break;
      }
      case 0x47: { // BINFLOAT (big-endian)
        if (avail < 9) return 0;
        if (!this.frameOk(9)) return -1;
        const n = this.newNode(NodeKind.FLOAT);
        if (!n) return -1;
        n.f = reinterpret<f64>(bswap<u64>(load<u64>(p + 1)));
        if (!this.pushNew(n)) return -1;
        used = 9;
        break;
      }
      case 0x49: case 0x4c: { // INT, LONG (decimal lines)
        const ln = this.line(p + 1, avail - 1);
        if (ln == -1) return 0;
        if (ln == -2) return this.fail(PickleError.CAP_LINE, "text argument longer than the cap");
        if (!this.frameOk(<u64>ln + 2)) return -1;
        let n = <usize>ln;
        if (op == 0x49 && n == 2 && load<u8>(p + 1) == 0x30 && (load<u8>(p + 2) == 0x30 || load<u8>(p + 2) == 0x31)) {
          if (!this.boolNode(load<u8>(p + 2) == 0x31)) return -1;
        } else {
          if (op == 0x4c && n > 0 && load<u8>(p + n) == 0x4c) n--;
          const it = parseIntText(p + 1, n);
          if (!it.ok) return this.fail(PickleError.BAD_ARGUMENT, "invalid integer literal");
          if (!this.intTextNode(it)) return -1;
        }
        used = ln + 2;
        break;
      }
      case 0x46: { // FLOAT
        const ln = this.line(p + 1, avail - 1);
        if (ln == -1) return 0;
        if (ln == -2) return this.fail(PickleError.CAP_LINE, "text argument longer than the cap");
        if (!this.frameOk(<u64>ln + 2)) return -1;
        if (!parseFloatText(p + 1, <usize>ln, this.fl)) return this.fail(PickleError.BAD_ARGUMENT, "invalid float literal");
        const n = this.newNode(NodeKind.FLOAT);
        if (!n) return -1;
        n.f = this.fl[0];
        if (!this.pushNew(n)) return -1;
        used = ln + 2;
        break;
      }
      // ---- strings and bytes ----
      case 0x53: { // STRING (quoted, escaped)
        const ln = this.line(p + 1, avail - 1);
        if (ln == -1) return 0;
        if (ln == -2) return this.fail(PickleError.CAP_LINE, "text argument longer than the cap");
        if (!this.frameOk(<u64>ln + 2)) return -1;
        const q0 = ln >= 2 ? load<u8>(p + 1) : 0;
        if (ln < 2 || (q0 != 0x27 && q0 != 0x22) || load<u8>(p + <usize>ln) != q0) return this.fail(PickleError.BAD_ARGUMENT, "the STRING opcode argument must be quoted");
        const d = escapeDecode(p + 2, <usize>ln - 2);
        if (!d) return this.fail(PickleError.BAD_ARGUMENT, "invalid escape in STRING");
        const n = this.newNode(NodeKind.PYSTR);
        if (!n) return -1;
        n.data = d;
        n.flags |= NFlag.ESCAPED;
        n.off = this.pos + 2;
        n.len = <u64>d.length;
        if (!this.pushNew(n)) return -1;
        used = ln + 2;
        break;
      }
      case 0x56: { // UNICODE (raw-unicode-escape)
        const ln = this.line(p + 1, avail - 1);
        if (ln == -1) return 0;
        if (ln == -2) return this.fail(PickleError.CAP_LINE, "text argument longer than the cap");
        if (!this.frameOk(<u64>ln + 2)) return -1;
        const s = rawUnicodeEscapeDecode(p + 1, <usize>ln);
        if (s === null) return this.fail(PickleError.BAD_ARGUMENT, "invalid \\u escape in UNICODE");
        const n = this.newNode(NodeKind.STR);
        if (!n) return -1;
        n.s = s;
        n.off = this.pos + 1;
        n.len = <u64>ln;
        if (!this.pushNew(n)) return -1;
        used = ln + 2;
        break;
      }
      case 0x54: { // BINSTRING i32
        if (avail < 5) return 0;
        const sn = load<i32>(p + 1);
        if (sn < 0) return this.fail(PickleError.BAD_ARGUMENT, "BINSTRING pickle has negative byte count");
        used = this.payload(op, p, avail, 5, <u64>sn, final);
        break;
      }
      case 0x55: case 0x43: case 0x8c: { // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE: u8
        if (avail < 2) return 0;
        used = this.payload(op, p, avail, 2, <u64>load<u8>(p + 1), final);
        break;
      }
      case 0x42: case 0x58: { // BINBYTES, BINUNICODE: u32
        if (avail < 5) return 0;
        used = this.payload(op, p, avail, 5, <u64>load<u32>(p + 1), final);
        break;
      }
      case 0x8e: case 0x8d: case 0x96: { // BINBYTES8, BINUNICODE8, BYTEARRAY8: u64
        if (avail < 9) return 0;
        used = this.payload(op, p, avail, 9, load<u64>(p + 1), final);
        break;
      }
      // ---- containers ----
      case 0x29: if (!this.frameOk(1) || !this.seqNode(NodeKind.TUPLE, new Array<i32>())) return -1; break;
      case 0x5d: if (!this.frameOk(1) || !this.seqNode(NodeKind.LIST, new Array<i32>())) return -1; break;
      case 0x7d: { // EMPTY_DICT
        if (!this.frameOk(1)) return -1;
        const n = this.newNode(NodeKind.DICT);
        if (!n) return -1;
        n.items = new Array<i32>();
        n.vals = new Array<i32>();
        if (!this.pushNew(n)) return -1;
        break;
      }
      case 0x8f: if (!this.frameOk(1) || !this.seqNode(NodeKind.SET, new Array<i32>())) return -1; break;
      case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        if (!this.frameOk(1)) return -1;
        const k = <i32>(op - 0x84);
        const items = new Array<i32>(k);
        for (let j = k - 1; j >= 0; j--) { const v = this.pop(); if (v < 0) return -1; items[j] = v; }
        if (!this.seqNode(NodeKind.TUPLE, items)) return -1;
        break;
      }
      case 0x74: case 0x6c: case 0x91: { // TUPLE, LIST, FROZENSET
        if (!this.frameOk(1)) return -1;
        const items = this.popMark();
        if (!items) return -1;
        if (!this.seqNode(op == 0x74 ? NodeKind.TUPLE : op == 0x6c ? NodeKind.LIST : NodeKind.FROZENSET, items)) return -1;
        break;
      }
      case 0x64: { // DICT
        if (!this.frameOk(1)) return -1;
        const items = this.popMark();
        if (!items) return -1;
        if (items.length & 1) return this.fail(PickleError.BAD_ARGUMENT, "DICT with an odd number of items");
        const n = this.newNode(NodeKind.DICT);
        if (!n) return -1;
        const ks = new Array<i32>(), vs = new Array<i32>();
        for (let j = 0; j < items.length; j += 2) { ks.push(items[j]); vs.push(items[j + 1]); }
        n.items = ks;
        n.vals = vs;
        if (!this.pushNew(n)) return -1;
        break;
      }
      case 0x61: { // APPEND
        if (!this.frameOk(1)) return -1;
        const v = this.pop();
        if (v < 0) return -1;
        const t = this.top();
        if (t < 0) return -1;
        this.appendTo(t, [v]);
        break;
      }
      case 0x65: case 0x90: { // APPENDS, ADDITEMS
        if (!this.frameOk(1)) return -1;
        const items = this.popMark();
        if (!items) return -1;
        const t = this.top();
        if (t < 0) return -1;
        this.appendTo(t, items);
        break;
      }
      case 0x73: { // SETITEM
        if (!this.frameOk(1)) return -1;
        const v = this.pop();
        if (v < 0) return -1;
        const k = this.pop();
        if (k < 0) return -1;
        const t = this.top();
        if (t < 0) return -1;
        this.setItems(t, [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        if (!this.frameOk(1)) return -1;
        const items = this.popMark();
        if (!items) return -1;
        if (items.length & 1) return this.fail(PickleError.BAD_ARGUMENT, "SETITEMS with an odd number of items");
        const t = this.top();
        if (t < 0) return -1;
        this.setItems(t, items);
        break;
      }
      // ---- memo ----
      case 0x94: { // MEMOIZE
        if (!this.frameOk(1)) return -1;
        const t = this.top();
        if (t < 0) return -1;
        if (!this.memoPut(<u32>this.memoCount, t)) return -1;
        break;
      }
      case 0x71: { // BINPUT
        if (avail < 2) return 0;
        if (!this.frameOk(2)) return -1;
        const t = this.top();
        if (t < 0 || !this.memoPut(<u32>load<u8>(p + 1), t)) return -1;
        used = 2;
        break;
      }
      case 0x72: { // LONG_BINPUT
        if (avail < 5) return 0;
        if (!this.frameOk(5)) return -1;
        const t = this.top();
        if (t < 0 || !this.memoPut(load<u32>(p + 1), t)) return -1;
        used = 5;
        break;
      }
      case 0x68: // BINGET
        if (avail < 2) return 0;
        if (!this.frameOk(2) || !this.memoGet(<u64>load<u8>(p + 1))) return -1;
        used = 2;
        break;
      case 0x6a: // LONG_BINGET
        if (avail < 5) return 0;
        if (!this.frameOk(5) || !this.memoGet(<u64>load<u32>(p + 1))) return -1;
        used = 5;
        break;
      case 0x67: case 0x70: { // GET, PUT (decimal lines)
        const ln = this.line(p + 1, avail - 1);
        if (ln == -1) return 0;
        if (ln == -2) return this.fail(PickleError.CAP_LINE, "text argument longer than the cap");
        if (!this.frameOk(<u64>ln + 2)) return -1;
        const it = parseIntText(p + 1, <usize>ln);
        if (!it.ok || it.big || it.value < 0 || it.value > 0xffffffff) {
          if (op == 0x67) { this.gets++; return this.fail(PickleError.BAD_MEMO, "invalid memo key"); }
          return this.fail(PickleError.BAD_MEMO, "negative or invalid PUT argument");
        }
        if (op == 0x67) { if (!this.memoGet(<u64>it.value)) return -1; }
        else { const t = this.top(); if (t < 0 || !this.memoPut(<u32>it.value, t)) return -1; }
        used = ln + 2;
        break;
      }
      // ---- globals and calls ----
      case 0x63: case 0x69: { // GLOBAL, INST: module\nname\n
        const l1 = this.line(p + 1, avail - 1);
        if (l1 == -1) return 0;
        if (l1 == -2) return this.fail(PickleError.CAP_LINE, "name longer than the cap");
        const p2 = p + 2 + <usize>l1;
        const l2 = this.line(p2, avail - 2 - <usize>l1);
        if (l2 == -1) return 0;
        if (l2 == -2) return this.fail(PickleError.CAP_LINE, "name longer than the cap");
        const total = <u64>l1 + <u64>l2 + 3;
        if (!this.frameOk(total)) return -1;
        if (!isValidUtf8(p + 1, <usize>l1) || !isValidUtf8(p2, <usize>l2)) return this.fail(PickleError.BAD_TEXT, "GLOBAL name is not valid UTF-8");
        const mod = String.UTF8.decodeUnsafe(p + 1, <usize>l1, false);
        const name = String.UTF8.decodeUnsafe(p2, <usize>l2, false);
        const gid = this.addGlobal(mod, name, op == 0x63 ? GFlag.OP_GLOBAL : GFlag.OP_INST);
        if (gid < 0) return -1;
        if (op == 0x63) { if (!this.push(gid)) return -1; }
        else {
          const items = this.popMark();
          if (!items) return -1;
          const t = this.newNode(NodeKind.TUPLE);
          if (!t) return -1;
          t.items = items;
          if (!this.call(CallKind.INST, gid, this.g.add(t), -1)) return -1;
        }
        used = <isize>total;
        break;
      }
      case 0x93: { // STACK_GLOBAL
        if (!this.frameOk(1)) return -1;
        const nameId = this.pop();
        if (nameId < 0) return -1;
        const modId = this.pop();
        if (modId < 0) return -1;
        const ms = this.operandText(modId), ns = this.operandText(nameId);
        let how: u32 = GFlag.OP_STACK_GLOBAL;
        if (this.g.kindOf(modId) == NodeKind.PYSTR || this.g.kindOf(nameId) == NodeKind.PYSTR) how |= GFlag.PY2_STRING;
        if (ms === null || ns === null) how |= GFlag.DYNAMIC;
        const gid = this.addGlobal(ms !== null ? ms : this.describe(modId), ns !== null ? ns : this.describe(nameId), how);
        if (gid < 0) return -1;
        // keep the operands reachable for the report
        const g = this.g.at(gid);
        g.a = modId;
        g.b = nameId;
        if (!this.push(gid)) return -1;
        break;
      }
      case 0x82: case 0x83: case 0x84: { // EXT1, EXT2, EXT4
        const w: usize = op == 0x82 ? 1 : op == 0x83 ? 2 : 4;
        if (avail < 1 + w) return 0;
        if (!this.frameOk(1 + w)) return -1;
        const code: i64 = w == 1 ? <i64>load<u8>(p + 1) : w == 2 ? <i64>load<u16>(p + 1) : <i64>load<i32>(p + 1);
        const gid = this.addGlobal("copyreg.extension", code.toString(), GFlag.OP_EXT);
        if (gid < 0) return -1;
        this.g.at(gid).i = code;
        if (!this.push(gid)) return -1;
        used = <isize>(1 + w);
        break;
      }
      case 0x52: { // REDUCE
        if (!this.frameOk(1)) return -1;
        const args = this.pop();
        if (args < 0) return -1;
        const f = this.pop();
        if (f < 0) return -1;
        if (!this.call(CallKind.REDUCE, f, args, -1)) return -1;
        break;
      }
      case 0x81: { // NEWOBJ
        if (!this.frameOk(1)) return -1;
        const args = this.pop();
        if (args < 0) return -1;
        const cls = this.pop();
        if (cls < 0) return -1;
        if (!this.call(CallKind.NEWOBJ, cls, args, -1)) return -1;
        break;
      }
      case 0x92: { // NEWOBJ_EX
        if (!this.frameOk(1)) return -1;
        const kw = this.pop();
        if (kw < 0) return -1;
        const args = this.pop();
        if (args < 0) return -1;
        const cls = this.pop();
        if (cls < 0) return -1;
        if (!this.call(CallKind.NEWOBJ_EX, cls, args, kw)) return -1;
        break;
      }
      case 0x6f: { // OBJ
        if (!this.frameOk(1)) return -1;
        const items = this.popMark();
        if (!items) return -1;
        if (items.length == 0) return this.fail(PickleError.STACK_UNDERFLOW, "OBJ without a class");
        const cls = items.shift();
        const t = this.newNode(NodeKind.TUPLE);
        if (!t) return -1;
        t.items = items;
        if (!this.call(CallKind.OBJ, cls, this.g.add(t), -1)) return -1;
        break;
      }
      case 0x62: { // BUILD
        if (!this.frameOk(1)) return -1;
        const st = this.pop();
        if (st < 0) return -1;
        const t = this.top();
        if (t < 0) return -1;
        const n = this.g.at(t);
        if (n.kind == NodeKind.NONE || n.kind == NodeKind.BOOL || n.kind == NodeKind.INT) {
          // interned immutable values are never mutated; Python would raise here
          this.notes.push("BUILD on a " + (n.kind == NodeKind.INT ? "int" : n.kind == NodeKind.BOOL ? "bool" : "None") + " at offset " + this.pos.toString());
          break;
        }
        if (n.state >= 0) {
          if (!n.extraStates) n.extraStates = new Array<i32>();
          n.extraStates!.push(n.state);
        }
        n.state = st;
        n.flags |= NFlag.HAS_STATE;
        if (n.kind == NodeKind.GLOBAL) n.gflags |= GFlag.BUILD_TARGET;
        if (this.pauseOnBuildOf.length && n.kind == NodeKind.CALL) {
          let cn = this.g.calleeName(t);
          // protocols 0-1 build objects with copyreg._reconstructor(cls, object, None)
          if (cn == "copy_reg._reconstructor" || cn == "copyreg._reconstructor") {
            const ra = this.g.seq(n.b);
            cn = ra !== null && ra.length > 0 ? this.g.globalName(ra[0]) : "";
          }
          if (cn.length && this.pauseOnBuildOf.includes(cn)) { this.pausedNode = t; this.pending = Status.PAUSE; }
        }
        break;
      }
      case 0x50: { // PERSID (text)
        const ln = this.line(p + 1, avail - 1);
        if (ln == -1) return 0;
        if (ln == -2) return this.fail(PickleError.CAP_LINE, "persistent id longer than the cap");
        if (!this.frameOk(<u64>ln + 2)) return -1;
        const n = this.newNode(NodeKind.PERSID);
        if (!n) return -1;
        n.s = String.UTF8.decodeUnsafe(p + 1, <usize>ln, false);
        if (!this.pushNew(n)) return -1;
        used = ln + 2;
        break;
      }
      case 0x51: { // BINPERSID
        if (!this.frameOk(1)) return -1;
        const pid = this.pop();
        if (pid < 0) return -1;
        const n = this.newNode(NodeKind.PERSID);
        if (!n) return -1;
        n.a = pid;
        if (!this.pushNew(n)) return -1;
        break;
      }
      case 0x97: { // NEXT_BUFFER
        if (!this.frameOk(1)) return -1;
        const n = this.newNode(NodeKind.OOBBUF);
        if (!n) return -1;
        n.i = this.oobBuffers++;
        if (!this.pushNew(n)) return -1;
        this.notes.push("NEXT_BUFFER: out-of-band buffer requested (pickle.load fails without buffers=) at offset " + this.pos.toString());
        break;
      }
      case 0x98: { // READONLY_BUFFER
        if (!this.frameOk(1)) return -1;
        const t = this.top();
        if (t < 0) return -1;
        const k = this.g.kindOf(t);
        if (k != NodeKind.OOBBUF && k != NodeKind.BYTES && k != NodeKind.BYTEARRAY) this.notes.push("READONLY_BUFFER on a non-buffer at offset " + this.pos.toString());
        this.g.at(t).flags |= NFlag.READONLY;
        break;
      }
      default:
        return this.fail(PickleError.UNKNOWN_OPCODE, "unknown opcode 0x" + op.toString(16) + " at offset " + this.pos.toString());
    }
    if (used <= 0) return used;
    this.opcodes++;
    this.opsInStream++;
    this.pos += <u64>used;
    return used;
  }

  private appendTo(t: i32, items: Array<i32>): void {
    const n = this.g.at(t);
    if (n.kind == NodeKind.NONE || n.kind == NodeKind.BOOL || n.kind == NodeKind.INT) { this.notes.push("APPEND/ADDITEMS on a scalar at offset " + this.pos.toString()); return; }
    if (n.kind == NodeKind.GLOBAL) n.gflags |= GFlag.MUTATED;
    const isSeq = n.kind == NodeKind.LIST || n.kind == NodeKind.SET || n.kind == NodeKind.FROZENSET;
    if (isSeq && !n.items) n.items = new Array<i32>();
    if (!isSeq && !n.appended) n.appended = new Array<i32>();
    const dst = isSeq ? n.items! : n.appended!;
    for (let k = 0; k < items.length; k++) dst.push(items[k]);
  }

  private setItems(t: i32, kv: Array<i32>): void {
    const n = this.g.at(t);
    if (n.kind == NodeKind.NONE || n.kind == NodeKind.BOOL || n.kind == NodeKind.INT) { this.notes.push("SETITEM on a scalar at offset " + this.pos.toString()); return; }
    if (n.kind == NodeKind.GLOBAL) n.gflags |= GFlag.MUTATED;
    if (!n.items) n.items = new Array<i32>();
    if (!n.vals) n.vals = new Array<i32>();
    const ks = n.items!, vs = n.vals!;
    for (let k = 0; k + 1 < kv.length; k += 2) { ks.push(kv[k]); vs.push(kv[k + 1]); }
  }
}
