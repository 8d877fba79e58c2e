#!/usr/bin/env bash
# Everything the test suites need on a fresh machine. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
