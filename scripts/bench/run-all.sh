#!/usr/bin/env bash
# Runs every benchmark; their figures go into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/bench/auth-cache.sh
swift build -c release >/dev/null
.venv/bin/python scripts/bench/kube-sim.py --binary "$(swift build -c release --show-bin-path)/kube-sim"
.venv/bin/python scripts/bench/broker.py
.venv/bin/python scripts/bench/deploy-api.py
.venv/bin/python scripts/bench/jobs.py --binaries "$(swift build -c release --show-bin-path)"
scripts/bench/gateway-status.sh
scripts/bench/policy.sh
.venv/bin/python scripts/bench/pods-backend.py --binaries "$(swift build -c release --show-bin-path)"
.venv/bin/python scripts/bench/catalog.py --binaries "$(swift build -c release --show-bin-path)"
.venv/bin/python scripts/bench/catalog.py --binaries "$(swift build -c release --show-bin-path)" --backend postgres
.venv/bin/python scripts/bench/memory.py --binaries "$(swift build -c release --show-bin-path)"
.venv/bin/python scripts/bench/ep-transfer.py --binaries "$(swift build -c release --show-bin-path)"
.venv/bin/python scripts/bench/staging.py --binaries "$(swift build -c release --show-bin-path)"
.venv/bin/python scripts/bench/ckan-action.py --binaries "$(swift build -c release --show-bin-path)"
.venv/bin/python scripts/bench/console.py --binaries "$(swift build -c release --show-bin-path)"
.venv/bin/python scripts/bench/mcp.py --binaries "$(swift build -c release --show-bin-path)"
