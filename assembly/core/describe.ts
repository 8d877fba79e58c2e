// Names what an unrecognised file looks like, so the error helps ("this is an HTML page", "this
// is a TF.js weight shard: open model.json") instead of saying only "unknown format". Content
// first; the name only adds which companion file a headerless file needs.

import { Sniff } from "../formats/format";

function lowerText(s: Sniff, max: usize): string {
  const n = s.headLen < max ? s.headLen : max;
  let skip: usize = 0;
  if (n >= 3 && load<u8>(s.head) == 0xef && load<u8>(s.head + 1) == 0xbb && load<u8>(s.head + 2) == 0xbf) skip = 3;
  while (skip < n && load<u8>(s.head + skip) <= 0x20) skip++;
  return String.UTF8.decodeUnsafe(s.head + skip, n - skip, false).toLowerCase();
}

function baseName(name: string): string {
  let i = name.length - 1;
  while (i >= 0 && name.charCodeAt(i) != 0x2f && name.charCodeAt(i) != 0x5c) i--;
  return name.substring(i + 1).toLowerCase();
}

// TF.js weight shards: group1-shard1of2.bin, group1-shard1of1 (no extension) and weights.bin.
function isTfjsShardName(b: string): bool {
  const i = b.indexOf("-shard");
  return (b.startsWith("group") && i > 5 && b.indexOf("of", i) > i) || b == "weights.bin";
}

// What a headerless file named `b` needs next to it, or "".
function companion(b: string): string {
  if (isTfjsShardName(b)) return "this looks like a TF.js weight shard, which has no header of its own: open the model.json next to it (it names the shard's tensors, dtypes and shapes)";
  if (b.endsWith(".onnx.data") || b.endsWith(".onnx_data") || b.endsWith(".onnx.weight") || b.endsWith(".data") && b.indexOf("onnx") >= 0) {
    return "this looks like ONNX external data, raw tensor bytes with no header: open the .onnx file that refers to it";
  }
  if (b.endsWith(".weights") && b.indexOf("-shard") < 0) return "this looks like raw weights with no header: open the file that describes them (for TF.js, model.json)";
  if (b == "model.bin") return "this looks like a headerless weights file (a CTranslate2 or OpenVINO model.bin): open the file that describes it (config.json, or the OpenVINO .xml)";
  if (b.endsWith(".bin")) return "this .bin file has no header any reader recognises; headerless .bin files (TF.js shards, ONNX external data, OpenVINO IR weights) can only be read through the file that describes them: model.json, the .onnx file, or the .xml network";
  return "";
}

export function describeUnknown(s: Sniff): string {
  if (s.size == 0) return "the file is empty";
  if (s.startsWith("version https://git-lfs.github.com/spec/")) {
    return "this is a Git LFS pointer file, not the model itself: fetch the real file (git lfs pull)";
  }
  const lower = lowerText(s, 1024);
  if (lower.startsWith("<!doctype html") || lower.startsWith("<html") || lower.indexOf("<head>") >= 0 || lower.indexOf("<body") >= 0) {
    return "this is an HTML page (often a login or error page saved instead of the model)";
  }
  if (lower.startsWith("<?xml")) {
    if (lower.indexOf("<net ") >= 0) return "this is an OpenVINO IR network description (.xml), which no reader here supports; its weights are in the .bin beside it";
    return "this is an XML document, not a model file";
  }
  if (s.startsWith("\x7fELF")) return "this is an ELF executable or library, not a model file";
  if (s.startsWith("MZ")) return "this looks like a Windows executable, not a model file";
  if (s.startsWith("\xcf\xfa\xed\xfe") || s.startsWith("\xca\xfe\xba\xbe")) return "this is a macOS executable, not a model file";
  if (s.startsWith("\x89PNG")) return "this is a PNG image, not a model file";
  if (s.startsWith("\xff\xd8\xff")) return "this is a JPEG image, not a model file";
  if (s.startsWith("GIF8")) return "this is a GIF image, not a model file";
  if (s.startsWith("%PDF")) return "this is a PDF document, not a model file";
  if (s.startsWith("SQLite format 3")) return "this is an SQLite database, not a model file";
  if (s.startsWith("\x28\xb5\x2f\xfd")) return "this is zstd-compressed data, which is not read here: decompress it first";
  if (s.startsWith("BZh")) return "this is bzip2-compressed data, which is not read here: decompress it first";
  if (s.startsWith("\xfd7zXZ")) return "this is xz-compressed data, which is not read here: decompress it first";
  if (s.startsWith("7z\xbc\xaf")) return "this is a 7-Zip archive, which is not read here: extract it first";
  if (s.startsWith("Rar!")) return "this is a RAR archive, which is not read here: extract it first";
  if (s.byte(0) == 0x1f && s.byte(1) == 0x8b) return "this is gzip-compressed data that holds no model format recognised here";
  if (lower.startsWith("{") || lower.startsWith("[")) return "this is a JSON document that is not a model or a model's configuration";
  if (lower.startsWith("booster[0]:")) return "this is an XGBoost text dump (get_dump), which cannot be loaded as a model: open the saved .json/.ubj model instead";
  if (lower.startsWith("ir_version:") || lower.indexOf("\nnode {") >= 0 || lower.startsWith("node {")) return "this looks like a protobuf text dump (pbtxt) of a graph, which is not read here";
  let zeros = true;
  let text = true;
  for (let i: usize = 0; i < s.headLen; i++) {
    const c = load<u8>(s.head + i);
    if (c != 0) zeros = false;
    if (c < 0x09 || (c > 0x0d && c < 0x20 && c != 0x1b)) text = false;
  }
  const b = baseName(s.name);
  if (zeros) return "the file starts with " + s.headLen.toString() + " zero bytes (a placeholder or an incomplete download)";
  if (text) return "this is a text file that no model format recognises";
  const c = companion(b);
  if (c.length) return c;
  return "no model format recognises this content";
}

// Content that is certainly not a model (an empty file, a Git LFS pointer, an HTML page, an
// executable, an image): detection names it even when a reader would claim the file by its name.
export function isKnownNonModel(s: Sniff): bool {
  if (s.size == 0) return true;
  if (s.startsWith("version https://git-lfs.github.com/spec/")) return true;
  if (s.startsWith("\x7fELF") || s.startsWith("\x89PNG") || s.startsWith("\xff\xd8\xff") || s.startsWith("GIF8") || s.startsWith("%PDF")) return true;
  const lower = lowerText(s, 512);
  return lower.startsWith("<!doctype html") || lower.startsWith("<html");
}
