#!/usr/bin/env python3
"""user-pods-backend on kube-sim: get_pods for one user among 10,000 pods, and create → ready.

References measured in the same run, so the figures are ratios:
  - get_pods: the same label-selector list sent straight to kube-sim (the backend makes three
    such lists: pods, token Secrets, ssh Services, plus auth and rendering);
  - create → ready: a pod created straight in kube-sim and watched until Ready (the
    simulated start time), against create_pod + watch_create_pod through the backend (manifest
    fetch, policy, names, the pod, its ssh Service, its token Secret, the state label).

    scripts/bench/pods-backend.py [--binaries DIR] [--pods 10000] [--creations 30] [--concurrent 20]
"""
import argparse
from concurrent.futures import ThreadPoolExecutor
import functools
import http.server
import json
import statistics
import tempfile
import threading
from pathlib import Path

import requests

from children import Child, kubeconfig, percentile, release_binaries, timed

NAMESPACE = "bench"
SECRET = "bench-silo-secret-0123456789"
HEADERS = {"X-Backend-Secret": SECRET}
# No copy-token: kube-sim's pods write no token files, and the start jobs would spend their
# ten attempts (and the refresh window) looking for them.
MANIFEST = """apiVersion: v1
kind: Pod
metadata:
  name: box
spec:
  containers:
  - name: box
    image: busybox:1.36
    ports:
    - containerPort: 22
"""


