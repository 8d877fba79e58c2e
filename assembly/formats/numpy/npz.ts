// NumPy .npz: a zip of .npy members (stored by savez, deflated by savez_compressed). numpy writes
// every member with zip64 local headers; the directory reader handles both kinds. Tensor names
// are the member names without ".npy".

import { Context, ST_DONE } from "../../core/context";
import { decodePrefix } from "../../containers/prefix";
import { resolveMember, unsupportedMethod, ZipArchive, ZipEntry } from "../../containers/zip";
import { DT_OBJECT } from "../../core/dtype";
import { E_TRUNCATED, E_UNSUPPORTED } from "../../core/errors";
import { CODEC_DEFLATE, CODEC_NONE, Segment } from "../../core/model";
import { npyTensor, parseNpyHeader, NpyHeader } from "./npy";
import { onObjectArray, onObjectArrayBytes } from "../pickle/npy-objects";
import { MAX_PICKLE_BYTES } from "../pickle/pickle";
import { ZipFlavor } from "../archive/zipflavor";

export class NpzFlavor extends ZipFlavor {
  get id(): string { return "npz"; }

  matches(a: ZipArchive): i32 {
    let npy = 0;
    for (let i = 0; i < a.entries.length; i++) {
      const e = a.entries[i];
      if (e.isDir()) continue;
      if (!e.name.endsWith(".npy")) return 0;
      npy++;
    }
    return npy > 0 ? 100 : 0;
  }

  index(ctx: Context, a: ZipArchive): i32 {
    ctx.index.format = "npz";
    for (let i = 0; i < a.entries.length; i++) {
      const e = a.entries[i];
      if (e.isDir()) continue;
      const st = this.member(ctx, a, e);
      if (st != ST_DONE) return st;
    }
    return ST_DONE;
  }

  private member(ctx: Context, a: ZipArchive, e: ZipEntry): i32 {
    if (e.method != 0 && e.method != 8) return unsupportedMethod(ctx, e);
    if (e.encrypted) return ctx.fail(E_UNSUPPORTED, "npz: member \"" + e.name + "\" is encrypted", e.localOffset);
    const st = resolveMember(ctx, a, e);
    if (st != ST_DONE) return st;
    const codec = e.method == 8 ? CODEC_DEFLATE : CODEC_NONE;
    const name = e.name.substring(0, e.name.length - 4);
    // Preamble first (10-12 bytes), then the whole header.
    const pre = decodePrefix(ctx, a.source, e.dataOffset, e.csize, codec, 12);
    if (pre.status != ST_DONE) return pre.status;
    let h: NpyHeader = parseNpyHeader(pre.ptr, pre.len);
    if (h.errorCode == -1) {
      if (h.headerLength > e.usize) return ctx.fail(E_TRUNCATED, "npz: member \"" + e.name + "\" ends inside its npy header", e.dataOffset);
      const full = decodePrefix(ctx, a.source, e.dataOffset, e.csize, codec, h.headerLength);
      if (full.status != ST_DONE) return full.status;
      h = parseNpyHeader(full.ptr, full.len);
    }
    if (h.errorCode == -1) return ctx.fail(E_TRUNCATED, "npz: member \"" + e.name + "\" ends inside its npy header", e.dataOffset);
    if (h.errorCode) return ctx.fail(h.errorCode, "npz member \"" + e.name + "\": " + h.error, e.dataOffset);
    const hl = h.headerLength;
    const avail = e.usize >= hl ? e.usize - hl : 0;
    if (h.descr.dtype == DT_OBJECT) {
      const seg = codec == CODEC_NONE ? Segment.raw(a.source, e.dataOffset + hl, avail) : Segment.coded(a.source, e.dataOffset, e.csize, codec, hl, avail);
      ctx.index.addTensor(npyTensor(name, h, seg));
      if (codec == CODEC_NONE) return onObjectArray(ctx, a.source, e.dataOffset + hl, avail, name);
      // savez_compressed: the pickle is inside the deflate stream, decoded whole (up to the cap)
      if (e.usize > MAX_PICKLE_BYTES) return onObjectArrayBytes(ctx, 0, <usize>MAX_PICKLE_BYTES + 1, name, name);
      const whole = decodePrefix(ctx, a.source, e.dataOffset, e.csize, codec, e.usize);
      if (whole.status != ST_DONE) return whole.status;
      if (<u64>whole.len < hl) return ctx.fail(E_TRUNCATED, "npz: member \"" + e.name + "\" ends inside its npy header", e.dataOffset);
      return onObjectArrayBytes(ctx, whole.ptr + <usize>hl, whole.len - <usize>hl, name, name);
    }
    if (h.dataLength > avail) {
      return ctx.fail(E_TRUNCATED, "npz: member \"" + e.name + "\" holds " + avail.toString() + " data bytes but its header needs " + h.dataLength.toString(), e.dataOffset);
    }
    const seg = codec == CODEC_NONE ? Segment.raw(a.source, e.dataOffset + hl, h.dataLength) : Segment.coded(a.source, e.dataOffset, e.csize, codec, hl, h.dataLength);
    ctx.index.addTensor(npyTensor(name, h, seg));
    return ST_DONE;
  }
}

