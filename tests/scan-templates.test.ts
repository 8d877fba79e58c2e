// Chat-template audit (assembly/formats/jinja) on the fixtures of tests/fixtures/templates: real
// templates as published (nothing at medium or above, each parsed by @huggingface/jinja as well,
// with the same statements, attributes, filters, tests and free variables), one malicious
// template per injection technique (high, naming the key and the expression), in every place a
// template lives: .jinja files, GGUF tokenizer.chat_template[.name], tokenizer_config.json
// (string and list), chat_template.json.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Template } from "@huggingface/jinja";
import { FIXTURES, sdk } from "./helpers/core";

const DIR = join(FIXTURES, "templates");
const EXPECTED = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8"));
const RANK: Record<string, number> = { none: 0, info: 1, low: 2, medium: 3, high: 4, critical: 5 };

async function scanOne(path: string) {
  await sdk();
  const { scanPath } = await import("../dist/ts/scan/index.js");
  const r = await scanPath(path);
  expect(r.files.length).toBe(1);
  return r.files[0];
}

async function indexOf(path: string) {
  const { open } = await sdk();
  const m = await open(path);
  try {
    return { format: m.format, metadata: m.metadata as any, findings: m.findings };
  } finally {
    await m.close();
  }
}

// The facts our audit reports, computed from @huggingface/jinja's syntax tree.
function reference(src: string) {
  const program = new Template(src).parsed as any;
  const statements: Record<string, number> = {};
  const attributes = new Set<string>(), filters = new Set<string>(), tests = new Set<string>();
  const used = new Set<string>(), bound = new Set<string>(["loop", "caller", "varargs", "kwargs"]);
  const bind = (t: any) => {
    if (!t) return;
    if (t.type === "Identifier") bound.add(t.value);
    else if (t.type === "TupleLiteral") t.value.forEach(bind);
  };
  const count = (k: string) => (statements[k] = (statements[k] ?? 0) + 1);
  const walk = (n: any): void => {
    if (!n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(walk);
    if (n instanceof Map) { for (const [k, v] of n) { walk(k); walk(v); } return; }
    switch (n.type) {
      case "If": count("if"); break;
      case "For": count("for"); bind(n.loopvar); break;
      case "Set": count("set"); bind(n.assignee); break;
      case "Macro": count("macro"); bound.add(n.name.value); for (const a of n.args) bound.add(a.type === "Identifier" ? a.value : a.key.value); walk(n.args.filter((a: any) => a.type !== "Identifier").map((a: any) => a.value)); walk(n.body); return;
      case "CallStatement": count("call"); for (const a of n.callerArgs ?? []) bound.add(a.type === "Identifier" ? a.value : a.key.value); walk(n.call); walk(n.body); return;
      case "FilterStatement": count("filter"); filters.add(n.filter.type === "Identifier" ? n.filter.value : n.filter.callee.value); if (n.filter.type === "CallExpression") walk(n.filter.args); walk(n.body); return;
      case "Identifier": if (!/^(true|false|none)$/i.test(n.value)) used.add(n.value); return;
      case "MemberExpression": if (!n.computed) { attributes.add(n.property.value); walk(n.object); return; } break;
      case "FilterExpression":
        filters.add(n.filter.type === "Identifier" ? n.filter.value : n.filter.callee.value);
        walk(n.operand);
        if (n.filter.type === "CallExpression") walk(n.filter.args);
        return;
      case "TestExpression": tests.add(n.test.value); walk(n.operand); return;
      case "KeywordArgumentExpression": walk(n.value); return;
    }
    for (const k of Object.keys(n)) if (k !== "type" && k !== "operator") walk(n[k]);
  };
  walk(program.body);
  const variables = [...used].filter((v) => !bound.has(v));
  return { statements, attributes: [...attributes].sort(), filters: [...filters].sort(), tests: [...tests].sort(), variables: variables.sort() };
}

const sorted = (a: string[]) => [...a].sort();

describe("fixtures", () => {
  it("are the files the generator wrote (sha256)", () => {
    for (const [rel, sha] of Object.entries(EXPECTED.sha256 as Record<string, string>)) {
      expect(createHash("sha256").update(readFileSync(join(DIR, rel))).digest("hex"), rel).toBe(sha);
    }
  });
});

describe("benign chat templates", () => {
  const names: string[] = EXPECTED.benign;
  it("cover the families named in the issue", () => {
    for (const fam of ["Llama-3.1", "Llama-3-8B", "Mistral", "Qwen2-", "Qwen2.5", "Qwen3", "gemma", "Phi-3", "phi-4", "DeepSeek", "command-r"]) {
      expect(names.some((n) => n.toLowerCase().includes(fam.toLowerCase())), fam).toBe(true);
    }
  });
  for (const name of names) {
    it(`${name}: nothing at medium or above, as .jinja and as GGUF`, async () => {
      for (const ext of [".jinja", ".gguf"]) {
        const f = await scanOne(join(DIR, "benign", name + ext));
        expect(f.status).toBe("scanned");
        expect(f.findings.filter((x: any) => RANK[x.severity] >= RANK.medium).map((x: any) => x.message)).toEqual([]);
      }
    });
    it(`${name}: parses as @huggingface/jinja parses it`, async () => {
      const src = readFileSync(join(DIR, "benign", name + ".jinja"), "utf8");
      const ix = await indexOf(join(DIR, "benign", name + ".jinja"));
      expect(ix.format).toBe("chat-template");
      const ours = ix.metadata.template;
      expect(ours.parsed).toBe(true);
      expect(ours.nodes).toBeGreaterThan(0);
      const ref = reference(src);
      expect(ours.statements.if ?? 0).toBe(ref.statements.if ?? 0);
      expect(ours.statements.for ?? 0).toBe(ref.statements.for ?? 0);
      expect(ours.statements.set ?? 0).toBe(ref.statements.set ?? 0);
      expect(ours.statements.macro ?? 0).toBe(ref.statements.macro ?? 0);
      expect(sorted(ours.attributes)).toEqual(ref.attributes);
      expect(sorted(ours.filters)).toEqual(ref.filters);
      expect(sorted(ours.tests)).toEqual(ref.tests);
      expect(sorted(ours.variables)).toEqual(ref.variables);
    });
  }
  for (const rel of ["benign/tokenizer_config.json", "benign/tokenizer_config-list/tokenizer_config.json", "benign/chat_template.json", "benign/named-tool-use.gguf"]) {
    it(`${rel}: every template audited, nothing at medium or above`, async () => {
      const f = await scanOne(join(DIR, rel));
      expect(f.findings.filter((x: any) => RANK[x.severity] >= RANK.medium).map((x: any) => x.message)).toEqual([]);
      if (rel.endsWith(".json")) {
        const ix = await indexOf(join(DIR, rel));
        const audits = ix.metadata.chat_templates;
        expect(audits.length).toBe(rel.includes("list") ? 2 : 1);
        for (const a of audits) expect(a.parsed).toBe(true);
      }
    });
  }
});

describe("malicious chat templates: one per technique", () => {
  const cases = Object.keys(EXPECTED.malicious);
  const paths = (id: string): string[] => {
    const d = join(DIR, "malicious");
    const direct = readdirSync(d).filter((f) => f.startsWith(id + ".")).map((f) => join(d, f));
    if (direct.length) return direct;
    const sub = join(d, id);
    return readdirSync(sub).map((f) => join(sub, f));
  };
  for (const id of cases) {
    it(`${id}: high, with the template key and the expression (${EXPECTED.malicious[id]})`, async () => {
      const files = paths(id);
      expect(files.length).toBeGreaterThan(0);
      for (const p of files) {
        const f = await scanOne(p);
        expect(f.highest, p).toBe("high");
        const hits = f.findings.filter((x: any) => x.severity === "high" && x.code.startsWith("template-"));
        expect(hits.length, p).toBeGreaterThan(0);
        for (const h of hits) {
          expect(h.message).toMatch(/^chat template "[^"]+": .+: .+/);
          expect(h.location.length).toBeGreaterThan(0);
        }
      }
    });
  }
  it("a named GGUF template is reported under its own key", async () => {
    const f = await scanOne(join(DIR, "malicious", "T21-named-tool-use-injected.gguf"));
    const keys = new Set(f.findings.filter((x: any) => x.severity === "high").map((x: any) => x.location));
    expect([...keys]).toEqual(["tokenizer.chat_template.tool_use"]);
  });
  it("the list form names the template", async () => {
    const f = await scanOne(join(DIR, "malicious", "T23-tokenizer-config-list", "tokenizer_config.json"));
    const keys = new Set(f.findings.filter((x: any) => x.severity === "high").map((x: any) => x.location));
    expect([...keys]).toEqual(["tokenizer_config.json:chat_template[rag]"]);
  });
});

describe("templates that do not parse or push the limits", () => {
  const { mkdtempSync, writeFileSync } = require("node:fs") as typeof import("node:fs");
  const { tmpdir } = require("node:os") as typeof import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "omni-tpl-"));
  const write = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  const cases: [string, string, string][] = [
    ["unclosed block", "{% for m in messages %}{{ m.content }}", "missing {% endfor %}"],
    ["unclosed expression", "{{ messages[0", "unclosed {{"],
    ["unknown statement", "{% exec 'id' %}", "unknown statement 'exec'"],
    ["nesting bomb", "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}", "deeper than"],
    ["block nesting bomb", "{% if a %}".repeat(3000) + "{% endif %}".repeat(3000), "deeper than"],
    ["attribute chain bomb", "{{ " + "a.".repeat(5000) + "b }}", "deeper than"],
    ["concatenation bomb", "{{ " + "a ~ ".repeat(5000) + "b }}", "deeper than"],
    ["unary bomb", "{{ " + "- ".repeat(5000) + "b }}", "too deep"],
  ];
  for (const [what, text, why] of cases) {
    it(`${what}: a medium template-unparsed finding with the reason, never a crash`, async () => {
      const f = await scanOne(write(what.replace(/ /g, "-") + ".jinja", text));
      expect(f.status).toBe("scanned");
      const u = f.findings.find((x: any) => x.code === "template-unparsed");
      expect(u?.severity).toBe("medium");
      expect(u?.message).toContain(why);
    });
  }
  it("whitespace control, comments, raw blocks and dict literals with '}}' parse", async () => {
    const p = write("ws.jinja", "{#- note -#}{%- raw -%}{{ ''.__class__ }}{%- endraw -%}{{- {'a': {'b': 1}}['a'] -}}{%+ if x +%}y{%- endif %}");
    const ix = await indexOf(p);
    expect(ix.metadata.template.parsed).toBe(true);
    // the raw block is text: not an expression, not a finding
    expect(ix.findings.filter((x: any) => x.severity !== "info")).toEqual([]);
    expect(ix.metadata.template.statements).toEqual({ output: 1, if: 1 });
  });
});
