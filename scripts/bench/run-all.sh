#!/usr/bin/env bash
# Runs every benchmark; their figures go into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/bench/auth-cache.sh
