#!/usr/bin/env bash
# Starts the whole rexec-stack on this machine, no cluster needed: the development IdP and
# every service that exists, each log line prefixed with its service name. Waits until
# every /readyz answers, prints the URLs, and stops everything on Ctrl-C or SIGTERM (exit 0).
#
# Beside them, as local processes from the virtualenv `make deps` builds (each optional):
#   STACK_S3=on|off       an S3-compatible server (moto) behind the EP's /s3 routes, its
#                         buckets kept in $STACK_STATE_DIR/s3 (scripts/stack/s3_server.py)
#   STACK_JUPYTER=on|off  JupyterLab (jupyter_server, token STACK_JUPYTER_TOKEN, default
#                         dev-jupyter-token) for /status/jupyter and staging's jupyter_copy,
#                         its files in $STACK_STATE_DIR/jupyter/work
# Kafka stays as configured (KAFKA_CONNECTION, KAFKA_HOST, KAFKA_PORT): no Kafka broker
# installs from the registries here.
#
# Ports (environment): IDP_PORT=8090 KUBE_SIM_PORT=6443 BROKER_HTTP_PORT=9090
#                      DEPLOY_API_PORT=8000 EP_PORT=8003 PODS_PORT=8080 MANIFESTS_PORT=8091
#                      S3_PORT=9000 JUPYTER_PORT=8888; HOST=127.0.0.1
#                      broker ZeroMQ: BROKER_CLIENT_PORT=5559 BROKER_SERVER_PORT=5560
#                      BROKER_CONTROL_PORT=5561
# STACK_SKIP_BUILD=1 uses the binaries already in .build/debug. STACK_STATE_DIR (default
# .stack-state) holds everything kept across runs: the catalog, S3 buckets, Jupyter files,
# staging areas, the deploy API's per-user working directories and environments.
# STACK_POLICY_FILE (default config/policy.yaml) is the access policy, reloaded on edit.
# STACK_CATALOG_PATH (default .stack-state/catalog.sqlite) is the EP's catalog, kept across runs.
#
# Where users' rexec servers and pods run:
#   (default)                     rexec servers as local processes; pods on kube-sim
#   --deploy-runtime kube-sim     rexec servers as Deployments on kube-sim (simulated: no
#                                 process runs; env STACK_DEPLOY_RUNTIME=kube-sim)
#   --kube                        a real cluster from KUBECONFIG for both (env STACK_KUBE=1);
#                                 it needs the broker's Services (the chart's rexec-broker, in
#                                 STACK_BROKER_NAMESPACE, default rexec-broker) and the pods
#                                 namespace (STACK_PODS_NAMESPACE, default sciencedata-dev)
set -euo pipefail
cd "$(dirname "$0")/.."

deploy_runtime=${STACK_DEPLOY_RUNTIME:-local}
use_cluster=${STACK_KUBE:-0}
while [[ $# -gt 0 ]]; do
  case $1 in
    --deploy-runtime) deploy_runtime=$2; shift 2 ;;
    --deploy-runtime=*) deploy_runtime=${1#*=}; shift ;;
    --kube) use_cluster=1; shift ;;
    -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-stack: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $deploy_runtime in local|kube-sim) ;; *) echo "run-stack: --deploy-runtime is local or kube-sim" >&2; exit 2 ;; esac
if [[ "$use_cluster" == 1 ]]; then
  kubeconfig_path=${KUBECONFIG:-$HOME/.kube/config}
  kubeconfig_path=${kubeconfig_path%%:*}
  [[ -r "$kubeconfig_path" ]] || { echo "run-stack: --kube needs a readable KUBECONFIG" >&2; exit 2; }
fi
# switch NAME: the on/off variable NAME (default on) as "on" or "off".
switch() {
  local value=${!1:-on}
  case ${value,,} in
    on|true|1|yes) echo on ;;
    off|false|0|no) echo off ;;
    *) echo "run-stack: $1 is on or off, not '$value'" >&2; return 2 ;;
  esac
}
use_s3=$(switch STACK_S3)
use_jupyter=$(switch STACK_JUPYTER)
venv=$PWD/.venv
if [[ ($use_s3 == on || $use_jupyter == on) && ! -x $venv/bin/python ]]; then
  echo "run-stack: the S3 and Jupyter servers come from .venv: run 'make deps' (or STACK_S3=off STACK_JUPYTER=off)" >&2
  exit 2
