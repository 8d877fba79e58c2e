// The command line's argument rules: strict options (unknown flags and bad values are one line and
// exit 2), help per verb on stdout with exit 0, --version, and no stack traces for the mistakes a
// user makes in the first hour (a closed pipe, a missing output folder, a missing path).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/core";

const BIN = join(ROOT, "bin", "omnimodel.js");
const SAMPLE = join(ROOT, "samples", "tiny-mlp.safetensors");
const VERBS = ["inspect", "dump", "convert", "scan", "serve"];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function oneLine(s: string) {
  expect(s.trim().split("\n")).toHaveLength(1);
  expect(s).not.toMatch(/\n\s+at /);
}

describe("CLI arguments", () => {
  it("--version prints the package version", () => {
    const r = cli("--version");
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  it("--help lists every verb on stdout with exit 0; no command is usage on stderr with exit 2", () => {
    const r = cli("--help");
    expect(r.code).toBe(0);
    for (const v of VERBS) expect(r.out).toMatch(new RegExp(`^  ${v}\\s`, "m"));
    const none = cli();
    expect(none.code).toBe(2);
    expect(none.out).toBe("");
    expect(none.err).toMatch(/usage: omnimodel COMMAND/);
  });

  it.each(VERBS)("%s --help and -h print that verb's options to stdout, exit 0", (v) => {
    for (const flag of ["--help", "-h"]) {
      const r = cli(v, flag);
      expect(r.code).toBe(0);
      expect(r.err).toBe("");
      expect(r.out).toMatch(new RegExp(`^usage: omnimodel ${v} `));
      expect(r.out).toMatch(/-h, --help/);
    }
    expect(cli("help", v).out).toBe(cli(v, "--help").out);
  });

  it("an unknown flag is one line naming it, exit 2", () => {
    const r = cli("inspect", SAMPLE, "--jsn");
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/^omnimodel inspect: unknown option '--jsn'/);
  });

  it("a bad value is one line naming the flag and the value, exit 2", () => {
    for (const [args, re] of [
      [["dump", SAMPLE, "0.weight", "--head", "abc"], /--head must be an integer >= 0, not 'abc'/],
      [["dump", SAMPLE, "0.weight", "--head", "-1"], /--head/],
      [["dump", SAMPLE, "0.weight", "--dtype", "F12"], /--dtype must be one of F32, F16, BF16, not 'F12'/],
      [["convert", SAMPLE, "x.safetensors", "--dtype", "int3"], /--dtype must be one of keep, F32, F16, BF16/],
      [["scan", SAMPLE, "--fail-on", "severe"], /--fail-on must be one of critical, high, medium, low, info/],
      [["serve", "--port", "99999"], /--port must be an integer 0..65535/],
      [["dump", SAMPLE, "0.weight", "--out"], /option '--out <value>' argument missing/],
    ] as const) {
      const r = cli(...args);
      expect(r.code, args.join(" ")).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(re);
    }
  });

  it("missing and extra positional arguments are usage errors", () => {
    expect(cli("dump", SAMPLE).err).toMatch(/^omnimodel dump: missing TENSOR/);
    const extra = cli("inspect", SAMPLE, SAMPLE);
    expect(extra.code).toBe(2);
    expect(extra.err).toMatch(/unexpected argument/);
    const unknown = cli("inspekt", SAMPLE);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^omnimodel: unknown command 'inspekt'/);
  });

  it("a reader that closes the pipe early ends the command quietly with exit 0", () => {
    // inspect --json of a graph model writes ~100 KB, more than a pipe buffer holds
    const big = join(ROOT, "..", "shared", "corpus", "tf", "tf2onnx-gru-frozen.pb");
    const file = existsSync(big) ? big : SAMPLE;
    const direct = spawnSync("bash", ["-c", `"${process.execPath}" "${BIN}" inspect --json "${file}" | head -c 1 >/dev/null; echo \${PIPESTATUS[0]}`], { encoding: "utf8" });
    expect(direct.stderr).toBe("");
    expect(direct.stdout.trim()).toBe("0");
  });

  it("output into a missing folder and serve of a missing path are one clear line", () => {
    const r = cli("convert", SAMPLE, join(ROOT, "no-such-folder", "x.safetensors"));
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/the folder .*no-such-folder does not exist/);
    expect(r.err).not.toMatch(/ENOENT/);
    const d = cli("dump", SAMPLE, "0.weight", "--out", join(ROOT, "no-such-folder", "x.npy"));
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/does not exist/);
    const s = cli("serve", join(ROOT, "no-such-model.gguf"), "--no-open");
    expect(s.code).toBe(2);
    oneLine(s.err);
    expect(s.err).toMatch(/cannot serve .*no-such-model\.gguf: no such file or folder/);
  });
});
