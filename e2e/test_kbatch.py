"""Batch jobs with the real `kbatch` 0.4.2 CLI against the deploy API's kbatch-compatible API
(docs/specs/anchors-platforms.md §A.2, §A.14), on the local runtime (the job really runs as a
process here) and on kube-sim (the test plays the container)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import hashlib
import re
import selectors
import time

from rexec_harness import BIN, Broker, DeployAPI, Process, wait_until
from test_helm_chart import SEED, render, renderer  # noqa: F401 (renderer is a fixture)
import yaml

KBATCH = Path(sys.executable).parent / "kbatch"


def namespace_of(username):
    """kbatch-proxy's naming (docs/specs/anchors-platforms.md §A.4), written again here."""
    safe = re.sub("[^a-z0-9]+", "-", username.lower())[:40].strip("-")
    if safe != username:
        safe += "--" + hashlib.sha256(username.encode()).hexdigest()[:7]
    return "kbatch-" + safe
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


def configured_local(deploy, home, token="demo-token"):
    done = kbatch("configure", "--kbatch-url", f"{deploy.url}/kbatch", "--token", token, home=home)
    assert done.returncode == 0, done.stderr
    return home


def code_folder(parent, script):
    """A folder for `--code` holding `run.py`."""
    folder = parent / "code"
    folder.mkdir()
    (folder / "run.py").write_text(script)
    return folder


def printed_json(output):
    """The JSON document the CLI printed; `job submit` logs its HTTP request first."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("{"))
    return json.loads("\n".join(lines[start:]))


def read_until(process, text, timeout=60):
    """What `process` has printed, read line by line until `text` appears (or a timeout)."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline and process.poll() is None, f"{text!r} never arrived: {seen!r}"
        if selector.select(timeout=1):
            seen += process.stdout.readline()
    return seen


def finished_job(home, name):
    def done():
        shown = kbatch("job", "show", name, home=home)
        assert shown.returncode == 0, shown.stderr
        job = printed_json(shown.stdout)
        return job if job["status"]["succeeded"] or job["status"]["failed"] else None
    return wait_until(f"job {name} has finished", done, timeout=60)


def test_a_job_really_runs_on_the_local_runtime(deploy, tmp_path):
    home = configured_local(deploy, tmp_path / "demo")
    code = tmp_path / "code"
    (code / "pkg").mkdir(parents=True)
    (code / "pkg" / "data.txt").write_text("shipped data\n")
    (code / "run.py").write_text(
        "import os\n"
        "print('hello from a local job', os.environ['GREETING'], os.environ['SITE_NAME'])\n"
        "print(open('pkg/data.txt').read().strip())\n"
        "print('token injected:', 'JUPYTERHUB_API_TOKEN' in os.environ, 'deploy settings:', 'AUTH_API_URL' in os.environ)\n")
    submitted = kbatch("job", "submit", "--name", "hello", "--image", "python:3.12-slim", "--command", '["python3", "run.py"]',
                       "--code", str(code), "--env", '{"GREETING": "hi", "SITE_NAME": "laptop"}', home=home)
    assert submitted.returncode == 0, submitted.stderr + submitted.stdout
    name = printed_json(submitted.stdout)["metadata"]["name"]
    assert name.startswith("hello-")
    job = finished_job(home, name)
    assert job["status"]["succeeded"] == 1 and job["status"]["conditions"][0]["type"] == "Complete", job["status"]
    assert job["spec"]["ttl_seconds_after_finished"] == 3600
    assert name in kbatch("job", "list", home=home).stdout
    table = kbatch("job", "list", "-o", "table", home=home)
    assert table.returncode == 0 and "done" in table.stdout, table.stderr

    pods = kbatch("pod", "list", "--job-name", name, "-o", "name", home=home)
    assert pods.returncode == 0, pods.stderr
    [pod] = [word for word in pods.stdout.split() if word.startswith(name + "-")]
    logs = kbatch("pod", "logs", pod, home=home)
    assert logs.returncode == 0, logs.stderr
    assert "hello from a local job hi laptop" in logs.stdout and "shipped data" in logs.stdout
    # The caller's token is not handed to the job, nor the deploy API's own settings.
    assert "token injected: False deploy settings: False" in logs.stdout
    shown = printed_json(kbatch("pod", "list", "--job-name", name, home=home).stdout)["items"][0]
    assert shown["status"]["phase"] == "Succeeded"
    assert shown["status"]["container_statuses"][0]["state"]["terminated"]["exit_code"] == 0

    # Another user sees none of it.
    other = configured_local(deploy, tmp_path / "viewer", token="viewer-token")
    assert printed_json(kbatch("job", "list", home=other).stdout)["items"] == []
    assert kbatch("job", "show", name, home=other).returncode != 0
    assert requests.get(f"{deploy.url}/kbatch/jobs/logs/{pod}/", headers={"Authorization": "token viewer-token"}, timeout=10).status_code == 404

    deleted = kbatch("job", "delete", name, home=home)
    assert deleted.returncode == 0, deleted.stderr
    assert printed_json(kbatch("job", "list", home=home).stdout)["items"] == []
    assert printed_json(kbatch("pod", "list", home=home).stdout)["items"] == []


