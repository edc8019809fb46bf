"""rexec-deploy-api on the local runtime with the real PyPI clients (docs/specs/rexec.md §4-§5):
ndp-ep 0.9.0's setup_rexec_environment / terminate_rexec_environment (through an EP stub until
the gateway serves /status/rexec), scidx-rexec 0.1.0's set_environment against the bare /rexec
alias, and real remote calls through rexec-broker to the server the deploy API started."""
import sys

import pytest
import requests

from rexec_harness import DEMO_SUB, Broker, DeployAPI, EPStub, run_script, wait_until

PYTHON = f"python=={sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="module")
def stack(idp, tmp_path_factory):
    broker = Broker(idp.url)
    deploy = DeployAPI(idp, broker, tmp_path_factory.mktemp("rexec-local"))
    ep = EPStub(f"{deploy.url}/rexec/")
    yield idp, broker, deploy, ep
    ep.stop()
    assert deploy.stop() == 0, deploy.output
    broker.stop()
    assert "demo-token" not in deploy.output


def status(deploy, token="demo-token"):
    return requests.get(f"{deploy.url}/rexec/status", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()


def test_ndp_ep_sets_up_runs_and_terminates(stack):
    _, broker, deploy, ep = stack
    result = run_script(f"""
        import json, time, requests
        from ndp_ep import APIClient
        from rexec.client_api import remote_func

        client = APIClient(base_url={ep.url!r}, token="demo-token")
        print("SPAWN " + json.dumps(client.setup_rexec_environment([{PYTHON!r}])))
        # The server builds its environment and connects; wait for the deploy API to say so.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            state = requests.get({deploy.url + "/rexec/status"!r}, headers={{"Authorization": "Bearer demo-token"}}, timeout=10).json()
            if state["ready"] and state.get("broker", {{}}).get("state") == "live":
                break
            time.sleep(0.2)

        @remote_func
        def work(n):
            import os
            print("working in", os.environ["REXEC_USER_ID"])
            return sum(range(n))

        @remote_func
        def broken():
            raise ValueError("no good")

        print("VALUE", work(10))
        try:
            broken()
        except RuntimeError as error:
            print("ERROR", error)
        print("TERMINATE " + json.dumps(client.terminate_rexec_environment()))
        print("AFTER", work(1))
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("SPAWN ") and f"Remote Execution server created for user: {DEMO_SUB}" in lines[0]
    assert f"working in {DEMO_SUB}" in lines
    assert "VALUE 45" in lines
    assert "ERROR An unexpected error occurred: no good" in lines
    assert any(line.startswith("TERMINATE ") and "terminated for user" in line for line in lines)
    assert lines[-2:] == [f"Server not ready/available for user {DEMO_SUB}.", "AFTER None"]
    assert status(deploy)["phase"] == "absent"


def test_scidx_rexec_spawn_conflict_force_and_call(stack, tmp_path):
    _, broker, deploy, _ = stack
    first = tmp_path / "first.txt"
    first.write_text(f"{PYTHON}\n")
    other = tmp_path / "other.txt"
    other.write_text(f"{PYTHON}\n# a comment line\nsix\n")
    result = run_script(f"""
        import json
        from rexec.client_api import remote_func

        # ndp-ep leaves the API URL at the bare /rexec; that must spawn too.
        remote_func.set_api_url({deploy.url + "/rexec"!r})
        def show(tag, response):
            print(tag, response.status_code, json.dumps(response.json()))
        show("FIRST", remote_func.set_environment({str(first)!r}, "demo-token"))
        show("SAME", remote_func.set_environment({str(first)!r}, "demo-token"))
        show("OTHER", remote_func.set_environment({str(other)!r}, "demo-token"))
        show("FORCED", remote_func.set_environment({str(other)!r}, "demo-token", True))
    """)
    assert result.returncode == 0, result.stderr
    out = {line.split(" ", 1)[0]: line.split(" ", 2)[1:] for line in result.stdout.splitlines()}
    assert out["FIRST"][0] == "200" and "created" in out["FIRST"][1]
    assert out["SAME"][0] == "200" and "user-provided requirements exists" in out["SAME"][1]
    assert out["OTHER"][0] == "409" and "different requirements" in out["OTHER"][1]
    assert out["FORCED"][0] == "200" and "replaced" in out["FORCED"][1]

    wait_until("the replaced server runs six and is connected",
               lambda: status(deploy)["ready"] and status(deploy).get("broker", {}).get("state") == "live"
               and "six" in status(deploy)["requirements"], timeout=240)
    call = run_script(f"""
        from rexec.client_api import remote_func
        remote_func.set_remote_addr("127.0.0.1")
        remote_func.set_remote_port("{broker.client_port}")
        remote_func.set_exec_token("demo-token")

        @remote_func
        def has_six():
            import six
            return six.__name__
        print("RESULT", has_six())
    """, timeout=60)
    assert call.stdout.splitlines() == ["RESULT six"], call.stderr
    assert requests.delete(f"{deploy.url}/rexec/terminate", data={"token": "demo-token"}, timeout=30).json()["terminated"] is True


def test_a_python_the_host_lacks_is_refused_before_anything_starts(stack):
    _, _, deploy, _ = stack
    reply = requests.post(f"{deploy.url}/rexec/spawn", data={"requirments": ["python==2.7"], "token": "demo-token"}, timeout=30)
    assert reply.status_code == 400
    assert reply.json()["detail"].startswith("Python 2.7 is not available on this host")
    assert status(deploy)["phase"] == "absent"
