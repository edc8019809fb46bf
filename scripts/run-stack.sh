#!/usr/bin/env bash
# Starts the whole rexec-stack on this machine, no cluster needed: the development IdP and
# every service that exists, each log line prefixed with its service name. Waits until
# every /readyz answers, prints the URLs, and stops everything on Ctrl-C (or SIGTERM).
#
# Ports (environment): IDP_PORT=8090 KUBE_SIM_PORT=6443 BROKER_HTTP_PORT=9090
#                      DEPLOY_API_PORT=8000 EP_PORT=8003 PODS_PORT=8080 MANIFESTS_PORT=8091;
#                      HOST=127.0.0.1
#                      broker ZeroMQ: BROKER_CLIENT_PORT=5559 BROKER_SERVER_PORT=5560
#                      BROKER_CONTROL_PORT=5561
# STACK_SKIP_BUILD=1 uses the binaries already in .build/debug. STACK_STATE_DIR (default
# .stack-state) holds the deploy API's per-user working directories and environments.
set -euo pipefail
cd "$(dirname "$0")/.."

host=${HOST:-127.0.0.1}
idp_port=${IDP_PORT:-8090}
kube_port=${KUBE_SIM_PORT:-6443}
broker_port=${BROKER_HTTP_PORT:-9090}
deploy_port=${DEPLOY_API_PORT:-8000}
ep_port=${EP_PORT:-8003}
pods_port=${PODS_PORT:-8080}
manifests_port=${MANIFESTS_PORT:-8091}
broker_client_port=${BROKER_CLIENT_PORT:-5559}
broker_server_port=${BROKER_SERVER_PORT:-5560}
broker_control_port=${BROKER_CONTROL_PORT:-5561}
ready_timeout=${STACK_READY_TIMEOUT:-90}
state_dir=${STACK_STATE_DIR:-$PWD/.stack-state}

if [[ "${STACK_SKIP_BUILD:-0}" != 1 ]]; then
  echo "[stack] building (swift build)…"
  swift build
fi
bin=$(swift build --show-bin-path)

pids=()
names=()
stopping=0

