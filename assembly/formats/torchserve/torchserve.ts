// TorchServe model archives (pytorch/serve model-archiver 0.12, model_packaging_utils.py):
//   default / zip-store   a zip with the artefacts at the root and MAR-INF/MANIFEST.json
//   tgz                   <name>.tar.gz, everything under <model_name>/
//   no-archive            a directory holding MAR-INF/MANIFEST.json (opened through the
//                         manifest: see json.ts)
// MANIFEST.json goes to metadata; the serializedFile is listed as a child (with the format its
// bytes show); every .py member and the requirements file are findings, with the code shown:
// TorchServe imports the handler and runs it (nothing here runs it).

import { Context, ST_DONE } from "../../core/context";
import { checkRelativePath } from "../../core/paths";
import { decodePrefix } from "../../containers/prefix";
import { openTar, isTarHeader, TarEntry, TarWalker } from "../../containers/tar";
import { resolveMember, ZipArchive, ZipEntry } from "../../containers/zip";
import { Inflater, INFLATE_GZIP } from "../../containers/inflate";
import { E_INVALID_JSON, E_PATH_VIOLATION } from "../../core/errors";
import { Child, CODEC_GZIP, CODEC_NONE, SEV_HIGH, SEV_INFO, SEV_MEDIUM, strArray } from "../../core/model";
import { JArr, JObj, JsonParser, JUint } from "../../util/json";
import { FormatModule, Sniff, SNIFF_BYTES, SNIFF_NO, SNIFF_STRUCTURE } from "../format";
import { ZipFlavor } from "../archive/zipflavor";
import { sniffFormat, zipChild } from "../archive/children";
import { reportUnreadMember } from "../archive/unread";

export const MANIFEST = "MAR-INF/MANIFEST.json";
const MAX_MANIFEST: u64 = 1 << 20;
const CODE_SHOWN: i32 = 64 * 1024;

// What the archive forms have in common, for describeArchive.
class Member {
  constructor(public name: string, public size: u64) {}
  compressType: string | null = null;
  type: string | null = null;
  // code / manifest bytes when available
  text: string | null = null;
}

export class TorchServeZipFlavor extends ZipFlavor {
  get id(): string { return "torchserve-mar"; }

  matches(a: ZipArchive): i32 { return a.find(MANIFEST) ? 200 : 0; }

  index(ctx: Context, a: ZipArchive): i32 {
    ctx.index.format = "torchserve-mar";
    ctx.index.formatVersion = "zip";
    const members = new Array<Member>();
    let manifestText: string | null = null;
    for (let i = 0; i < a.entries.length; i++) {
      const e = a.entries[i];
      if (e.isDir()) continue;
      const m = new Member(e.name, e.usize);
      m.compressType = e.method == 8 ? "deflate" : e.method == 0 ? "stored" : "method " + e.method.toString();
      if ((e.name == MANIFEST || isCode(e.name)) && (e.method == 0 || e.method == 8) && !e.encrypted) {
        const want: u64 = e.name == MANIFEST ? MAX_MANIFEST : <u64>CODE_SHOWN;
        const st = resolveMember(ctx, a, e);
        if (st != ST_DONE) return st;
        const pre = decodePrefix(ctx, a.source, e.dataOffset, e.csize, e.codec(), e.usize < want ? e.usize : want);
        if (pre.status != ST_DONE) return pre.status;
        m.text = String.UTF8.decodeUnsafe(pre.ptr, pre.len, false);
        if (e.name == MANIFEST) manifestText = m.text;
      }
      members.push(m);
    }
    const st = describeArchive(ctx, "zip", members, manifestText, "");
    if (st != ST_DONE) return st;
    const sc = serializedChild(ctx, a);
    if (sc != ST_DONE) return sc;
    return extraChildren(ctx, a);
  }
}

// Every other member (extra files: label maps, tokenizers, pickled preprocessors) is a child
// too, so a pickle a handler would load from the archive is scanned like the model itself.
function extraChildren(ctx: Context, a: ZipArchive): i32 {
  for (let i = 0; i < a.entries.length; i++) {
    const e = a.entries[i];
    if (e.isDir() || e.name == MANIFEST || isCode(e.name)) continue;
    let listed = false;
    for (let k = 0; k < ctx.index.children.length; k++) if (ctx.index.children[k].name == e.name) { listed = true; break; }
    if (listed) continue;
    const st = zipChild(ctx, a, e);
    if (st != ST_DONE) return st;
  }
  return ST_DONE;
}

