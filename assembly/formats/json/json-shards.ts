// Sharded checkpoints opened through their index (model.safetensors.index.json,
// pytorch_model.bin.index.json, diffusers' *.index.json):
//   {"metadata": {"total_size": <bytes>, ...}, "weight_map": {"<tensor>": "<shard file>"}}
// Every shard is opened through the sibling resolver and indexed by its own format module (found
// by detection on its bytes) in a context whose "main file" is the shard; the shard's tensors join
// this index with plans that point at the shard's source. The weight map is checked against what
// the shards hold. Limits follow hf-hub's index parser (10,000 shards).

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { E_CORRUPT, E_INVALID_JSON, E_LIMIT, E_UNKNOWN_FORMAT } from "../../core/errors";
import { Index, SEV_INFO, SEV_LOW, SEV_MEDIUM, strArray } from "../../core/model";
import { Reader } from "../../io/reader";
import { JObj, JUint } from "../../util/json";
import { Sniff, SNIFF_BYTES, detectFormat } from "../format";

const MAX_SHARDS: i32 = 10000;
const MAX_ENTRIES: i32 = 2_000_000;

// A context whose main file (source 0 to the format module) is another source of the job.
// Plans the module builds for source 0 are moved to the shard's source afterwards.
export class SourceContext extends Context {
  constructor(reader: Reader, public src: i32, name: string, memo: Map<string, Object>) {
    super(reader);
    this.name = name;
    this.memo = memo;
  }
  get size(): u64 { return this.reader.size(this.src); }
  view(off: u64, len: u64): usize { return this.reader.view(this.src, off, len); }
  viewOf(src: i32, off: u64, len: u64): usize { return this.reader.view(this.real(src), off, len); }
  sourceSize(src: i32): u64 { return this.reader.size(this.real(src)); }
  // A sibling that is the job's own main file (a TF.js shard opened through its model.json) gets
  // an alias, since 0 means "my main file" to the module.
  sibling(ref: string, what: string): i32 {
    const id = super.sibling(ref, what);
    return id == 0 ? MAIN_ALIAS : id;
  }
  private real(src: i32): i32 { return src == 0 ? this.src : src == MAIN_ALIAS ? 0 : src; }
}

export const MAIN_ALIAS: i32 = -1000;

class ShardMemo {
  constructor(public memo: Map<string, Object>) {}
}

export function moveSources(idx: Index, src: i32): void {
  for (let i = 0; i < idx.tensors.length; i++) {
    const p = idx.tensors[i].plan;
    if (!p) continue;
    for (let k = 0; k < p.segments.length; k++) {
      const sg = p.segments[k];
      if (sg.source == 0) sg.source = src;
      else if (sg.source == MAIN_ALIAS) sg.source = 0;
    }
  }
  for (let i = 0; i < idx.children.length; i++) {
    const c = idx.children[i];
    if (c.source == 0) c.source = src;
    else if (c.source == MAIN_ALIAS) c.source = 0;
  }
}

