#!/usr/bin/env bash
# The whole test suite: Swift tests (unit + real processes on loopback), then the Python
# black-box tests that drive the local stack launcher. README's `make test` runs this.
#
# Each stage runs under a time limit (SWIFT_TEST_TIMEOUT, PYTHON_TEST_TIMEOUT, seconds): a
# test that hangs fails the run within minutes, naming the tests still running, instead of
# holding CI until its own limit.
set -euo pipefail
cd "$(dirname "$0")/.."

swift_limit=${SWIFT_TEST_TIMEOUT:-600}
python_limit=${PYTHON_TEST_TIMEOUT:-900}
log_dir=$(mktemp -d)
THROWAWAY_POSTGRES_DIR=
trap 'rm -rf "$log_dir"; [[ -z "$THROWAWAY_POSTGRES_DIR" ]] || scripts/throwaway-postgres.sh stop "$THROWAWAY_POSTGRES_DIR"' EXIT

# The catalog suites run on SQLite and on PostgreSQL: a throw-away cluster on a loopback port
# (CATALOG_TEST_POSTGRES_URL), required so that no PostgreSQL test is skipped quietly.
echo "== throw-away PostgreSQL for the catalog tests"
postgres_env=$(scripts/throwaway-postgres.sh start)
eval "$postgres_env"
export CATALOG_TEST_POSTGRES_URL REQUIRE_POSTGRES_TESTS=1

# Runs "$@" with a limit: TERM first (the Swift tests trap it for graceful shutdown, so
# KILL follows 20 s later). Output goes to the terminal and to $log_dir/$name.log.
run_limited() {
  local name=$1 limit=$2
  shift 2
  local status=0
  timeout --kill-after=20 "$limit" "$@" 2>&1 | tee "$log_dir/$name.log" || status=${PIPESTATUS[0]}
  if (( status == 124 || status == 137 )); then
    echo "== $name did not finish within ${limit}s; still running:" >&2
    scripts/unfinished-tests.py < "$log_dir/$name.log" >&2 || true
    # timeout stops `swift test`, not the test bundle it started.
    pkill -KILL -f rexec-stackPackageTests.xctest 2>/dev/null || true
  fi
  return "$status"
}

echo "== swift format lint (make format fixes what it finds)"
swift format lint --strict --recursive --parallel Sources Tests Package.swift
echo "== swift build"
swift build --build-tests
echo "== swift test"
# Serially: under parallel runs the whole test process sometimes stalled for good (every task
# idle, Dispatch's boot-time timer expired and never re-armed; 3 of 6 runs on 2 cores), while
# 8 of 8 serial runs passed, in about 50 s. Our own code sleeps on NIO timers (Shared/Sleep).
run_limited swift "$swift_limit" swift test --skip-build --no-parallel
echo "== rexec server tests (python)"
run_limited rexec-server "$python_limit" .venv/bin/python -m pytest rexec-server/tests -v
echo "== python tests (real clients against the services)"
run_limited python "$python_limit" .venv/bin/python -m pytest e2e -v
