#!/usr/bin/env bash
# GET /status/ on ndp-ep-api with a warm token cache, with wrk on loopback, against the
# reference GET /healthz (the same middleware stack, no auth, no body) measured in the same
# run. Target (issue 6): at least 10,000 req/s with p99 under 10 ms on 2 cores.
#
#   scripts/bench/gateway-status.sh                  # release build, 10 s per run, 3 rounds
#   BENCH_SECONDS=5 BENCH_ROUNDS=1 scripts/bench/gateway-status.sh
#
# Runs twice: LOG_LEVEL=error (no access log) and LOG_LEVEL=info (one access-log line per
# request, written to /dev/null), so the cost of request logging is visible.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
connections=${BENCH_CONNECTIONS:-32}
idp_port=${BENCH_IDP_PORT:-18591}
ep_port=${BENCH_EP_PORT:-18504}
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps.sh --bench" >&2; exit 1; }

swift build -c release --product dev-idp >/dev/null
swift build -c release --product ndp-ep-api >/dev/null
bin=$(swift build -c release --show-bin-path)

source scripts/bench/lib.sh

DEV_IDP_USERS=config/dev-idp-users.yaml LOG_LEVEL=error "$bin/dev-idp" --host 127.0.0.1 --port "$idp_port" &
pids+=($!)
wait_ready "http://127.0.0.1:$idp_port/healthz"

# measure PATH [HEADER]: "rps p50_ms p99_ms"
measure() {
  local out
  out=$(wrk -t1 -c"$connections" -d"${seconds}s" --latency ${2:+-H "$2"} "http://127.0.0.1:$ep_port$1")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers from $1" >&2; exit 1; fi
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

# wrk prints 850.00us / 3.21ms / 1.02s
to_ms() {
  local value=$1
  case $value in
    *us) bc -l <<<"${value%us}/1000" ;;
    *ms) echo "${value%ms}" ;;
    *s) bc -l <<<"${value%s}*1000" ;;
  esac
}

echo "# gateway /status/ benchmark: $(date -u +%Y-%m-%dT%H:%MZ), release, $(nproc) cores, wrk -t1 -c$connections -d${seconds}s, $rounds rounds"
printf '%-10s %-6s %10s %9s %9s %8s\n' log_level round status_rps p50_ms p99_ms vs_ref
for level in error info; do
  AUTH_API_URL="http://127.0.0.1:$idp_port/information" LOG_LEVEL=$level "$bin/ndp-ep-api" --host 127.0.0.1 --port "$ep_port" >/dev/null 2>&1 &
  pid=$!
  wait_ready "http://127.0.0.1:$ep_port/healthz"
  curl -fsS -o /dev/null -H 'Authorization: Bearer demo-token' "http://127.0.0.1:$ep_port/status/"  # warms the token cache
  for round in $(seq 1 "$rounds"); do
    read -r ref_rps ref_p50 ref_p99 <<<"$(measure /healthz)"
    read -r rps p50 p99 <<<"$(measure /status/ 'Authorization: Bearer demo-token')"
    printf '%-10s %-6s %10.0f %9.2f %9.2f %8.2f   (reference /healthz: %.0f req/s, p99 %.2f ms)\n' \
      "$level" "$round" "$rps" "$p50" "$p99" "$(bc -l <<<"$rps/$ref_rps")" "$ref_rps" "$ref_p99"
  done
  echo "$level rss_after_load_MiB $(bc -l <<<"$(ps -o rss= -p "$pid" | tr -d ' ')/1024" | xargs printf '%.1f')"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
