#!/usr/bin/env bash
# Everything the test suites need on a fresh machine. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
# Toolchains for the non-Node hosts (Python, Deno, Chromium, workerd, Go, Rust).
if [ -f .ci/install-hosts.sh ]; then bash .ci/install-hosts.sh; fi
