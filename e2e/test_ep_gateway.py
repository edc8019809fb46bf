"""ndp-ep-api with the real ndp-ep clients from PyPI, 0.7.0 (form /token login) and 0.9.0
(JSON /user/login), and rexec delegation from the gateway to rexec-deploy-api (docs/specs/ndp-ep.md
§2-§3, §5; docs/specs/rexec.md §6)."""
import sys

import pytest
import requests

from conftest import free_port
from rexec_harness import DEMO_SUB, Broker, DeployAPI, Gateway, results, run_ndp_ep, serving

VERSIONS = ["0.7.0", "0.9.0"]


@pytest.fixture(scope="module")
def gateway(idp):
    yield from serving(Gateway(idp))


@pytest.mark.parametrize("version", VERSIONS)
def test_construction_status_and_details(gateway, version):
    out = results(run_ndp_ep(version, f"""
        import warnings
        warnings.simplefilter("error")  # a version warning would mean /status/ lacks api_version
        anonymous = APIClient(base_url={gateway.base!r})
        client = APIClient(base_url={gateway.base!r}, token="demo-token")
        from importlib.metadata import version
        print(json.dumps({{"api_version": client.api_version, "client": version("ndp-ep")}}))
        print(json.dumps(client.get_system_status()))
        print(json.dumps(client.get_system_metrics()))
        print(json.dumps(client.get_kafka_details()))
        print(json.dumps(client.get_jupyter_details()))
    """))
    version_info, status, metrics, kafka, jupyter = out
    assert version_info == {"api_version": "0.34.17", "client": version}
    for key in ("api_version", "organization", "ep_name", "group_based_access", "local_catalog_backend", "backend_connected",
                "pre_ckan_enabled", "kafka_enabled", "jupyterlab_enabled", "s3_enabled", "auth_api_url", "metrics_endpoint",
                "metrics_interval_seconds", "is_public"):
        assert key in status, key
    assert status["organization"] == "Test Lab" and status["ep_name"] == "test-ep" and status["group_based_access"] is True
    assert status["jupyterlab_url"] == "https://jupyter.example.org/lab" and "kafka_host" not in status
    assert metrics["public_ip"] == "203.0.113.7" and metrics["cpu"].endswith("%")
    assert metrics["memory"].endswith("GB") and "/" in metrics["disk"] and metrics["services"]["ep_name"] == "test-ep"
    assert kafka == {"kafka_host": "localhost", "kafka_port": 9092, "kafka_connection": False, "kafka_prefix": "data_stream_", "max_streams": 10}
    assert jupyter == {"jupyter_url": "https://jupyter.example.org/lab"}


@pytest.mark.parametrize("version", VERSIONS)
def test_user_info_for_each_kind_of_user(gateway, version):
    out = results(run_ndp_ep(version, f"""
        for token in ["viewer-token", "demo-token", "admin-token", "member-token", "outsider-token", "bogus"]:
            try:
                info = APIClient(base_url={gateway.base!r}, token=token).get_user_info()
                print(json.dumps({{"token": token, "role": info["effective_role"], "id": info["ndp_user_id"], "sub": info["sub"]}}))
            except ValueError as error:
                print(json.dumps({{"token": token, "error": str(error)}}))
    """))
    by_token = {entry["token"]: entry for entry in out}
    assert by_token["viewer-token"]["role"] == "viewer"
    assert by_token["demo-token"]["role"] == "writer" and by_token["demo-token"]["sub"] == DEMO_SUB
    assert len(by_token["demo-token"]["id"]) == 16
    assert by_token["admin-token"]["role"] == "admin"
    assert by_token["member-token"]["role"] == "none"
    assert "Forbidden" in by_token["outsider-token"]["error"] and "access this Endpoint" in by_token["outsider-token"]["error"]
    assert "Invalid or expired token" in by_token["bogus"]["error"]


@pytest.mark.parametrize("version", VERSIONS)
def test_login_success_and_failure(gateway, version):
    out = results(run_ndp_ep(version, f"""
        client = APIClient(base_url={gateway.base!r}, username="demo@example.org", password="demo-password")
        print(json.dumps({{"token": client.token, "role": client.get_user_info()["effective_role"]}}))
        try:
            APIClient(base_url={gateway.base!r}, username="demo@example.org", password="wrong")
            print(json.dumps({{"error": None}}))
        except ValueError as error:
            print(json.dumps({{"error": str(error)}}))
    """))
    assert out[0] == {"token": "demo-token", "role": "writer"}
    assert out[1]["error"].startswith("Authentication failed")
    # 0.7.0 logs in with the form route, 0.9.0 with the JSON one.
    assert f"http.path=/ep/{'token' if version == '0.7.0' else 'user/login'} http.status=200" in gateway.output


