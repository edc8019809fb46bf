"""Batch jobs with the real `kbatch` 0.4.2 CLI against the deploy API's kbatch-compatible API
(docs/specs/anchors-platforms.md §A.2, §A.14). So far: `configure`, which checks the token at
`authorized` with `Authorization: token T`, and `profiles`, which is public."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from rexec_harness import BIN, Broker, DeployAPI

KBATCH = Path(sys.executable).parent / "kbatch"
PROFILES = """\
python:
  image: python:3.12-slim
  resources:
    requests: {cpu: "0.5", memory: 1Gi}
    limits: {cpu: "1", memory: 2Gi}
gpu:
  image: pytorch/pytorch:latest
  tolerations:
    - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
"""


@pytest.fixture(scope="module")
def deploy(idp, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("kbatch")
    (scratch / "profiles.yaml").write_text(PROFILES)
    broker = Broker(idp.url)
    process = DeployAPI(idp, broker, scratch / "state", env={"KBATCH_PROFILE_FILE": str(scratch / "profiles.yaml")})
    yield process
    assert process.stop() == 0
    broker.stop()


def kbatch(*args, home):
    """The CLI as a user runs it, its configuration in its own XDG folder."""
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    return subprocess.run([str(KBATCH), *args], capture_output=True, text=True, timeout=60, env=env)


def test_configure_checks_the_token_and_writes_the_config(deploy, tmp_path):
    url = f"{deploy.url}/kbatch"
    done = kbatch("configure", "--kbatch-url", url, "--token", "demo-token", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / ".config/kbatch/config.json").read_text()) == {"kbatch_url": url + "/", "token": "demo-token"}
    refused = kbatch("configure", "--kbatch-url", url, "--token", "not-a-token", home=tmp_path / "other")
    assert refused.returncode != 0 and "401" in refused.stderr + refused.stdout
    # The answer kbatch-proxy gives: the caller's name and groups; Bearer works as well as token.
    for scheme in ("token", "Bearer", "TOKEN"):
        answer = requests.get(f"{url}/authorized", headers={"Authorization": f"{scheme} demo-token"}, timeout=10)
        assert answer.status_code == 200 and set(answer.json()) == {"name", "groups"}, scheme
    assert requests.get(f"{url}/authorized", timeout=10).status_code == 401
    assert requests.get(f"{url}/authorized", headers={"Authorization": "Basic demo-token"}, timeout=10).status_code == 401


def test_profiles_are_public_and_the_root_says_kbatch(deploy, tmp_path):
    url = f"{deploy.url}/kbatch"
    shown = kbatch("profiles", "--kbatch-url", url, home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert requests.get(f"{url}/profiles/", timeout=10).json() == {
        "python": {"image": "python:3.12-slim", "resources": {"requests": {"cpu": "0.5", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}},
        "gpu": {"image": "pytorch/pytorch:latest", "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]},
    }
    assert "python:3.12-slim" in shown.stdout
    assert requests.get(f"{url}/", timeout=10).json() == {"message": "kbatch"}


def test_a_bad_profile_file_stops_start_up(idp, tmp_path):
    (tmp_path / "profiles.yaml").write_text("- just\n- a list\n")
    result = subprocess.run([str(BIN / "rexec-deploy-api"), "--port", "0"],
                            env={"PATH": os.environ["PATH"], "AUTH_API_URL": f"{idp.url}/information", "REXEC_RUNTIME": "local",
                                 "KBATCH_PROFILE_FILE": str(tmp_path / "profiles.yaml")}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 78, result.stderr
    assert "KBATCH_PROFILE_FILE" in result.stderr and "a mapping of profile names to profiles" in result.stderr
