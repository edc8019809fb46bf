"""The whole stack as `make up` starts it (scripts/run-stack.sh), driven by the real PyPI
clients a user has: ndp-ep 0.9.0 logs in, sets up a rexec environment through the gateway,
scidx-rexec 0.1.0 runs functions through the broker, and the environment is terminated. The
same with the deploy API on kube-sim, where the test plays the server pod. And the refusals:
another user never reaches this user's server; a user outside the endpoint's groups is
refused by the gateway, the deploy API and the broker."""
import base64
import re
import sys
import time

import requests

from rexec_harness import DEMO_SUB, ROOT, Process, run_script, wait_until

PYTHON = f"python=={sys.version_info.major}.{sys.version_info.minor}"
ADMIN_SUB = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"

CLIENT_PRELUDE = """
import json, time, requests
from ndp_ep import APIClient
from rexec.client_api import remote_func

EP = {ep!r}
client = APIClient(base_url=EP, username="demo@example.org", password="demo-password")

def wait_connected(limit=240):
    deadline = time.monotonic() + limit
    while True:
        state = requests.get(EP + "/rexec/status", headers={{"Authorization": "Bearer " + client.token}}, timeout=10).json()
        if state.get("ready") and state.get("broker", {{}}).get("state") == "live":
            return
        assert time.monotonic() < deadline, state
        time.sleep(0.2)

@remote_func
def work(n):
    import os
    print("working as", os.environ.get("REXEC_USER_ID"))
    return sum(range(n))

@remote_func
def broken():
    raise ValueError("no good")
"""


def refusals(stack, reason):
    """The broker's count of refused server connections for `reason`."""
    metrics = requests.get(stack.url("BROKER_HTTP_PORT", "/metrics"), timeout=10).text
    match = re.search(r'rexec_broker_server_refusals_total\{reason="%s"\} (\d+)' % reason, metrics)
    return int(match.group(1)) if match else 0


