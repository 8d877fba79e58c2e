#!/usr/bin/env bash
# Every host suite beyond Node's vitest, called by `npm test` after the build and vitest:
# CPython (pytest on the built wheel), Pyodide in Node (the same test file, the wheel installed
# offline), Deno, headless Chromium, workerd (miniflare, and its Queues consumer), the Go and Rust
# example hosts, each checking the shared conformance list (tests/conformance/facts.json). Needs what
# .ci/install-hosts.sh installs. A missing tool is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PY=${PYTHON:-python3}

declare -a NAMES=() STATUS=() SECONDS_TAKEN=()
suite() {
  local name=$1
  shift
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then STATUS+=(ok); else STATUS+=(FAIL); fi
  NAMES+=("$name")
  SECONDS_TAKEN+=($((SECONDS - t0)))
}

# The Node SDK's safetensors conversion of every readable fixture: the Python and Deno writers
# must produce the same bytes.
convert_fixtures() {
  mkdir -p "$WORK/ts-converted"
  local f
  for f in $(node -e 'for (const c of require("./tests/conformance/facts.json").cases) if (!c.error && c.tensors?.length) console.log(c.file)'); do
    node bin/omnimodel.js convert "$f" "$WORK/ts-converted/$(basename "$f").safetensors" 2>/dev/null || return 1
  done
}

prepare() {
  node bindings/build-web.mjs &&
    convert_fixtures &&
    "$PY" -m build --wheel --no-isolation --outdir "$WORK/wheel" python >"$WORK/wheel.log" 2>&1 || { cat "$WORK/wheel.log"; return 1; }
  rm -rf python/build python/src/omnimodel.egg-info
  "$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-deps --target "$WORK/site" "$WORK"/wheel/*.whl
}
export OMNIMODEL_TS_CONVERTED_DIR="$WORK/ts-converted"

cpython() {
  # The installed wheel, not the source tree: it must carry omnimodel.wasm.
  (cd "$WORK" && PYTHONPATH="$WORK/site" "$PY" -c 'import omnimodel, sys; assert omnimodel.__file__.startswith(sys.argv[1]), omnimodel.__file__' "$WORK/site") &&
    PYTHONPATH="$WORK/site" "$PY" -m pytest -q -p no:cacheprovider python/tests
}
pyodide() { node tests/hosts/pyodide-run.mjs "$WORK"/wheel/*.whl; }
deno_suite() { (cd deno && npx --no-install deno test --quiet --allow-read --allow-write --allow-net=127.0.0.1 --allow-env tests/); }
browser() { node tests/hosts/browser.mjs; }
workers() { node tests/hosts/workers.mjs; }
workers_queue() { node tests/hosts/workers-queue.mjs; }
native() {
  (cd bindings/go && go build -o "$WORK/gohost" .) &&
    cargo build -q --release --manifest-path bindings/rust/Cargo.toml &&
    node tests/hosts/native.mjs --go "$WORK/gohost" --rust bindings/rust/target/release/omnimodel-host
}

suite "prepare (web bundle, wheel)" prepare
suite "CPython (wasmtime)" cpython
suite "packaging (npm tarball, wheel in a new venv)" env WORK="$WORK" PY="$PY" bash tests/hosts/packaging.sh
suite "Pyodide in Node" pyodide
suite "Deno" deno_suite
suite "Chromium" browser
suite "workerd (miniflare)" workers
suite "workerd Queues consumer" workers_queue
suite "Go + Rust vs TypeScript" native

echo "=== host suites"
passed=0
failed=0
for i in "${!NAMES[@]}"; do
  printf '%-28s %-4s %4ss\n' "${NAMES[$i]}" "${STATUS[$i]}" "${SECONDS_TAKEN[$i]}"
  if [ "${STATUS[$i]}" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "hosts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
