// The supervised child: takes one input at a time over IPC, exercises it with the built SDK and
// answers with the outcome. After a trap or an untyped error it exits, because the core's memory
// may be left inconsistent; the supervisor starts a fresh child for the next input.
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { exercise } from "./exercise.mjs";

const root = process.env.OMNIMODEL_FUZZ_ROOT ?? join(import.meta.dirname, "..", "..");
const sdk = await import(pathToFileURL(join(root, "dist", "bindings", "node-index.js")).href);
await sdk.init();

process.on("message", async (task) => {
  const t0 = performance.now();
  const bytes = new Uint8Array(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const r = await exercise(sdk, bytes, task.name, task.dir, task.cap);
  process.send({ id: task.id, ...r, ms: performance.now() - t0, rss: process.memoryUsage.rss() }, () => {
    if (r.outcome === "trap" || r.outcome === "untyped") process.exit(0);
  });
});
process.send({ ready: true });
