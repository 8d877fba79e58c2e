// A static HTTP server for host tests: serves files under a root (and extra named files, e.g. a
// sparse multi-GB model) with single-range Range support and application/wasm for .wasm, on
// 127.0.0.1 only. Records every request's Range header.
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const TYPES = { ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html", ".json": "application/json" };

export function startServer(root, extra = {}) {
  const log = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file = extra[path];
    if (!file) {
      const p = normalize(join(root, path));
      if (p !== root && !p.startsWith(root + sep)) {
        res.writeHead(403).end();
        return;
      }
      file = p;
    }
    let size;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error("not a file");
      size = st.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const range = req.headers.range;
    log.push({ path, range: range ?? null });
    const headers = { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "accept-ranges": "bytes", "cache-control": "no-store" };
    const m = range && /^bytes=(\d+)-(\d*)$/.exec(range);
    if (!m) {
      res.writeHead(200, { ...headers, "content-length": size });
      if (req.method === "HEAD") return res.end();
      createReadStream(file).pipe(res);
      return;
    }
    const a = Number(m[1]);
    const b = Math.min(m[2] === "" ? size - 1 : Number(m[2]), size - 1);
    if (a >= size || b < a) {
      res.writeHead(416, { "content-range": `bytes */${size}` }).end();
      return;
    }
    res.writeHead(206, { ...headers, "content-length": b - a + 1, "content-range": `bytes ${a}-${b}/${size}` });
    createReadStream(file, { start: a, end: b }).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, log, close: () => new Promise((r) => server.close(r)) });
    });
  });
}