def lines_of(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_a_user_runs_code_remotely_through_the_local_stack(stack_factory):
    stack = stack_factory()
    stack.wait_for_line("[stack] ready")
    ep = stack.url("EP_PORT", "/ep")
    lines = lines_of(run_script(CLIENT_PRELUDE.format(ep=ep) + f"""
print("SPAWN", json.dumps(client.setup_rexec_environment([{PYTHON!r}])))
wait_connected()
print("VALUE", work(10))
try:
    broken()
except RuntimeError as error:
    print("ERROR", error)
# Another user of the endpoint (in its groups) with a valid token reaches only their own server.
remote_func.set_exec_token("admin-token")
print("OTHER", work(1))
remote_func.set_exec_token(client.token)
print("TERMINATE", json.dumps(client.terminate_rexec_environment()))
print("AFTER", work(1))
"""))
    assert lines[0].startswith("SPAWN ") and "Remote Execution server created" in lines[0]
    assert f"working as {DEMO_SUB}" in lines
    assert "VALUE 45" in lines
    assert "ERROR An unexpected error occurred: no good" in lines
    assert f"Server not ready/available for user {ADMIN_SUB}." in lines and "OTHER None" in lines
    assert any(line.startswith("TERMINATE ") and "terminated" in line for line in lines)
    assert lines[-2:] == [f"Server not ready/available for user {DEMO_SUB}.", "AFTER None"]


def test_a_user_outside_the_groups_is_refused_by_gateway_deploy_api_and_broker(stack_factory):
    stack = stack_factory()
    stack.wait_for_line("[stack] ready")
    ep = stack.url("EP_PORT", "/ep")
    lines = lines_of(run_script(f"""
from ndp_ep import APIClient
from rexec.client_api import remote_func
outsider = APIClient(base_url={ep!r}, token="outsider-token")
try:
    outsider.setup_rexec_environment([{PYTHON!r}])
except ValueError as error:
    print("GATEWAY", error)
remote_func.set_remote_addr("127.0.0.1")
remote_func.set_remote_port({str(stack.ports["BROKER_CLIENT_PORT"])!r})
remote_func.set_exec_token("outsider-token")

@remote_func
def anything():
    return 1

print("BROKER", anything())
"""))
    assert any(line.startswith("GATEWAY ") and "do not have permission" in line for line in lines), lines
    assert "Access forbidden: user is not a member of an allowed group." in lines and "BROKER None" in lines
    spawn = requests.post(stack.url("DEPLOY_API_PORT", "/rexec/spawn"), data={"requirments": [PYTHON], "token": "outsider-token"}, timeout=30)
    assert spawn.status_code == 403 and spawn.json() == {"detail": "Access forbidden: user is not a member of an allowed group."}


def test_with_the_deploy_api_on_kube_sim_the_server_pod_runs_what_its_spec_says(stack_factory, tmp_path):
    stack = stack_factory(STACK_DEPLOY_RUNTIME="kube-sim")
    stack.wait_for_line("[stack] ready")
    stack.wait_for_line("servers as Deployments on kube-sim (simulated: nothing runs)")
    ep = stack.url("EP_PORT", "/ep")
    kube = stack.url("KUBE_SIM_PORT", "")
    spawned = lines_of(run_script(CLIENT_PRELUDE.format(ep=ep) + f"""
print("SPAWN", json.dumps(client.setup_rexec_environment([{PYTHON!r}])))
"""))
    assert "Remote Execution server created" in spawned[0]
    # The simulated pod of the user's Deployment; its spec says what a kubelet would run.
    deadline = time.monotonic() + 60
    pod = None
    while pod is None:
        for item in requests.get(f"{kube}/api/v1/pods", timeout=10).json()["items"]:
            env = {e["name"]: e.get("value") for e in item["spec"]["containers"][0].get("env", [])}
            if env.get("REXEC_USER_ID") == DEMO_SUB:
                pod = (item, env)
        assert pod or time.monotonic() < deadline, "no server pod appeared"
        if pod is None:
            time.sleep(0.2)
    item, env = pod
    namespace = item["metadata"]["namespace"]
    assert namespace == "rexec-server-" + DEMO_SUB
    assert item["spec"]["automountServiceAccountToken"] is False
    assert item["spec"]["securityContext"]["runAsNonRoot"] is True
    # The pod's credential: a Secret only this pod mounts, whose public key the namespace registers.
    volumes = {volume["name"]: volume for volume in item["spec"]["volumes"]}
    assert volumes["credentials"]["secret"]["secretName"] == "rexec-server-credentials"
    assert env["REXEC_CREDENTIALS_DIR"] == "/opt/rexec/credentials"
    secret = requests.get(f"{kube}/api/v1/namespaces/{namespace}/secrets/rexec-server-credentials", timeout=10).json()
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o700)
    for name, value in secret["data"].items():
        (credentials / name).write_bytes(base64.b64decode(value))
    import zmq.auth
    public_key, _ = zmq.auth.load_certificate(str(credentials / "server.key_secret"))
    annotations = requests.get(f"{kube}/api/v1/namespaces/{namespace}", timeout=10).json()["metadata"]["annotations"]
    assert annotations["rexec.ndp/server-public-key"] == public_key.decode()
    # Play the pod: the rexec server with the pod's identity and credential, dialling the broker.
    server = Process([sys.executable, "-m", "rexec_server", "127.0.0.1", "--broker_port", stack.ports["BROKER_SERVER_PORT"],
                      "--heartbeat_interval", "1"],
                     env={"REXEC_USER_ID": env["REXEC_USER_ID"], "PYTHONPATH": str(ROOT / "rexec-server"),
                          "REXEC_CREDENTIALS_DIR": str(credentials)})
    try:
        lines = lines_of(run_script(CLIENT_PRELUDE.format(ep=ep) + f"""
# A new client process: the same requirements again are a no-op that sets up the client.
print("AGAIN", json.dumps(client.setup_rexec_environment([{PYTHON!r}])))
wait_connected()
print("VALUE", work(5))
print("TERMINATE", json.dumps(client.terminate_rexec_environment()))
"""))
        assert lines[0].startswith("AGAIN ") and "instance with user-provided requirements exists" in lines[0], lines[0]
        assert "VALUE 10" in lines and any(line.startswith("TERMINATE ") for line in lines)
        namespace = requests.get(f"{kube}/api/v1/namespaces/rexec-server-{DEMO_SUB}", timeout=10)
        assert namespace.status_code == 404 or namespace.json()["metadata"].get("deletionTimestamp")
        # The terminated server's key stops working: a process holding it cannot connect again.
        server.stop()
        refused = refusals(stack, "unknown_key")
        server = Process([sys.executable, "-m", "rexec_server", "127.0.0.1", "--broker_port", stack.ports["BROKER_SERVER_PORT"]],
                         env={"REXEC_USER_ID": DEMO_SUB, "PYTHONPATH": str(ROOT / "rexec-server"), "REXEC_CREDENTIALS_DIR": str(credentials)})
        wait_until("the terminated server's key is refused", lambda: refusals(stack, "unknown_key") > refused)
    finally:
        server.stop()
