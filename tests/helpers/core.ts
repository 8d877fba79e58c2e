// Test helpers: the built SDK (dist/) and the built core (build/omnimodel.wasm).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CORPUS = join(ROOT, "..", "shared", "corpus");
export const FIXTURES = join(ROOT, "tests", "fixtures");
export const WASM_PATH = join(ROOT, "build", "omnimodel.wasm");

export function wasmBytes(): Uint8Array {
  return readFileSync(WASM_PATH);
}

// The SDK as users get it (Node entry).
export async function sdk(): Promise<typeof import("../../dist/bindings/node-index.js")> {
  return import("../../dist/bindings/node-index.js");
}

export function corpusManifest(): { cases: Record<string, any> } {
  return JSON.parse(readFileSync(join(CORPUS, "MANIFEST.json"), "utf8"));
}