// The serializedFile of a zip .mar as a child, with the format its first bytes show.
function serializedChild(ctx: Context, a: ZipArchive): i32 {
  const file = serializedFile(ctx);
  if (file === null) return ST_DONE;
  const e = a.find(file);
  if (!e) {
    ctx.index.addFinding(SEV_MEDIUM, "torchserve-missing-file", "The manifest names serializedFile \"" + file + "\" but the archive has no such member.", file);
    return ST_DONE;
  }
  return zipChild(ctx, a, e);
}

// The manifest's serializedFile, or null when there is none or it leaves the archive: then it
// is a path escape (TorchServe would read that file from outside the model), listed as a child
// that child_open refuses with PATH_VIOLATION, not as a missing member.
function serializedFile(ctx: Context): string | null {
  const man = ctx.index.metadata.getObj("manifest");
  if (!man) return null;
  const model = man.getObj("model");
  if (!model) return null;
  const sf = model.getStr("serializedFile");
  if (sf === null || !sf.length) return null;
  if (escapes(ctx, sf)) return null;
  return sf;
}

function escapes(ctx: Context, ref: string): bool {
  const rule = checkRelativePath(ref);
  if (!rule.length) return false;
  ctx.index.addFinding(SEV_HIGH, "path-escape", "The manifest's serializedFile \"" + ref + "\" " + rule + "; loading the model would read a file outside the archive.", ref);
  const c = new Child(ref);
  c.refusal = E_PATH_VIOLATION;
  ctx.index.children.push(c);
  return true;
}

function isCode(name: string): bool {
  const n = name.toLowerCase();
  return n.endsWith(".py") || n.endsWith("requirements.txt");
}

// Metadata and findings shared by the zip, tar and directory forms. `root` is the folder the
// artefacts sit in ("noop/" in a tgz). Returns ST_DONE or the failure.
function describeArchive(ctx: Context, container: string, members: Member[], manifestText: string | null, root: string): i32 {
  const idx = ctx.index;
  const meta = idx.metadata;
  meta.setStr("container", container);
  const list = new JArr();
  const py = new Array<string>();
  for (let i = 0; i < members.length; i++) {
    const m = members[i];
    const o = new JObj();
    o.setStr("name", m.name);
    const ct = m.compressType;
    if (ct !== null) o.setStr("compress_type", ct);
    const ty = m.type;
    if (ty !== null) o.setStr("type", ty);
    o.set("size", new JUint(m.size));
    list.push(o);
    if (m.name.toLowerCase().endsWith(".py")) py.push(m.name);
  }
  meta.set("members", list);
  meta.set("python_sources", strArray(py));
  // Members whose names leave the archive's folder (the container adds a high finding for each).
  const escaping = new Array<string>();
  for (let i = 0; i < members.length; i++) if (checkRelativePath(members[i].name).length) escaping.push(members[i].name);
  meta.set("path_traversal_members", strArray(escaping));
  let manifest: JObj | null = null;
  if (manifestText !== null) {
    const buf = String.UTF8.encode(manifestText);
    const parser = new JsonParser();
    const v = parser.parse(changetype<usize>(buf), <usize>buf.byteLength);
    if (!v || !v.asObj()) return ctx.fail(E_INVALID_JSON, "torchserve: " + root + MANIFEST + " is not a JSON object" + (v ? "" : ": " + parser.error), 0);
    manifest = v.asObj();
    meta.set("manifest", manifest!);
  } else {
    idx.addFinding(SEV_INFO, "torchserve-no-manifest", "The archive has no " + MANIFEST + "; TorchServe uses a default manifest.", root + MANIFEST);
  }
  manifestFindings(ctx, manifest);
  // Code: TorchServe imports the handler and any extra .py files when it loads the model.
  const handler = manifest ? handlerOf(manifest) : null;
  for (let i = 0; i < members.length; i++) {
    const m = members[i];
    const lower = m.name.toLowerCase();
    const rel = m.name.startsWith(root) ? m.name.substring(root.length) : m.name;
    if (lower.endsWith(".py")) {
      const isHandler = handler !== null && (rel == handler || rel == handler + ".py");
      const f = idx.addFinding(SEV_HIGH, "torchserve-python", (isHandler ? "The handler " : "Python file ") + m.name + " runs inside TorchServe when the archive is loaded (shown, never run).", m.name);
      const t = m.text;
      if (t !== null) f.detail = codeDetail(t, m.size);
    } else if (lower.endsWith("requirements.txt")) {
      const f = idx.addFinding(SEV_MEDIUM, "torchserve-requirements", "TorchServe can pip-install the packages in " + m.name + " when it loads the archive (install_py_dep_per_model).", m.name);
      const t = m.text;
      if (t !== null) f.detail = codeDetail(t, m.size);
    }
  }
  return ST_DONE;
}

