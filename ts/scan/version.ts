// The package version for SARIF's tool.driver.version, read from package.json next to dist/ (Node).

import { readFileSync } from "node:fs";

export function packageVersion(): string {
  for (const rel of ["../../../package.json", "../../package.json"]) {
    try {
      const p = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8"));
      if (p.name === "omnimodel" && typeof p.version === "string") return p.version;
    } catch { /* try the next layout */ }
  }
  return "0.0.0";
}
