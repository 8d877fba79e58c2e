// TensorFlow tensor bundles (tensor_bundle.proto / tensor_bundle.cc): the `.index` SSTable maps
// each key to a BundleEntryProto {dtype, shape, shard_id, offset, size, crc32c, slices}; key ""
// holds the BundleHeaderProto {num_shards, endianness, version}. Values live in
// `<prefix>.data-%05d-of-%05d`. Shard checksums (masked CRC32C) are verified for tensors up to
// a budget, since that means reading them.

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { DT_STR, dtypeBits, shapeElements } from "../../core/dtype";
import { E_BAD_SHAPE, E_CHECKSUM, E_INVALID_OFFSET, E_OVERFLOW, E_SIZE_MISMATCH } from "../../core/errors";
import { Finding, Plan, Segment, SEV_MEDIUM, Tensor } from "../../core/model";
import { crc32c, maskCrc32c } from "../../containers/checksums";
import { JArr, JObj, JStr } from "../../util/json";
import { PbError, PbMsg, parseMsg, subMsg, readVarint, Varint, WT_LEN } from "../../protobuf/wire";
import { readShape, tfToDtype, tfTypeName } from "./types";
import { readSSTable, SstBox, SstTable } from "./sstable";
import { readV1 } from "./slices";

const CRC_EACH: u64 = 16 * 1024 * 1024;
const CRC_BUDGET: u64 = 64 * 1024 * 1024;

function pad5(n: i64): string {
  let s = n.toString();
  while (s.length < 5) s = "0" + s;
  return s;
}

export class BundleResult {
  tensors: Tensor[] = [];
  findings: Finding[] = [];
  meta: JObj = new JObj();
  objectGraphKeys: JArr | null = null;
}

