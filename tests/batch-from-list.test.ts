// `omnimodel scan --from-list LIST --jsonl OUT`: one row per source with the columns of
// omnimodel.batch; each row agrees with `scan FILE --json`; a rerun scans only what OUT lacks (a
// torn last line from a killed run is redone); the progress line; the flag rules.
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/core";
import { COLUMNS } from "../ts/batch/row";
import { readList } from "../ts/batch/run";

const BIN = join(ROOT, "bin", "omnimodel.js");
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const rowsOf = (p: string) => readFileSync(p, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

const dir = (d: string) => readdirSync(join(ROOT, d)).map((n) => `${d}/${n}`);
const SOURCES = [...dir("tests/fixtures/hosts").filter((f) => !f.endsWith("sharded")), ...dir("tests/fixtures/scan/malicious").slice(0, 12),
  "tests/fixtures/scan/benign/torch-state-dict.pt", "missing.safetensors", "tests/fixtures",
  // a 7-Zip file is an incomplete scan, as scan --json says; a count past 2^53 is no number
  "tests/fixtures/scan-advisories/nullifai-7z.pt", "tests/fixtures/fuzz-regressions/widened-wrap.h5"];

describe("scan --from-list", () => {
  const work = mkdtempSync(join(tmpdir(), "omnimodel-batch-"));
  const list = join(work, "list.txt");
  writeFileSync(list, `# fixtures\n\n${SOURCES.join("\n")}\n${SOURCES[0]}\n`);

  it("reads a list: comments and blank lines skipped, duplicates once", () => {
    expect(readList("# c\n\n a \nb\r\na\n")).toEqual(["a", "b"]);
  });

  it("writes one row per source, each agreeing with scan --json", () => {
    const out = join(work, "rows.jsonl");
    const r = cli("scan", "--from-list", list, "--jsonl", out, "--concurrency", "3");
    expect(r.code).toBe(1); // the malicious fixtures reach "high"
    const rows = rowsOf(out);
    expect(rows.map((x) => x.source).sort()).toEqual([...SOURCES].sort());
    for (const row of rows) {
      expect(Object.keys(row)).toEqual([...COLUMNS]);
      if (row.source === "tests/fixtures") {
        expect(row.error).toBe("BAD_ARGUMENT");
        continue;
      }
      const one = JSON.parse(cli("scan", row.source, "--json", "--fail-on", "critical").out);
      const f = one.files[0];
      expect([row.source, row.format, row.highest, JSON.parse(row.findings), row.error]).toEqual([row.source, f.format, f.highest, f.findings, f.error?.code ?? null]);
      if (!row.error) {
        expect(row.size).toBe(f.size);
        expect(row.bytes_fetched).toBeGreaterThan(0);
        expect(row.bytes_fetched).toBeLessThanOrEqual(row.size);
      }
    }
    expect(rows.find((x) => x.source.endsWith("mixed.safetensors"))!.tensors).toBeGreaterThan(0);
    expect(rows.find((x) => x.source.endsWith("nullifai-7z.pt"))!.highest).toBe("medium");
    const huge = rows.find((x) => x.source.endsWith("widened-wrap.h5"))!;
    expect([huge.tensors, huge.parameters]).toEqual([2, null]);
    expect(rows.filter((x) => x.highest === "critical").length).toBeGreaterThan(5);
    expect(r.err).toMatch(new RegExp(`^${SOURCES.length} sources: ${SOURCES.length} scanned, 0 already in`));
  });

  it("a rerun skips rows already in OUT and redoes a torn last line", () => {
    const out = join(work, "resume.jsonl");
    writeFileSync(join(work, "half.txt"), SOURCES.slice(0, 10).join("\n"));
    cli("scan", "--from-list", join(work, "half.txt"), "--jsonl", out);
    const first = rowsOf(out);
    expect(first).toHaveLength(10);
    appendFileSync(out, '{"source":"' + SOURCES[10]); // a row cut by a kill
    const r = cli("scan", "--from-list", list, "--jsonl", out);
    expect(r.err).toMatch(new RegExp(`${SOURCES.length - 10} scanned, 10 already in`));
    const lines = readFileSync(out, "utf8").split("\n").filter(Boolean);
    const all = lines.flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
    expect(all.map((x) => x.source).sort()).toEqual([...SOURCES].sort()); // each once
    expect(all.slice(0, 10)).toEqual(first);
    expect(cli("scan", "--from-list", list, "--jsonl", out).err).toMatch(/: 0 scanned, \d+ already in/);
  });

  it("draws the progress line with --progress", () => {
    const r = cli("scan", "--from-list", list, "--jsonl", join(work, "p.jsonl"), "--progress");
    expect(r.err).toMatch(new RegExp(`\\r${SOURCES.length}/${SOURCES.length} files +[\\d.]+ files/s +[\\d.]+ (B|KiB|MiB) fetched`));
  });

  it("refuses bad flag combinations in one line, exit 2", () => {
    for (const args of [["--from-list", list], ["--jsonl", join(work, "x.jsonl")], ["x.gguf", "--from-list", list, "--jsonl", "o"],
      ["--from-list", join(work, "nope.txt"), "--jsonl", "o"], ["--from-list", list, "--jsonl", "o", "--concurrency", "0"], []]) {
      const r = cli("scan", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
  });
});
