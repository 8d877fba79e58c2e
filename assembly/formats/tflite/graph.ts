// TFLite operators as index JSON: operator codes (builtin, custom, Flex) and each subgraph's
// nodes with their input and output tensor names, as ONNX's graph is described.

import { FbReader, FbTable, FbVec } from "../../containers/flatbuffers";
import { E_CORRUPT, E_INVALID_OFFSET } from "../../core/errors";
import { JArr, JInt, JObj, JStr, JValue } from "../../util/json";
import {
  BUILTIN_CUSTOM, builtinName, OC_BUILTIN, OC_CUSTOM_CODE, OC_DEPRECATED_BUILTIN, OC_VERSION,
  OP_BUILTIN_OPTIONS_TYPE, OP_CUSTOM_OPTIONS, OP_INPUTS, OP_LARGE_CUSTOM_OFFSET, OP_LARGE_CUSTOM_SIZE, OP_OPCODE_INDEX,
  OP_OUTPUTS,
} from "./schema";

export const KIND_BUILTIN: i32 = 0;
export const KIND_CUSTOM: i32 = 1;
export const KIND_FLEX: i32 = 2; // a TensorFlow op run by the select-TF-ops delegate

export class OpCode {
  constructor(public name: string, public kind: i32, public builtin: i32, public version: i32) {}
}

export function readOpCode(r: FbReader, t: FbTable): OpCode | null {
  const dep = <i32>r.i8f(t, OC_DEPRECATED_BUILTIN, 0);
  const code = r.i32f(t, OC_BUILTIN, 0);
  const custom = r.stringF(t, OC_CUSTOM_CODE, 4096);
  const version = r.i32f(t, OC_VERSION, 1);
  if (!r.ok) return null;
  // As TFLite resolves it: the larger of the two fields (the int8 one holds 127 for codes past it).
  const builtin = code > dep ? code : dep;
  if (builtin < 0) { r.fail(E_CORRUPT, "an operator code is negative (" + builtin.toString() + ")", t.pos); return null; }
  if (builtin == BUILTIN_CUSTOM) {
    const flex = custom.startsWith("Flex");
    return new OpCode(custom.length ? custom : "CUSTOM", flex ? KIND_FLEX : KIND_CUSTOM, builtin, version);
  }
  return new OpCode(builtinName(builtin), KIND_BUILTIN, builtin, version);
}

function indexList(r: FbReader, v: FbVec | null, names: string[], what: string, pos: u64): JArr | null {
  const a = new JArr();
  if (v === null) return a;
  for (let i: u32 = 0; i < v.length; i++) {
    const k = r.i32At(v, i);
    if (!r.ok) return null;
    // -1 marks an optional input left out.
    if (k == -1) { a.push(new JStr("")); continue; }
    if (k < 0 || k >= names.length) { r.fail(E_INVALID_OFFSET, what + " names tensor " + k.toString() + " of " + names.length.toString(), pos); return null; }
    a.push(new JStr(names[k]));
  }
  return a;
}

// One operator -> {op_type, inputs, outputs, ...}; `codes` are the model's operator codes.
export function readOperator(r: FbReader, t: FbTable, codes: OpCode[], names: string[], used: bool[]): JObj | null {
  const oi = r.u32f(t, OP_OPCODE_INDEX, 0);
  if (!r.ok) return null;
  if (oi >= <u32>codes.length) { r.fail(E_INVALID_OFFSET, "an operator uses opcode " + oi.toString() + " of " + codes.length.toString(), t.pos); return null; }
  const code = codes[oi];
  used[oi] = true;
  const o = new JObj();
  o.setStr("op_type", code.name);
  if (code.kind == KIND_CUSTOM) o.setBool("custom", true);
  else if (code.kind == KIND_FLEX) o.setBool("flex", true);
  if (code.version > 1) o.setInt("version", code.version);
  const ins = indexList(r, r.vectorF(t, OP_INPUTS, 4), names, code.name + " input", t.pos);
  if (ins === null) return null;
  const outs = indexList(r, r.vectorF(t, OP_OUTPUTS, 4), names, code.name + " output", t.pos);
  if (outs === null) return null;
  o.set("inputs", ins);
  o.set("outputs", outs);
  const opt = r.u8f(t, OP_BUILTIN_OPTIONS_TYPE, 0);
  if (opt != 0) o.setInt("builtin_options_type", opt);
  const co = r.vectorF(t, OP_CUSTOM_OPTIONS, 1);
  const lo = r.u64f(t, OP_LARGE_CUSTOM_OFFSET, 0);
  const ls = r.u64f(t, OP_LARGE_CUSTOM_SIZE, 0);
  if (!r.ok) return null;
  if (co !== null && co.length > 0) o.setInt("custom_options_bytes", co.length);
  else if (ls > 0) {
    if (lo > r.end || ls > r.end - lo) { r.fail(E_INVALID_OFFSET, "an operator's large custom options (" + lo.toString() + "+" + ls.toString() + ") run past the end of the file", t.pos); return null; }
    o.setU64("custom_options_bytes", ls);
  }
  return o;
}

export function nameList(names: string[], v: FbVec | null, r: FbReader, what: string, pos: u64): JValue | null {
  return indexList(r, v, names, what, pos);
}

export { JInt };
