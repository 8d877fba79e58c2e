// A top-level NodeProto written as index JSON straight from its wire bytes. The general parser
// (graph.ts) builds a field list, decoded strings and a JObj per node, then serializes them;
// at 100,000 nodes those short-lived objects were most of the indexing time. Here the fields
// are walked in place and names are copied as bytes when they need no escaping, so a node
// without attributes allocates two small strings (op type and domain, for the op list).
// The bytes written are exactly those of OnnxParser.node + writeJson: anything irregular
// (a malformed field, a wrong wire type, text that needs escaping) is left to that parser,
// which also reports the errors, so both paths agree by construction.

import { ByteBuf, utf8ToString } from "../../util/bytes";
import { JObj, JRawArr, writeJson, writeJsonString } from "../../util/json";
import { PbField, readVarint, Varint, WT_I32, WT_I64, WT_LEN, WT_VARINT } from "../../protobuf/wire";
import { OnnxParser } from "./graph";

export const NODE_WRITTEN: i32 = 0;
export const NODE_SLOW: i32 = 1; // use OnnxParser.node
export const NODE_FAILED: i32 = 2; // ctx has failed or is pending (an attribute's tensor)

const MAX_FAST_FIELDS: i32 = 256;
const scratch = new ByteBuf();
const vi = new Varint();
// Field positions of the node being written: number, payload pointer, payload length, wire type.
const nums = new StaticArray<i32>(MAX_FAST_FIELDS);
const ptrs = new StaticArray<usize>(MAX_FAST_FIELDS);
const lens = new StaticArray<usize>(MAX_FAST_FIELDS);
const tags = new StaticArray<usize>(MAX_FAST_FIELDS);

// True when the bytes are printable ASCII without '"' or '\\': JSON-escaping their decoded
// string would give these bytes back unchanged.
function plainAscii(p: usize, n: usize): bool {
  for (let i: usize = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (c < 0x20 || c > 0x7e || c == 0x22 || c == 0x5c) return false;
  }
  return true;
}

function text(out: ByteBuf, p: usize, n: usize): void {
  if (plainAscii(p, n)) {
    out.byte(0x22);
    if (out.reserve(n)) { memory.copy(out.ptr + out.len, p, n); out.len += n; }
    out.byte(0x22);
  } else writeJsonString(out, utf8ToString(p, n));
}

// The last field `num` as text, "" when it is absent or its last occurrence is not LEN (PbMsg.str).
function lastText(out: ByteBuf, count: i32, num: i32): void {
  for (let i = count - 1; i >= 0; i--) {
    if (nums[i] != num) continue;
    if ((<i32>tags[i] & 7) == WT_LEN) text(out, ptrs[i], lens[i]);
    else out.str("\"\"");
    return;
  }
  out.str("\"\"");
}

function lastString(count: i32, num: i32): string {
  for (let i = count - 1; i >= 0; i--) {
    if (nums[i] != num) continue;
    return (<i32>tags[i] & 7) == WT_LEN ? utf8ToString(ptrs[i], lens[i]) : "";
  }
  return "";
}

function hasNonEmpty(count: i32, num: i32): bool {
  for (let i = count - 1; i >= 0; i--) if (nums[i] == num) return (<i32>tags[i] & 7) == WT_LEN && lens[i] > 0;
  return false;
}

function list(out: ByteBuf, count: i32, num: i32): void {
  out.byte(0x5b);
  let first = true;
  for (let i = 0; i < count; i++) {
    if (nums[i] != num || (<i32>tags[i] & 7) != WT_LEN) continue;
    if (!first) out.byte(0x2c);
    first = false;
    text(out, ptrs[i], lens[i]);
  }
  out.byte(0x5d);
}

/** Writes the node whose payload is `len` bytes at `p` (file offset `base`) into `nodes`. */
export function writeNode(parser: OnnxParser, nodes: JRawArr, p: usize, len: usize, base: u64): i32 {
  if (len >= (<usize>1 << 29)) return NODE_SLOW;
  // Pass 1: the fields, with parseMessage's checks; any problem goes to the general parser.
  const end = p + len;
  let q = p;
  let count = 0;
  let attrs = 0;
  while (q < end) {
    if (count >= MAX_FAST_FIELDS) return NODE_SLOW;
    const tagAt = q;
    if (!readVarint(q, end, vi)) return NODE_SLOW;
    q = vi.next;
    const wt = <i32>(vi.value & 7);
    const num64 = vi.value >> 3;
    if (num64 == 0 || num64 > 536870911) return NODE_SLOW;
    const num = <i32>num64;
    let fp: usize = 0, fl: usize = 0;
    if (wt == WT_VARINT) {
      if (!readVarint(q, end, vi)) return NODE_SLOW;
      q = vi.next;
    } else if (wt == WT_I64) {
      if (end - q < 8) return NODE_SLOW;
      q += 8;
    } else if (wt == WT_I32) {
      if (end - q < 4) return NODE_SLOW;
      q += 4;
    } else if (wt == WT_LEN) {
      if (!readVarint(q, end, vi)) return NODE_SLOW;
      q = vi.next;
      if (vi.value > <u64>(end - q)) return NODE_SLOW;
      fp = q;
      fl = <usize>vi.value;
      q += fl;
    } else return NODE_SLOW;
    // the general parser reads attributes as messages; one with the wrong wire type is its error
    if (num == 5) { if (wt != WT_LEN) return NODE_SLOW; attrs++; }
    nums[count] = num;
    ptrs[count] = fp;
    lens[count] = fl;
    // the tag's offset in the message, with the wire type in its low bits (offsets < 2^29 here)
    tags[count] = ((tagAt - p) << 3) | <usize>wt;
    count++;
  }

  // Attributes go through the general parser (they may hold tensors and subgraphs).
  let attrObj: JObj | null = null;
  if (attrs) {
    attrObj = new JObj();
    const name = lastString(count, 3);
    for (let i = 0; i < count; i++) {
      if (nums[i] != 5) continue;
      const f = new PbField();
      f.num = 5;
      f.wt = WT_LEN;
      f.ptr = ptrs[i];
      f.length = <u64>lens[i];
      f.offset = base + <u64>(ptrs[i] - p);
      f.tagOffset = base + <u64>(tags[i] >> 3);
      const am = parser.sub(f, "ONNX AttributeProto");
      if (am === null) return NODE_FAILED;
      const v = parser.attribute(f, name, 0);
      if (v === null) return NODE_FAILED;
      attrObj.set(am.str(1), v);
    }
  }

  const out = scratch;
  out.clear();
  out.str("{\"name\":");
  lastText(out, count, 3);
  out.str(",\"op_type\":");
  lastText(out, count, 4);
  out.str(",\"domain\":");
  lastText(out, count, 7);
  if (hasNonEmpty(count, 8)) {
    out.str(",\"overload\":");
    lastText(out, count, 8);
  }
  out.str(",\"inputs\":");
  list(out, count, 1);
  out.str(",\"outputs\":");
  list(out, count, 2);
  out.str(",\"attributes\":");
  if (attrObj !== null) writeJson(out, attrObj);
  else out.str("{}");
  out.byte(0x7d);
  if (out.failed) { out.dispose(); return NODE_SLOW; }
  if (!nodes.append(out.ptr, out.len)) return NODE_SLOW;
  if (out.cap > 1 << 20) out.dispose();
  parser.sink.addOp(lastString(count, 4), lastString(count, 7));
  parser.sink.nodeCount++;
  return NODE_WRITTEN;
}
