#!/usr/bin/env python3
"""rexec-deploy-api spawn latency: the API's own time (objects accepted / process registered),
not the server's start, on the Kubernetes runtime against kube-sim and on the local runtime.

References measured in the same run, so the figures are ratios:
  - kubernetes: one ConfigMap create sent straight to kube-sim (a spawn makes ~9 such calls);
  - both: the deploy API's authenticated GET /status for a user without a server (HTTP,
    auth cache and one read: everything but the creation itself).

Scenarios: sequential spawns for distinct users (p50/p99), then 100 concurrent spawns for 100
distinct users (kube-sim) and 20 (local runtime, whose servers are real Python processes on
this machine: 100 would measure the machine, not the API), wall time and p99.

    scripts/bench/deploy-api.py [--binaries DIR] [--sequential 50] [--concurrent 100] [--local-concurrent 20]
"""
import argparse
from concurrent.futures import ThreadPoolExecutor
import statistics
import sys
import tempfile
import time
from pathlib import Path

from children import ROOT, Child, kubeconfig, percentile, release_binaries, timed, users_file

import requests



def spawn(session, url, index, python):
    response = session.post(f"{url}/rexec/spawn", data={"requirments": [python], "token": f"bench-token-{index}"}, timeout=120)
    if response.status_code != 200 or "created" not in response.json().get("Status", ""):
        raise SystemExit(f"benchmark: spawn {index} answered {response.status_code}: {response.text[:300]}")


def status(session, url, index):
    response = session.get(f"{url}/rexec/status", headers={"Authorization": f"Bearer bench-token-{index}"}, timeout=30)
    response.raise_for_status()


