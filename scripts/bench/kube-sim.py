#!/usr/bin/env python3
"""kube-sim benchmark: listing 10,000 pods with a label selector that returns 10, and watch
event latency. Figures are ratios against references measured in the same run:
  - list latencies against GET /version (the cost of one trivial request),
  - watch delivery latency against the create call's own round trip.

Usage: scripts/bench/kube-sim.py [--binary .build/release/kube-sim] [--pods 10000]
Talks only to 127.0.0.1; the kube-sim process is started and stopped by this script.
"""
import argparse
import json
import socket
import statistics
import subprocess
import threading
import time

import requests


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(function, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/kube-sim")
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--watch-samples", type=int, default=300)
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    launched = time.perf_counter()
    process = subprocess.Popen(
        [args.binary, "--host", "127.0.0.1", "--port", str(port), "--no-simulation", "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    session = requests.Session()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                session.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        startup = time.perf_counter() - launched

        session.post(f"{base}/api/v1/namespaces", json={"metadata": {"name": "bench"}}).raise_for_status()
        start = time.perf_counter()
        for index in range(args.pods):
            pod = {
                "metadata": {"name": f"pod-{index}", "labels": {"app": f"bench-{index % (args.pods // 10)}"}},
                "spec": {"containers": [{"name": "c", "image": "python:3.12"}]},
            }
            session.post(f"{base}/api/v1/namespaces/bench/pods", json=pod).raise_for_status()
        create_seconds = time.perf_counter() - start

        def selected():
            reply = session.get(f"{base}/api/v1/namespaces/bench/pods", params={"labelSelector": "app=bench-7"})
            assert len(reply.json()["items"]) == 10

        reference = statistics.median(timed(lambda: session.get(f"{base}/version"), 200))
        selector = statistics.median(timed(selected, 50))
        full = statistics.median(timed(lambda: session.get(f"{base}/api/v1/namespaces/bench/pods").content, 5))

        # Watch latency: time from sending a create to receiving its ADDED event.
        received = {}
        ready = threading.Event()

        def watcher():
            with requests.get(f"{base}/api/v1/namespaces/bench/configmaps", params={"watch": "true", "resourceVersion": "0"}, stream=True) as reply:
                ready.set()
                for line in reply.iter_lines():
                    if line:
                        event = json.loads(line)
                        received[event["object"]["metadata"]["name"]] = time.perf_counter()
                        if len(received) >= args.watch_samples:
                            return

        thread = threading.Thread(target=watcher, daemon=True)
        thread.start()
        ready.wait(10)
        time.sleep(0.2)  # let the stream's first bytes arrive (no events are expected yet)
        sent, round_trips = {}, []
        for index in range(args.watch_samples):
            name = f"cm-{index}"
            sent[name] = time.perf_counter()
            session.post(f"{base}/api/v1/namespaces/bench/configmaps", json={"metadata": {"name": name}}).raise_for_status()
            round_trips.append(time.perf_counter() - sent[name])
        thread.join(30)
        latencies = sorted(received[name] - sent[name] for name in sent if name in received)
        assert len(latencies) == args.watch_samples, f"only {len(latencies)} events arrived"
        p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
        create_p50 = statistics.median(round_trips)

        rss = int(open(f"/proc/{process.pid}/status").read().split("VmRSS:")[1].split()[0]) / 1024
        print(f"# kube-sim benchmark: {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}, {args.pods} pods, {args.binary}")
        print(f"start-up to first /healthz answer:     {ms(startup)}")
        print(f"create {args.pods} pods sequentially: {create_seconds:.1f} s ({args.pods / create_seconds:.0f}/s)")
        print(f"reference GET /version p50:            {ms(reference)}")
        print(f"list, selector returning 10, p50:      {ms(selector)}  ratio {selector / reference:.1f}")
        print(f"list, all {args.pods} pods, p50:          {ms(full)}  ratio {full / reference:.1f}")
        print(f"create round trip p50 (reference):     {ms(create_p50)}")
        print(f"watch event after create, p50 / p99:   {ms(p50)} / {ms(p99)}  ratio p50 {p50 / create_p50:.2f}")
        print(f"kube-sim RSS with {args.pods} pods:        {rss:.1f} MiB")
    finally:
        process.terminate()
        process.wait(15)


if __name__ == "__main__":
    main()
