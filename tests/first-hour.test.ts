// What a new user meets first: the human inspect (GGUF arrays shown with their first items, text
// cut at a word, parameters per dtype, the entry a folder opened through), TF Serving folders,
// convert refusing a model with nothing in it, and the Node SDK's convert().
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT, sdk } from "./helpers/core";

const tmp = mkdtempSync(join(tmpdir(), "omnimodel-first-hour-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A safetensors file (the format is 8 bytes of header length, then JSON) with one F32 tensor. */
function safetensorsWith(metadata: Record<string, string>): string {
  const header = JSON.stringify({ __metadata__: metadata, w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } });
  const h = Buffer.from(header.padEnd(Math.ceil(header.length / 8) * 8, " "));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  const f = join(tmp, `meta-${Math.random().toString(36).slice(2)}.safetensors`);
  writeFileSync(f, Buffer.concat([len, h, Buffer.from(new Float32Array([1, 2]).buffer)]));
  return f;
}

const gguf = (f: string) => join(FIXTURES, "gguf", f);
const arraysFile = join(FIXTURES, "gguf-arrays", "arrays-le.gguf");
const arrays = JSON.parse(readFileSync(join(FIXTURES, "gguf-arrays", "expected.json"), "utf8")).arrays;

describe("human inspect", () => {
  it("shows a GGUF metadata array as its length, item type and first items", () => {
    const r = cli("inspect", arraysFile);
    expect(r.code).toBe(0);
    const tokens: string[] = arrays["tokenizer.ggml.tokens"].strings;
    const line = r.out.split("\n").find((l) => l.trimStart().startsWith("tokenizer.ggml.tokens:"))!;
    const first = tokens.slice(0, 3).map((t) => JSON.stringify(t.length > 40 ? t.slice(0, 39) + "…" : t));
    expect(line).toBe(`  tokenizer.ggml.tokens: [${tokens.length.toLocaleString("en-US")} × string: ${first.join(", ")}, ...]`);
    const u8 = Buffer.from(arrays["test.uint8"].le_hex, "hex");
    expect(r.out).toContain(`test.uint8: [${u8.length} × uint8: ${u8[0]}, ${u8[1]}, ${u8[2]}, ...]`);
    // the core inlines short arrays in the index: shown whole, as JSON
    expect(r.out).toContain("test.short: [1,2,3]");
    const bools = Buffer.from(arrays["test.bool"].le_hex, "hex");
    expect(r.out).toContain(`test.bool: [${bools.length} × bool: ${[...bools.subarray(0, 3)].map((b) => (b ? "true" : "false")).join(", ")}, ...]`);
    const f32 = new Float32Array(new Uint8Array(Buffer.from(arrays["test.float32"].le_hex, "hex")).buffer);
    expect(r.out).toContain(`test.float32: [${f32.length} × float32: ${[...f32.subarray(0, 3)].map((x) => (Object.is(x, -0) ? "-0" : String(x))).join(", ")}, ...]`);
    expect(r.out).not.toMatch(/"type":"ARRAY\[/);
  });

  it("cuts long text at a word boundary, says its length, and --full shows it whole", () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`);
    const text = words.join(" ");
    const f = safetensorsWith({ note: text, multi: "line one\nline two" });
    const r = cli("inspect", f);
    const line = r.out.split("\n").find((l) => l.startsWith("  note: "))!;
    const shown = line.slice("  note: ".length, line.indexOf("…"));
    expect(text.startsWith(shown)).toBe(true);
    expect(words).toContain(shown.split(" ").pop()); // the last word shown is whole
    expect(line).toContain(`(${text.length} chars; --full shows all)`);
    expect(r.out).toContain("  multi: line one\\nline two");
    const full = cli("inspect", "--full", f);
    expect(full.out).toContain(`  note: ${text}\n`);
  });

  it("prints parameters per stored dtype, summing to the total", async () => {
    const { open } = await sdk();
    const m = await open(gguf("all-types.gguf"));
    const r = cli("inspect", gguf("all-types.gguf"));
    const line = r.out.split("\n").find((l) => l.startsWith("parameters: "))!;
    const per = new Map<string, number>();
    for (const t of m.tensors) per.set(t.dtype, (per.get(t.dtype) ?? 0) + t.size);
    expect(per.size).toBeGreaterThan(3);
    for (const [d, n] of per) expect(line).toContain(`${d} ${n.toLocaleString("en-US")}`);
    expect(line.startsWith(`parameters: ${m.parameterCount.toLocaleString("en-US")} (`)).toBe(true);
    expect(Object.values(m.parametersByDtype).reduce((a, b) => a + b, 0)).toBe(m.parameterCount);
    await m.close();
  });

  it("metadataArray({ limit }) returns the first items of the full array", async () => {
    const { open } = await sdk();
    const m = await open(arraysFile);
    for (const key of ["tokenizer.ggml.tokens", "test.int64", "test.float32", "test.bool"]) {
      const all = Array.from(await m.metadataArray(key) as ArrayLike<unknown>);
      const some = Array.from(await m.metadataArray(key, { limit: 3 }) as ArrayLike<unknown>);
      expect(some).toEqual(all.slice(0, 3));
      expect(Array.from(await m.metadataArray(key, { limit: 1e9 }) as ArrayLike<unknown>)).toEqual(all);
    }
    await m.close();
  });
});

describe("TF Serving model folders", () => {
  const saved = join(FIXTURES, "tf", "saved_model");

  it("open the highest numeric version's SavedModel, not variables/ as a checkpoint", async () => {
    const dir = join(tmp, "serving");
    for (const v of ["1", "12", "3"]) cpSync(saved, join(dir, v), { recursive: true });
    mkdirSync(join(dir, "assets.extra"), { recursive: true });
    const { open } = await sdk();
    const m = await open(dir);
    expect(m.format).toBe("tf-savedmodel");
    expect(m.source.name.endsWith(join("12", "saved_model.pb"))).toBe(true);
    const direct = await open(saved);
    expect(m.tensors.map((t) => t.name)).toEqual(direct.tensors.map((t) => t.name));
    await direct.close();
    await m.close();
    expect(cli("inspect", dir).out).toContain("entry: 12/saved_model.pb");
  });

  it("a folder holding one SavedModel at its root still opens that one", async () => {
    const dir = join(tmp, "root-and-version");
    cpSync(saved, dir, { recursive: true });
    cpSync(saved, join(dir, "7"), { recursive: true });
    const { open } = await sdk();
    const m = await open(dir);
    expect(m.source.baseName).toBe("saved_model.pb");
    expect(m.source.name.endsWith(join("root-and-version", "saved_model.pb"))).toBe(true);
    await m.close();
  });
});

describe("convert", () => {
  it("refuses a model with no tensors: exit 2, one line saying why, no file written", () => {
    const out = join(tmp, "empty.safetensors");
    const r = cli("convert", gguf("no-tensors.gguf"), out);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/nothing to convert: the gguf file has no tensors/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(out + ".partial")).toBe(false);
  });

  it("the Node SDK's convert() writes the CLI's bytes and reports progress", async () => {
    const { convert } = await sdk();
    const input = join(ROOT, "samples", "tiny-mlp.safetensors");
    const viaCli = join(tmp, "cli.safetensors");
    expect(cli("convert", input, viaCli, "--dtype", "F16").code).toBe(0);
    const viaSdk = join(tmp, "sdk.safetensors");
    const seen: number[] = [];
    const r = await convert(input, viaSdk, { dtype: "F16", onProgress: (p) => seen.push(p.bytesWritten) });
    expect(readFileSync(viaSdk)).toEqual(readFileSync(viaCli));
    expect(r.tensors).toBe(4);
    expect(r.bytes).toBe(readFileSync(viaSdk).length);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(r.bytes);
  });

  it("the SDK's convert() refuses with typed errors", async () => {
    const { convert } = await sdk();
    await expect(convert(gguf("no-tensors.gguf"), join(tmp, "x.safetensors"))).rejects.toMatchObject({ code: "UNSUPPORTED" });
    expect(existsSync(join(tmp, "x.safetensors"))).toBe(false);
    await expect(convert(gguf("v2.gguf"), join(tmp, "no", "such", "folder.safetensors"))).rejects.toMatchObject({ code: "IO" });
    await expect(convert(gguf("v2.gguf"), join(tmp, "y.safetensors"), { dtype: "F8" as never })).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
  });
});

describe("typed reads", () => {
  it("read({ dtype }) and chunks({ dtype }) are typed by the dtype asked (checked by tsc)", () => {
    const dir = join(ROOT, "tests", "types");
    const r = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
