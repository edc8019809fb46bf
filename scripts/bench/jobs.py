#!/usr/bin/env python3
"""kbatch job submission through rexec-deploy-api on the kubernetes runtime against kube-sim
(issue 18): the time from `POST /kbatch/jobs/` to the answer, which comes once the Job object
exists (after the namespace's guard rails, the env Secret, the code ConfigMap, the Job and the
owner references), with the payload the real kbatch 0.4.2 library builds (`make_job(...).to_dict()`
plus a `--code` bundle).

References measured in the same run, so the figures are ratios:
  - one Job created straight on kube-sim (a submission makes about eight API calls);
  - the deploy API's GET /kbatch/authorized (HTTP, token check, policy: all but the work).

Scenarios: sequential submissions by one user (p50/p99; goal p50 < 20 ms), then 100 concurrent
submissions by 10 users (10 each), which must all succeed.

    scripts/bench/jobs.py [--binaries DIR] [--sequential 200] [--concurrent 100] [--users 10]
"""
import argparse
from concurrent.futures import ThreadPoolExecutor
import json
import statistics
import tempfile
import time
from pathlib import Path

import requests
from kbatch._backend import make_configmap, make_job
from kbatch._types import Job

from children import ROOT, Child, kubeconfig, percentile, release_binaries, timed, users_file
import base64


def payload(code_folder):
    """What `kbatch job submit --name bench --image … --command … --env … --code FOLDER` sends."""
    job = Job(name="bench", image="python:3.12-slim", command=["python", "run.py"], env={"GREETING": "hi", "SIZE": "large"})
    data = {"job": make_job(job, profile={}).to_dict()}
    configmap = make_configmap(code_folder, generate_name=job.name).to_dict()
    configmap["binary_data"]["code"] = base64.b64encode(configmap["binary_data"]["code"]).decode("ascii")
    data["code"] = configmap
    return json.dumps(data, default=str)


def submit(session, url, body, index):
    response = session.post(f"{url}/kbatch/jobs/", data=body, timeout=60,
                            headers={"Authorization": f"token bench-token-{index}", "Content-Type": "application/json"})
    if response.status_code != 200 or response.json().get("kind") != "Job":
        raise SystemExit(f"benchmark: submission by user {index} answered {response.status_code}: {response.text[:300]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binaries", default=None, help="directory with the release binaries (default: build them)")
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--users", type=int, default=10)
    arguments = parser.parse_args()
    binaries = Path(arguments.binaries) if arguments.binaries else release_binaries(("rexec-deploy-api", "kube-sim", "dev-idp"))
    children = []
    with tempfile.TemporaryDirectory(prefix="kbatch-bench-") as scratch:
        try:
            code = Path(scratch) / "code"
            code.mkdir()
            (code / "run.py").write_text("import os\nprint('hello', os.environ['GREETING'])\n")
            body = payload(code)
            idp = Child([binaries / "dev-idp", "--host", "127.0.0.1", "--port", "0", "--log-level", "notice"],
                        env={"DEV_IDP_USERS": str(users_file(arguments.users, scratch))})
            children.append(idp)
            sim = Child([binaries / "kube-sim", "--host", "127.0.0.1", "--port", "0", "--log-level", "notice"])
            children.append(sim)
            kube = f"http://127.0.0.1:{sim.port()}"
            session = requests.Session()
            session.post(f"{kube}/api/v1/namespaces", json={"metadata": {"name": "reference"}}).raise_for_status()
            job = json.loads(body)["job"]
            reference_job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "reference-"},
                             "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
                                                                                "containers": [{"name": "job", "image": job["spec"]["template"]["spec"]["containers"][0]["image"]}]}}}}
            create_samples = [timed(lambda: session.post(f"{kube}/apis/batch/v1/namespaces/reference/jobs", json=reference_job).raise_for_status())[0]
                              for _ in range(200)]
            deploy = Child([binaries / "rexec-deploy-api", "--host", "127.0.0.1", "--port", "0"],
                           env={"AUTH_API_URL": f"http://127.0.0.1:{idp.port()}/information", "LOG_LEVEL": "notice",
                                "REXEC_SERVER_SOURCE": str(ROOT / "rexec-server"), "REXEC_RUNTIME": "kubernetes",
                                "REXEC_KUBECONFIG_LOCAL_PATH": str(kubeconfig(Path(scratch) / "kubeconfig", kube)),
                                # kube-sim's pods never end unless a test ends them: no cap on unfinished jobs here.
                                "KBATCH_MAX_ACTIVE_JOBS_PER_USER": "0"})
            children.append(deploy)
            url = f"http://127.0.0.1:{deploy.port()}"
            # Warm the token cache and make each user's namespace, so the figures are steady-state submissions.
            for index in range(arguments.users):
                submit(session, url, body, index)
            authorized = [timed(lambda: session.get(f"{url}/kbatch/authorized", headers={"Authorization": "token bench-token-0"},
                                                    timeout=30).raise_for_status())[0] for _ in range(200)]
            sequential = [timed(lambda: submit(session, url, body, 0))[0] for _ in range(arguments.sequential)]

            def one(index):
                with requests.Session() as own:
                    return timed(lambda: submit(own, url, body, index % arguments.users))[0]

            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=arguments.concurrent) as pool:
                concurrent = list(pool.map(one, range(arguments.concurrent)))
            wall = time.perf_counter() - start
            jobs = sum(len(session.get(f"{kube}/apis/batch/v1/namespaces/{ns['metadata']['name']}/jobs").json()["items"])
                       for ns in session.get(f"{kube}/api/v1/namespaces").json()["items"] if ns["metadata"]["name"].startswith("kbatch-"))
            expected = arguments.users + arguments.sequential + arguments.concurrent
            if jobs != expected:
                raise SystemExit(f"benchmark: {jobs} Jobs on kube-sim, expected {expected}")
            p50, p99 = statistics.median(sequential), percentile(sequential, 0.99)
            create, auth = statistics.median(create_samples), statistics.median(authorized)
            print(f"kbatch submit → Job created, sequential: p50 {p50 * 1000:.2f} ms p99 {p99 * 1000:.2f} ms "
                  f"(goal p50 < 20 ms: {'met' if p50 < 0.020 else 'NOT met'})")
            print(f"references: one Job created on kube-sim p50 {create * 1000:.2f} ms (submit = {p50 / create:.1f}x); "
                  f"GET /kbatch/authorized p50 {auth * 1000:.2f} ms (submit = {p50 / auth:.1f}x)")
            print(f"{arguments.concurrent} concurrent submissions by {arguments.users} users: 0 errors, {wall:.2f} s wall, "
                  f"{arguments.concurrent / wall:.0f} submissions/s, p50 {statistics.median(concurrent) * 1000:.1f} ms "
                  f"p99 {percentile(concurrent, 0.99) * 1000:.1f} ms; {jobs} Jobs on kube-sim as expected")
            print(f"deploy API RSS after {expected} submissions: {deploy.rss_mib():.1f} MiB")
        finally:
            for child in reversed(children):
                child.stop()


if __name__ == "__main__":
    main()
