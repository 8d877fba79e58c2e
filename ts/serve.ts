// `omnimodel serve [FILE|DIR]`: serves the inspector page (dist/inspector/) on localhost and,
// given a model, serves it too (with Range requests, so only what the page asks for is read)
// and opens the page on it. The page itself works from any static host; this is a convenience.
//
// Only 127.0.0.1 is bound, only GET and HEAD are answered, and only files inside the page's
// folder and the model's folder are served (real paths compared, so symlinks cannot lead out).

import { createReadStream, existsSync, realpathSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { spawn } from "node:child_process";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chooseEntry } from "../bindings/node.ts";
import { init } from "./open.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".map": "application/json",
  ".json": "application/json",
};

export interface ServeOptions {
  port?: number;
  open?: boolean;
  log?: (line: string) => void;
}

export interface InspectorServer {
  url: string;
  close(): Promise<void>;
}

/** The package's one core (dist/ts/serve.js -> build/omnimodel.wasm); the npm package ships no other copy. */
function coreWasm(): string | null {
  for (const rel of ["../../build/omnimodel.wasm", "../build/omnimodel.wasm"]) { // compiled, or run from ts/
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

/** The real path of `rel` under `root`, or null when it does not exist or lies outside. */
function inside(root: string, rel: string): string | null {
  const p = resolve(root, "." + sep + rel);
  if (!existsSync(p)) return null;
  const real = realpathSync(p);
  const r = relative(root, real);
  if (r.startsWith("..") || resolve(root, r) !== real) return null;
  return statSync(real).isFile() ? real : null;
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string): void {
  const size = statSync(path).size;
  const headers: Record<string, string | number> = {
    "Content-Type": TYPES[extname(path)] ?? "application/octet-stream",
    "Accept-Ranges": "bytes",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  };
  const range = req.headers.range && /^bytes=(\d*)-(\d*)$/.exec(req.headers.range);
  if (req.headers.range && !range) {
    res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
    return;
  }
  if (range) {
    let start = range[1] === "" ? Math.max(0, size - Number(range[2])) : Number(range[1]);
    let end = range[1] === "" || range[2] === "" ? size - 1 : Math.min(Number(range[2]), size - 1);
    if (start > end || start >= size) {
      res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
      return;
    }
    res.writeHead(206, { ...headers, "Content-Range": `bytes ${start}-${end}/${size}`, "Content-Length": end - start + 1 });
    if (req.method === "HEAD") res.end();
    else createReadStream(path, { start, end }).pipe(res);
    return;
  }
  res.writeHead(200, { ...headers, "Content-Length": size });
  if (req.method === "HEAD") res.end();
  else createReadStream(path).pipe(res);
}

function pageRoot(): string {
  // dist/ts/serve.js -> dist/inspector/
  return fileURLToPath(new URL("../inspector/", import.meta.url));
}

/** Starts the server; `model` is a file or a model folder to serve under /model/. */
export async function startInspectorServer(model: string | undefined, options: ServeOptions = {}): Promise<InspectorServer> {
  const root = realpathSync(pageRoot());
  if (!existsSync(join(root, "index.html"))) throw new Error(`the inspector is not built (${root}): run \`npm run build\``);
  let modelRoot: string | null = null;
  let modelPath = "";
  if (model) {
    const real = realpathSync(model);
    if (statSync(real).isDirectory()) {
      modelRoot = real;
      modelPath = chooseEntry(await init(), real);
    } else {
      modelRoot = dirname(real);
      modelPath = basename(real);
    }
  }
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file: string | null = null;
    if (path.startsWith("/model/") && modelRoot) file = inside(modelRoot, path.slice("/model/".length));
    else if (path === "/omnimodel.wasm") file = coreWasm();
    else file = inside(root, path === "/" ? "index.html" : path.slice(1));
    if (!file) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    sendFile(req, res, file);
  });
  const port = await new Promise<number>((ok, fail) => {
    const tryListen = (p: number) => {
      server.once("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EADDRINUSE" && p !== 0) tryListen(0);
        else fail(e);
      });
      server.listen(p, "127.0.0.1", () => {
        const a = server.address();
        ok(typeof a === "object" && a ? a.port : p);
      });
    };
    tryListen(options.port ?? 8417);
  });
  const base = `http://127.0.0.1:${port}/`;
  const modelUrl = modelPath ? `/model/${modelPath.split("/").map(encodeURIComponent).join("/")}` : "";
  return {
    url: modelUrl ? `${base}?url=${encodeURIComponent(modelUrl)}` : base,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

function openBrowser(url: string): void {
  const cmd = process.platform === "darwin" ? "open" : process.platform === "win32" ? "cmd" : "xdg-open";
  const args = process.platform === "win32" ? ["/c", "start", "", url] : [url];
  try {
    const child = spawn(cmd, args, { stdio: "ignore", detached: true });
    child.on("error", () => {}); // no desktop: the printed URL is enough
    child.unref();
  } catch {
    // same
  }
}

/** The `serve` command: runs until interrupted. */
export async function serve(model: string | undefined, options: ServeOptions = {}): Promise<number> {
  const log = options.log ?? ((s: string) => process.stderr.write(s + "\n"));
  const s = await startInspectorServer(model, options);
  log(`omnimodel inspector: ${s.url}`);
  log(model ? `serving ${model} to this computer only; Ctrl+C to stop` : "drop a model file on the page; Ctrl+C to stop");
  if (options.open !== false) openBrowser(s.url);
  await new Promise<void>((ok) => {
    process.once("SIGINT", ok);
    process.once("SIGTERM", ok);
  });
  await s.close();
  return 0;
}