// Lists the bundle whose index is source `indexSrc`; shards are `<prefix>.data-*` (paths
// relative to the model's directory).
export function readBundle(ctx: Context, indexSrc: i32, prefix: string, out: BundleResult): i32 {
  const box = new SstBox();
  const s = readSSTable(ctx, indexSrc, "checkpoint index", box);
  if (s != ST_DONE) return s;
  const table = box.table!;
  const err = new PbError();
  let numShards: i64 = 1;
  let bigEndian = false;
  const meta = out.meta;
  for (let i = 0; i < table.entries.length; i++) {
    const e = table.entries[i];
    if (e.key.length != 0) continue;
    const hm = parseMsg(changetype<usize>(e.value), <usize>e.value.length, 0, err, "BundleHeaderProto");
    if (hm === null) return ctx.fail(err.code, err.message, err.offset);
    // TF1 V1 checkpoints (one file, SavedTensorSlices values) keep a message in field 1 here.
    const f1 = hm.last(1);
    if (f1 !== null && f1.wt == WT_LEN) return v1(ctx, table, out);
    numShards = hm.i64v(1, 0);
    bigEndian = hm.i64v(2, 0) == 1;
    const vf = hm.last(3);
    if (vf !== null) {
      const vm = subMsg(vf, err, "VersionDef");
      if (vm !== null) meta.setInt("producer", vm.i64v(1, 0));
    }
  }
  if (numShards < 1 || numShards > 100000) return ctx.fail(E_INVALID_OFFSET, "checkpoint header declares " + numShards.toString() + " shards", 0);
  meta.setInt("num_shards", numShards);
  meta.setStr("endianness", bigEndian ? "BIG" : "LITTLE");
  meta.setInt("index_entries", table.entries.length);
  const comp = new Array<string>();
  for (let i = 0; i < table.compression.length; i++) if (!comp.includes(table.compression[i])) comp.push(table.compression[i]);
  const ca = new JArr();
  for (let i = 0; i < comp.length; i++) ca.push(new JStr(comp[i]));
  meta.set("index_data_block_compression", ca);

  let crcBudget = CRC_BUDGET;
  for (let i = 0; i < table.entries.length; i++) {
    const e = table.entries[i];
    if (e.key.length == 0) continue;
    const what = "checkpoint tensor \"" + e.key + "\"";
    const m = parseMsg(changetype<usize>(e.value), <usize>e.value.length, 0, err, "BundleEntryProto of \"" + e.key + "\"");
    if (m === null) return ctx.fail(err.code, err.message, err.offset);
    const type = m.i32v(1, 0);
    let dims = new Array<u64>();
    const sf = m.last(2);
    if (sf !== null) {
      const sm = subMsg(sf, err, what + " shape");
      if (sm === null) return ctx.fail(err.code, err.message, err.offset);
      const sh = readShape(sm, err);
      if (sh === null) return ctx.fail(err.code, err.message, err.offset);
      if (!sh.known()) return ctx.fail(E_BAD_SHAPE, what + " has an unknown or negative dimension", 0);
      dims = sh.u64();
    }
    const shard = m.i64v(3, 0);
    const offset = m.u64v(4, 0);
    const size = m.u64v(5, 0);
    const crcField = m.last(6);
    const dt = tfToDtype(type);
    const t = new Tensor(e.key, dt < 0 ? 25 : dt, dims, size);
    if (dt < 0) t.dtypeText = tfTypeName(type);
    const info = new JObj();
    info.setStr("tf_dtype", tfTypeName(type));
    info.setInt("shard", shard);
    info.setU64("offset", offset);
    info.setU64("size", size);
    t.info = info;
    const plan = new Plan();
    plan.storage = t.dtype;
    plan.bigEndian = bigEndian;
    t.plan = plan;
    out.tensors.push(t);
    if (m.has(7)) {
      info.setInt("slices", m.count(7));
      plan.unreadable = "it is a partitioned variable stored as slices under other keys";
      continue;
    }
    if (dt < 0) { plan.unreadable = tfTypeName(type) + " values have no element type"; continue; }
    if (shard < 0 || shard >= numShards) return ctx.fail(E_INVALID_OFFSET, what + " names shard " + shard.toString() + " of " + numShards.toString(), 0);
    const shardName = prefix + ".data-" + pad5(shard) + "-of-" + pad5(numShards);
    const src = ctx.sibling(shardName, "checkpoint data shard");
    if (src == SOURCE_PENDING) return ST_PENDING;
    if (src == SOURCE_FAILED) {
      const msg = ctx.errorMessage;
      ctx.errorCode = 0;
      ctx.errorMessage = "";
      out.findings.push(new Finding(SEV_MEDIUM, "checkpoint-shard-missing", msg, shardName));
      plan.unreadable = msg;
      continue;
    }
    const ssize = ctx.sourceSize(src);
    if (offset > ssize || size > ssize - offset) return ctx.fail(E_INVALID_OFFSET, what + ": bytes [" + offset.toString() + ", +" + size.toString() + ") lie outside \"" + shardName + "\" (" + ssize.toString() + " bytes)", 0);
    const nelem = shapeElements(dims);
    if (nelem == u64.MAX_VALUE) return ctx.fail(E_OVERFLOW, what + ": the product of its dims overflows 64 bits", 0);
    if (dt == DT_STR) {
      plan.unreadable = "it holds strings";
      const st = stringInfo(ctx, src, offset, size, nelem, e.key, info, out);
      if (st != ST_DONE) return st;
      continue;
    }
    const width = <u64>(dtypeBits(dt) / 8);
    if (nelem != 0 && width > u64.MAX_VALUE / nelem) return ctx.fail(E_OVERFLOW, what + ": its byte size overflows 64 bits", 0);
    if (nelem * width != size) return ctx.fail(E_SIZE_MISMATCH, what + " stores " + size.toString() + " bytes but " + tfTypeName(type) + " of " + nelem.toString() + " elements needs " + (nelem * width).toString(), 0);
    if (crcField !== null && size <= CRC_EACH && size <= crcBudget) {
      const p = ctx.viewOf(src, offset, size);
      if (!p) return ctx.truncated(what, offset);
      const got = maskCrc32c(crc32c(0, p, <usize>size));
      if (got != <u32>crcField.value) return ctx.fail(E_CHECKSUM, what + ": masked CRC32C " + got.toString() + " of its bytes does not match the index's " + (<u32>crcField.value).toString(), offset);
      crcBudget -= size;
      info.setStr("crc32c", "verified");
    } else if (crcField !== null) info.setStr("crc32c", "not verified (budget)");
    if (size > 0) plan.segments.push(Segment.raw(src, offset, size));
  }
  return ST_DONE;
}

