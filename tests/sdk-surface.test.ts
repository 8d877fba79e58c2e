// The Python package offers what the TypeScript Model and Tensor offer, under snake_case names.
// Both surfaces are read from the sources (the compiled .d.ts, and Python's ast, so no Python
// packages are needed); a member added to one side only fails this test until the other has it
// or it is listed below with the reason.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/core";

/** Host plumbing that is public in TypeScript for the SDK's own writers, not a user surface. */
const TS_ONLY: Record<string, Record<string, string>> = {
  Model: {
    core: "the wasm instance, used by ts/writers",
    handle: "the core's job handle, used by ts/writers",
    table: "the source table, used by ts/writers",
    open_read: "read-job plumbing for ts/writers",
    with_read: "read-job plumbing for ts/writers",
    drive_read: "read-job plumbing for ts/writers",
    open_options: "what pool workers reopen the file with (Python keeps it as _open_options)",
    inflate_budget: "the decompression budget openChild() hands to children (Python: not yet shared)",
  },
  Tensor: { position: "the tensor's index for pool workers (Python keeps it as _position)" },
};

/** Python additions with no TypeScript counterpart. */
const PY_ONLY: Record<string, Record<string, string>> = {
  Model: { tensor_list: "TypeScript's `tensors` is the list; Python's `tensors` is the name -> Tensor dict" },
  Tensor: { numpy: "NumPy arrays are Python's typed arrays" },
};

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

function tsMembers(cls: string): string[] {
  const dts = readFileSync(join(ROOT, "dist", "ts", "model.d.ts"), "utf8");
  const start = dts.indexOf(`export declare class ${cls} `);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = dts.slice(start, dts.indexOf("\n}", start));
  const names = new Set<string>();
  for (const line of body.split("\n")) {
    const m = /^ {4}(?:readonly |get |static )?([A-Za-z_]\w*)[?]?[(<:]/.exec(line);
    if (m && m[1] !== "constructor" && !/^ {4}private /.test(line)) names.add(snake(m[1]));
  }
  return [...names].sort();
}

function pyMembers(cls: string): string[] {
  const code = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == sys.argv[2])
names = set()
for n in cls.body:
    if isinstance(n, ast.FunctionDef):
        if not n.name.startswith("_"):
            names.add(n.name)
        if n.name == "__init__":
            for a in ast.walk(n):
                if isinstance(a, (ast.Assign, ast.AnnAssign)):
                    for t in (a.targets if isinstance(a, ast.Assign) else [a.target]):
                        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self" and not t.attr.startswith("_"):
                            names.add(t.attr)
print(json.dumps(sorted(names)))
`;
  const r = spawnSync(process.env.PYTHON ?? "python3", ["-c", code, join(ROOT, "python", "src", "omnimodel", "_model.py"), cls], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout);
}

describe("Python and TypeScript offer the same Model and Tensor", () => {
  for (const cls of ["Model", "Tensor"]) {
    it(cls, () => {
      const ts = tsMembers(cls);
      const py = pyMembers(cls);
      expect(ts.length).toBeGreaterThan(5);
      expect(py.length).toBeGreaterThan(5);
      const missingInPython = ts.filter((n) => !py.includes(n) && !(n in TS_ONLY[cls]));
      const missingInTs = py.filter((n) => !ts.includes(n) && !(n in PY_ONLY[cls]));
      expect({ missingInPython, missingInTs }).toEqual({ missingInPython: [], missingInTs: [] });
      // an exception that no longer applies is stale
      expect(Object.keys(TS_ONLY[cls]).filter((n) => !ts.includes(n))).toEqual([]);
      expect(Object.keys(PY_ONLY[cls]).filter((n) => !py.includes(n))).toEqual([]);
    });
  }

  it("the same module-level verbs", () => {
    const init = readFileSync(join(ROOT, "python", "src", "omnimodel", "__init__.py"), "utf8");
    const all = /__all__ = \[([^\]]*)\]/s.exec(init)![1];
    const node = readFileSync(join(ROOT, "dist", "bindings", "node-index.d.ts"), "utf8") + readFileSync(join(ROOT, "dist", "ts", "index.d.ts"), "utf8");
    for (const verb of ["open", "scan", "convert"]) {
      expect(all).toContain(`"${verb}"`);
      expect(node).toMatch(new RegExp(`\\b${verb}\\b`));
    }
  });
});