fi

host=${HOST:-127.0.0.1}
idp_port=${IDP_PORT:-8090}
kube_port=${KUBE_SIM_PORT:-6443}
broker_port=${BROKER_HTTP_PORT:-9090}
deploy_port=${DEPLOY_API_PORT:-8000}
ep_port=${EP_PORT:-8003}
pods_port=${PODS_PORT:-8080}
manifests_port=${MANIFESTS_PORT:-8091}
s3_port=${S3_PORT:-9000}
jupyter_port=${JUPYTER_PORT:-8888}
loopback=0
[[ $host == 127.* || $host == localhost || $host == ::1 ]] && loopback=1
# A known Jupyter token on a reachable address would hand a shell to anyone who reads this
# script: off loopback the token is random unless STACK_JUPYTER_TOKEN names one.
if (( loopback )); then
  jupyter_token=${STACK_JUPYTER_TOKEN:-dev-jupyter-token}
else
  jupyter_token=${STACK_JUPYTER_TOKEN:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
fi
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
ready_urls=()
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
# Ctrl-C and SIGTERM are how the stack is meant to end: a clean stop is a success.
trap 'stop_all; exit 0' INT TERM
trap 'stop_all' EXIT

# run NAME READY_URL COMMAND…: one process of the stack, ready once READY_URL answers 2xx
# (empty: at once). Its output is prefixed with its name by a sed that ignores Ctrl-C, so the
# last lines of a stopping process are not lost; it reads no terminal (a Jupyter server on a
# terminal would ask "Shutdown this Jupyter server (y/[n])?" at Ctrl-C).
run() {
  local name=$1 ready=$2; shift 2
  "$@" < /dev/null > >(trap '' INT; exec sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
  names+=("$name")
  ready_urls+=("$ready")
}

# start NAME PORT [ENV=VALUE…] -- ARGS…: a binary of this package, ready at /readyz.
start() {
  local name=$1 port=$2; shift 2
  local env=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do env+=("$1"); shift; done
  shift
  run "$name" "http://$host:$port/readyz" env "${env[@]}" "$bin/$name" --host "$host" --port "$port" "$@"
}

auth_url="http://$host:$idp_port/information"
mkdir -p "$state_dir"
gate=(ENABLE_GROUP_BASED_ACCESS=true GROUP_NAMES=/ndp_ep/ep-demo)
# The access policy of the EP, the deploy API and the pods backend: edit the file while the
# stack runs and they reload it within seconds (docs/policy.md).
policy_file="${STACK_POLICY_FILE:-$PWD/config/policy.yaml}"
# The console is a confidential OpenID client of the dev IdP: the EP exchanges its codes with
# a secret made for this run (docs/console.md, "Signing in").
console_secret=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
start dev-idp "$idp_port" DEV_IDP_USERS=config/dev-idp-users.yaml DEV_IDP_OIDC_CLIENTS="ep-console:$console_secret" --
if [[ "$use_cluster" != 1 ]]; then
  start kube-sim "$kube_port" -- --namespace sciencedata-dev --namespace rexec-broker
  kubeconfig_path="$state_dir/kubeconfig"
  cat > "$kubeconfig_path" <<EOK
apiVersion: v1
kind: Config
clusters: [{name: kube-sim, cluster: {server: "http://$host:$kube_port"}}]
users: [{name: local, user: {}}]
contexts: [{name: kube-sim, context: {cluster: kube-sim, user: local, namespace: sciencedata-dev}}]
current-context: kube-sim
EOK
fi
# Rexec servers authenticate to the broker with CURVE: the broker's key lives in the state
# folder (made on first start), and each server's public key is registered by the deploy
# API where the broker reads it: a folder for local servers, their namespaces on Kubernetes.
broker_key_file="$state_dir/broker-curve.key"
server_keys_dir="$state_dir/server-keys"
if [[ "$use_cluster" == 1 || "$deploy_runtime" == kube-sim ]]; then
  broker_keys=(REXEC_BROKER_SERVER_KEYS_KUBERNETES=true KUBECONFIG="$kubeconfig_path")
else
  broker_keys=(REXEC_BROKER_SERVER_KEYS_DIR="$server_keys_dir")
fi
start rexec-broker "$broker_port" AUTH_API_URL="$auth_url" "${gate[@]}" REXEC_BROKER_CURVE_KEY_FILE="$broker_key_file" "${broker_keys[@]}" -- \
  --client-port "$broker_client_port" --server-port "$broker_server_port" --control-port "$broker_control_port"
deploy_common=(AUTH_API_URL="$auth_url" APP_ROOT_PATH=/rexec "${gate[@]}" POLICY_FILE="$policy_file"
  REXEC_BROKER_EXTERNAL_HOST="$host" REXEC_BROKER_EXTERNAL_PORT="$broker_client_port"
  REXEC_BROKER_STATUS_URL="http://$host:$broker_port" REXEC_HEARTBEAT_INTERVAL=5 REXEC_BROKER_CURVE_KEY_FILE="$broker_key_file")
if [[ "$use_cluster" == 1 || "$deploy_runtime" == kube-sim ]]; then
  # Servers are Deployments (on kube-sim: simulated pods, whose env says what they would run).
  start rexec-deploy-api "$deploy_port" "${deploy_common[@]}" REXEC_RUNTIME=kubernetes \
    REXEC_KUBECONFIG_LOCAL_PATH="$kubeconfig_path" REXEC_BROKER_NAMESPACE="${STACK_BROKER_NAMESPACE:-rexec-broker}" \
    REXEC_BROKER_PORT="$broker_server_port" --
else
  # Local runtime: each user's rexec server is a child process of the deploy API, in a
  # virtual environment built from its requirements under $state_dir (kept across runs).
  start rexec-deploy-api "$deploy_port" "${deploy_common[@]}" REXEC_RUNTIME=local \
    REXEC_LOCAL_STATE_DIR="$state_dir" REXEC_LOCAL_SERVER_KEYS_DIR="$server_keys_dir" REXEC_BROKER_HOST="$host" \
    REXEC_BROKER_PORT="$broker_server_port" --
fi

# Object storage: moto's S3 server, its buckets and objects mirrored into the state folder.
# Off, the EP's S3_* stay as the environment says (a MinIO of your own, say).
s3_env=()
if [[ $use_s3 == on ]]; then
  run s3 "http://$host:$s3_port/stack-ready" "$venv/bin/python" scripts/stack/s3_server.py \
    --host "$host" --port "$s3_port" --data-dir "$state_dir/s3"
  s3_env=(S3_ENABLED=true S3_ENDPOINT="http://$host:$s3_port" S3_ACCESS_KEY=stack-access-key S3_SECRET_KEY=stack-secret-key)
fi
# JupyterLab: the EP's JupyterLab link, and the target of staging's jupyter_copy. Its
# configuration and runtime files stay in the state folder, away from ~/.jupyter.
jupyter_env=()
jupyter_dir="$state_dir/jupyter"
if [[ $use_jupyter == on ]]; then
  mkdir -p "$jupyter_dir/work"
  run jupyter "http://$host:$jupyter_port/api" env JUPYTER_CONFIG_DIR="$jupyter_dir/config" JUPYTER_RUNTIME_DIR="$jupyter_dir/runtime" \
    IPYTHONDIR="$jupyter_dir/ipython" "$venv/bin/jupyter" lab --no-browser --ip="$host" --port="$jupyter_port" \
    --ServerApp.port_retries=0 --log-level=WARN --IdentityProvider.token="$jupyter_token" \
    --ServerApp.root_dir="$jupyter_dir/work" $( (( EUID == 0 )) && echo --allow-root)
  jupyter_env=(USE_JUPYTERLAB=true JUPYTER_URL="http://$host:$jupyter_port/lab" STAGING_JUPYTER_URL="http://$host:$jupyter_port/")
fi

# The gateway advertises itself as the rexec deployment API and delegates to the deploy API.
catalog_path="${STACK_CATALOG_PATH:-$state_dir/catalog.sqlite}"
# Data staging between two local folders: a source storage with an example file, and the
# users' areas (each user gets <staging>/users/<name>).
staging_dir="$state_dir/staging"
mkdir -p "$staging_dir/source/examples" "$staging_dir/users"
[[ -e "$staging_dir/source/examples/hello.txt" ]] || echo "staged from the source storage" > "$staging_dir/source/examples/hello.txt"
start ndp-ep-api "$ep_port" AUTH_API_URL="$auth_url" ROOT_PATH=/ep POLICY_FILE="$policy_file" CATALOG_SQLITE_PATH="$catalog_path" \
  "${gate[@]}" ORGANIZATION="Local Lab" EP_NAME=local-ep ENABLE_ACCESS_REQUESTS=true AFFINITIES_EP_UUID=ep-demo \
  OIDC_ENABLED=true OIDC_ISSUER="http://$host:$idp_port" OIDC_CLIENT_ID=ep-console OIDC_CLIENT_SECRET="$console_secret" OIDC_BUTTON_LABEL="Sign in with the development IdP" \
  UI_PODS_URL="http://$host:$pods_port" UI_KBATCH_URL="http://$host:$deploy_port/kbatch" \
  UI_POD_MANIFESTS="http://$host:$manifests_port/jupyter.yaml,http://$host:$manifests_port/ubuntu.yaml" \
  REXEC_CONNECTION=true REXEC_DEPLOYMENT_API_URL="http://$host:$ep_port/ep" \
  REXEC_DEPLOYMENT_INTERNAL_URL="http://$host:$deploy_port/rexec" KBATCH_INTERNAL_URL="http://$host:$deploy_port/kbatch" \
  PODS_INTERNAL_URL="http://$host:$pods_port" \
  STAGING_ENABLED=true STAGING_SOURCE_ROOT="$staging_dir/source" STAGING_TARGET_ROOT="$staging_dir/users" \
  "${s3_env[@]}" "${jupyter_env[@]}" --
# The pods backend runs its users' pods on kube-sim (or the cluster), from manifests this
# machine serves (config/pod_manifests, standing in for raw.githubusercontent.com/deic-dk/pod_manifests).
run manifests "http://$host:$manifests_port/jupyter.yaml" python3 -m http.server "$manifests_port" --bind "$host" --directory config/pod_manifests
start user-pods-backend "$pods_port" AUTH_API_URL="$auth_url" KUBECONFIG="$kubeconfig_path" POLICY_FILE="$policy_file" \
  BACKEND_NAMESPACE="${STACK_PODS_NAMESPACE:-sciencedata-dev}" BACKEND_AUTHMODES=secret,hmac,idp \
  BACKEND_SILOSECRET=dev-silo-secret-not-for-production BACKEND_ADMINSECRET=dev-admin-secret-not-for-production \
  BACKEND_WHITELISTMANIFESTREGEX="http://$host:$manifests_port/" BACKEND_INGRESSDOMAIN=pods.localhost --

deadline=$((SECONDS + ready_timeout))
for i in "${!names[@]}"; do
  url=${ready_urls[$i]}
  [[ -n "$url" ]] || continue
  until curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "[stack] ${names[$i]} exited during start-up (its port in use? see its lines above; --help lists the port variables)" >&2; exit 1
    fi
    if (( SECONDS > deadline )); then
      echo "[stack] ${names[$i]} not ready after ${ready_timeout}s ($url)" >&2; exit 1
    fi
    sleep 0.2
  done
done

if [[ "$use_cluster" != 1 && "$deploy_runtime" == kube-sim ]]; then
  # What the chart's rexec-broker would have made: the Service servers dial.
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' "http://$host:$kube_port/api/v1/namespaces/rexec-broker/services" \
    -d "{\"metadata\":{\"name\":\"rexec-broker-internal-ip\"},\"spec\":{\"ports\":[{\"name\":\"server-port\",\"port\":$broker_server_port}]}}"
fi
python_pin=$(python3 -c 'import sys; print(f"python=={sys.version_info.major}.{sys.version_info.minor}")')
if [[ "$use_cluster" == 1 ]]; then
  where="cluster $(kubectl --kubeconfig "$kubeconfig_path" config current-context 2>/dev/null || echo "from $kubeconfig_path")"
  servers="Deployments on the cluster"
else
  where="kube-sim           http://$host:$kube_port        (kubectl --server http://$host:$kube_port get pods -A)"
  [[ $deploy_runtime == kube-sim ]] && servers="Deployments on kube-sim (simulated: nothing runs)" || servers="local processes"
fi
ep="http://$host:$ep_port/ep"

if (( ! loopback )); then
  echo "[stack] warning: HOST=$host puts the dev IdP (public tokens), an S3 server that takes any key and the demo users on the network: never on a shared machine"
fi
# One line per capability: on or off, and why.
capability() { printf '[stack]   %-16s %-4s %s\n' "$1" "$2" "$3"; }
echo "[stack] ready. What runs:"
capability console on "$ep/ui/ (sign in at the dev IdP, OIDC code flow with PKCE exchanged by the EP, or with a password: demo@example.org / demo-password)"
capability mcp on "$ep/mcp for AI agents (Streamable HTTP; a bearer token is the caller, e.g. demo-token; docs/mcp.md)"
capability catalog on "embedded SQLite, $catalog_path"
if [[ $use_s3 == on ]]; then
  capability "storage (S3)" on "moto at http://$host:$s3_port, buckets kept in $state_dir/s3 (STACK_S3=off turns it off)"
elif [[ ${S3_ENABLED:-false} =~ ^(true|True|1)$ ]]; then
  capability "storage (S3)" on "as configured: S3_ENDPOINT=${S3_ENDPOINT:-localhost:9000} (STACK_S3=off)"
else
  capability "storage (S3)" off "STACK_S3=off (or set S3_ENABLED=true and S3_ENDPOINT for a server of your own)"
fi
if [[ $use_jupyter == on ]]; then
  capability jupyter on "JupyterLab at http://$host:$jupyter_port/lab?token=$jupyter_token, files in $jupyter_dir/work"
else
  capability jupyter off "STACK_JUPYTER=off: /status/jupyter answers 404 and staging has no jupyter_copy"
fi
capability staging on "$staging_dir/source → $staging_dir/users/<user>: local_copy, local_symlink, direct_download$([[ $use_jupyter == on ]] && echo ", jupyter_copy")"
capability rexec on "servers as $servers; broker tcp://$host:$broker_client_port (clients), tcp://$host:$broker_server_port (servers, CURVE)"
capability "batch jobs" on "kbatch at http://$host:$deploy_port/kbatch ($([[ $use_cluster == 1 || $deploy_runtime == kube-sim ]] && echo Jobs on Kubernetes || echo local processes))"
capability pods on "$([[ $use_cluster == 1 ]] && echo "on the cluster" || echo "on kube-sim (simulated)"), from http://$host:$manifests_port/{jupyter,ubuntu}.yaml"
capability "access requests" on "outsider-token may ask; admin-token approves (the dev IdP adds the group)"
if [[ ${KAFKA_CONNECTION:-false} =~ ^(true|True|1)$ ]]; then
  capability kafka on "as configured: ${KAFKA_HOST:-localhost}:${KAFKA_PORT:-9092} (not started here)"
else
  capability kafka off "no Kafka broker installs here; KAFKA_CONNECTION=true KAFKA_HOST=… KAFKA_PORT=… names one of your own"
fi
capability pelican off "not in this build yet: /pelican/* answers 404"
cat <<EOT
[stack] Services:
[stack]   dev IdP            http://$host:$idp_port        (users: config/dev-idp-users.yaml)
[stack]   $where
[stack]   rexec-broker       http://$host:$broker_port/metrics
[stack]   rexec-deploy-api   http://$host:$deploy_port/rexec/docs
[stack]   ndp-ep-api         $ep/docs
[stack]   user-pods-backend  http://$host:$pods_port/docs   (silo secret: dev-silo-secret-not-for-production)
[stack] access policy: $policy_file (edit it: reloaded within seconds; GET /policy shows it)
[stack] demo user: demo@example.org / demo-password, token: demo-token
[stack] try:  curl -H 'Authorization: Bearer demo-token' $ep/user/info
[stack]       curl -H 'Authorization: Bearer demo-token' -d '{"user_id":"demo@example.org","yaml_url":"http://$host:$manifests_port/ubuntu.yaml"}' http://$host:$pods_port/create_pod
[stack]       curl -H 'Authorization: Bearer demo-token' -H 'Content-Type: application/json' -d '{"data":{"local_path_on_storage":"examples/hello.txt","relative_path":"hello.txt"}}' '$ep/stage-data/?method=local_copy'
EOT
if [[ $use_jupyter == on ]]; then
  echo "[stack]       curl -H 'Authorization: Bearer demo-token' -H 'Content-Type: application/json' -d '{\"data\":{\"local_path_on_storage\":\"examples/hello.txt\",\"relative_path\":\"staged/hello.txt\"},\"jupyter_token\":\"$jupyter_token\"}' '$ep/stage-data/?method=jupyter_copy'"
fi
cat <<EOT
[stack]         (staging jobs: GET /ep/stage-data/jobs)
[stack] kbatch (pip install kbatch==0.4.2), in a folder with a run.py:
kbatch configure --kbatch-url http://$host:$deploy_port/kbatch --token demo-token
kbatch job submit --name hello --image python:3.12-slim --command '["python3", "run.py"]' --code .
kbatch job list -o table
[stack] Python (pip install ndp-ep==0.9.0 scidx-rexec==0.1.0), copy and paste:
import time, requests
from ndp_ep import APIClient
from rexec.client_api import remote_func
client = APIClient(base_url="$ep", username="demo@example.org", password="demo-password")
print(client.setup_rexec_environment(["$python_pin"]))
def connected():
    status = requests.get("$ep/rexec/status", headers={"Authorization": "Bearer " + client.token}).json()
    return status.get("ready") and status.get("broker", {}).get("state") == "live"
while not connected():
    time.sleep(1)  # the server builds its environment and connects to the broker

@remote_func
def where(n):
    import platform
    print("running on", platform.node())
    return sum(range(n))

print(where(10))
print(client.terminate_rexec_environment())
[stack] The catalog (embedded SQLite at $catalog_path), copy and paste:
from ndp_ep import APIClient
client = APIClient(base_url="$ep", username="demo@example.org", password="demo-password")
if "demo-lab" not in client.list_organizations(server="local"):
    client.register_organization({"name": "demo-lab", "title": "Demo Lab"})
    print(client.register_general_dataset({"name": "sea-surface", "title": "Sea surface temperature", "owner_org": "demo-lab",
        "notes": "Daily means from buoys", "resources": [{"url": "https://example.org/sst.csv", "name": "sst", "format": "CSV"}]}))
print([d["name"] for d in client.search_datasets(["buoys"])])
EOT
if [[ $use_s3 == on ]]; then
  cat <<EOT
[stack] Storage (S3 through the endpoint; boto3 reaches http://$host:$s3_port directly with any key), copy and paste:
from ndp_ep import APIClient
client = APIClient(base_url="$ep", username="demo@example.org", password="demo-password")
if "demo-bucket" not in [b["name"] for b in client.list_buckets()["buckets"]]:
    client.create_bucket("demo-bucket")
client.upload_object("demo-bucket", "notes/hello.txt", b"kept across restarts", content_type="text/plain")
print([o["key"] for o in client.list_objects("demo-bucket")["objects"]])
print(client.download_object("demo-bucket", "notes/hello.txt"))
EOT
fi

echo "[stack] Ctrl-C stops everything."

# Run until Ctrl-C, or until any process dies (then stop the rest and fail).
set +e
wait -n "${pids[@]}"
status=$?
set -e
if (( ! stopping )); then
  echo "[stack] a process of the stack exited unexpectedly (status $status)" >&2
  exit 1
fi
