"""Shared by the batch tests: the file set (the repository's fixtures and samples, plus the
model corpus next to the repository when it is there), a loopback HTTP server with Range
support, sparse big files, and the CLI's answers for the same files."""

import json
import os
import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.environ.get("OMNIMODEL_REPO") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
CLI = os.path.join(ROOT, "bin", "omnimodel.js")

# Columns whose values are the same whichever host wrote the row (seconds is a time; the error
# message is worded by the host, its code is not).
COMPARED = ["source", "format", "size", "tensors", "parameters", "bytes_fetched", "highest", "findings", "error"]


def file_set():
    """Directories whose every file is in the set, relative to ROOT (the corpus absolute)."""
    dirs = [os.path.join(ROOT, "tests", "fixtures"), os.path.join(ROOT, "samples")]
    if os.path.isdir(CORPUS):
        dirs.append(CORPUS)
    files = []
    for d in dirs:
        for base, subdirs, names in os.walk(d):
            subdirs.sort()
            for n in sorted(names):
                p = os.path.join(base, n)
                if os.path.isfile(p):
                    files.append(os.path.relpath(p, ROOT) if p.startswith(ROOT + os.sep) else p)
    return files


def write_list(path, items):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# a comment, then the sources\n\n" + "\n".join(items) + "\n")
    return path


def sparse_safetensors(path, elements=1_300_000_000):
    """A safetensors file of more than 5 GB that takes a few KB on disk: one F32 tensor of zeros
    (a hole) and a small one after it."""
    header = {"__metadata__": {"note": "sparse"}, "big": {"dtype": "F32", "shape": [elements], "data_offsets": [0, elements * 4]},
              "tail": {"dtype": "F32", "shape": [4], "data_offsets": [elements * 4, elements * 4 + 16]}}
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text)
        f.truncate(8 + len(text) + elements * 4 + 16)
        f.seek(8 + len(text) + elements * 4)
        f.write(b"\x00\x00\xc0\x3f" * 4)
    return 8 + len(text) + elements * 4 + 16


class RangeServer:
    """Serves ROOT-relative paths (and extra names) on 127.0.0.1 with single-range GETs; counts
    the bytes it sent. `delay` seconds are slept before each answer (to keep files in flight)."""

    def __init__(self, extra=None, delay=0.0):
        self.extra = dict(extra or {})
        self.delay = delay
        self.sent = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                rel = self.path.split("?", 1)[0].lstrip("/")
                from urllib.parse import unquote

                rel = unquote(rel)
                path = server.extra.get(rel) or os.path.join(ROOT, rel)
                if ".." in rel.split("/") or not os.path.isfile(path):
                    self.send_error(404)
                    return
                size = os.path.getsize(path)
                m = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range") or "")
                if not m:
                    self.send_error(400, "Range requests only")
                    return
                a, b = int(m.group(1)), min(int(m.group(2)), size - 1)
                if a >= size or b < a:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.end_headers()
                    return
                if server.delay:
                    time.sleep(server.delay)
                with open(path, "rb") as f:
                    f.seek(a)
                    body = f.read(b - a + 1)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {a}-{b}/{size}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with server.lock:
                    server.sent += len(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def url(self, rel):
        from urllib.parse import quote

        return self.base + quote(rel)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def cli_rows(list_file, out, concurrency=4):
    """Rows of `omnimodel scan --from-list LIST --jsonl OUT`, by source."""
    r = subprocess.run(["node", CLI, "scan", "--from-list", list_file, "--jsonl", out, "--concurrency", str(concurrency)],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode in (0, 1, 2), r.stderr
    return rows_by_source(out)


def cli_scan_json(target):
    """`omnimodel scan TARGET --json` (a file or a directory)."""
    r = subprocess.run(["node", CLI, "scan", target, "--json", "--fail-on", "critical"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode in (0, 1, 2), r.stderr
    return json.loads(r.stdout)


def rows_by_source(jsonl):
    rows = {}
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            assert r["source"] not in rows, f"two rows for {r['source']}"
            rows[r["source"]] = r
    return rows


def differences(a, b, columns=COMPARED):
    """Sources whose rows differ, with the first differing column."""
    out = []
    for s in sorted(set(a) | set(b)):
        ra, rb = a.get(s), b.get(s)
        if ra is None or rb is None:
            out.append((s, "missing"))
            continue
        for c in columns:
            if ra.get(c) != rb.get(c):
                out.append((s, c, ra.get(c), rb.get(c)))
                break
    return out