class Manifests(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = MANIFEST.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binaries", default=None, help="directory with the release binaries (default: build them)")
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--creations", type=int, default=30)
    parser.add_argument("--concurrent", type=int, default=20)
    arguments = parser.parse_args()
    binaries = Path(arguments.binaries) if arguments.binaries else release_binaries(("user-pods-backend", "kube-sim"))
    manifests = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Manifests)
    threading.Thread(target=manifests.serve_forever, daemon=True).start()
    manifest_url = f"http://127.0.0.1:{manifests.server_address[1]}/pod_manifests/box.yaml"
    children = []
    with tempfile.TemporaryDirectory(prefix="pods-bench-") as scratch:
        try:
            sim = Child([binaries / "kube-sim", "--host", "127.0.0.1", "--port", "0", "--log-level", "notice",
                         "--namespace", NAMESPACE, "--pod-start-delay", "0.05"])
            children.append(sim)
            kube = f"http://127.0.0.1:{sim.port()}"
            backend = Child([binaries / "user-pods-backend", "--host", "127.0.0.1", "--port", "0"], env={
                "KUBECONFIG": str(kubeconfig(Path(scratch) / "kubeconfig", kube)), "LOG_LEVEL": "notice",
                "BACKEND_NAMESPACE": NAMESPACE, "BACKEND_SILOSECRET": SECRET, "BACKEND_TOKENRETRYINTERVAL": "10ms",
                "BACKEND_WHITELISTMANIFESTREGEX": manifest_url.rsplit("/", 1)[0] + "/", "BACKEND_INGRESSDOMAIN": "pods.example.org",
            })
            children.append(backend)
            url = f"http://127.0.0.1:{backend.port()}"
            session = requests.Session()
            rss_idle = backend.rss_mib()

            # create → ready, through the backend and straight in kube-sim, alternating.
            def through_backend(user):
                with requests.Session() as own:
                    def run():
                        created = own.post(f"{url}/create_pod", headers=HEADERS, json={"user_id": user, "yaml_url": manifest_url}, timeout=120)
                        created.raise_for_status()
                        ready = own.post(f"{url}/watch_create_pod", headers=HEADERS,
                                         json={"user_id": user, "pod_name": created.json()["pod_name"]}, timeout=120)
                        if ready.json() != {"ready": True}:
                            raise SystemExit(f"benchmark: {user}'s pod did not become ready: {ready.text}")
                    return timed(run)[0]

            def straight(index):
                def run():
                    body = {"metadata": {"name": f"reference-{index}"}, "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}
                    created = session.post(f"{kube}/api/v1/namespaces/{NAMESPACE}/pods", json=body)
                    created.raise_for_status()
                    version = created.json()["metadata"]["resourceVersion"]
                    watch = session.get(f"{kube}/api/v1/namespaces/{NAMESPACE}/pods", stream=True, timeout=60, params={
                        "watch": "true", "fieldSelector": f"metadata.name=reference-{index}", "resourceVersion": version})
                    for line in watch.iter_lines():
                        conditions = json.loads(line)["object"].get("status", {}).get("conditions", [])
                        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                            watch.close()
                            return
                    raise SystemExit("benchmark: reference pod never became ready")
                return timed(run)[0]

            backend_samples, reference_samples = [], []
            for index in range(arguments.creations):
                reference_samples.append(straight(index))
                backend_samples.append(through_backend(f"seq{index}@bench.org"))
            wall, concurrent_samples = timed(lambda: list(ThreadPoolExecutor(arguments.concurrent).map(
                through_backend, [f"con{i}@bench.org" for i in range(arguments.concurrent)])))
            print(f"create → ready, kube-sim alone: p50 {ms(statistics.median(reference_samples))}")
            print(f"create → ready through the backend, sequential: p50 {ms(statistics.median(backend_samples))} "
                  f"p99 {ms(percentile(backend_samples, 0.99))} ({statistics.median(backend_samples) / statistics.median(reference_samples):.1f}x kube-sim alone)")
            print(f"create → ready, {arguments.concurrent} users at once: {wall:.2f} s wall, p99 {ms(percentile(concurrent_samples, 0.99))}")

            # get_pods for one user with 10 pods, first alone in the namespace, then among many.
            for index in range(10):
                through_backend("target@bench.org")

            def get_pods_samples(runs=200):
                return [timed(lambda: session.post(f"{url}/get_pods", headers=HEADERS, json={"user_id": "target@bench.org"}).raise_for_status())[0]
                        for _ in range(runs)]

            def direct_list_samples(runs=200):
                selector = {"labelSelector": "user=target,domain=bench.org"}
                return [timed(lambda: session.get(f"{kube}/api/v1/namespaces/{NAMESPACE}/pods", params=selector).raise_for_status())[0]
                        for _ in range(runs)]

            assert len(session.post(f"{url}/get_pods", headers=HEADERS, json={"user_id": "target@bench.org"}).json()) == 10
            small_get, small_list = statistics.median(get_pods_samples()), statistics.median(direct_list_samples())
            present = arguments.creations + arguments.concurrent + 10 + arguments.creations
            fill = max(0, arguments.pods - present)
            fill_time, _ = timed(lambda: [session.post(f"{kube}/api/v1/namespaces/{NAMESPACE}/pods", json={
                "metadata": {"name": f"other-{i}", "labels": {"user": f"u{i % 1000}", "domain": "bench.org", "podName": f"other-{i}"},
                             # As the backend makes them: with an expiry (else its sweep gives each one).
                             "annotations": {"sciencedata.dk/expires-at": "2099-01-01T00:00:00Z"}},
                # Placed already: the simulated scheduler leaves it alone.
                "spec": {"nodeName": "kube-sim-node-1", "containers": [{"name": "c", "image": "busybox:1.36"}]},
            }).raise_for_status() for i in range(fill)])
            big = get_pods_samples()
            big_list = direct_list_samples()
            print(f"get_pods (10 pods), namespace of {present} pods: p50 {ms(small_get)} (direct selector list {ms(small_list)})")
            print(f"get_pods (10 pods) among {present + fill} pods: p50 {ms(statistics.median(big))} p99 {ms(percentile(big, 0.99))}; "
                  f"direct selector list p50 {ms(statistics.median(big_list))}; ratio {statistics.median(big) / statistics.median(big_list):.2f}x "
                  f"(filled {fill} pods in {fill_time:.1f} s)")
            print(f"user-pods-backend RSS idle {rss_idle:.1f} MiB, after the run {backend.rss_mib():.1f} MiB; kube-sim RSS {sim.rss_mib():.1f} MiB")
        finally:
            for child in reversed(children):
                child.stop()
            manifests.shutdown()


if __name__ == "__main__":
    main()