function v1(ctx: Context, table: SstTable, out: BundleResult): i32 {
  const meta = out.meta;
  meta.setInt("index_entries", table.entries.length);
  const comp = new Array<string>();
  for (let i = 0; i < table.compression.length; i++) if (!comp.includes(table.compression[i])) comp.push(table.compression[i]);
  const ca = new JArr();
  for (let i = 0; i < comp.length; i++) ca.push(new JStr(comp[i]));
  meta.set("index_data_block_compression", ca);
  return readV1(ctx, table, out.tensors, out.findings, meta);
}

// DT_STRING in a shard: varint64 lengths, a masked CRC32C over them, then the bytes.
function stringInfo(ctx: Context, src: i32, offset: u64, size: u64, nelem: u64, key: string, info: JObj, out: BundleResult): i32 {
  if (size > CRC_EACH) { info.setStr("strings", "not read (large)"); return ST_DONE; }
  const p = ctx.viewOf(src, offset, size);
  if (!p && size) return ctx.truncated("checkpoint strings of \"" + key + "\"", offset);
  const end = p + <usize>size;
  const vi = new Varint();
  let q = p;
  let total: u64 = 0;
  const lens = new Array<u64>();
  for (let i: u64 = 0; i < nelem; i++) {
    if (!readVarint(q, end, vi)) return ctx.fail(E_SIZE_MISMATCH, "checkpoint tensor \"" + key + "\": its string lengths run past its bytes", offset);
    q = vi.next;
    total += vi.value;
    if (lens.length < 4096) lens.push(vi.value);
  }
  if (<u64>(end - q) < 4 || total != <u64>(end - q) - 4) return ctx.fail(E_SIZE_MISMATCH, "checkpoint tensor \"" + key + "\": " + size.toString() + " bytes do not hold the " + total.toString() + " string bytes its lengths declare", offset);
  info.setU64("string_bytes", total);
  // TF2 object-based checkpoints: the object graph is a serialized TrackableObjectGraph.
  if (key == "_CHECKPOINTABLE_OBJECT_GRAPH" && nelem == 1) {
    const s = q + 4;
    const err = new PbError();
    const g = parseMsg(s, <usize>total, offset + <u64>(s - p), err, "TrackableObjectGraph");
    if (g !== null) out.objectGraphKeys = objectGraphKeys(g, err);
  }
  return ST_DONE;
}

// The checkpoint keys of every node's attributes, in node order (TrackableObject 2 attributes*
// SerializedTensor {1 name, 2 full_name, 3 checkpoint_key}).
function objectGraphKeys(g: PbMsg, err: PbError): JArr {
  const a = new JArr();
  const nodes = g.all(1);
  for (let i = 0; i < nodes.length && i < 100000; i++) {
    const nm = subMsg(nodes[i], err, "TrackableObject");
    if (nm === null) break;
    const attrs = nm.all(2);
    for (let k = 0; k < attrs.length; k++) {
      const am = subMsg(attrs[k], err, "SerializedTensor");
      if (am === null) break;
      const o = new JObj();
      o.setInt("node", i);
      o.setStr("name", am.str(1));
      o.setStr("checkpoint_key", am.str(3));
      const full = am.str(2);
      if (full.length) o.setStr("full_name", full);
      a.push(o);
    }
  }
  return a;
}

export { ST_FAILED };
