// A local HTTP server that serves files with Range support and counts the bytes it sends.
import { createServer, type Server } from "node:http";
import { openSync, readSync, statSync, closeSync, createReadStream } from "node:fs";
import { join, normalize } from "node:path";

export interface RangeServer {
  url: string;
  bytesServed: () => number;
  requests: () => number;
  reset: () => void;
  close: () => Promise<void>;
}

/**
 * ignoreRanges: answer every request with 200 and the whole file, as servers without Range support
 * do; noLength: send that body chunked, without Content-Length.
 */
export async function startRangeServer(root: string, options: { ignoreRanges?: boolean; noLength?: boolean } = {}): Promise<RangeServer> {
  let served = 0;
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    const rel = normalize(decodeURIComponent(new URL(req.url!, "http://x").pathname)).replace(/^\/+/, "");
    if (rel.startsWith("..")) { res.writeHead(403).end(); return; }
    const path = join(root, rel);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const m = /bytes=(\d+)-(\d+)?/.exec(req.headers.range ?? "");
    if (!m || options.ignoreRanges) {
      res.writeHead(200, options.noLength ? {} : { "content-length": size });
      const body = createReadStream(path);
      body.on("data", (c) => { served += c.length; });
      body.pipe(res);
      res.on("close", () => body.destroy());
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
    if (start >= size) { res.writeHead(416, { "content-range": `bytes */${size}` }).end(); return; }
    const len = end - start + 1;
    const buf = Buffer.alloc(len);
    const fd = openSync(path, "r");
    readSync(fd, buf, 0, len, start);
    closeSync(fd);
    served += len;
    res.writeHead(206, { "content-range": `bytes ${start}-${end}/${size}`, "content-length": len, "accept-ranges": "bytes" });
    res.end(buf);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bytesServed: () => served,
    requests: () => count,
    reset: () => { served = 0; count = 0; },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