def test_a_failing_job_fails_with_its_exit_code(deploy, tmp_path):
    home = configured_local(deploy, tmp_path / "demo")
    submitted = kbatch("job", "submit", "--name", "broken", "--image", "busybox", "--command",
                       '["python3", "-c", "import sys; print(\'about to fail\'); sys.exit(3)"]', home=home)
    assert submitted.returncode == 0, submitted.stderr + submitted.stdout
    name = printed_json(submitted.stdout)["metadata"]["name"]
    job = finished_job(home, name)
    # kbatch submits backoffLimit 0: one pod, no retry.
    assert job["status"]["failed"] == 1 and job["status"]["conditions"][0]["reason"] == "BackoffLimitExceeded", job["status"]
    [pod] = printed_json(kbatch("pod", "list", "--job-name", name, home=home).stdout)["items"]
    assert pod["status"]["phase"] == "Failed"
    assert pod["status"]["container_statuses"][0]["state"]["terminated"]["exit_code"] == 3
    by_job = requests.get(f"{deploy.url}/kbatch/jobs/logs/{name}/", headers={"Authorization": "token demo-token"}, timeout=10)
    assert by_job.status_code == 200 and "about to fail" in by_job.text
    assert kbatch("job", "delete", name, home=home).returncode == 0


def test_pod_logs_stream_follows_a_running_job(deploy, tmp_path):
    """`kbatch pod logs --stream` shows each line as the job writes it and ends when it ends."""
    home = configured_local(deploy, tmp_path / "demo")
    go = tmp_path / "go"
    script = f"import os, time\nprint('first line', flush=True)\nwhile not os.path.exists({str(go)!r}): time.sleep(0.05)\nprint('last line')\n"
    submitted = kbatch("job", "submit", "--name", "follow", "--image", "busybox", "--command", json.dumps(["python3", "-c", script]),
                       home=home)
    assert submitted.returncode == 0, submitted.stderr + submitted.stdout
    name = printed_json(submitted.stdout)["metadata"]["name"]
    pod = wait_until("the job has a pod", lambda: [item["metadata"]["name"] for item in
                                                   printed_json(kbatch("pod", "list", "--job-name", name, home=home).stdout)["items"]])[0]
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    follower = subprocess.Popen([str(KBATCH), "pod", "logs", pod, "--stream"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
    try:
        seen = read_until(follower, "first line")
        # The job is still running, and the follower still waiting for more.
        assert follower.poll() is None and "last line" not in seen
        go.write_text("")
        rest, errors = follower.communicate(timeout=60)
    finally:
        follower.kill()
    assert follower.returncode == 0, errors
    assert "last line" in rest
    assert finished_job(home, name)["status"]["succeeded"] == 1
    assert kbatch("job", "delete", name, home=home).returncode == 0


def test_cronjobs_on_the_local_runtime(deploy, tmp_path):
    home = configured_local(deploy, tmp_path / "demo")
    submitted = kbatch("cronjob", "submit", "--name", "nightly", "--image", "busybox", "--command", '["echo", "tick"]',
                       "--schedule", "0 3 * * *", home=home)
    assert submitted.returncode == 0, submitted.stderr + submitted.stdout
    name = printed_json(submitted.stdout)["metadata"]["name"]
    listed = kbatch("cronjob", "list", home=home)
    assert listed.returncode == 0 and name in listed.stdout, listed.stderr
    shown = printed_json(kbatch("cronjob", "show", name, home=home).stdout)
    assert shown["spec"]["schedule"] == "0 3 * * *" and shown["spec"]["job_template"]["spec"]["ttl_seconds_after_finished"] == 3600
    assert kbatch("cronjob", "delete", name, home=home).returncode == 0
    assert printed_json(kbatch("cronjob", "list", home=home).stdout)["items"] == []
    # A schedule cron cannot read is refused, naming the field, on every runtime.
    bad = kbatch("cronjob", "submit", "--name", "bad", "--image", "busybox", "--command", '["true"]', "--schedule", "61 * * * *",
                 home=home)
    assert bad.returncode != 0 and "422" in bad.stderr + bad.stdout


def test_local_refusals_create_nothing(deploy, tmp_path):
    headers = {"Authorization": "token member-token"}
    url = f"{deploy.url}/kbatch"
    pod = {"restartPolicy": "Never", "containers": [{"name": "job", "image": "busybox"}]}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "no-command-"}, "spec": {"template": {"spec": pod}}}
    refused = requests.post(f"{url}/jobs/", json={"job": job}, headers=headers, timeout=10)
    assert refused.status_code == 422 and "containers[0].command" in refused.json()["detail"]
    pod["containers"][0]["command"] = ["true"]
    pod["hostPID"] = True
    refused = requests.post(f"{url}/jobs/", json={"job": job}, headers=headers, timeout=10)
    assert refused.status_code == 422 and "hostPID" in refused.json()["detail"]
    del pod["hostPID"]
    refused = requests.post(f"{url}/jobs/", json={"job": job, "code": {"binary_data": {"code": "bm90IGEgemlw"}}}, headers=headers, timeout=10)
    assert refused.status_code == 422 and "code.binary_data.code" in str(refused.json())
    assert requests.get(f"{url}/jobs/", headers=headers, timeout=10).json()["items"] == []
    # Each refusal is counted for the operator.
    metrics = requests.get(f"{deploy.url}/metrics", timeout=10).text
    refusals = re.search(r'^rexec_deploy_kbatch_submissions_total\{kind="Job",outcome="refused"\} (\d+)', metrics, re.M)
    assert refusals and int(refusals.group(1)) >= 3, metrics[-2000:]


