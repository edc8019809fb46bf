#!/usr/bin/env bash
# The access policy's cost (issue 16), two ways, each against a reference in the same run:
#
# 1. policy-bench: nanoseconds per decision on the built-in policy (or POLICY_FILE) against one
#    dictionary lookup keyed by the same (entity, mode, operation). Goal: under 2 µs.
# 2. GET /status/ on ndp-ep-api with a warm token cache, this build (every route asks the
#    policy) against the build before the policy (BENCH_BASELINE_REF, default 74a1c18, built
#    once into .build-bench/), measured alternately with wrk on loopback.
#
#   scripts/bench/policy.sh                       # release, 10 s per run, 3 rounds
#   BENCH_SECONDS=5 BENCH_ROUNDS=1 scripts/bench/policy.sh
#   BENCH_BASELINE_REF=none scripts/bench/policy.sh   # only the decision benchmark
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
connections=${BENCH_CONNECTIONS:-32}
baseline_ref=${BENCH_BASELINE_REF:-74a1c18}
idp_port=${BENCH_IDP_PORT:-18592}
ep_port=${BENCH_EP_PORT:-18505}
baseline_port=${BENCH_BASELINE_PORT:-18506}

swift build -c release --product policy-bench >/dev/null
swift build -c release --product dev-idp >/dev/null
swift build -c release --product ndp-ep-api >/dev/null
bin=$(swift build -c release --show-bin-path)

echo "# access policy benchmark: $(date -u +%Y-%m-%dT%H:%MZ), release, $(nproc) cores"
echo "decisions: $("$bin/policy-bench" "${BENCH_DECISIONS:-5000000}")"

[[ $baseline_ref == none ]] && exit 0
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps.sh --bench" >&2; exit 1; }

# The build before the policy, in a worktree of its own (kept between runs).
baseline=.build-bench/baseline-$baseline_ref
if [[ ! -x $baseline/.build/release/ndp-ep-api ]]; then
  rm -rf "$baseline"
  git worktree prune
  git worktree add --detach "$baseline" "$baseline_ref" >/dev/null
  (cd "$baseline" && swift build -c release --product ndp-ep-api >/dev/null)
fi

source scripts/bench/lib.sh

DEV_IDP_USERS=config/dev-idp-users.yaml LOG_LEVEL=error "$bin/dev-idp" --host 127.0.0.1 --port "$idp_port" &
pids+=($!)
wait_ready "http://127.0.0.1:$idp_port/healthz"
AUTH_API_URL="http://127.0.0.1:$idp_port/information" LOG_LEVEL=error "$bin/ndp-ep-api" --host 127.0.0.1 --port "$ep_port" >/dev/null 2>&1 &
pids+=($!)
AUTH_API_URL="http://127.0.0.1:$idp_port/information" LOG_LEVEL=error "$baseline/.build/release/ndp-ep-api" --host 127.0.0.1 --port "$baseline_port" >/dev/null 2>&1 &
pids+=($!)
for port in "$ep_port" "$baseline_port"; do
  wait_ready "http://127.0.0.1:$port/healthz"
  curl -fsS -o /dev/null -H 'Authorization: Bearer demo-token' "http://127.0.0.1:$port/status/"  # warms the token cache
done

# rps PORT: requests per second of GET /status/ with the demo token
rps() {
  local out
  out=$(wrk -t1 -c"$connections" -d"${seconds}s" -H 'Authorization: Bearer demo-token' "http://127.0.0.1:$1/status/")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers from port $1" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

echo "GET /status/, wrk -t1 -c$connections -d${seconds}s; baseline: $baseline_ref (before the policy)"
printf '%-6s %12s %12s %8s\n' round policy_rps baseline_rps ratio
for round in $(seq 1 "$rounds"); do
  with=$(rps "$ep_port")
  without=$(rps "$baseline_port")
  printf '%-6s %12.0f %12.0f %8.3f\n' "$round" "$with" "$without" "$(bc -l <<<"$with/$without")"
done
