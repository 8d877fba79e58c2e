#!/usr/bin/env python3
"""Scanner evaluation: omnimodel vs picklescan, modelscan, fickling and ModelAudit on one labelled set, in one run.

The labelled set:
- the shared corpus: every file of pickle/malicious (real exploits from picklescan and fickling) and
  the benign pickle-bearing files (pickle/ top level and edge/, pytorch/, object .npy/.npz, misc pickles);
- tests/fixtures/scan: one or more malicious fixtures per pattern of the pickle notes (categories A-D)
  and benign checkpoints written by the real libraries;
- tests/fixtures/scan-advisories: one proof of concept per public scanner-bypass advisory (category V).

Verdicts (see README.md): a malicious file is detected when the tool reports it at its top levels
(omnimodel critical/high, picklescan "dangerous", modelscan CRITICAL/HIGH, fickling >= LIKELY_UNSAFE, ModelAudit CRITICAL);
a benign file is a false alarm at critical when omnimodel says critical, picklescan "dangerous",
modelscan CRITICAL, fickling >= LIKELY_OVERTLY_MALICIOUS, ModelAudit CRITICAL.

Run from the repository root after `npm run build`, with the venv that has the four tools:

    python bench/scan/run.py --corpus ../shared/corpus

None of the tools executes the files: all five read them statically.
"""
import argparse
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections import defaultdict
from importlib.metadata import version

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "bench", "scan")
PINS = {"picklescan": "1.0.5", "modelscan": "0.8.8", "fickling": "0.1.12", "modelaudit": "0.2.54"}
CATEGORIES = {
    "corpus": "corpus: real exploits (picklescan, fickling)",
    "A": "A: code execution through globals",
    "B": "B: name-resolution tricks",
    "C": "C: stream-structure tricks",
    "D": "D: container and format tricks",
    "F": "F: other formats (Keras, ONNX, TF graph, zip/tar paths)",
    "V": "V: public advisories' proofs of concept",
    "benign-corpus": "benign: corpus files",
    "benign": "benign: generated checkpoints",
}
TOOLS = ["omnimodel", "picklescan", "modelscan", "fickling", "modelaudit"]


class Timeout(Exception):
    pass


