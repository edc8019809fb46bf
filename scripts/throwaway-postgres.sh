#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on a loopback port, for the tests and benchmarks: no root
# service, nothing outside one temporary folder.
#
#   eval "$(scripts/throwaway-postgres.sh start [--durable])"   # exports CATALOG_TEST_POSTGRES_URL
#   scripts/throwaway-postgres.sh stop "$THROWAWAY_POSTGRES_DIR"  # stops it, removes the folder
#
# The cluster takes passwords (scram-sha-256) on 127.0.0.1 only. Without --durable it skips
# fsync (tests do not survive power cuts anyway); benchmarks pass --durable for honest figures.
# initdb refuses to run as root, so under root the cluster runs as the `postgres` user Debian's
# package creates.
set -euo pipefail

bin_dir() {
  local initdb
  initdb=$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
  [[ -n "$initdb" ]] || { echo "throwaway-postgres: initdb not found (Debian package postgresql)" >&2; exit 1; }
  dirname "$(readlink -f "$initdb")"
}

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local durable=${1:-}
  local bin dir port password
  bin=$(bin_dir)
  dir=$(mktemp -d /tmp/throwaway-postgres.XXXXXX)
  chmod 700 "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf '%s\n' "$password" > "$dir/.pw"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/.pw"
  as_owner "$bin/initdb" -D "$dir/data" -U catalog --pwfile="$dir/.pw" --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/.pw"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200"
  [[ "$durable" == "--durable" ]] || options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  as_owner "$bin/pg_ctl" -D "$dir/data" -o "$options" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "export THROWAWAY_POSTGRES_DIR=$dir"
  echo "export CATALOG_TEST_POSTGRES_URL=postgres://catalog:$password@127.0.0.1:$port/postgres?sslmode=disable"
}

stop() {
  local dir=${1:?usage: throwaway-postgres.sh stop DIR}
  [[ -d "$dir/data" ]] || return 0
  as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start [--durable] | stop DIR" >&2; exit 2 ;;
esac