export function indexShards(ctx: Context, o: JObj): i32 {
  const idx = ctx.index;
  const wm = o.getObj("weight_map")!;
  if (wm.size > MAX_ENTRIES) return ctx.fail(E_LIMIT, "shard index: " + wm.size.toString() + " weight_map entries exceed the limit of " + MAX_ENTRIES.toString(), 0);
  // Shards in order of first mention; each tensor's expected shard.
  const shards = new Array<string>();
  const expected = new Map<string, string>();
  for (let i = 0; i < wm.keys.length; i++) {
    const file = wm.vals[i].asStr();
    if (file === null) return ctx.fail(E_INVALID_JSON, "shard index: weight_map[\"" + wm.keys[i] + "\"] is not a file name", 0);
    if (!expected.has(wm.keys[i])) expected.set(wm.keys[i], file);
    if (!shards.includes(file)) {
      if (shards.length >= MAX_SHARDS) return ctx.fail(E_LIMIT, "shard index: more than " + MAX_SHARDS.toString() + " shard files", 0);
      shards.push(file);
    }
  }
  // Shard files in name order (model-00001-of-00003 first), as loaders walk them.
  shards.sort((a: string, b: string): i32 => (a < b ? -1 : a > b ? 1 : 0));
  const meta = o.getObj("metadata");
  // Open every shard (one need at a time: the job re-runs from the top as each arrives).
  const ids = new Array<i32>();
  for (let i = 0; i < shards.length; i++) {
    const id = ctx.sibling(shards[i], "the shard index");
    if (id == SOURCE_PENDING) return ST_PENDING;
    if (id == SOURCE_FAILED) return ST_FAILED;
    ids.push(id);
  }
  let format = "";
  const found = new Set<string>();
  // Each shard's own metadata (safetensors __metadata__, the pickle facts of a torch shard).
  const shardMeta = new JObj();
  for (let i = 0; i < shards.length; i++) {
    const before = idx.tensors.length;
    const sub = new Index();
    const saved = ctx.index;
    // Index the shard into its own Index, then merge (the shard's findings get its name).
    const st = indexInto(ctx, sub, ids[i], shards[i]);
    ctx.index = saved;
    if (st != ST_DONE) return st;
    if (!format.length) format = sub.format;
    else if (sub.format != format) idx.addFinding(SEV_MEDIUM, "shard-format", "shard \"" + shards[i] + "\" is " + sub.format + " while the first shard is " + format + ".", shards[i]);
    for (let k = 0; k < sub.tensors.length; k++) {
      const t = sub.tensors[k];
      const want = expected.has(t.name) ? expected.get(t.name) : null;
      if (want === null) {
        idx.addFinding(SEV_LOW, "shard-unlisted-tensor", "tensor \"" + t.name + "\" is in shard \"" + shards[i] + "\" but not in the index's weight_map; loaders that follow the index ignore it.", shards[i]);
      } else if (want != shards[i]) {
        idx.addFinding(SEV_MEDIUM, "shard-misplaced-tensor", "tensor \"" + t.name + "\" is in shard \"" + shards[i] + "\" but the index places it in \"" + want + "\".", shards[i]);
      }
      if (found.has(t.name)) idx.addFinding(SEV_MEDIUM, "shard-duplicate-tensor", "tensor \"" + t.name + "\" appears in more than one shard.", shards[i]);
      found.add(t.name);
      idx.addTensor(t);
    }
    for (let k = 0; k < sub.findings.length; k++) {
      const f = sub.findings[k];
      f.location = f.location.length ? shards[i] + ": " + f.location : shards[i];
      idx.findings.push(f);
    }
    for (let k = 0; k < sub.children.length; k++) idx.children.push(sub.children[k]);
    if (sub.metadata.size) shardMeta.set(shards[i], sub.metadata);
    if (before == idx.tensors.length && sub.tensors.length == 0) idx.addFinding(SEV_LOW, "shard-empty", "shard \"" + shards[i] + "\" holds no tensors.", shards[i]);
  }
  const missing = new Array<string>();
  for (let i = 0; i < wm.keys.length; i++) if (!found.has(wm.keys[i]) && missing.length < 20) missing.push(wm.keys[i]);
  if (missing.length) {
    const f = idx.addFinding(SEV_MEDIUM, "shard-missing-tensor", "the index lists tensors that no shard holds (first: \"" + missing[0] + "\"); loading would fail.", "weight_map");
    f.detail = strArray(missing);
  }
  idx.format = format;
  idx.formatVersion = "sharded";
  const m = idx.metadata;
  if (meta) m.set("index_metadata", meta);
  m.set("shards", strArray(shards));
  m.setInt("shard_count", shards.length);
  if (shardMeta.size) m.set("shard_metadata", shardMeta);
  let total: u64 = 0;
  for (let i = 0; i < idx.tensors.length; i++) total += idx.tensors[i].byteLength;
  m.set("tensor_bytes", new JUint(total));
  if (meta) {
    const ts = meta.get("total_size");
    if (ts && ts.isNonNegInt() && ts.asU64() != total) {
      idx.addFinding(SEV_INFO, "shard-total-size", "metadata.total_size says " + ts.asU64().toString() + " bytes; the shards' tensors hold " + total.toString() + ".", "metadata.total_size");
    }
  }
  return ST_DONE;
}

function indexInto(ctx: Context, sub: Index, src: i32, name: string): i32 {
  const key = "source-memo:" + src.toString();
  let memo: Map<string, Object>;
  if (ctx.memo.has(key)) memo = changetype<ShardMemo>(ctx.memo.get(key)).memo;
  else { memo = new Map<string, Object>(); ctx.memo.set(key, new ShardMemo(memo)); }
  const sc = new SourceContext(ctx.reader, src, name, memo);
  sc.index = sub;
  const size = sc.size;
  const n = size < SNIFF_BYTES ? size : SNIFF_BYTES;
  const head = sc.view(0, n);
  if (!head) return ctx.truncated("shard \"" + name + "\"", 0);
  const tail = sc.view(size - n, n);
  if (!tail) return ctx.truncated("shard \"" + name + "\"", size - n);
  const f = detectFormat(Sniff.of(head, tail, n, size, name));
  if (!f) return ctx.fail(E_UNKNOWN_FORMAT, "shard \"" + name + "\" is in no format this reader knows", 0);
  const st = f.index(sc);
  if (st == ST_PENDING || ctx.reader.pending()) return ST_PENDING;
  if (st == ST_FAILED || sc.errorCode != 0) return ctx.fail(sc.errorCode == 0 ? E_CORRUPT : sc.errorCode, "shard \"" + name + "\": " + sc.errorMessage, sc.errorOffset);
  moveSources(sub, src);
  return ST_DONE;
}
