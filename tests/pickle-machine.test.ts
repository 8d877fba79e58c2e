// The pickle machine on streams written by CPython's pickle at every protocol: values, stacked
// pickles, cycles, piecewise feeding, and malformed input (typed errors only, never a trap).
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { expected, fixture, inspectPickle } from "./helpers/pickle-wasm";

const EXP = expected();

// Sets are unordered: compare them sorted.
function normalize(v: any): any {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") {
    const o: any = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalize(x);
    for (const tag of ["$set", "$frozenset"]) if (Array.isArray(o[tag])) o[tag] = [...o[tag]].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    return o;
  }
  return v;
}

describe("plain Python data at protocols 0-5", () => {
  for (let proto = 0; proto <= 5; proto++) {
    const name = `plain-p${proto}.pkl`;
    it(`${name} folds to the values pickle wrote`, () => {
      const data = fixture(name);
      const r = inspectPickle(data);
      expect(r.error).toBeUndefined();
      expect(r.streams).toBe(1);
      expect(r.protocols).toEqual([proto >= 2 ? proto : -1]);
      const meta = { ...r.metadata };
      const large = meta.large;
      delete meta.large;
      expect(normalize(meta)).toEqual(normalize(EXP[name].metadata_except_large));
      expect(large.length).toBe(EXP[name].large_length);
      if (proto >= 3) {
        // bytes above the copy threshold are recorded as a range of the input, not copied
        expect(typeof large.offset).toBe("number");
        const bytes = data.subarray(large.offset, large.offset + large.length);
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(EXP[name].large_sha256);
      }
      expect(r.highest).toBe("none");
    });
    it(`${name} gives the same result fed in pieces of 1, 7 and 4096 bytes`, () => {
      const data = fixture(name);
      const whole = inspectPickle(data);
      for (const chunk of [1, 7, 4096]) {
        const part = inspectPickle(data, { chunk });
        expect(part.error).toBeUndefined();
        expect(part.metadata).toEqual(whole.metadata);
        expect(part.opcodes).toBe(whole.opcodes);
      }
      const skipping = inspectPickle(data, { skipLarge: true });
      expect(skipping.metadata).toEqual(whole.metadata);
    });
  }
});

describe("stream structure", () => {
  it("reads every pickle of a stacked stream", () => {
    const r = inspectPickle(fixture("stacked.pkl"));
    expect(r.streams).toBe(EXP["stacked.pkl"].streams);
    expect(r.metadata).toEqual(EXP["stacked.pkl"].values);
    expect(r.protocols).toEqual([2, 4, -1]);
  });
  it("represents cycles and shared objects by reference", () => {
    const r = inspectPickle(fixture("cycles.pkl"));
    expect(r.error).toBeUndefined();
    expect(r.metadata.list).toEqual([{ $ref: expect.any(Number) }]);
    expect(r.metadata.dict.self).toEqual({ $ref: expect.any(Number) });
    expect(r.metadata.a).toEqual([1, 2, 3]);
    expect(r.metadata.b).toEqual({ $ref: expect.any(Number) });
  });
  it("keeps memory bounded on a memo bomb and reports the expansion", () => {
    const data = fixture("mal-billion-laughs.pkl");
    expect(data.length).toBeLessThan(800);
    const r = inspectPickle(data);
    expect(r.error).toBeUndefined();
    expect(r.nodes).toBeLessThan(100);
    expect(r.logicalSize).toBeGreaterThan(1e15);
    expect(r.findings.some((f: any) => f.code === "pickle-expansion" && f.severity === "high")).toBe(true);
  });
});

describe("malformed streams give typed errors with offsets", () => {
  const cases: [string, string | null][] = Object.entries(EXP.malicious)
    .filter(([, v]: any) => "error" in v && typeof v.error !== "boolean")
    .map(([k, v]: any) => [k, v.error]);
  for (const [name, code] of cases) {
    it(`${name} -> ${code ?? "no error"}`, () => {
      const r = inspectPickle(fixture(name));
      if (code === null) expect(r.error).toBeUndefined();
      else {
        expect(r.error?.code).toBe(code);
        expect(typeof r.error.offset).toBe("number");
      }
    });
  }
  it("frame violations are critical findings", () => {
    for (const name of ["mal-frame-straddle.pkl", "mal-frame-in-frame.pkl", "mal-frame-beyond-eof.pkl"]) {
      expect(inspectPickle(fixture(name)).highest).toBe("critical");
    }
  });
  it("a truncated stream fed in pieces reports truncation, not a trap", () => {
    const unframed = fixture("plain-p2.pkl").subarray(0, 500);
    for (const chunk of [0, 1, 13]) expect(inspectPickle(unframed, { chunk }).error.code).toBe("truncated");
    // protocol 4 is framed: the cut leaves a FRAME reaching past the end
    const framed = fixture("plain-p4.pkl").subarray(0, 500);
    expect(inspectPickle(framed).error.code).toBe("frame");
    // fed in pieces the total length is unknown, so the end of input is met first
    for (const chunk of [1, 13]) expect(["frame", "truncated"]).toContain(inspectPickle(framed, { chunk }).error.code);
  });
  it("empty input is an error", () => {
    expect(inspectPickle(new Uint8Array(0)).error.code).toBe("empty");
  });
});

describe("fuzz: mutated pickles only give typed errors", () => {
  // deterministic xorshift so a failure can be replayed
  let s = 0x9e3779b9;
  const rnd = (n: number) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
  const seeds = ["plain-p0.pkl", "plain-p2.pkl", "plain-p4.pkl", "plain-p5.pkl", "numpy-p2.pkl", "numpy-p5.pkl", "torch-checkpoint.data.pkl", "sklearn-logreg-p4.pkl"];
  const codes = new Set(["truncated", "unknown-opcode", "no-mark", "stack-underflow", "bad-memo", "bad-argument", "bad-text", "frame", "protocol", "bad-stop", "cap-opcodes", "cap-stack", "cap-memo", "cap-nodes", "cap-length", "cap-line", "empty"]);
  it("2400 mutants", () => {
    for (let round = 0; round < 2400; round++) {
      const src = fixture(seeds[round % seeds.length]);
      const m = new Uint8Array(src.subarray(0, Math.min(src.length, 3000)));
      const edits = 1 + rnd(4);
      for (let e = 0; e < edits; e++) {
        const kind = rnd(3);
        const at = rnd(m.length);
        if (kind === 0) m[at] = rnd(256);
        else if (kind === 1) m[at] = [0x28, 0x2e, 0x30, 0x52, 0x62, 0x93, 0x94, 0x68, 0x71, 0x95, 0x8e, 0x32][rnd(12)];
        else m[at] ^= 1 << rnd(8);
      }
      const cut = rnd(4) === 0 ? rnd(m.length) : m.length;
      const r = inspectPickle(m.subarray(0, cut), { chunk: round % 3 === 0 ? 1 + rnd(64) : 0 });
      if (r.error) expect(codes.has(r.error.code)).toBe(true);
    }
  });
});
