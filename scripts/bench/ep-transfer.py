#!/usr/bin/env python3
"""Bytes through ndp-ep-api (issue 19): the services proxy and the S3 routes, each against a
reference measured in the same run, so the figures are ratios.

  1. Proxy overhead: wrk on GET /services/redirect/idp/healthz (a registered service: the dev
     IdP's own /healthz) vs the same URL asked directly.
  2. Proxy streaming: a 1 GiB download through the proxy from a local HTTP service vs
     straight from it; the EP's resident memory sampled every 20 ms during the transfer.
  3. S3 round trip: a 500 MiB object uploaded (multipart form, streamed by the client) and
     downloaded through the EP vs the same client (requests) talking to the S3 server
     directly through presigned URLs; MB/s and the EP's memory growth.

    scripts/bench/ep-transfer.py [--binaries DIR] [--proxy-mib 1024] [--s3-mib 500] [--seconds 10]
"""
import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from children import ROOT, Child, release_binaries

sys.path.insert(0, str(ROOT / "e2e"))
from rexec_harness import S3Server  # noqa: E402

TOKEN = {"Authorization": "Bearer demo-token"}
BLOCK = os.urandom(1 << 20)


class Streamer:
    """A local HTTP service answering GET /big?mib=N with N MiB, written a MiB at a time."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                mib = int(self.path.split("mib=")[1])
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(mib << 20))
                self.end_headers()
                for _ in range(mib):
                    self.wfile.write(BLOCK)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class MemoryWatch:
    """Samples a child's resident memory every 20 ms until stopped; keeps the peak."""

    def __init__(self, child):
        self.child, self.peak, self.running = child, child.rss_mib(), True
        self.baseline = self.peak
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.child.rss_mib())
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.thread.join()
        return self.baseline, self.peak


def wrk(url, seconds, headers=None):
    """(requests/s, p99 ms) of wrk with 32 connections."""
    command = ["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency", url]
    for header in headers or []:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"benchmark: non-2xx answers from {url}:\n{out}")
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    p99 = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("99%"))
    unit = 1e-3 if p99.endswith("us") else (1000 if p99.endswith("s") and not p99.endswith("ms") else 1)
    return rps, float(p99.rstrip("usm")) * unit


def download(url, headers=None):
    """(MB/s, bytes) of a streamed GET."""
    start, size = time.perf_counter(), 0
    with requests.get(url, headers=headers, stream=True, timeout=600) as answer:
        answer.raise_for_status()
        for piece in answer.iter_content(1 << 20):
            size += len(piece)
    return size / (time.perf_counter() - start) / 1e6, size


