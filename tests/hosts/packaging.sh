#!/usr/bin/env bash
# The packaging check: what a user installs, not the source tree. The `npm pack` tarball goes into
# an empty folder and the wheel into a new venv; the README's TypeScript example and CLI lines
# and python/README.md's example run against them as written. Called by tests/hosts/run.sh with
# WORK (a scratch folder holding wheel/*.whl) and PY.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:?}
PY=${PY:-python3}

# --- npm: the tarball in an empty project ---
mkdir -p "$WORK/pack" "$WORK/npm-user/samples"
(cd "$ROOT" && npm pack --ignore-scripts --silent --pack-destination "$WORK/pack" >/dev/null)
tgz=$(ls "$WORK"/pack/omnimodel-*.tgz)
wasm_copies=$(tar -tzf "$tgz" | grep -c '\.wasm$' || true)
[ "$wasm_copies" = 1 ] || { echo "packaging: the tarball holds $wasm_copies .wasm files, not 1"; exit 1; }
echo "packaging: $(basename "$tgz") $(stat -c %s "$tgz") bytes, one wasm"
cd "$WORK/npm-user"
echo '{"name":"user","version":"1.0.0","type":"module","private":true}' > package.json
npm install --ignore-scripts --no-audit --no-fund --silent "$tgz"
cp "$ROOT/samples/tiny-mlp.safetensors" samples/
# The README's first TypeScript block, types stripped by esbuild, run as written.
node -e '
const s = require("fs").readFileSync(process.argv[1], "utf8");
const sec = s.slice(s.indexOf("## TypeScript / JavaScript"));
const m = /```ts\n([\s\S]*?)```/.exec(sec);
if (!m) { console.error("no ts block in the README"); process.exit(1); }
require("fs").writeFileSync("readme-example.ts", m[1]);
' "$ROOT/README.md"
"$ROOT/node_modules/.bin/esbuild" readme-example.ts --format=esm --platform=node --log-level=warning --outfile=readme-example.mjs
node readme-example.mjs > readme-example.out
grep -q "^safetensors 4 212" readme-example.out || { cat readme-example.out; echo "packaging: README example printed the wrong model"; exit 1; }
test -s tiny-f16.safetensors
# The README's command-line lines that need no other file.
npx --no-install omnimodel --version >/dev/null
npx --no-install omnimodel inspect samples/tiny-mlp.safetensors | grep -q "^format: safetensors"
npx --no-install omnimodel convert samples/tiny-mlp.safetensors out.safetensors --dtype F16 2>/dev/null
npx --no-install omnimodel inspect --json out.safetensors | grep -q '"dtype":"F16"'
echo "packaging: npm tarball ok (README example, CLI)"

# --- JSR: what `deno publish` would upload (jsr.json at the root), then that file set on its own ---
(cd "$ROOT" && npx --no-install deno publish --dry-run --allow-dirty > "$WORK/jsr-dry-run.txt" 2>&1) ||
  { cat "$WORK/jsr-dry-run.txt"; echo "packaging: deno publish --dry-run failed"; exit 1; }
files=$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/jsr-dry-run.txt" | sed -n 's|^ *file://'"$ROOT"'/\([^ ]*\) .*|\1|p')
for need in deno/mod.ts ts/index.ts build/omnimodel.wasm; do
  grep -qx "$need" <<<"$files" || { cat "$WORK/jsr-dry-run.txt"; echo "packaging: the JSR package lacks $need"; exit 1; }
done
mkdir -p "$WORK/jsr"
(cd "$ROOT" && while read -r f; do mkdir -p "$WORK/jsr/$(dirname "$f")"; cp "$f" "$WORK/jsr/$f"; done <<<"$files")
cat > "$WORK/jsr-user.ts" <<TS
import { open } from "$WORK/jsr/deno/mod.ts";
const m = await open("$ROOT/samples/tiny-mlp.safetensors");
console.log(m.format, m.tensors.length);
await m.close();
TS
(cd "$WORK" && npx --prefix "$ROOT" --no-install deno run --quiet --allow-read "$WORK/jsr-user.ts") | grep -qx "safetensors 4" ||
  { echo "packaging: the JSR file set does not open the sample on its own"; exit 1; }
echo "packaging: JSR package ok ($(wc -l <<<"$files") files, opens the sample alone)"

# --- Python: the wheel in a new venv (wasmtime resolved from the package's pinned range) ---
"$PY" -m venv "$WORK/user-venv"
whl=$(ls "$WORK"/wheel/*.whl)
"$WORK/user-venv/bin/pip" install -q --disable-pip-version-check "$whl[numpy]"
mkdir -p "$WORK/py-user"
node -e '
const s = require("fs").readFileSync(process.argv[1], "utf8");
const m = /```python\n([\s\S]*?)```/.exec(s);
require("fs").writeFileSync(process.argv[2], m[1]);
' "$ROOT/python/README.md" "$WORK/py-user/readme_example.py"
# from the repository root, where the example's paths are; the installed package, not python/src
(cd "$ROOT" && "$WORK/user-venv/bin/python" -I "$WORK/py-user/readme_example.py" > "$WORK/py-user/out.txt")
rm -f "$ROOT/small.safetensors" "$ROOT/small-q8.gguf" "$ROOT/tiny-llama.gguf"  # what the example wrote
grep -q "^safetensors" "$WORK/py-user/out.txt" && grep -q "^critical" "$WORK/py-user/out.txt" && grep -q "^INCOMPLETE_BUFFER" "$WORK/py-user/out.txt" ||
  { cat "$WORK/py-user/out.txt"; echo "packaging: python/README.md example printed something else"; exit 1; }
"$WORK/user-venv/bin/python" -I -c 'import omnimodel, sys; assert "user-venv" in omnimodel.__file__, omnimodel.__file__'
echo "packaging: wheel ok in a new venv ($("$WORK/user-venv/bin/python" -c 'import importlib.metadata as m; print("wasmtime", m.version("wasmtime"))'))"