stop_all() {
  (( stopping )) && return
  stopping=1
  echo "[stack] stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "[stack] stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

# start NAME PORT [ENV=VALUE…] -- ARGS…
start() {
  local name=$1 port=$2; shift 2
  local env=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do env+=("$1"); shift; done
  shift
  env "${env[@]}" "$bin/$name" --host "$host" --port "$port" "$@" \
    > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
  names+=("$name")
}

auth_url="http://$host:$idp_port/information"
start dev-idp "$idp_port" DEV_IDP_USERS=config/dev-idp-users.yaml --
start kube-sim "$kube_port" -- --namespace sciencedata-dev
start rexec-broker "$broker_port" AUTH_API_URL="$auth_url" -- \
  --client-port "$broker_client_port" --server-port "$broker_server_port" --control-port "$broker_control_port"
# Local runtime: each user's rexec server is a child process of the deploy API, in a
# virtual environment built from its requirements under $state_dir (kept across runs).
start rexec-deploy-api "$deploy_port" AUTH_API_URL="$auth_url" APP_ROOT_PATH=/rexec \
  ENABLE_GROUP_BASED_ACCESS=true GROUP_NAMES=/ndp_ep/ep-demo REXEC_RUNTIME=local \
  REXEC_LOCAL_STATE_DIR="$state_dir" REXEC_BROKER_HOST="$host" REXEC_BROKER_PORT="$broker_server_port" \
  REXEC_BROKER_EXTERNAL_HOST="$host" REXEC_BROKER_EXTERNAL_PORT="$broker_client_port" \
  REXEC_BROKER_STATUS_URL="http://$host:$broker_port" REXEC_HEARTBEAT_INTERVAL=5 --
# The gateway advertises itself as the rexec deployment API and delegates to the deploy API.
start ndp-ep-api "$ep_port" AUTH_API_URL="$auth_url" ROOT_PATH=/ep \
  ENABLE_GROUP_BASED_ACCESS=true GROUP_NAMES=/ndp_ep/ep-demo ORGANIZATION="Local Lab" EP_NAME=local-ep \
  REXEC_CONNECTION=true REXEC_DEPLOYMENT_API_URL="http://$host:$ep_port/ep" \
  REXEC_DEPLOYMENT_INTERNAL_URL="http://$host:$deploy_port/rexec" --
# The pods backend runs its users' pods on kube-sim, from manifests this machine serves
# (config/pod_manifests, standing in for raw.githubusercontent.com/deic-dk/pod_manifests).
mkdir -p "$state_dir"
cat > "$state_dir/kubeconfig" <<EOK
apiVersion: v1
kind: Config
clusters: [{name: kube-sim, cluster: {server: "http://$host:$kube_port"}}]
users: [{name: local, user: {}}]
contexts: [{name: kube-sim, context: {cluster: kube-sim, user: local, namespace: sciencedata-dev}}]
current-context: kube-sim
EOK
python3 -m http.server "$manifests_port" --bind "$host" --directory config/pod_manifests > >(sed -u "s/^/[manifests] /") 2>&1 &
manifests_pid=$!
start user-pods-backend "$pods_port" AUTH_API_URL="$auth_url" KUBECONFIG="$state_dir/kubeconfig" \
  BACKEND_NAMESPACE=sciencedata-dev BACKEND_AUTHMODES=secret,hmac,idp \
  BACKEND_SILOSECRET=dev-silo-secret-not-for-production BACKEND_ADMINSECRET=dev-admin-secret-not-for-production \
  BACKEND_WHITELISTMANIFESTREGEX="http://$host:$manifests_port/" BACKEND_INGRESSDOMAIN=pods.localhost --
pids+=("$manifests_pid")

ports=("$idp_port" "$kube_port" "$broker_port" "$deploy_port" "$ep_port" "$pods_port")
deadline=$((SECONDS + ready_timeout))
for i in "${!names[@]}"; do
  [[ -n "${ports[$i]:-}" ]] || continue
  url="http://$host:${ports[$i]}/readyz"
  until curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "[stack] ${names[$i]} exited during start-up" >&2; exit 1
    fi
    if (( SECONDS > deadline )); then
      echo "[stack] ${names[$i]} not ready after ${ready_timeout}s ($url)" >&2; exit 1
    fi
    sleep 0.2
  done
done

cat <<EOT
[stack] ready
[stack]   dev IdP            http://$host:$idp_port        (users: config/dev-idp-users.yaml)
[stack]   kube-sim           http://$host:$kube_port        (kubectl --server http://$host:$kube_port get pods -A)
[stack]   rexec-broker       tcp://$host:$broker_client_port (clients), tcp://$host:$broker_server_port (servers); http://$host:$broker_port/metrics
[stack]   rexec-deploy-api   http://$host:$deploy_port/rexec/docs
[stack]   ndp-ep-api         http://$host:$ep_port/ep/docs
[stack]   user-pods-backend  http://$host:$pods_port/docs   (silo secret: dev-silo-secret-not-for-production;
[stack]                      manifests: http://$host:$manifests_port/{jupyter,ubuntu}.yaml)
[stack] demo user: demo@example.org / demo-password, token: demo-token
[stack] try:  curl -H 'Authorization: Bearer demo-token' http://$host:$ep_port/ep/user/info
[stack]       curl -H 'Authorization: Bearer demo-token' -d '{"user_id":"demo@example.org","yaml_url":"http://$host:$manifests_port/ubuntu.yaml"}' http://$host:$pods_port/create_pod
[stack] Ctrl-C stops everything.
EOT

# Run until Ctrl-C, or until any service dies (then stop the rest and fail).
set +e
wait -n "${pids[@]}"
status=$?
set -e
if (( ! stopping )); then
  echo "[stack] a service exited unexpectedly (status $status)" >&2
  exit 1
fi
