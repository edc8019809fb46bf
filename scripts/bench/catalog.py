#!/usr/bin/env python3
"""The NDP EP catalog on its embedded SQLite file (issue 17): registrations per second through
HTTP with the ndp-ep client's payload for `register_general_dataset`, then GET and POST /search
latency with 100,000 datasets loaded, and the gateway's memory with them. wrk drives the load
(Lua scripts make each registration's name unique); the reference, measured in the same run, is
the gateway's authenticated GET /status/ (the same middleware, token check and policy, no
database), so the figures are ratios.

    scripts/bench/catalog.py [--binaries DIR] [--datasets 100000] [--seconds 10]
"""
import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from children import ROOT, Child, release_binaries

TOKEN = "demo-token"
REGISTER = r"""
counter = 0
prefix = os.getenv("BENCH_PREFIX") or "d"
request = function()
  counter = counter + 1
  local name = string.format("%s-%d-%d", prefix, id, counter)
  local station = (id * 1000003 + counter) % 1000
  local body = string.format('{"name": "%s", "title": "Buoy record %s", "owner_org": "bench-lab", ' ..
    '"notes": "Hourly readings from station%d in the Pacific", "tags": ["ocean", "buoy"], ' ..
    '"extras": {"station": "station%d", "instrument": "thermistor"}, ' ..
    '"resources": [{"url": "https://data.example.org/%s.csv", "name": "%s", "format": "CSV"}]}', name, name, station, station, name, name)
  return wrk.format("POST", "/dataset", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer demo-token"}, body)
end
id = 0
setup = function(thread) thread:set("id", math.random(1, 1000000000)) end
"""


def wrk(url, seconds, connections=16, script=None, headers=(), threads=2):
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        args += ["-H", header]
    if script:
        args += ["-s", script]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"benchmark: non-2xx answers from {url}:\n{out}")
    def ms(label):
        value = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        number, unit = float(value.group(1)), value.group(2)
        return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50_ms": ms("50%"), "p99_ms": ms("99%"),
            "requests": int(re.search(r"(\d+) requests in", out).group(1))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binaries")
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    binaries = Path(args.binaries) if args.binaries else release_binaries(["dev-idp", "ndp-ep-api"])
    scratch = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    idp = Child([binaries / "dev-idp", "--host", "127.0.0.1", "--port", "0"], env={"DEV_IDP_USERS": "config/dev-idp-users.yaml", "LOG_LEVEL": "notice"})
    idp_port = idp.port()
    gateway = Child([binaries / "ndp-ep-api", "--host", "127.0.0.1", "--port", "0"],
                    env={"AUTH_API_URL": f"http://127.0.0.1:{idp_port}/information", "LOG_LEVEL": "notice",
                         "CATALOG_SQLITE_PATH": str(scratch / "catalog.sqlite")})
    url = f"http://127.0.0.1:{gateway.port()}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        requests.post(f"{url}/organization", json={"name": "bench-lab", "title": "Bench"}, headers=auth, timeout=10).raise_for_status()
        script = scratch / "register.lua"
        script.write_text(REGISTER)
        reference = wrk(f"{url}/status/", args.seconds, headers=[f"Authorization: Bearer {TOKEN}"])
        registrations = wrk(f"{url}/dataset", args.seconds, script=str(script))
        # Load the rest, as fast as registrations go, and time it.
        start = time.monotonic()
        while (count := requests.get(f"{url}/status/metrics", headers=auth, timeout=30).json()["num_datasets"]) < args.datasets:
            wrk(f"{url}/dataset", max(2, min(20, int((args.datasets - count) / max(registrations["rps"], 1)) + 1)), script=str(script))
        load_seconds = time.monotonic() - start
        rss_loaded = gateway.rss_mib()
        # One connection: a request's own time; sixteen: under load (p50 ≈ 16 ÷ throughput).
        search_one = wrk(f"{url}/search?terms=station417&server=local", args.seconds, connections=1, threads=1)
        search = wrk(f"{url}/search?terms=station417&server=local", args.seconds)
        selective = requests.get(f"{url}/search?terms=station417&server=local", timeout=30).json()
        post = scratch / "post.lua"
        post.write_text('wrk.method = "POST"\nwrk.body = \'{"search_term": "station417", "owner_org": "bench-lab", "resource_format": "csv", '
                        '"server": "local"}\'\nwrk.headers["Content-Type"] = "application/json"\n')
        advanced_one = wrk(f"{url}/search", args.seconds, script=str(post), connections=1, threads=1)
        advanced = wrk(f"{url}/search", args.seconds, script=str(post))
        rss_after = gateway.rss_mib()
        size = sum(p.stat().st_size for p in scratch.glob("catalog.sqlite*"))
        print(json.dumps({
            "reference_status": reference, "registrations": registrations,
            "registrations_vs_status": round(registrations["rps"] / reference["rps"], 3),
            "datasets": count, "load_seconds_after_first_run": round(load_seconds, 1),
            "get_search_1_connection": search_one, "get_search_16_connections": search, "get_search_results": len(selective),
            "post_search_1_connection": advanced_one, "post_search_16_connections": advanced,
            "rss_mib_loaded": round(rss_loaded, 1), "rss_mib_after_searches": round(rss_after, 1),
            "database_mib": round(size / 1048576, 1),
        }, indent=1))
    finally:
        gateway.stop()
        idp.stop()
        subprocess.run(["rm", "-rf", str(scratch)])


if __name__ == "__main__":
    main()
