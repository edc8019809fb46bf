#!/usr/bin/env python3
"""`make soak`: the local stack (scripts/run-stack.sh) under a mixed load from several users for
SOAK_SECONDS (default 600): EP status and catalog reads and writes, rexec calls through the
broker to a spawned server, kbatch job submissions and listings, pods-backend listings.
Reports errors per route (goal 0), p50/p99 per route, and each service's RSS at the start and
the end (goal: flat). Not part of CI; figures go into docs/reliability.md.

    .venv/bin/python scripts/soak.py [--seconds 600] [--users 4]
"""
import argparse
import collections
import os
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "e2e"))
from conftest import Stack  # noqa: E402
from rexec_harness import rss_mib, service_pid  # noqa: E402

USERS = [("demo-token", "demo@example.org"), ("admin-token", "admin@example.org"), ("member-token", "member@example.org"),
         ("viewer-token", "viewer@example.org")]
SERVICES = {"ndp-ep-api": "EP_PORT", "rexec-deploy-api": "DEPLOY_API_PORT", "user-pods-backend": "PODS_PORT",
            "rexec-broker": "BROKER_HTTP_PORT", "kube-sim": "KUBE_SIM_PORT", "dev-idp": "IDP_PORT"}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = collections.defaultdict(list)
        self.errors = collections.Counter()

    def record(self, route, started, ok):
        with self.lock:
            self.times[route].append(time.monotonic() - started)
            if not ok:
                self.errors[route] += 1


def user_load(stack, token, email, deadline, recorder, worker):
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    ep = stack.url("EP_PORT", "/ep")
    number = 0

    def timed(route, call, ok=lambda r: r.status_code < 400):
        started = time.monotonic()
        try:
            recorder.record(route, started, ok(call()))
        except requests.RequestException:
            recorder.record(route, started, False)

    while time.monotonic() < deadline:
        number += 1
        timed("GET /ep/status/", lambda: session.get(f"{ep}/status/", headers=headers, timeout=30))
        timed("GET /ep/search", lambda: session.get(f"{ep}/search", params={"terms": "soak"}, headers=headers, timeout=30))
        if token in ("demo-token", "admin-token"):
            body = {"name": f"soak-{worker}-{number}", "title": "soak", "owner_org": "soak-lab", "notes": "soak",
                    "resources": [{"url": "https://data.example/soak.csv", "name": "part"}]}
            timed("POST /ep/dataset", lambda: session.post(f"{ep}/dataset", json=body, headers=headers, timeout=30),
                  ok=lambda r: r.status_code == 201)
        timed("POST /get_pods", lambda: session.post(stack.url("PODS_PORT", "/get_pods"), json={"user_id": email}, headers=headers, timeout=30))
        timed("GET /rexec/kbatch/jobs/", lambda: session.get(stack.url("DEPLOY_API_PORT", "/rexec/kbatch/jobs/"),
                                                              headers={"Authorization": f"token {token}"}, timeout=30))
        if number % 10 == 0:
            job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"generateName": "soak-"},
                   "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "job", "image": "busybox", "command": ["true"]}]}}}}
            timed("POST /rexec/kbatch/jobs/", lambda: session.post(stack.url("DEPLOY_API_PORT", "/rexec/kbatch/jobs/"), json={"job": job},
                                                                   headers={"Authorization": f"token {token}"}, timeout=60))


def rexec_load(stack, deadline, recorder):
    """The demo user's server, called in a loop by the real scidx-rexec client (one process,
    many calls)."""
    python = f"python=={sys.version_info.major}.{sys.version_info.minor}"
    spawn = requests.post(stack.url("DEPLOY_API_PORT", "/rexec/spawn"), timeout=300,
                          data={"requirments": [python], "force_reinstall": "False", "token": "demo-token", "wait": "true"})
    spawn.raise_for_status()
    end = time.time() + (deadline - time.monotonic())
    script = textwrap.dedent(f"""
        import sys, time
        from rexec.client_api import remote_func
        remote_func.set_remote_addr("127.0.0.1")
        remote_func.set_remote_port("{stack.ports['BROKER_CLIENT_PORT']}")
        remote_func.set_exec_token("demo-token")

        @remote_func
        def add(a, b):
            return a + b

        while time.time() < {end}:
            started = time.monotonic()
            ok = add(2, 3) == 5
            print(f"{{time.monotonic() - started:.6f}} {{int(ok)}}", flush=True)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        took, ok = line.split()
        with recorder.lock:
            recorder.times["rexec call"].append(float(took))
            if ok != "1":
                recorder.errors["rexec call"] += 1
    process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", "600")))
    parser.add_argument("--users", type=int, default=4)
    arguments = parser.parse_args()
    stack = Stack({})
    try:
        stack.wait_for_line("[stack] ready", timeout=300)
        requests.post(stack.url("EP_PORT", "/ep/organization"), json={"name": "soak-lab", "title": "Soak"},
                      headers={"Authorization": "Bearer demo-token"}, timeout=30)
        pids = {name: service_pid(stack.ports[port]) for name, port in SERVICES.items()}
        before = {name: rss_mib(pid) for name, pid in pids.items() if pid}
        deadline = time.monotonic() + arguments.seconds
        recorder = Recorder()
        threads = [threading.Thread(target=user_load, args=(stack, *USERS[i % len(USERS)], deadline, recorder, i)) for i in range(arguments.users)]
        threads.append(threading.Thread(target=rexec_load, args=(stack, deadline, recorder)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = {name: rss_mib(pid) for name, pid in pids.items() if pid}
        print(f"soak: {arguments.seconds:.0f} s, {arguments.users} users + one rexec client")
        print(f"{'route':28} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
        for route, times in sorted(recorder.times.items()):
            ordered = sorted(times)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            print(f"{route:28} {len(times):9d} {recorder.errors[route]:7d} {statistics.median(times) * 1000:8.1f} {p99 * 1000:8.1f}")
        print(f"{'service':20} {'RSS start MiB':>14} {'RSS end MiB':>12}")
        for name in before:
            print(f"{name:20} {before[name]:14.1f} {after.get(name, 0):12.1f}")
        return 1 if sum(recorder.errors.values()) else 0
    finally:
        # Ctrl-C, as a user stops it: the deploy API then stops the rexec server it spawned
        # (a killed launcher would leave that server running).
        try:
            stack.interrupt(timeout=60)
        except Exception:
            stack.kill()


if __name__ == "__main__":
    sys.exit(main())
