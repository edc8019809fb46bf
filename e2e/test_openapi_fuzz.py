"""schemathesis (PyPI) drives ndp-ep-api and rexec-deploy-api from their own /openapi.json:
generated and mutated requests, authenticated as the demo user, must never get a 5xx and
every answer must match the documented status codes, content types and schemas.

The deploy API runs the local runtime with no usable interpreter, so a fuzzed spawn that
happens to be valid is refused (400) instead of starting a server, and with an empty PATH, so
a fuzzed kbatch job that happens to be valid finds no program to run; the gateway delegates its
/rexec routes to that deploy API, so they are fuzzed end to end."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rexec_harness import Broker, DeployAPI, Gateway

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def services(idp, tmp_path_factory):
    broker = Broker(idp.url)
    empty = tmp_path_factory.mktemp("empty-path")
    deploy = DeployAPI(idp, broker, tmp_path_factory.mktemp("fuzz"), env={"REXEC_LOCAL_PYTHON": "/nonexistent/python3", "PATH": str(empty)})
    # The access-request workflow and staging on, so their routes are fuzzed past their 503.
    source, target = tmp_path_factory.mktemp("staging-source"), tmp_path_factory.mktemp("staging-target")
    (source / "data.txt").write_text("fuzzed\n")
    gateway = Gateway(idp, deploy, env={"ENABLE_ACCESS_REQUESTS": "True", "AFFINITIES_EP_UUID": "ep-fuzz", "STAGING_ENABLED": "true",
                                        "STAGING_SOURCE_ROOT": str(source), "STAGING_TARGET_ROOT": str(target)})
    yield deploy, gateway
    for process in (gateway, deploy, broker):
        process.stop()


def fuzz(schema_url, token="demo-token"):
    # One worker: with two, hypothesis describes filters by parsing source on two threads at
    # once, and CPython 3.11's parser fails with "AST constructor recursion depth mismatch".
    return subprocess.run(
        [str(SCHEMATHESIS), "run", schema_url, "-H", f"Authorization: Bearer {token}", "--checks", CHECKS,
         "--max-examples", "25", "--seed", "20261125", "--workers", "1", "--no-color"],
        capture_output=True, text=True, timeout=600,
    )


def assert_no_failures(result):
    # Counted failures ("❌ 1 failed"); warnings such as "Authentication failed: 3 operations
    # returned only 401/403" (the admin-only routes, for the demo user) are not failures.
    summary = result.stdout.split("SUMMARY")[-1]
    assert "passed" in result.stdout and not re.search(r"\d+ failed", summary), result.stdout[-4000:]


@pytest.mark.parametrize("token", ["demo-token", "admin-token"])
def test_gateway_openapi_holds_under_fuzzing(services, token):
    _, gateway = services
    result = fuzz(f"{gateway.url}/openapi.json", token)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert_no_failures(result)


@pytest.mark.parametrize("token", ["demo-token", "admin-token"])
def test_deploy_api_openapi_holds_under_fuzzing(services, token):
    deploy, _ = services
    result = fuzz(f"{deploy.url}/openapi.json", token)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert_no_failures(result)


def test_pods_backend_openapi_holds_under_fuzzing(stack_factory):
    # The whole local stack: the pods backend with kube-sim, the dev IdP and the manifests
    # server, so a fuzzed create_pod that names a whitelisted manifest really creates a pod.
    stack = stack_factory()
    stack.wait_for_line("[stack] ready")
    # As a user, then as the admin (past the admin routes' 403).
    for token in ("demo-token", "admin-token"):
        result = fuzz(stack.url("PODS_PORT", "/openapi.json"), token)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert_no_failures(result)
