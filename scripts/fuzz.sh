#!/usr/bin/env bash
# `make fuzz`: every parser fuzz target (Tests/FuzzTests) for FUZZ_SECONDS each (default 60),
# in parallel. A finding fails the run with the input in the test's message; an input that
# crashes the process is left in .build/fuzz/<target>.current: copy it into
# Tests/FuzzTests/Corpus/<target>/ so every later run replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_SECONDS=${FUZZ_SECONDS:-60}
rm -rf .build/fuzz
swift build --build-tests
status=0
swift test --skip-build --filter ParserFuzzTests || status=$?
if (( status != 0 )); then
  echo "== fuzzing found something (exit $status). The last input of each target:" >&2
  ls -l .build/fuzz/*.current >&2 || true
  echo "A target whose test neither passed nor failed crashed on its .current input." >&2
fi
exit "$status"
