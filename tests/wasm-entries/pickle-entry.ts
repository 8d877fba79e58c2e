// Test entry for the pickle machine: feeds a pickle (whole, or in pieces of a given size to exercise
// the push parser), folds it, scans it, and returns one JSON document.

import { ByteBuf } from "../../assembly/util/bytes";
import { JArr, JInt, JObj, JStr, writeJson } from "../../assembly/util/json";
import { PickleMachine, Status } from "../../assembly/pickle/machine";
import { pickleErrorName } from "../../assembly/pickle/errors";
import { Folder, tensorJson } from "../../assembly/pickle/fold";
import { buildReport } from "../../assembly/pickle/scan";
import { severityName } from "../../assembly/pickle/policy";

const out = new ByteBuf();
// Reserve heap up front as the bridge does (runPickles): fewer small memory growths.
const PREGROW = true;

export function alloc(n: usize): usize { return heap.alloc(n); }
export function dealloc(p: usize): void { heap.free(p); }
export function resultPtr(): usize { return out.ptr; }

// chunk = 0: the whole input in one piece (file view); otherwise pieces of `chunk` bytes (stream).
// skipLarge: a view driver that skips large payloads instead of feeding them.
export function inspectPickle(ptr: usize, len: usize, chunk: i32, skipLarge: bool): usize {
  if (PREGROW) { const w = heap.alloc(len * 32 < (256 << 20) ? len * 32 : (256 << 20)); heap.free(w); }
  const m = new PickleMachine();
  if (chunk == 0) m.total = <u64>len;
  let off: usize = 0;
  while (true) {
    const piece: usize = chunk > 0 ? (len - off < <usize>chunk ? len - off : <usize>chunk) : len - off;
    const last = off + piece >= len;
    const st = m.feed(ptr + off, piece, last);
    off += m.consumed;
    if (st == Status.ERROR) break;
    if (skipLarge && m.skipRemaining > 0) {
      const n = m.skipRemaining;
      m.skip(n);
      off += <usize>n;
    }
    if (st == Status.STOP) { if (off >= len) break; continue; }
    if (last && m.consumed == piece) break;
    if (off >= len) { m.feed(ptr + off, 0, true); break; }
  }
  const f = new Folder(m.g);
  const fr = f.run();
  const rep = buildReport(m, ptr, len, 0);
  const o = new JObj();
  o.setInt("streams", m.streams);
  const pr = new JArr();
  for (let i = 0; i < m.protocols.length; i++) pr.push(new JInt(m.protocols[i]));
  o.set("protocols", pr);
  if (m.error) {
    const e = new JObj();
    e.setStr("code", pickleErrorName(m.error));
    e.setStr("message", m.errorMsg);
    e.setU64("offset", m.errorPos);
    o.set("error", e);
  }
  o.setU64("opcodes", m.opcodes);
  o.setInt("nodes", m.g.count);
  o.setU64("gets", m.gets);
  o.setU64("puts", m.puts);
  o.setU64("dups", m.dups);
  o.setF64("logicalSize", rep.logicalSize);
  o.setStr("highest", severityName(rep.highest));
  o.set("globals", rep.globalsJson());
  o.set("findings", rep.findingsJson());
  const ts = new JArr();
  for (let i = 0; i < fr.tensors.length; i++) ts.push(tensorJson(fr.tensors[i]));
  o.set("tensors", ts);
  o.set("metadata", fr.metadata);
  const probs = new JArr();
  for (let i = 0; i < fr.problems.length; i++) probs.push(new JStr(fr.problems[i]));
  o.set("problems", probs);
  out.clear();
  writeJson(out, o);
  return out.len;
}

// The machine alone (no folding, no report): returns the number of objects built, or -error.
export function parsePickle(ptr: usize, len: usize): i32 {
  if (PREGROW) { const w = heap.alloc(len * 32 < (256 << 20) ? len * 32 : (256 << 20)); heap.free(w); }
  const m = new PickleMachine();
  m.total = <u64>len;
  let off: usize = 0;
  while (off < len) {
    const st = m.feed(ptr + off, len - off, true);
    off += m.consumed;
    if (st == Status.ERROR) return -m.error;
    if (m.skipRemaining > 0) { const n = m.skipRemaining; m.skip(n); off += <usize>n; }
    if (st != Status.STOP) break;
  }
  return m.g.count;
}

// Machine + fold (tensors and metadata tree) without the report and JSON.
export function foldPickle(ptr: usize, len: usize): i32 {
  const m = new PickleMachine();
  m.total = <u64>len;
  m.feed(ptr, len, true);
  const fr = new Folder(m.g).run();
  return fr.tensors.length;
}
