#!/usr/bin/env node
// The omnimodel CLI (the SDK's compiled TypeScript in dist/, the core in build/).
import { existsSync } from "node:fs";

const cli = new URL("../dist/ts/cli.js", import.meta.url);
if (!existsSync(cli) || !existsSync(new URL("../build/omnimodel.wasm", import.meta.url))) {
  process.stderr.write("omnimodel is not built yet: run `npm run build` in the package folder\n");
  process.exit(2);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
