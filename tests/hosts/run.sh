#!/usr/bin/env bash
# Runs the host test suites beyond Node (filled in as hosts land). Called by `npm test`.
set -euo pipefail
echo "hosts: no extra host suites yet"