def test_login_routes_directly(gateway):
    assert requests.post(f"{gateway.base}/token", data={"username": "demo@example.org", "password": "demo-password"},
                         timeout=10).json()["access_token"] == "demo-token"
    bad = requests.post(f"{gateway.base}/user/login", json={"username": "demo@example.org", "password": "no"}, timeout=10)
    assert bad.status_code == 401 and set(bad.json()) == {"error", "detail", "correlation_id", "timestamp", "path"}
    assert requests.post(f"{gateway.base}/user/login", json={"username": ""}, timeout=10).status_code == 422
    redirect = requests.get(f"{gateway.base}/status", allow_redirects=False, timeout=10)
    assert redirect.status_code == 307 and redirect.headers["Location"] == "/ep/status/"
    assert requests.get(f"{gateway.url}/ep/api/status/", headers={"Authorization": "Bearer demo-token"}, timeout=10).status_code == 200
    assert requests.get(f"{gateway.base}/status/rexec", headers={"Authorization": "Bearer demo-token"}, timeout=10).status_code == 404
    assert requests.get(f"{gateway.base}/health", timeout=10).json()["status"] == "healthy"
    ready = requests.get(f"{gateway.base}/ready", timeout=10).json()
    assert ready["status"] == "healthy" and ready["checks"]["identity_provider"]["status"] == "up" and ready["checks"]["kafka"]["status"] == "disabled"


@pytest.fixture(scope="module")
def rexec_stack(idp, tmp_path_factory):
    broker = Broker(idp.url)
    deploy = DeployAPI(idp, broker, tmp_path_factory.mktemp("ep-rexec"), env={"ENABLE_GROUP_BASED_ACCESS": "true", "GROUP_NAMES": "/ndp_ep/ep-demo"})
    # The gateway advertises itself: ndp-ep then spawns and terminates through it.
    port = free_port()
    gateway = Gateway(idp, deploy, port=port, env={"REXEC_DEPLOYMENT_API_URL": f"http://127.0.0.1:{port}/ep"})
    yield broker, deploy, gateway
    gateway.stop()
    deploy.stop()
    broker.stop()


def test_status_rexec_needs_the_writer_tier_and_the_gate(rexec_stack):
    _, _, gateway = rexec_stack
    def get(token):
        return requests.get(f"{gateway.base}/status/rexec", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert get("demo-token").json() == {"deployment_api_url": gateway.base}
    viewer = get("viewer-token")
    assert viewer.status_code == 403 and "writer or admin role" in viewer.json()["detail"]
    assert get("outsider-token").status_code == 403
    assert requests.get(f"{gateway.base}/ready", timeout=10).json()["checks"]["rexec_deployment_api"]["status"] == "up"


def test_ndp_ep_sets_up_rexec_through_the_gateway(rexec_stack):
    broker, deploy, gateway = rexec_stack
    python = f"python=={sys.version_info.major}.{sys.version_info.minor}"
    out = run_ndp_ep("0.9.0", f"""
        import time, requests
        client = APIClient(base_url={gateway.base!r}, token="demo-token")
        print(json.dumps(client.setup_rexec_environment([{python!r}])))
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            state = requests.get({gateway.base + "/rexec/status"!r}, headers={{"Authorization": "Bearer demo-token"}}, timeout=10).json()
            if state.get("ready") and state.get("broker", {{}}).get("state") == "live":
                break
            time.sleep(0.2)
        from rexec.client_api import remote_func
        @remote_func
        def double(x):
            return 2 * x
        print(json.dumps({{"value": double(21)}}))
        print(json.dumps(client.terminate_rexec_environment()))
        try:
            APIClient(base_url={gateway.base!r}, token="viewer-token").setup_rexec_environment([{python!r}])
            print(json.dumps({{"viewer": "allowed"}}))
        except Exception as error:
            print(json.dumps({{"viewer": str(error)}}))
    """)
    spawn, value, terminate, viewer = results(out)
    assert spawn["Status"] == f"Remote Execution server created for user: {DEMO_SUB}"
    assert value == {"value": 42}
    assert terminate["terminated"] is True
    assert viewer["viewer"].startswith("Failed to retrieve Rexec deployment endpoint")
    config = requests.get(f"{gateway.base}/rexec/broker-config", timeout=10).json()
    assert config["broker_external_port"] == broker.client_port