def with_timeout(seconds, fn, *args):
    def handler(signum, frame):
        raise Timeout()
    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        return fn(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def labelled_set(corpus):
    items = []
    manifest = json.load(open(os.path.join(corpus, "MANIFEST.json")))["cases"]
    for key, c in sorted(manifest.items()):
        path = os.path.join(corpus, key)
        if key.startswith("pickle/malicious/"):
            items.append(dict(path=path, name=key, label="malicious", category="corpus"))
        elif key.startswith("pickle/invalid/") or key.endswith("/") or not os.path.isfile(path):
            continue
        elif ("pickle" in c["format"] or "pytorch" in c["format"] or "joblib" in c["format"] or "torchscript" in c["format"]) and c.get("valid", True):
            items.append(dict(path=path, name=key, label="benign", category="benign-corpus"))
    cases = json.load(open(os.path.join(ROOT, "tests", "fixtures", "scan", "cases.json")))["cases"]
    for c in cases:
        if c["label"] not in ("malicious", "benign"):
            continue  # "suspicious" fixtures are not scored
        items.append(dict(path=os.path.join(ROOT, "tests", "fixtures", "scan", c["file"]), name=c["file"], label=c["label"],
                          category=c["category"], pattern=c.get("pattern"), description=c.get("description")))
    adv = os.path.join(ROOT, "tests", "fixtures", "scan-advisories")
    for name in sorted(os.listdir(adv)):
        if not name.endswith(".py"):
            items.append(dict(path=os.path.join(adv, name), name="advisories/" + name, label="malicious", category="V",
                              description=name.rsplit(".", 1)[0]))
    return items


# ---------------------------------------------------------------------------------------------- tools

def run_ours(items):
    # relative paths (from the repository root) keep machine paths out of messages and results.json
    rel = {i["path"]: os.path.relpath(i["path"], ROOT) for i in items}
    proc = subprocess.run(["node", os.path.join(HERE, "ours.mjs")], input=json.dumps(list(rel.values())).encode(),
                          capture_output=True, cwd=ROOT, timeout=1800)
    if proc.returncode != 0:
        sys.exit("omnimodel failed: " + proc.stderr.decode()[-2000:])
    res = json.loads(proc.stdout)
    out = {}
    for i in items:
        r = res[rel[i["path"]]]
        out[i["path"]] = dict(detected=r["highest"] in ("critical", "high"), critical=r["highest"] == "critical",
                              level=r["highest"], error=r["error"], detail=r["findings"][:6])
    return out


def picklescan_one(path):
    from picklescan.scanner import scan_file_path
    r = scan_file_path(path)
    dangerous = sorted(f"{g.module}.{g.name}" for g in r.globals if g.safety.value == "dangerous")
    return dict(detected=r.infected_files > 0, critical=r.infected_files > 0,
                level="dangerous" if r.infected_files else ("suspicious" if r.globals else "innocuous"),
                error="scan error" if r.scan_err else None, detail=dangerous[:6])


def modelscan_one(path):
    from modelscan.modelscan import ModelScan
    r = ModelScan().scan(path)
    sev = [i["severity"] for i in r.get("issues", [])]
    errors = [e.get("description", "") for e in r.get("errors", [])]
    scanned = r.get("summary", {}).get("scanned", {}).get("total_scanned", 0)
    level = next((s for s in ("CRITICAL", "HIGH", "MEDIUM", "LOW") if s in sev), "none")
    err = "error" if errors else ("not scanned" if not scanned else None)
    return dict(detected=level in ("CRITICAL", "HIGH"), critical=level == "CRITICAL", level=level, error=err,
                detail=sorted({f"{i['severity']} {i.get('operator', '')}" for i in r.get("issues", [])})[:6])


def fickling_pickles(path):
    """The pickle streams fickling would analyse: a raw/stacked pickle, the pickle after an .npy
    header, or every *.pkl member of a zip (what its PyTorch wrapper reads)."""
    data = open(path, "rb").read()
    if data[:4] == b"PK\x03\x04" or zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [z.read(n) for n in z.namelist() if n.endswith(".pkl")]
    if data[:6] == b"\x93NUMPY":
        hl = int.from_bytes(data[8:10], "little") if data[6] == 1 else int.from_bytes(data[8:12], "little")
        return [data[(10 if data[6] == 1 else 12) + hl:]]
    return [data]


def fickling_one(path):
    from fickling.analysis import Severity, check_safety
    from fickling.fickle import StackedPickle
    worst = Severity.LIKELY_SAFE
    err = None
    try:
        streams = fickling_pickles(path)
    except Exception as e:  # noqa: BLE001 - a zip fickling cannot open
        return dict(detected=False, critical=False, level="error", error=type(e).__name__, detail=[])
    for s in streams:
        try:
            for p in StackedPickle.load(io.BytesIO(s), fail_on_decode_error=False):
                r = check_safety(p)
                if r.severity > worst:
                    worst = r.severity
        except Exception as e:  # noqa: BLE001 - fickling's parse failure
            err = type(e).__name__
    return dict(detected=worst >= Severity.LIKELY_UNSAFE, critical=worst >= Severity.LIKELY_OVERTLY_MALICIOUS,
                level=worst.name, error=err, detail=[])


def modelaudit_one(path):
    # ModelAudit's levels are CRITICAL > WARNING > INFO > DEBUG; its WARNING fires on ordinary
    # checkpoints (e.g. torch's own globals it cannot prove inert), so CRITICAL is its verdict
    from modelaudit.core import scan_model_directory_or_file
    r = scan_model_directory_or_file(path, cache_enabled=False)
    sev = [str(i.severity).rsplit(".", 1)[-1].upper() for i in r.issues]
    level = next((s for s in ("CRITICAL", "WARNING", "INFO") if s in sev), "none")
    err = "error" if r.has_errors else ("not scanned" if not r.files_scanned else None)
    return dict(detected=level == "CRITICAL", critical=level == "CRITICAL", level=level, error=err,
                detail=sorted({i.message[:100] for i in r.issues if str(i.severity).endswith(("CRITICAL", "WARNING"))})[:6])


def run_python_tool(fn, items, seconds=30):
    out = {}
    for i in items:
        t0 = time.time()
        try:
            r = with_timeout(seconds, fn, i["path"])
        except Timeout:
            r = dict(detected=False, critical=False, level="timeout", error="timeout", detail=[])
        except Exception as e:  # noqa: BLE001 - a crash counts as "not detected", recorded as an error
            r = dict(detected=False, critical=False, level="crash", error=f"{type(e).__name__}: {str(e)[:120]}", detail=[])
        r["s"] = round(time.time() - t0, 3)
        out[i["path"]] = r
    return out


# ---------------------------------------------------------------------------------------------- tables

def tables(items, results):
    by_cat = defaultdict(list)
    for i in items:
        by_cat[i["category"]].append(i)
    rows = []
    det_lines = ["| category | files | " + " | ".join(TOOLS) + " |", "|---|---:|" + "---:|" * len(TOOLS)]
    tot = defaultdict(int)
    n_mal = 0
    for cat in ("corpus", "A", "B", "C", "D", "F", "V"):
        its = by_cat.get(cat, [])
        if not its:
            continue
        n_mal += len(its)
        cells = []
        for t in TOOLS:
            d = sum(results[t][i["path"]]["detected"] for i in its)
            tot[t] += d
            cells.append(f"{d} ({len(its) - d} missed)")
        det_lines.append(f"| {CATEGORIES[cat]} | {len(its)} | " + " | ".join(cells) + " |")
    det_lines.append(f"| **all malicious** | **{n_mal}** | " + " | ".join(f"**{tot[t]}** ({n_mal - tot[t]} missed)" for t in TOOLS) + " |")
    fa_lines = ["| category | files | " + " | ".join(TOOLS) + " |", "|---|---:|" + "---:|" * len(TOOLS)]
    for cat in ("benign-corpus", "benign"):
        its = by_cat.get(cat, [])
        cells = [str(sum(results[t][i["path"]]["critical"] for i in its)) for t in TOOLS]
        fa_lines.append(f"| {CATEGORIES[cat]} | {len(its)} | " + " | ".join(cells) + " |")
    for cat in ("benign-corpus", "benign"):
        its = by_cat.get(cat, [])
        cells = [str(sum(results[t][i["path"]]["detected"] for i in its)) for t in TOOLS]
        fa_lines.append(f"| {CATEGORIES[cat]}, flagged at high or above | {len(its)} | " + " | ".join(cells) + " |")
    err_cells = []
    for t in TOOLS:
        err_cells.append(str(sum(1 for i in items if results[t][i["path"]].get("error"))))
    rows.append("\n".join(det_lines))
    rows.append("\n".join(fa_lines))
    rows.append("| | " + " | ".join(TOOLS) + " |\n|---|" + "---:|" * len(TOOLS) + "\n| files the tool could not scan (error, skipped, timeout) | " + " | ".join(err_cells) + " |")
    return rows


def misses(items, results):
    lines = []
    for t in TOOLS:
        miss = [i for i in items if i["label"] == "malicious" and not results[t][i["path"]]["detected"]]
        fa = [i for i in items if i["label"] == "benign" and results[t][i["path"]]["critical"]]
        lines.append(f"### {t}: {len(miss)} missed, {len(fa)} false alarms at critical\n")
        for i in miss:
            r = results[t][i["path"]]
            lines.append(f"- missed `{i['name']}` ({i.get('description') or i['category']}): level {r['level']}"
                         + (f", {r['error']}" if r.get("error") else ""))
        for i in fa:
            lines.append(f"- false alarm `{i['name']}`: level {results[t][i['path']]['level']}")
        lines.append("")
    return "\n".join(lines)


def replace_section(path, heading, body):
    """Replaces (or appends) the section that starts at `heading` and ends at the next `## `."""
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + heading + "\n\n" + body.rstrip("\n") + "\n"
    else:
        end = text.find("\n## ", start + len(heading))
        end = len(text) if end < 0 else end + 1
        text = text[:start] + heading + "\n\n" + body.rstrip("\n") + "\n" + ("\n" + text[end:] if end < len(text) else "")
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--no-write", action="store_true", help="print the tables, do not update the READMEs")
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)
    # ModelAudit sends usage telemetry unless told not to; an evaluation run sends nothing
    os.environ["PROMPTFOO_DISABLE_TELEMETRY"] = "1"
    os.environ["NO_ANALYTICS"] = "1"
    for k, v in PINS.items():
        if version(k) != v:
            sys.exit(f"{k} {version(k)} installed, the evaluation is pinned to {v}")
    items = labelled_set(os.path.abspath(args.corpus))
    results = {}
    t0 = time.time()
    results["omnimodel"] = run_ours(items)
    results["picklescan"] = run_python_tool(picklescan_one, items)
    results["modelscan"] = run_python_tool(modelscan_one, items)
    results["fickling"] = run_python_tool(fickling_one, items)
    results["modelaudit"] = run_python_tool(modelaudit_one, items, seconds=120)
    elapsed = time.time() - t0
    det, fa, errs = tables(items, results)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    head = (f"{len(items)} files ({sum(i['label'] == 'malicious' for i in items)} malicious, "
            f"{sum(i['label'] == 'benign' for i in items)} benign), all five tools in one run "
            f"({elapsed:.0f} s; omnimodel {json.load(open(os.path.join(ROOT, 'package.json')))['version']} on Node {node}, "
            f"picklescan {PINS['picklescan']}, modelscan {PINS['modelscan']}, fickling {PINS['fickling']}, modelaudit {PINS['modelaudit']}; "
            f"Python {sys.version.split()[0]}). Command: `python bench/scan/run.py` (method: bench/scan/README.md).")
    body = (head + "\n\nMalicious files detected (omnimodel critical/high, picklescan dangerous, modelscan CRITICAL/HIGH, "
            "fickling >= LIKELY_UNSAFE, ModelAudit CRITICAL):\n\n" + det + "\n\nBenign files flagged at the top level (omnimodel critical, "
            "picklescan dangerous, modelscan CRITICAL, fickling >= LIKELY_OVERTLY_MALICIOUS, ModelAudit CRITICAL):\n\n" + fa + "\n\n" + errs + "\n")
    print(body)
    # keyed by the case name (corpus key or fixture path): no machine paths in the committed file
    named = {t: {i["name"]: results[t][i["path"]] for i in items} for t in TOOLS}
    public = [{k: v for k, v in i.items() if k != "path"} for i in items]
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump({"items": public, "results": named}, f, indent=1, sort_keys=True)
    if not args.no_write:
        replace_section(os.path.join(ROOT, "bench", "README.md"), "## Scanning", body)
        replace_section(os.path.join(HERE, "README.md"), "## Results", body + "\n" + misses(items, results))


if __name__ == "__main__":
    main()