def form_body(boundary, path, key):
    """A multipart form (object_key, then the file) streamed from disk a MiB at a time."""
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"object_key\"\r\n\r\n{key}\r\n"
           f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{key}\"\r\n"
           "Content-Type: application/octet-stream\r\n\r\n").encode()
    with open(path, "rb") as handle:
        while piece := handle.read(1 << 20):
            yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binaries", default=None, help="directory with the release binaries (default: build them)")
    parser.add_argument("--proxy-mib", type=int, default=1024)
    parser.add_argument("--s3-mib", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    arguments = parser.parse_args()
    binaries = Path(arguments.binaries) if arguments.binaries else release_binaries(("ndp-ep-api", "dev-idp"))
    children = []
    with tempfile.TemporaryDirectory(prefix="ep-transfer-bench-") as scratch:
        try:
            idp = Child([binaries / "dev-idp", "--host", "127.0.0.1", "--port", "0", "--log-level", "notice"],
                        env={"DEV_IDP_USERS": "config/dev-idp-users.yaml"})
            children.append(idp)
            idp_url = f"http://127.0.0.1:{idp.port()}"
            s3 = S3Server(strict=False)
            children.append(s3)
            ep = Child([binaries / "ndp-ep-api", "--host", "127.0.0.1", "--port", "0"],
                       env={"AUTH_API_URL": f"{idp_url}/information", "LOG_LEVEL": "notice", **s3.gateway_env(),
                            "CATALOG_SQLITE_PATH": f"{scratch}/catalog.sqlite"})
            children.append(ep)
            ep_url = f"http://127.0.0.1:{ep.port()}"
            streamer = Streamer()
            for name, url in (("idp", idp_url), ("streamer", streamer.url)):
                requests.post(f"{ep_url}/services", headers=TOKEN, timeout=30, json={
                    "service_name": name, "service_title": name, "owner_org": "services", "service_url": url}).raise_for_status()

            print("== services proxy: GET /healthz of the dev IdP, wrk -c32")
            direct_rps, direct_p99 = wrk(f"{idp_url}/healthz", arguments.seconds)
            proxy_rps, proxy_p99 = wrk(f"{ep_url}/services/redirect/idp/healthz", arguments.seconds)
            print(f"direct:        {direct_rps:9.0f} req/s  p99 {direct_p99:6.2f} ms")
            print(f"through proxy: {proxy_rps:9.0f} req/s  p99 {proxy_p99:6.2f} ms  ({proxy_rps / direct_rps:.2f}× the direct rate)")

            mib = arguments.proxy_mib
            print(f"== services proxy: download of {mib} MiB")
            direct_mbs, _ = download(f"{streamer.url}/big?mib={mib}")
            watch = MemoryWatch(ep)
            proxy_mbs, size = download(f"{ep_url}/services/redirect/streamer/big?mib={mib}")
            baseline, peak = watch.stop()
            assert size == mib << 20, size
            print(f"direct:        {direct_mbs:7.0f} MB/s")
            print(f"through proxy: {proxy_mbs:7.0f} MB/s ({proxy_mbs / direct_mbs:.2f}×); EP RSS {baseline:.0f} → peak {peak:.0f} MiB "
                  f"(+{peak - baseline:.0f} MiB for {mib} MiB)")

            mib = arguments.s3_mib
            print(f"== S3: a {mib} MiB object up and down")
            path = Path(scratch) / "object.bin"
            with open(path, "wb") as handle:
                for _ in range(mib):
                    handle.write(BLOCK)
            requests.post(f"{ep_url}/s3/buckets/", headers=TOKEN, json={"name": "bench"}, timeout=30).raise_for_status()
            presign = lambda kind, key: requests.post(f"{ep_url}/s3/objects/bench/{key}/presigned-{kind}", headers=TOKEN, json={},  # noqa: E731
                                                      timeout=30).json()["url"]
            start = time.perf_counter()
            with open(path, "rb") as handle:  # a file object: sent with its Content-Length (moto refuses chunked PUTs)
                requests.put(presign("upload", "direct.bin"), data=handle, timeout=600).raise_for_status()
            direct_up = (mib << 20) / (time.perf_counter() - start) / 1e6
            boundary = "bench-boundary-7f3a"
            watch = MemoryWatch(ep)
            start = time.perf_counter()
            answer = requests.post(f"{ep_url}/s3/objects/bench", data=form_body(boundary, path, "through-ep.bin"), timeout=600,
                                   headers={**TOKEN, "Content-Type": f"multipart/form-data; boundary={boundary}"})
            ep_up = (mib << 20) / (time.perf_counter() - start) / 1e6
            baseline_up, peak_up = watch.stop()
            if answer.status_code != 200 or answer.json()["size"] != mib << 20:
                raise SystemExit(f"benchmark: upload answered {answer.status_code}: {answer.text[:300]}")
            direct_down, _ = download(presign("download", "through-ep.bin"))
            watch = MemoryWatch(ep)
            ep_down, size = download(f"{ep_url}/s3/objects/bench/through-ep.bin", headers=TOKEN)
            baseline_down, peak_down = watch.stop()
            assert size == mib << 20, size
            print(f"upload:   direct {direct_up:6.0f} MB/s, through the EP {ep_up:6.0f} MB/s ({ep_up / direct_up:.2f}×); "
                  f"EP RSS {baseline_up:.0f} → peak {peak_up:.0f} MiB (+{peak_up - baseline_up:.0f})")
            print(f"download: direct {direct_down:6.0f} MB/s, through the EP {ep_down:6.0f} MB/s ({ep_down / direct_down:.2f}×); "
                  f"EP RSS {baseline_down:.0f} → peak {peak_down:.0f} MiB (+{peak_down - baseline_down:.0f})")
        finally:
            for child in reversed(children):
                child.stop()


if __name__ == "__main__":
    main()
