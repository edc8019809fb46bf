# Shared by the shell benchmarks: child processes stopped on exit, and waiting for a URL.
# Source it, then add each child's pid to `pids`.
pids=()
stop_children() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_children EXIT

# wait_ready URL: until it answers 2xx, at most 30 s.
wait_ready() {
  local deadline=$((SECONDS + 30))
  until curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null; do
    (( SECONDS < deadline )) || { echo "not ready: $1" >&2; exit 1; }
    sleep 0.1
  done
}
