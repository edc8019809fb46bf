"""`make up` (scripts/run-stack.sh) as a user meets it: it starts every service, they answer,
Ctrl-C stops all of them, and a service that cannot start takes the launcher down cleanly."""
import json
import socket
import subprocess
import sys

import requests

from conftest import port_is_closed

DEMO = {"Authorization": "Bearer demo-token"}
PORT_NAMES = ("IDP_PORT", "KUBE_SIM_PORT", "BROKER_HTTP_PORT", "DEPLOY_API_PORT", "EP_PORT", "PODS_PORT")


def test_stack_starts_serves_and_stops_on_ctrl_c(stack_factory):
    stack = stack_factory()
    stack.wait_for_line("[stack] ready")

    for name in PORT_NAMES:
        assert requests.get(stack.url(name, "/readyz"), timeout=10).status_code == 200, name

    for path in ("/ep/user/info", "/ep/api/user/info", "/user/info"):
        reply = requests.get(stack.url("EP_PORT", path), headers=DEMO, timeout=10)
        assert reply.status_code == 200, path
        assert reply.json()["effective_role"] == "writer"
        assert reply.headers["X-Correlation-ID"]

    outsider = requests.get(stack.url("EP_PORT", "/ep/user/info"), headers={"Authorization": "Bearer outsider-token"}, timeout=10)
    assert outsider.status_code == 403
    assert set(outsider.json()) == {"error", "detail", "correlation_id", "timestamp", "path"}

    assert requests.get(stack.url("DEPLOY_API_PORT", "/rexec"), timeout=10).json() == "API is running successfully."
    nodes = requests.get(stack.url("KUBE_SIM_PORT", "/api/v1/nodes"), timeout=10).json()
    assert [n["metadata"]["name"] for n in nodes["items"]] == ["kube-sim-node-1"]
    assert "text/html" in requests.get(stack.url("DEPLOY_API_PORT", "/rexec/docs"), timeout=10).headers["Content-Type"]

    # The pods backend runs the demo user's pods on kube-sim from the served manifests.
    manifest = stack.url("MANIFESTS_PORT", "/ubuntu.yaml")
    created = requests.post(stack.url("PODS_PORT", "/create_pod"), headers=DEMO, timeout=30,
                            json={"user_id": "demo@example.org", "yaml_url": manifest, "settings": {"ubuntu-jammy": {"SSH_PUBLIC_KEY": "ssh-ed25519 AAAA demo"}}})
    assert created.status_code == 200, created.text
    pod = created.json()["pod_name"]
    ready = requests.post(stack.url("PODS_PORT", "/watch_create_pod"), headers=DEMO, timeout=120,
                          json={"user_id": "demo@example.org", "pod_name": pod})
    assert ready.json() == {"ready": True}
    pods = requests.post(stack.url("PODS_PORT", "/get_pods"), headers=DEMO, timeout=30, json={"user_id": "demo@example.org"}).json()
    assert [p["pod_name"] for p in pods] == [pod]
    assert pods[0]["status"].startswith("Running:") and pods[0]["ssh_url"].startswith("ssh://root@pods.localhost:")
    # Another user's token cannot act for the demo user.
    assert requests.post(stack.url("PODS_PORT", "/get_pods"), headers={"Authorization": "Bearer viewer-token"}, timeout=30,
                         json={"user_id": "demo@example.org"}).status_code == 403
    assert requests.post(stack.url("PODS_PORT", "/delete_pod"), headers=DEMO, timeout=30,
                         json={"user_id": "demo@example.org", "pod_name": pod}).json() == {"requested": True}

    # The catalog snippet the stack prints registers a dataset and finds it, as printed.
    start = next(i for i, line in enumerate(stack.lines) if line.startswith("[stack] The catalog"))
    snippet = []
    for line in stack.lines[start + 1:]:
        if line.startswith("["):
            continue
        snippet.append(line)
        if line.startswith("print([d"):
            break
    ran = subprocess.run([sys.executable, "-c", "\n".join(snippet)], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1] == "['sea-surface']"

    # The staging example the stack prints copies the example file into the demo user's area.
    staging = next(line for line in stack.lines if "stage-data/?method=local_copy" in line)
    ran = subprocess.run(["bash", "-c", staging.removeprefix("[stack]").strip() + " -sS"], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert answer["status"] == "success" and answer["message"] in (
        "Data staged for user demo@example.org with method local_copy", "Data already available at demo@example.org/hello.txt"), answer
    job = requests.get(stack.url("EP_PORT", f"/ep/stage-data/jobs/{answer['job_id']}"), headers=DEMO, timeout=10).json()
    assert job["status"] == "succeeded"

    # Log lines carry their service's prefix; tokens never appear.
    assert any(line.startswith("[ndp-ep-api] ") for line in stack.lines)
    assert "demo-token" not in "\n".join(l for l in stack.lines if not l.startswith("[stack]"))

    assert stack.interrupt() == 130
    assert "[stack] stopped" in stack.output
    for name in PORT_NAMES + ("MANIFESTS_PORT",):
        assert port_is_closed(stack.ports[name]), f"{name} still open after Ctrl-C"


def test_a_service_that_cannot_start_stops_the_launcher(stack_factory):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        stack = stack_factory(PODS_PORT=str(blocker.getsockname()[1]))
        assert stack.process.wait(timeout=120) == 1
        assert "[stack] user-pods-backend exited during start-up" in stack.output
        for name in ("IDP_PORT", "KUBE_SIM_PORT", "BROKER_HTTP_PORT", "DEPLOY_API_PORT", "EP_PORT"):
            assert port_is_closed(stack.ports[name]), f"{name} left running"
    finally:
        blocker.close()
