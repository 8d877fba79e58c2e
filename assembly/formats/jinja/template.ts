// Chat templates as files (chat_template.jinja) and as values inside other files (GGUF
// tokenizer.chat_template*, tokenizer_config.json / chat_template.json "chat_template"): each is
// parsed as Jinja and audited (audit.ts); findings carry the template's key.

import { Context, ST_DONE } from "../../core/context";
import { E_LIMIT } from "../../core/errors";
import { Index, SEV_INFO } from "../../core/model";
import { JArr, JKind, JObj, JValue } from "../../util/json";
import { isValidUtf8 } from "../../util/bytes";
import { FormatModule, Sniff, SNIFF_NO, SNIFF_WEAK } from "../format";
import { auditTemplate, TemplateAudit } from "./audit";

// Longest template audited (real ones are a few KiB to a few tens of KiB).
export const MAX_TEMPLATE: i32 = 4 << 20;

// Audits `src` under `key` and adds its findings to the index; returns the audit's facts.
export function reportTemplate(idx: Index, key: string, src: string): JObj {
  if (src.length > MAX_TEMPLATE) {
    idx.addFinding(3, "scan-incomplete", "chat template \"" + key + "\" is " + src.length.toString() + " characters, more than the " + MAX_TEMPLATE.toString() + " audited; it was not checked", key);
    const o = new JObj();
    o.setStr("key", key);
    o.setBool("parsed", false);
    return o;
  }
  const a: TemplateAudit = auditTemplate(key, src);
  for (let i = 0; i < a.findings.length; i++) {
    const f = a.findings[i];
    idx.addFinding(f.severity, f.code, f.message, key);
  }
  return a.toJson();
}

// The "chat_template" value of a Hugging Face JSON document: a string, or a list of
// {name, template}. Returns the audits (one per template) or null when there is none.
export function reportJsonTemplates(idx: Index, doc: JObj, file: string): JArr | null {
  const v = doc.get("chat_template");
  if (!v) return null;
  const out = new JArr();
  if (v.kind == JKind.STR) {
    out.push(reportTemplate(idx, file + ":chat_template", v.asStr()!));
  } else if (v.kind == JKind.ARR) {
    const arr = <JArr>v;
    for (let i = 0; i < arr.length; i++) {
      const t = arr.at(i).asObj();
      if (!t) continue;
      const name = t.getStr("name");
      const tpl = t.getStr("template");
      if (tpl === null) continue;
      out.push(reportTemplate(idx, file + ":chat_template[" + (name !== null ? name : i.toString()) + "]", tpl));
    }
  } else return null;
  return out;
}

// GGUF keys that hold templates: tokenizer.chat_template and tokenizer.chat_template.<name>.
export function isTemplateKey(key: string): bool {
  return key == "tokenizer.chat_template" || key.startsWith("tokenizer.chat_template.");
}

export function reportGgufTemplate(idx: Index, key: string, v: JValue): void {
  if (v.kind == JKind.STR) { reportTemplate(idx, key, v.asStr()!); return; }
  const o = v.asObj();
  if (o && o.has("prefix")) idx.addFinding(3, "scan-incomplete", "chat template \"" + key + "\" is longer than the part read at index time; it was not checked", key);
}

// A template file: text whose first block opener comes first (after whitespace), or text with
// block openers in a file named .jinja / .j2.
export class ChatTemplateFormat extends FormatModule {
  get id(): string { return "chat-template"; }

  sniff(s: Sniff): i32 {
    if (!s.headLen) return SNIFF_NO;
    for (let k: usize = 0; k < s.headLen; k++) if (load<u8>(s.head + k) == 0) return SNIFF_NO;
    let i: usize = 0;
    while (i < s.headLen) { const c = load<u8>(s.head + i); if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break; i++; }
    if (i + 1 < s.headLen && load<u8>(s.head + i) == 0x7b) {
      const c = load<u8>(s.head + i + 1);
      if (c == 0x25 || c == 0x23 || (c == 0x7b && s.nameEndsWith(".jinja"))) return SNIFF_WEAK + 5;
      if (c == 0x7b) return SNIFF_WEAK - 2;
    }
    if (s.nameEndsWith(".jinja") || s.nameEndsWith(".j2")) {
      for (let k: usize = 0; k + 1 < s.headLen; k++) {
        if (load<u8>(s.head + k) == 0x7b) { const c = load<u8>(s.head + k + 1); if (c == 0x25 || c == 0x7b) return SNIFF_WEAK; }
      }
    }
    return SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    if (size > <u64>MAX_TEMPLATE) return ctx.fail(E_LIMIT, "chat-template: a " + size.toString() + "-byte template exceeds the " + MAX_TEMPLATE.toString() + "-byte limit", 0);
    const p = ctx.view(0, size);
    if (!p && size) return ctx.truncated("the template", 0);
    const idx = ctx.index;
    idx.format = "chat-template";
    idx.formatVersion = "jinja";
    if (!isValidUtf8(p, <usize>size)) {
      idx.addFinding(3, "scan-incomplete", "the template is not valid UTF-8 text, so it could not be checked", "");
      return ST_DONE;
    }
    const src = String.UTF8.decodeUnsafe(p, <usize>size, false);
    const key = ctx.name.length ? ctx.name : "template";
    idx.metadata.setStr("kind", "chat-template");
    idx.metadata.set("template", reportTemplate(idx, key, src));
    idx.addFinding(SEV_INFO, "chat-template", "The file is a Jinja chat template; it holds no tensors.", "");
    return ST_DONE;
  }
}
