#!/usr/bin/env bash
# Auth-checked request throughput of GET /user/info on ndp-ep-api with a warm token cache
# versus no cache (every request calls the IdP, as upstream does), measured in one run on
# loopback with wrk. Prints each scenario and the ratios against the uncached reference.
#
#   scripts/bench/auth-cache.sh            # release build, 10 s per scenario
#   BENCH_SECONDS=5 BENCH_CONFIG=debug scripts/bench/auth-cache.sh
#
# Scenarios:
#   cold          AUTH_CACHE_TTL_SECONDS=0, IdP answers at once        (reference)
#   cold+20ms     AUTH_CACHE_TTL_SECONDS=0, IdP adds 20 ms per call     (a remote Keycloak)
#   warm          default cache (60 s TTL), IdP adds 20 ms per call
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${BENCH_SECONDS:-10}
config=${BENCH_CONFIG:-release}
connections=${BENCH_CONNECTIONS:-32}
idp_port=${BENCH_IDP_PORT:-18590}
ep_port=${BENCH_EP_PORT:-18503}
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps.sh --bench" >&2; exit 1; }

swift build -c "$config" --product dev-idp >/dev/null
swift build -c "$config" --product ndp-ep-api >/dev/null
bin=$(swift build -c "$config" --show-bin-path)

source scripts/bench/lib.sh

DEV_IDP_USERS=config/dev-idp-users.yaml LOG_LEVEL=error "$bin/dev-idp" --host 127.0.0.1 --port "$idp_port" &
pids+=($!)
wait_ready "http://127.0.0.1:$idp_port/healthz"

# run NAME IDP_DELAY_MS [ENV…]: one gateway, one wrk run; prints "NAME rps p50 p99 rss_kib idp_calls"
run() {
  local name=$1 delay=$2; shift 2
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$idp_port/_dev/reset"
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' -d "{\"delay_ms\": $delay}" "http://127.0.0.1:$idp_port/_dev/faults"
  env "$@" AUTH_API_URL="http://127.0.0.1:$idp_port/information" LOG_LEVEL=error \
    "$bin/ndp-ep-api" --host 127.0.0.1 --port "$ep_port" &
  local pid=$!
  wait_ready "http://127.0.0.1:$ep_port/healthz"
  curl -fsS -o /dev/null -H 'Authorization: Bearer demo-token' "http://127.0.0.1:$ep_port/user/info"
  local out
  out=$(wrk -t1 -c"$connections" -d"${seconds}s" --latency -H 'Authorization: Bearer demo-token' "http://127.0.0.1:$ep_port/user/info")
  local rss; rss=$(ps -o rss= -p "$pid" | tr -d ' ')
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  local rps p50 p99 errors calls
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  calls=$(curl -fsS "http://127.0.0.1:$idp_port/_dev/stats" | sed -E 's/.*"information_requests":([0-9]+).*/\1/')
  [[ -z "$errors" ]] || { echo "$name: $errors non-2xx responses" >&2; exit 1; }
  echo "$name $rps $p50 $p99 $rss $calls"
}

echo "# auth-cache benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $config build, $(nproc) cores, wrk -t1 -c$connections -d${seconds}s"
results=()
results+=("$(run cold 0 AUTH_CACHE_TTL_SECONDS=0)")
results+=("$(run cold+20ms 20 AUTH_CACHE_TTL_SECONDS=0)")
results+=("$(run warm 20)")

reference=$(awk '{print $2}' <<<"${results[0]}")
printf '%-10s %12s %10s %10s %10s %10s %14s\n' scenario req/s p50 p99 rss_MiB idp_calls "ratio_vs_cold"
for line in "${results[@]}"; do
  read -r name rps p50 p99 rss calls <<<"$line"
  printf '%-10s %12s %10s %10s %10.1f %10s %14.2f\n' "$name" "$rps" "$p50" "$p99" "$(bc -l <<<"$rss/1024")" "$calls" "$(bc -l <<<"$rps/$reference")"
done