function handlerOf(man: JObj): string | null {
  const model = man.getObj("model");
  return model ? model.getStr("handler") : null;
}

function codeDetail(text: string, size: u64): JObj {
  const o = new JObj();
  o.setStr("code", text);
  if (<u64>String.UTF8.byteLength(text) < size) o.setBool("truncated", true);
  return o;
}

// The Java frontend's checks (ModelArchive.validate) and the archiver's name rule, as findings.
function manifestFindings(ctx: Context, man: JObj | null): void {
  if (!man) return;
  const idx = ctx.index;
  const model = man.getObj("model");
  if (!model) {
    idx.addFinding(SEV_MEDIUM, "torchserve-manifest", "The manifest has no \"model\" object; TorchServe refuses the archive.", MANIFEST);
    return;
  }
  const name = model.getStr("modelName");
  if (name === null || !validModelName(name)) idx.addFinding(SEV_MEDIUM, "torchserve-manifest", "model.modelName " + (name === null ? "is missing" : "\"" + name + "\" breaks the rule ^[A-Za-z0-9][A-Za-z0-9_\\-.]*$") + "; TorchServe refuses the archive.", MANIFEST);
  if (model.getStr("modelVersion") === null) idx.addFinding(SEV_INFO, "torchserve-manifest", "model.modelVersion is missing; TorchServe requires it.", MANIFEST);
  if (man.getStr("runtime") === null) idx.addFinding(SEV_INFO, "torchserve-manifest", "runtime is missing; TorchServe requires it.", MANIFEST);
  const handler = model.getStr("handler");
  if (handler !== null && !handler.endsWith(".py") && handler.indexOf("/") < 0 && handler.indexOf(":") < 0) {
    idx.addFinding(SEV_INFO, "torchserve-builtin-handler", "The handler \"" + handler + "\" is a TorchServe built-in (or an installed module), imported from the server's Python environment.", MANIFEST);
  }
}

