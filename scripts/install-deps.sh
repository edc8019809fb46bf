#!/usr/bin/env bash
# Installs what building, running and testing rexec-stack needs on a fresh Debian machine:
# Debian packages (only those missing) and a Python virtualenv (.venv) with pinned test
# dependencies. Safe to run repeatedly; fast when everything is present.
#
#   scripts/install-deps.sh           # build + test dependencies
#   scripts/install-deps.sh --bench   # also the load generator used by benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libzmq3-dev pkg-config curl openssl python3-venv)
# ZIPFoundation (the local runtime unpacks kbatch code bundles) links the system zlib.
packages+=(zlib1g-dev)
# tools/helm-render (the chart checks): Go with Debian's sprig and YAML packages, no network.
packages+=(golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev)
[[ "${1:-}" == "--bench" ]] && packages+=(wrk procps bc gcc)

# The catalog's PostgreSQL backend is tested against a throw-away cluster (initdb, pg_ctl, psql).
packages+=(postgresql)

# The web console is tested in a real browser: Chromium driven through its chromedriver.
packages+=(chromium chromium-driver)

# kubectl is a real peer in the tests; Debian's kubernetes-client provides one when absent.
command -v kubectl >/dev/null || packages+=(kubernetes-client)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# python3-venv is only needed when the interpreter cannot create venvs by itself (Debian's).
if [[ " ${missing[*]} " == *" python3-venv "* ]] && python3 -c "import venv, ensurepip" 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
missing=(${missing[@]+"${missing[@]}"})
if (( ${#missing[@]} )); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "install-deps: swift is not on PATH (expected /opt/swift/usr/bin)" >&2; exit 1; }

requirements=e2e/requirements.txt
# ndp-ep 0.7.0 (form /token login) is tested beside the venv's 0.9.0, so it lives in its own folder.
ndp_ep_old=ndp-ep==0.7.0
stamp=.venv/.requirements.sha256
want=$( (cat "$requirements"; echo "$ndp_ep_old") | sha256sum | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "install-deps: creating .venv from $requirements"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --target .venv/ndp-ep-0.7.0 "$ndp_ep_old"
  echo "$want" > "$stamp"
fi