def run_scenario(name, url, python, first_user, sequential, concurrent, reference):
    session = requests.Session()
    # Warm the IdP cache for every user used, so spawns measure the deploy API, not the IdP.
    for index in range(first_user, first_user + sequential + concurrent):
        status(session, url, index)
    status_samples = [timed(lambda: status(session, url, first_user))[0] for _ in range(100)]
    spawn_samples = [timed(lambda i=i: spawn(session, url, i, python))[0] for i in range(first_user, first_user + sequential)]

    def one(index):
        with requests.Session() as own:
            return timed(lambda: spawn(own, url, index, python))[0]

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrent) as pool:
        concurrent_samples = list(pool.map(one, range(first_user + sequential, first_user + sequential + concurrent)))
    wall = time.perf_counter() - start
    figures = {
        "status_p50": statistics.median(status_samples), "spawn_p50": statistics.median(spawn_samples),
        "spawn_p99": percentile(spawn_samples, 0.99), "concurrent_wall": wall, "concurrent_p99": percentile(concurrent_samples, 0.99),
        "concurrent": concurrent, "reference": reference,
    }
    print(f"{name}: sequential spawn p50 {figures['spawn_p50'] * 1000:.1f} ms p99 {figures['spawn_p99'] * 1000:.1f} ms "
          f"(GET /status p50 {figures['status_p50'] * 1000:.2f} ms; ratio {figures['spawn_p50'] / figures['status_p50']:.1f}x)")
    if reference:
        print(f"{name}: one kube-sim create p50 {reference * 1000:.2f} ms; spawn = {figures['spawn_p50'] / reference:.1f}x one create")
    print(f"{name}: {concurrent} concurrent spawns for distinct users: {wall:.2f} s wall, {concurrent / wall:.0f} spawns/s, "
          f"p99 {figures['concurrent_p99'] * 1000:.0f} ms")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binaries", default=None, help="directory with the release binaries (default: build them)")
    parser.add_argument("--sequential", type=int, default=50)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--local-sequential", type=int, default=20)
    parser.add_argument("--local-concurrent", type=int, default=20)
    arguments = parser.parse_args()
    binaries = Path(arguments.binaries) if arguments.binaries else release_binaries(("rexec-deploy-api", "kube-sim", "dev-idp"))
    python = f"python=={sys.version_info.major}.{sys.version_info.minor}"
    total_users = arguments.sequential + arguments.concurrent + arguments.local_sequential + arguments.local_concurrent + 1
    children = []
    with tempfile.TemporaryDirectory(prefix="deploy-bench-") as scratch:
        try:
            idp = Child([binaries / "dev-idp", "--host", "127.0.0.1", "--port", "0", "--log-level", "notice"],
                        env={"DEV_IDP_USERS": str(users_file(total_users, scratch))})
            children.append(idp)
            auth = f"http://127.0.0.1:{idp.port()}/information"

            sim = Child([binaries / "kube-sim", "--host", "127.0.0.1", "--port", "0", "--log-level", "notice"])
            children.append(sim)
            kube = f"http://127.0.0.1:{sim.port()}"
            session = requests.Session()
            session.post(f"{kube}/api/v1/namespaces", json={"metadata": {"name": "rexec-broker"}}).raise_for_status()
            for name, spec in (("rexec-broker-internal-ip", {"ports": [{"port": 5560}]}),
                               ("rexec-broker-external-ip", {"type": "NodePort", "ports": [{"port": 5559, "nodePort": 30001}]})):
                session.post(f"{kube}/api/v1/namespaces/rexec-broker/services", json={"metadata": {"name": name}, "spec": spec}).raise_for_status()
            create_samples = []
            for index in range(200):
                body = {"metadata": {"name": f"reference-{index}"}, "data": {"requirements.txt": "numpy\n"}}
                create_samples.append(timed(lambda: session.post(f"{kube}/api/v1/namespaces/rexec-broker/configmaps", json=body).raise_for_status())[0])
            config = kubeconfig(Path(scratch) / "kubeconfig", kube)
            common = {"AUTH_API_URL": auth, "APP_ROOT_PATH": "/rexec", "LOG_LEVEL": "notice", "REXEC_SERVER_SOURCE": str(ROOT / "rexec-server")}
            deploy = Child([binaries / "rexec-deploy-api", "--host", "127.0.0.1", "--port", "0"],
                           env={**common, "REXEC_RUNTIME": "kubernetes", "REXEC_KUBECONFIG_LOCAL_PATH": str(config)})
            children.append(deploy)
            url = f"http://127.0.0.1:{deploy.port()}"
            rss_idle = deploy.rss_mib()
            kubernetes = run_scenario("kubernetes (kube-sim)", url, python, 0, arguments.sequential, arguments.concurrent,
                                      statistics.median(create_samples))
            print(f"kubernetes (kube-sim): deploy API RSS idle {rss_idle:.1f} MiB, after {arguments.sequential + arguments.concurrent} "
                  f"spawns {deploy.rss_mib():.1f} MiB")
            deploy.stop()

            local = Child([binaries / "rexec-deploy-api", "--host", "127.0.0.1", "--port", "0"],
                          env={**common, "REXEC_RUNTIME": "local", "REXEC_LOCAL_STATE_DIR": str(Path(scratch) / "local"),
                               "REXEC_LOCAL_PYTHON": sys.executable, "REXEC_BROKER_PORT": "9"})
            children.append(local)
            local_url = f"http://127.0.0.1:{local.port()}"
            # Build the one virtual environment (shared by digest) before measuring.
            warm = total_users - 1
            spawn(session, local_url, warm, python)
            deadline = time.monotonic() + 600
            while session.get(f"{local_url}/rexec/status", headers={"Authorization": f"Bearer bench-token-{warm}"}).json()["phase"] != "running":
                if time.monotonic() > deadline:
                    raise SystemExit("benchmark: the local runtime's environment did not build within 600 s")
                time.sleep(0.2)
            first = arguments.sequential + arguments.concurrent
            run_scenario("local", local_url, python, first, arguments.local_sequential, arguments.local_concurrent, None)
            print(f"local: deploy API RSS {local.rss_mib():.1f} MiB with {arguments.local_sequential + arguments.local_concurrent + 1} servers registered")
        finally:
            for child in reversed(children):
                child.stop()


if __name__ == "__main__":
    main()