function validModelName(s: string): bool {
  if (!s.length) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!alnum && (i == 0 || (c != 0x5f && c != 0x2d && c != 0x2e))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// tar / tar.gz: the tgz archive format, and any other tar (listed as an archive).

export class TarFormat extends FormatModule {
  get id(): string { return "tar"; }

  sniff(s: Sniff): i32 {
    if (isTarHeader(s.head, s.headLen)) return SNIFF_STRUCTURE - 5;
    if (s.headLen >= 18 && s.byte(0) == 0x1f && s.byte(1) == 0x8b && s.byte(2) == 8) {
      // Decode the first block of the gzip stream: a tar header there makes this a .tar.gz.
      const inf = new Inflater(INFLATE_GZIP, 1024);
      const out = heap.alloc(512);
      inf.push(s.head, s.headLen);
      if (<u64>s.headLen >= s.size) inf.endInput();
      let got: isize = 0;
      while (got < 512) {
        const n = inf.pull(out + <usize>got, 512 - <usize>got);
        if (n <= 0) break;
        got += n;
      }
      const tar = got == 512 && isTarHeader(out, 512);
      inf.dispose();
      heap.free(out);
      if (tar) return SNIFF_STRUCTURE + 5;
    }
    return SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const h = ctx.view(0, ctx.size < 2 ? ctx.size : 2);
    if (!h) return ctx.truncated("the archive header", 0);
    const gz = ctx.size >= 2 && load<u8>(h) == 0x1f && load<u8>(h + 1) == 0x8b;
    const t = openTar(ctx, 0, gz);
    if (t.status != ST_DONE) return t.status;
    const w = t.walker!;
    const container = gz ? "tar.gz" : "tar";
    const root = marRoot(w);
    if (root === null) {
      ctx.index.format = "tar";
      ctx.index.formatVersion = container;
      const names = new Array<string>();
      for (let i = 0; i < w.entries.length; i++) {
        const e = w.entries[i];
        if (e.isDir()) continue;
        names.push(e.name);
        tarChild(ctx, e, gz);
      }
      ctx.index.metadata.set("members", strArray(names));
      return ST_DONE;
    }
    ctx.index.format = "torchserve-mar";
    ctx.index.formatVersion = container;
    const members = new Array<Member>();
    let manifestText: string | null = null;
    for (let i = 0; i < w.entries.length; i++) {
      const e = w.entries[i];
      if (e.isDir()) continue;
      const m = new Member(e.name, e.size);
      m.type = e.isFile() ? "file" : e.type == 0x32 ? "symlink" : e.type == 0x31 ? "hardlink" : "type " + String.fromCharCode(e.type);
      const cap = e.captured;
      if (cap !== null && (isCode(e.name) || e.name == root + MANIFEST)) {
        m.text = String.UTF8.decode(cap, false);
        if (e.name == root + MANIFEST) manifestText = m.text;
      }
      members.push(m);
    }
    const st = describeArchive(ctx, container, members, manifestText, root);
    if (st != ST_DONE) return st;
    const file = serializedFile(ctx);
    if (file !== null) {
      const e = w.find(root + file);
      if (!e) ctx.index.addFinding(SEV_MEDIUM, "torchserve-missing-file", "The manifest names serializedFile \"" + file + "\" but the archive has no such member.", file);
      else tarChild(ctx, e, gz);
    }
    // the extra files too, as in the zip form: a pickle a handler loads is scanned like the model
    for (let i = 0; i < w.entries.length; i++) {
      const e = w.entries[i];
      if (!e.isFile() || e.name == root + MANIFEST || isCode(e.name) || (file !== null && e.name == root + file)) continue;
      tarChild(ctx, e, gz);
    }
    return ST_DONE;
  }
}

// "" or "<model_name>/" when the tar holds a TorchServe manifest, else null.
function marRoot(w: TarWalker): string | null {
  for (let i = 0; i < w.entries.length; i++) {
    const n = w.entries[i].name;
    if (n == MANIFEST) return "";
    if (n.endsWith("/" + MANIFEST) && n.indexOf("/") == n.length - MANIFEST.length - 1) return n.substring(0, n.length - MANIFEST.length);
  }
  return null;
}

// A tar member as a child. Members of a plain tar are slices of the file; members of a tar.gz
// are a window [dataOffset, dataOffset+size) of the decompressed stream.
function tarChild(ctx: Context, e: TarEntry, gz: bool): void {
  if (!e.isFile()) return;
  const c = new Child(e.name);
  c.size = e.size;
  c.source = 0;
  c.readable = true;
  if (!gz) {
    c.offset = e.dataOffset;
    c.length = e.size;
    c.codec = CODEC_NONE;
  } else {
    c.offset = 0;
    c.length = ctx.size;
    c.codec = CODEC_GZIP;
    c.skip = e.dataOffset;
  }
  const cap = e.captured;
  if (cap !== null && cap.byteLength > 0) {
    c.format = sniffFormat(changetype<usize>(cap), <usize>cap.byteLength, e.size, e.name);
    c.sniffed = true;
    if (c.format === null) reportUnreadMember(ctx, "tar", e.name, changetype<usize>(cap), <usize>cap.byteLength);
  }
  ctx.index.children.push(c);
}

// A TorchServe MANIFEST.json opened on its own (the no-archive directory form): json.ts calls
// this when the document has the manifest's shape.
export function isManifest(o: JObj): bool {
  const model = o.getObj("model");
  return model !== null && model.has("handler") && (o.has("runtime") || o.has("archiverVersion") || o.has("specificationVersion"));
}

export function describeManifestDocument(ctx: Context, o: JObj): i32 {
  const idx = ctx.index;
  idx.format = "torchserve-mar";
  idx.formatVersion = "directory";
  idx.metadata.setStr("container", "directory");
  idx.metadata.set("manifest", o);
  manifestFindings(ctx, o);
  const model = o.getObj("model")!;
  const refs = ["handler", "modelFile", "extensions", "requirementsFile", "serializedFile"];
  for (let i = 0; i < refs.length; i++) {
    const v = model.getStr(refs[i]);
    if (v === null || !v.length) continue;
    const lower = v.toLowerCase();
    if (lower.endsWith(".py")) {
      idx.addFinding(SEV_HIGH, "torchserve-python", "The manifest's " + refs[i] + " \"" + v + "\" is Python that runs inside TorchServe when the model is loaded (the file sits next to MAR-INF/, shown when the archive form is opened).", v);
    } else if (refs[i] == "requirementsFile") {
      idx.addFinding(SEV_MEDIUM, "torchserve-requirements", "TorchServe can pip-install the packages in " + v + " when it loads the model.", v);
    } else if (refs[i] == "serializedFile") {
      if (!escapes(ctx, v)) idx.children.push(new Child(v));
    }
  }
  return ST_DONE;
}
