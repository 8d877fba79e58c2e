#!/usr/bin/env bash
# What the host suites (tests/hosts/run.sh) need beyond `npm ci`: Debian's Chromium and Graphviz, the Python
# packages for the CPython suite and the wheel build, and the Go/Rust example hosts' modules.
# deno, pyodide, miniflare (workerd) and playwright-core are npm devDependencies; no browser is
# ever downloaded. Idempotent: each step is skipped when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# Graphviz's `dot` checks that `omnimodel graph --format dot` is valid DOT (tests/graph-layout.test.ts).
if ! command -v dot >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends graphviz >/dev/null
fi

PY=${PYTHON:-python3}
# name==version pairs; only the missing or different ones are installed.
PY_PKGS="wasmtime==49.0.0 pytest==9.2.0 numpy==2.4.6 build==1.3.0 setuptools==80.9.0 wheel==0.45.1"
missing=$("$PY" - $PY_PKGS <<'PYEOF'
import sys
from importlib.metadata import version, PackageNotFoundError
out = []
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    try:
        if version(name) != want:
            out.append(spec)
    except PackageNotFoundError:
        out.append(spec)
print(" ".join(out))
PYEOF
)
if [ -n "$missing" ]; then
  "$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore $missing
fi

if command -v go >/dev/null 2>&1; then
  (cd bindings/go && go mod download)
fi
if command -v cargo >/dev/null 2>&1; then
  cargo fetch -q --manifest-path bindings/rust/Cargo.toml
fi
