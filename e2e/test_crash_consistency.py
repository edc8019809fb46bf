"""Processes SIGKILLed in the middle of writes, then restarted on the same state: what a
client was told is stored is there, whole; nothing half-written is; the SQLite database
passes `PRAGMA integrity_check`. (Staging copies: e2e/test_staging.py; pod creations:
Tests/PodsBackendTests/PodsResilienceTests.swift; docs/reliability.md has the table.)"""
import sqlite3
import threading
import time

import requests

from rexec_harness import Gateway

WRITER = {"Authorization": "Bearer demo-token"}
RESOURCES = 3


def integrity(path):
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def test_catalog_writes_killed_midway_leave_whole_datasets_and_an_intact_database(idp, tmp_path):
    database = tmp_path / "catalog.sqlite"
    env = {"CATALOG_SQLITE_PATH": str(database)}
    first = Gateway(idp, env=env)
    acknowledged, stop = [], threading.Event()
    requests.post(f"{first.base}/organization", json={"name": "crash-lab", "title": "Crash"}, headers=WRITER, timeout=10).raise_for_status()

    def register(worker):
        session = requests.Session()
        number = 0
        while not stop.is_set():
            name = f"crash-{worker}-{number}"
            body = {"name": name, "title": name, "owner_org": "crash-lab", "notes": "crashword",
                    "resources": [{"url": f"https://data.example/{name}/{i}.csv", "name": f"part-{i}"} for i in range(RESOURCES)]}
            try:
                if session.post(f"{first.base}/dataset", json=body, headers=WRITER, timeout=10).status_code == 201:
                    acknowledged.append(name)
            except requests.RequestException:
                return  # the process is gone
            number += 1

    writers = [threading.Thread(target=register, args=(worker,)) for worker in range(4)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    # Killed with writes in flight on all four connections.
    first.process.kill()
    first.process.wait(10)
    stop.set()
    for writer in writers:
        writer.join(30)
    assert len(acknowledged) >= 40

    assert integrity(database) == "ok"
    second = Gateway(idp, env=env)
    try:
        action = f"{second.base}/api/3/action"
        names = requests.get(f"{action}/package_list", timeout=10).json()["result"]
        # Everything acknowledged is there; what is there is whole.
        assert set(acknowledged) <= set(names), set(acknowledged) - set(names)
        for name in names:
            package = requests.get(f"{action}/package_show", params={"id": name}, timeout=10).json()["result"]
            assert [r["name"] for r in package["resources"]] == [f"part-{i}" for i in range(RESOURCES)], package
        # And it takes writes again.
        body = {"name": "after-crash", "title": "After", "owner_org": "crash-lab", "resources": []}
        assert requests.post(f"{second.base}/dataset", json=body, headers=WRITER, timeout=10).status_code == 201
    finally:
        second.stop()
        first.stop()
    assert integrity(database) == "ok"


def rexec_servers_of(sub, state):
    """Live rexec server processes of a user (by the env the deploy API gives them) that run
    from `state` (the deploy API's state directory: their environments are there)."""
    import os
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
            environ = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        if b"rexec_server" in cmdline and str(state).encode() in cmdline and f"REXEC_USER_ID={sub}".encode() in environ.split(b"\0"):
            found.append(int(pid))
    return found


def test_deploy_api_killed_during_and_after_a_spawn_converges_on_one_working_server(idp, tmp_path):
    import sys

    from rexec_harness import DEMO_SUB, Broker, DeployAPI, assert_pings, wait_until

    python = f"python=={sys.version_info.major}.{sys.version_info.minor}"
    broker = Broker(idp.url, env={"REXEC_BROKER_STARTUP_GRACE_SECONDS": "0"})
    state = tmp_path / "state"
    deploy = DeployAPI(idp, broker, state)
    form = {"requirments": [python], "force_reinstall": "False", "token": "demo-token"}
    headers = {"Authorization": "Bearer demo-token"}
    try:
        # Killed right after accepting a spawn (the environment is still being built).
        assert requests.post(f"{deploy.url}/rexec/spawn", data=form, timeout=30).status_code == 200
        deploy.process.kill()
        deploy.process.wait(10)
        deploy = DeployAPI(idp, broker, state)

        def running():
            return requests.get(f"{deploy.url}/rexec/status", headers=headers, timeout=10).json().get("phase") == "running"
        wait_until("the restarted deploy API brings the server up", running, timeout=120)

        # Killed again with the server running: the restart replaces the orphaned server.
        deploy.process.kill()
        deploy.process.wait(10)
        deploy = DeployAPI(idp, broker, state)
        wait_until("the server runs again", running, timeout=120)
        wait_until("one server process for the user", lambda: len(rexec_servers_of(DEMO_SUB, state)) == 1, timeout=30)
        wait_until("the broker hears it", lambda: broker.statistics()["servers"].get(DEMO_SUB, {}).get("state") == "live", timeout=30)
        assert_pings(broker)
        # A spawn with the same requirements is the existing server, not a second one.
        assert "exists" in requests.post(f"{deploy.url}/rexec/spawn", data=form, timeout=30).json()["Status"]
    finally:
        requests.delete(f"{deploy.url}/rexec/terminate", data={"token": "demo-token"}, timeout=30)
        deploy.stop()
        broker.stop()
    assert rexec_servers_of(DEMO_SUB, state) == []