class KubeSim(Process):
    """kube-sim with its simulation (a Job gets a pod; the test plays the container)."""

    def __init__(self, scratch):
        super().__init__([BIN / "kube-sim", "--host", "127.0.0.1", "--port", "0", "--pod-start-delay", "0.05"])
        port = self.wait_for(r"listening on http://[^:]+:(\d+)").group(1)
        self.url = f"http://127.0.0.1:{port}"
        self.kubeconfig = scratch / "kubeconfig"
        self.kubeconfig.write_text(f"apiVersion: v1\nkind: Config\nclusters: [{{name: s, cluster: {{server: '{self.url}'}}}}]\n"
                                   "users: [{name: u, user: {}}]\ncontexts: [{name: s, context: {cluster: s, user: u}}]\ncurrent-context: s\n")

    def api(self, method, path, **kwargs):
        return requests.request(method, f"{self.url}{path}", timeout=10, **kwargs)


@pytest.fixture(scope="module")
def cluster(idp, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("kbatch-kube")
    (scratch / "profiles.yaml").write_text(PROFILES)
    kube = KubeSim(scratch)
    broker = Broker(idp.url)
    deploy = DeployAPI(idp, broker, scratch / "state", env={
        "REXEC_RUNTIME": "kubernetes", "REXEC_KUBECONFIG_LOCAL_PATH": str(kube.kubeconfig), "REXEC_BROKER_NAMESPACE": "default",
        "KBATCH_PROFILE_FILE": str(scratch / "profiles.yaml"), "KBATCH_JOB_EXTRA_ENV": '{"SITE": "test-lab"}'})
    yield kube, deploy
    assert deploy.stop() == 0
    broker.stop()
    kube.stop()


def configured(cluster, home, token="demo-token"):
    kube, deploy = cluster
    done = kbatch("configure", "--kbatch-url", f"{deploy.url}/kbatch", "--token", token, home=home)
    assert done.returncode == 0, done.stderr
    return home


def test_jobs_with_the_real_cli_on_kube_sim(cluster, tmp_path):
    kube, deploy = cluster
    home = configured(cluster, tmp_path / "demo")
    code = code_folder(tmp_path, "print('hello from kbatch')\n")
    submitted = kbatch("job", "submit", "--name", "hello", "--image", "python:3.12-slim", "--command", '["python", "run.py"]',
                       "--code", str(code), "--env", '{"GREETING": "hi"}', home=home)
    assert submitted.returncode == 0, submitted.stderr + submitted.stdout
    namespace = namespace_of("demo@example.org")
    jobs = kube.api("GET", f"/apis/batch/v1/namespaces/{namespace}/jobs").json()["items"]
    assert len(jobs) == 1
    job = jobs[0]
    name = job["metadata"]["name"]
    assert name.startswith("hello-") and job["spec"]["ttlSecondsAfterFinished"] == 3600
    assert job["metadata"]["labels"]["kbatch.jupyter.org/username"] == namespace.removeprefix("kbatch-")
    assert job["metadata"]["annotations"]["kbatch.jupyter.org/username"] == "demo@example.org"
    # The namespace is the user's, labelled for Pod Security; env values live in a Secret the Job owns.
    ns = kube.api("GET", f"/api/v1/namespaces/{namespace}").json()
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["GREETING", "SITE", "JUPYTER_IMAGE", "JUPYTER_IMAGE_SPEC"]
    assert all("value" not in e and "secretKeyRef" in e["valueFrom"] for e in env)
    secrets = kube.api("GET", f"/api/v1/namespaces/{namespace}/secrets").json()["items"]
    configmaps = kube.api("GET", f"/api/v1/namespaces/{namespace}/configmaps").json()["items"]
    assert [s["metadata"]["ownerReferences"][0]["name"] for s in secrets] == [name]
    assert [c["metadata"]["ownerReferences"][0]["name"] for c in configmaps] == [name]
    assert job["spec"]["template"]["spec"]["initContainers"][0]["name"] == "kbatch-unzip-code"

    listed = kbatch("job", "list", home=home)
    assert listed.returncode == 0 and name in listed.stdout, listed.stderr
    shown = kbatch("job", "show", name, home=home)
    assert shown.returncode == 0 and name in shown.stdout, shown.stderr
    pods = kbatch("pod", "list", "--job-name", name, home=home)
    assert pods.returncode == 0, pods.stderr
    [pod] = kube.api("GET", f"/api/v1/namespaces/{namespace}/pods", params={"labelSelector": f"job-name={name}"}).json()["items"]
    assert pod["metadata"]["name"] in pods.stdout
    logs = kbatch("pod", "logs", pod["metadata"]["name"], home=home)
    assert logs.returncode == 0 and "started container job" in logs.stdout, logs.stderr
    # --stream follows the pod's log until the pod ends: the test ends it.
    follower = subprocess.Popen([str(KBATCH), "pod", "logs", pod["metadata"]["name"], "--stream"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")})
    try:
        seen = read_until(follower, "started container job")
        assert follower.poll() is None
        kube.api("POST", f"/_sim/namespaces/{namespace}/pods/{pod['metadata']['name']}/logs", data="the job's last words\n")
        kube.api("PATCH", f"/api/v1/namespaces/{namespace}/pods/{pod['metadata']['name']}/status",
                 json={"status": {"phase": "Succeeded"}}, headers={"Content-Type": "application/merge-patch+json"})
        rest, errors = follower.communicate(timeout=60)
    finally:
        follower.kill()
    assert follower.returncode == 0 and "the job's last words" in rest, errors
    # Given the Job's name, the logs of its pods.
    by_job = requests.get(f"{deploy.url}/kbatch/jobs/logs/{name}/", headers={"Authorization": "token demo-token"}, timeout=10)
    assert by_job.status_code == 200 and "started container job" in by_job.text

    # Another user sees none of it.
    other = configured(cluster, tmp_path / "viewer", token="viewer-token")
    assert name not in kbatch("job", "list", home=other).stdout
    assert kbatch("job", "show", name, home=other).returncode != 0
    assert requests.get(f"{deploy.url}/kbatch/jobs/{name}", headers={"Authorization": "token viewer-token"}, timeout=10).status_code == 404

    deleted = kbatch("job", "delete", name, home=home)
    assert deleted.returncode == 0, deleted.stderr
    # Foreground: the Secret and ConfigMap go at once, the Job once its pod has terminated.
    assert kube.api("GET", f"/api/v1/namespaces/{namespace}/secrets").json()["items"] == []
    assert kube.api("GET", f"/api/v1/namespaces/{namespace}/configmaps").json()["items"] == []
    wait_until("the Job is gone after its pod", lambda: kube.api("GET", f"/apis/batch/v1/namespaces/{namespace}/jobs").json()["items"] == [])


def test_a_profile_is_applied_through_the_kbatch_library(cluster, tmp_path):
    """kbatch 0.4.2's CLI cannot apply a profile: `job submit --profile P` fetches the profiles,
    then hands the profile's *name* to `make_job`, which fails on `str.get` before sending
    anything (a client bug; nothing reaches the server). Its library applies one."""
    kube, deploy = cluster
    home = configured(cluster, tmp_path / "demo")
    broken = kbatch("job", "submit", "--name", "profiled", "--profile", "python", "--command", '["python", "-V"]', home=home)
    assert broken.returncode != 0 and "AttributeError: 'str' object has no attribute 'get'" in broken.stderr
    script = f"""
from kbatch import _core
from kbatch._types import Job
url = {deploy.url + "/kbatch"!r}
job = Job(name="profiled", command=["python", "-V"])
print(_core.submit_job(job, kbatch_url=url, token="demo-token", profile=_core.load_profile("python", url))["metadata"]["name"])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")})
    assert done.returncode == 0, done.stderr
    name = done.stdout.strip().splitlines()[-1]
    job = kube.api("GET", f"/apis/batch/v1/namespaces/{namespace_of('demo@example.org')}/jobs/{name}").json()
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "python:3.12-slim"
    assert container["resources"] == {"requests": {"cpu": "0.5", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
    assert kbatch("job", "delete", name, home=home).returncode == 0


def test_cronjobs_with_the_real_cli_on_kube_sim(cluster, tmp_path):
    kube, deploy = cluster
    home = configured(cluster, tmp_path / "demo")
    submitted = kbatch("cronjob", "submit", "--name", "nightly", "--image", "busybox", "--command", '["echo", "tick"]',
                       "--schedule", "0 3 * * *", home=home)
    assert submitted.returncode == 0, submitted.stderr + submitted.stdout
    namespace = namespace_of("demo@example.org")
    [cron] = kube.api("GET", f"/apis/batch/v1/namespaces/{namespace}/cronjobs").json()["items"]
    assert cron["spec"]["schedule"] == "0 3 * * *" and cron["spec"]["jobTemplate"]["spec"]["ttlSecondsAfterFinished"] == 3600
    name = cron["metadata"]["name"]
    listed = kbatch("cronjob", "list", home=home)
    assert listed.returncode == 0 and name in listed.stdout, listed.stderr
    assert kbatch("cronjob", "show", name, home=home).returncode == 0
    assert kbatch("cronjob", "delete", name, home=home).returncode == 0
    assert kube.api("GET", f"/apis/batch/v1/namespaces/{namespace}/cronjobs").json()["items"] == []


def test_refused_submissions_create_nothing(cluster):
    kube, deploy = cluster
    headers = {"Authorization": "token viewer-token"}
    pod = {"restartPolicy": "Never", "hostNetwork": True, "containers": [{"name": "job", "image": "busybox"}]}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "sneaky-"}, "spec": {"template": {"spec": pod}}}
    refused = requests.post(f"{deploy.url}/kbatch/jobs/", json={"job": job}, headers=headers, timeout=10)
    assert refused.status_code == 422 and "job.spec.template.spec.hostNetwork" in refused.json()["detail"]
    # Not even the namespace.
    assert kube.api("GET", f"/api/v1/namespaces/{namespace_of('viewer@example.org')}").status_code == 404


def test_the_real_cli_works_with_exactly_the_charts_rbac(renderer, idp, tmp_path):
    """kube-sim enforces the rendered chart's rules for the deploy API's service account: its
    ClusterRole (no job or Secret rights anywhere) and the namespace role it binds in each
    user's kbatch namespace. The real CLI then lists, submits, reads and deletes."""
    docs = render(renderer, SEED)
    roles = {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] in ("ClusterRole", "Role")}
    deployment = next(doc for doc in docs if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "rexec-deployment-api")
    env = {item["name"]: item.get("value") for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    account = "system:serviceaccount:" + env["KBATCH_SERVICE_ACCOUNT"].replace("/", ":")
    rules = [dict(rule) for rule in roles["rexec-rexec-deployment-api"]["rules"]]
    rules += [dict(rule, namespaces=["rexec"]) for rule in roles["rexec-deployment-api-broker"]["rules"]]
    auth = tmp_path / "auth.yaml"
    auth.write_text(yaml.safe_dump({"users": [
        {"name": account, "token": "deploy-token", "rules": rules},
        {"name": "admin", "token": "admin-token", "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
    ]}))
    sim = Process([BIN / "kube-sim", "--host", "127.0.0.1", "--port", "0", "--pod-start-delay", "0.05", "--auth-file", str(auth)])
    broker = Broker(idp.url)
    deploy = None
    try:
        port = sim.wait_for(r"listening on http://[^:]+:(\d+)").group(1)
        url = f"http://127.0.0.1:{port}"
        admin = {"Authorization": "Bearer admin-token"}
        namespace_role = roles[env["KBATCH_NAMESPACE_ROLE"]]
        created = requests.post(f"{url}/apis/rbac.authorization.k8s.io/v1/clusterroles", json=namespace_role, headers=admin, timeout=10)
        assert created.status_code == 201, created.text
        kubeconfig = tmp_path / "deploy-kubeconfig"
        kubeconfig.write_text(f"apiVersion: v1\nkind: Config\nclusters: [{{name: s, cluster: {{server: '{url}'}}}}]\n"
                              "users: [{name: u, user: {token: deploy-token}}]\ncontexts: [{name: s, context: {cluster: s, user: u}}]\n"
                              "current-context: s\n")
        deploy = DeployAPI(idp, broker, tmp_path / "state", env={
            "REXEC_RUNTIME": "kubernetes", "REXEC_KUBECONFIG_LOCAL_PATH": str(kubeconfig), "REXEC_BROKER_NAMESPACE": "rexec",
            "KBATCH_NAMESPACE_ROLE": env["KBATCH_NAMESPACE_ROLE"], "KBATCH_SERVICE_ACCOUNT": env["KBATCH_SERVICE_ACCOUNT"]})
        home = tmp_path / "demo"
        assert kbatch("configure", "--kbatch-url", f"{deploy.url}/kbatch", "--token", "demo-token", home=home).returncode == 0
        # Before the first submission the namespace is not there: an empty list, not the cluster's 403.
        listed = kbatch("job", "list", home=home)
        assert listed.returncode == 0 and printed_json(listed.stdout)["items"] == [], listed.stderr
        code = code_folder(tmp_path, "print('hi')\n")
        submitted = kbatch("job", "submit", "--name", "rbac", "--image", "busybox", "--command", '["python", "run.py"]',
                           "--code", str(code), "--env", '{"A": "1"}', home=home)
        assert submitted.returncode == 0, submitted.stderr + submitted.stdout
        name = printed_json(submitted.stdout)["metadata"]["name"]
        assert name in kbatch("job", "list", home=home).stdout
        pods = kbatch("pod", "list", "--job-name", name, home=home)
        assert pods.returncode == 0, pods.stderr
        assert kbatch("cronjob", "submit", "--name", "tick", "--image", "busybox", "--command", '["true"]', "--schedule", "@daily",
                      home=home).returncode == 0
        assert kbatch("job", "delete", name, home=home).returncode == 0
        # Every right the deploy API used on kbatch's objects was granted in a kbatch namespace, none refused.
        decisions = requests.get(f"{url}/_sim/access", headers=admin, timeout=10).json()["decisions"]
        mine = [d for d in decisions if d["user"] == account]
        assert {"rolebindings", "secrets", "configmaps", "jobs", "cronjobs"} <= {d["resource"] for d in mine}
        assert not [d for d in mine if not d["allowed"]], [d for d in mine if not d["allowed"]]
        for decision in mine:
            if decision["resource"] in ("secrets", "configmaps", "jobs", "cronjobs", "pods/log", "limitranges", "networkpolicies"):
                assert (decision["namespace"] or "").startswith("kbatch-"), decision
    finally:
        if deploy:
            assert deploy.stop() == 0
        broker.stop()
        sim.stop()
