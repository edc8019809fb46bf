"""Rexec servers prove who they are (issue 34): on the local stack as `make up` starts it, a
process on the broker's server port claiming a user's identity, with no key, with a key of its
own, or with another user's key, receives none of that user's calls and displaces nobody, while
the real client's calls keep reaching the user's own spawned server; and a terminated server's
credential cannot connect again. (The same on kube-sim with the Kubernetes runtime is in
test_end_to_end.py.)"""
import shutil
import time

import requests
import zmq
import zmq.auth

from rexec_harness import DEMO_SUB, run_script, wait_until
from test_end_to_end import ADMIN_SUB, PYTHON, lines_of, refusals

HEARTBEAT = b"__REXEC_HEARTBEAT__"


def spawn(stack, token):
    answer = requests.post(stack.url("DEPLOY_API_PORT", "/rexec/spawn"), data={"requirments": [PYTHON], "token": token}, timeout=60)
    assert answer.status_code == 200, answer.text


def connected(stack, token):
    status = requests.get(stack.url("DEPLOY_API_PORT", "/rexec/status"), headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    return status.get("ready") and status.get("broker", {}).get("state") == "live"


def impostor(context, port, identity, credentials=None, broker_key=None):
    """A DEALER on the server port stating `identity`, with a CURVE key pair if given, that
    announces itself as a server would."""
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.IDENTITY, identity.encode())
    if credentials is not None:
        socket.curve_publickey, socket.curve_secretkey = credentials
        socket.curve_serverkey = broker_key
    socket.connect(f"tcp://127.0.0.1:{port}")
    socket.send_multipart([b"", HEARTBEAT, b"impostor"])
    return socket


def demo_call(stack):
    return lines_of(run_script(f"""
from rexec.client_api import remote_func
remote_func.set_remote_addr("127.0.0.1")
remote_func.set_remote_port({str(stack.ports["BROKER_CLIENT_PORT"])!r})
remote_func.set_exec_token("demo-token")

@remote_func
def whoami(n):
    import os
    return os.environ.get("REXEC_USER_ID"), os.getcwd(), sum(range(n))

print("RESULT", whoami(10))
"""))


def test_impostors_on_the_server_port_get_nothing_and_displace_nobody(stack_factory, tmp_path):
    stack = stack_factory()
    stack.wait_for_line("[stack] ready")
    spawn(stack, "demo-token")
    spawn(stack, "admin-token")
    wait_until("both users' servers are connected", lambda: connected(stack, "demo-token") and connected(stack, "admin-token"), timeout=240)
    state = stack.state_dir
    broker_key = requests.get(stack.url("BROKER_HTTP_PORT", "/server-key"), timeout=10).json()["public_key"].encode()
    admin_credentials = zmq.auth.load_certificate(f"{state}/users/{ADMIN_SUB}/credentials/server.key_secret")
    demo_certificate = f"{state}/users/{DEMO_SUB}/credentials/server.key_secret"
    before = {reason: refusals(stack, reason) for reason in ("no_curve", "unknown_key")}

    context = zmq.Context()
    port = stack.ports["BROKER_SERVER_PORT"]
    impostors = {
        "no key": impostor(context, port, DEMO_SUB),
        "its own key": impostor(context, port, DEMO_SUB, zmq.curve_keypair(), broker_key),
        "another user's key": impostor(context, port, DEMO_SUB, admin_credentials, broker_key),
    }
    try:
        wait_until("the keyless and unknown-key impostors are refused",
                   lambda: all(refusals(stack, reason) > before[reason] for reason in before))
        # The admin's key is admitted, but as the admin's server (the newest connection of
        # that key): the user it is known by comes from its key, not from what it states.
        wait_until("the impostor holding the admin's key is known as the admin's server", lambda: requests.get(
            stack.url("BROKER_HTTP_PORT", f"/servers/{ADMIN_SUB}"), timeout=10).json().get("replacements", 0) >= 1)
        for _ in range(2):
            lines = demo_call(stack)
            assert lines[-1].startswith(f"RESULT ('{DEMO_SUB}', "), lines
            assert lines[-1].endswith(", 45)"), lines
        for name, socket in impostors.items():
            assert not socket.poll(0), f"the impostor with {name} received a message meant for {DEMO_SUB}"
        assert requests.get(stack.url("BROKER_HTTP_PORT", f"/servers/{DEMO_SUB}"), timeout=10).json()["replacements"] == 0
    finally:
        context.destroy(linger=0)

    # Terminated: the server's key stops working; a process holding a copy cannot connect.
    kept = tmp_path / "demo-credentials"
    kept.mkdir()
    shutil.copy(demo_certificate, kept / "server.key_secret")
    answer = requests.delete(stack.url("DEPLOY_API_PORT", "/rexec/terminate"), data={"token": "demo-token"}, timeout=60)
    assert answer.status_code == 200, answer.text
    refused = refusals(stack, "unknown_key")
    context = zmq.Context()
    try:
        old = impostor(context, port, DEMO_SUB, zmq.auth.load_certificate(str(kept / "server.key_secret")), broker_key)
        wait_until("the terminated server's key is refused", lambda: refusals(stack, "unknown_key") > refused)
        assert not old.poll(0)
        assert requests.get(stack.url("BROKER_HTTP_PORT", f"/servers/{DEMO_SUB}"), timeout=10).json()["replacements"] == 0
    finally:
        context.destroy(linger=0)
    assert "Server not ready/available for user" in demo_call(stack)[0]
    # Nothing logged the keys.
    secret = zmq.auth.load_certificate(str(kept / "server.key_secret"))[1].decode()
    assert secret not in stack.output
