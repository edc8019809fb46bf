#!/usr/bin/env bash
# The whole test suite: Swift tests (unit + real processes on loopback), then the Python
# black-box tests that drive the local stack launcher. README's `make test` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== swift build"
swift build --build-tests
echo "== swift test"
swift test
echo "== rexec server tests (python)"
.venv/bin/python -m pytest rexec-server/tests -q
echo "== python tests (real clients against the services)"
.venv/bin/python -m pytest tests/python -q
