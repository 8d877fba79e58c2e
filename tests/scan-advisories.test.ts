// Every public scanner-bypass advisory with a proof-of-concept file (tests/fixtures/scan-advisories,
// written by pickle, zipfile, py7zr, torch and Keras; never loaded): the file's highest finding,
// and the finding that carries it. Where the file is a container not read here (7-Zip), the
// answer must be scan-incomplete, never clean.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "./helpers/core";
import { zipOf } from "./helpers/zip";

const DIR = join(FIXTURES, "scan-advisories");
const tmp = mkdtempSync(join(tmpdir(), "omnimodel-advisories-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function scan(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "omnimodel.js"), "scan", "--json", ...args], { encoding: "utf8" });
  return { code: r.status, report: JSON.parse(r.stdout) };
}

/** [file, highest, code of a finding at that level, a word its message must contain] */
const CASES: [string, string, string, RegExp][] = [
  ["CVE-2025-1716-pip-main.pkl", "critical", "pickle-global", /pip\.main/],
  ["CVE-2025-1889-config.p", "critical", "pickle-global", /os\.system/],
  ["CVE-2025-1944-zip-name-mismatch.pt", "critical", "pickle-global", /os\.system/],
  ["CVE-2025-1945-zip-flag-bits.pt", "critical", "pickle-global", /os\.system/],
  ["CVE-2025-10155-protocol0.bin", "critical", "pickle-global", /os\.system/],
  ["CVE-2025-10156-zip-bad-crc.pt", "critical", "pickle-global", /os\.system/],
  ["CVE-2025-10157-submodule-global.pkl", "critical", "pickle-global", /asyncio\.unix_events\._UnixSubprocessTransport\._start/],
  ["CVE-2025-32434-legacy.pt", "critical", "pickle-global", /os\.system/],
  ["CVE-2025-32434-torchscript.pt", "high", "torchscript-setstate", /__setstate__/],
  ["CVE-2026-1462-tfsmlayer.keras", "high", "keras-tfsm-layer", /"attacker_savedmodel".*safe_mode/],
  ["nullifai-broken-stream.pkl", "critical", "pickle-global", /os\.system/],
  ["nullifai-7z-member.zip", "medium", "scan-incomplete", /model\/weights\.7z.*7-Zip archive/],
  ["nullifai-7z-member.tar", "medium", "scan-incomplete", /tar: member "model\/weights\.7z".*7-Zip archive/],
  ["nullifai-7z.pt", "medium", "scan-incomplete", /7-Zip archive/],
];

describe("advisory proof-of-concept files", () => {
  for (const [file, highest, code, text] of CASES) {
    it(`${file}: ${highest} (${code})`, () => {
      const { code: exit, report } = scan(join(DIR, file));
      expect(report.highest).toBe(highest);
      const f = report.findings.find((x: { severity: string; code: string }) => x.severity === highest && x.code === code);
      expect(f, JSON.stringify(report.findings)).toBeDefined();
      expect(f.message).toMatch(text);
      // critical and high fail the default threshold; an unread 7z is not a clean 0 either
      expect(exit).toBe(highest === "medium" ? (report.files[0].status === "unreadable" ? 2 : 0) : 1);
      if (highest === "medium") expect(report.summary.coverage).toBe("incomplete");
    });
  }

  it("a 7-Zip archive in a model folder is incomplete, not skipped like a README", () => {
    const d = join(tmp, "repo");
    mkdirSync(d, { recursive: true });
    copyFileSync(join(DIR, "nullifai-7z.pt"), join(d, "pytorch_model.bin"));
    const { report } = scan(d);
    expect(report.summary.highest).toBe("medium");
    expect(report.summary.coverage).toBe("incomplete");
    expect(report.files[0].status).toBe("unreadable");
    expect(report.findings.map((x: { code: string }) => x.code)).toEqual(["scan-incomplete"]);
  });

  it("zip members are judged by their first bytes: archive and stream magics are incomplete, look-alike text is not", () => {
    const seven = readFileSync(join(DIR, "nullifai-7z.pt"));
    const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))));
    const unread = (kind: string) => new RegExp(`member "inner/blob" was not scanned: it is ${kind}`);
    const cases: [string, Uint8Array, 0 | 8, RegExp | null][] = [
      ["deflated 7z", seven, 8, unread("a 7-Zip archive")], // sniffed after inflating, as the member is read
      ["RAR", bytes("Rar!", [0x1a, 0x07, 0x01, 0x00], "xxxxxxxx"), 0, unread("a RAR archive")],
      // xz and bzip2 streams are taken for compressed joblib dumps, which cannot be opened: incomplete too
      ["xz", bytes([0xfd], "7zXZ", [0x00, 0x00, 0x04], "xxxxxxxx"), 0, /^inner\/blob: the member could not be read/],
      ["zstd", bytes([0x28, 0xb5, 0x2f, 0xfd], "xxxxxxxx"), 0, unread("zstd-compressed data")],
      ["bzip2", bytes("BZh91AY&SY", "xxxxxxxx"), 0, /^inner\/blob: the member could not be read/],
      ["text starting Rar", bytes("Rar! is not an archive\n"), 0, null],
      ["text starting 7z", bytes("7z archives are not read\n"), 0, null],
      ["zstd magic cut short", bytes([0x28, 0xb5, 0x2f]), 0, null],
    ];
    for (const [what, content, method, kind] of cases) {
      const f = join(tmp, `member-${what.replace(/ /g, "-")}.zip`);
      writeFileSync(f, zipOf("inner/blob", content, method));
      const incomplete = scan(f).report.findings.filter((x: { code: string }) => x.code === "scan-incomplete");
      if (kind === null) expect(incomplete, what).toEqual([]);
      else {
        expect(incomplete, what).toHaveLength(1);
        expect(incomplete[0].message, what).toMatch(kind);
      }
    }
  });
});
