#!/usr/bin/env python3
"""The NDP EP catalog (issue 17), on its embedded SQLite file or on PostgreSQL: registrations
per second through HTTP with the ndp-ep client's payload for `register_general_dataset`, then GET
and POST /search latency with 100,000 datasets loaded, and the gateway's memory with them. wrk
drives the load (Lua scripts make each registration's name unique); the reference, measured in
the same run, is the gateway's authenticated GET /status/ (the same middleware, token check and
policy, no database), so the figures are ratios. `--backend postgres` starts a throw-away
cluster with durable settings (fsync and synchronous commit on, as a real deployment).

    scripts/bench/catalog.py [--binaries DIR] [--backend sqlite|postgres] [--datasets 100000] [--seconds 10]
"""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from children import ROOT, Child, percentile, release_binaries, timed

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


def bulk_import(binaries, catalog_env, dump, count):
    """`count` datasets of the benchmark's payload (station N in 1,000 stations) loaded with
    `ndp-ep-api --import-datasets`; its JSON summary."""
    with dump.open("w") as out:
        for n in range(count):
            name, station = f"bulk-{n}", (n * 7919) % 1000
            out.write(json.dumps({"name": name, "title": f"Buoy record {name}", "owner_org": "bench-lab",
                                  "notes": f"Hourly readings from station{station} in the Pacific", "tags": ["ocean", "buoy"],
                                  "extras": {"station": f"station{station}", "instrument": "thermistor"},
                                  "resources": [{"url": f"https://data.example.org/{name}.csv", "name": name, "format": "CSV"}]}) + "\n")
    return json.loads(subprocess.run([str(binaries / "ndp-ep-api"), "--import-datasets", str(dump)], env={**os.environ, **catalog_env},
                                     capture_output=True, text=True, check=True).stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binaries")
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    binaries = Path(args.binaries) if args.binaries else release_binaries(["dev-idp", "ndp-ep-api"])
    scratch = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    catalog_env = {"CATALOG_SQLITE_PATH": str(scratch / "catalog.sqlite")}
    postgres = None
    if args.backend == "postgres":
        started = subprocess.run([str(ROOT / "scripts/throwaway-postgres.sh"), "start", "--durable"], capture_output=True, text=True, check=True)
        postgres = dict(re.findall(r"export (\w+)=(\S+)", started.stdout))
        catalog_env = {"LOCAL_CATALOG_BACKEND": "postgres", "CATALOG_POSTGRES_URL": postgres["CATALOG_TEST_POSTGRES_URL"]}
    idp = Child([binaries / "dev-idp", "--host", "127.0.0.1", "--port", "0"], env={"DEV_IDP_USERS": "config/dev-idp-users.yaml", "LOG_LEVEL": "notice"})
    idp_port = idp.port()
    gateway = Child([binaries / "ndp-ep-api", "--host", "127.0.0.1", "--port", "0"],
                    env={"AUTH_API_URL": f"http://127.0.0.1:{idp_port}/information", "LOG_LEVEL": "notice", **catalog_env})
    url = f"http://127.0.0.1:{gateway.port()}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        requests.post(f"{url}/organization", json={"name": "bench-lab", "title": "Bench"}, headers=auth, timeout=10).raise_for_status()
        script = scratch / "register.lua"
        script.write_text(REGISTER)
        reference = wrk(f"{url}/status/", args.seconds, headers=[f"Authorization: Bearer {TOKEN}"])
        registrations = wrk(f"{url}/dataset", args.seconds, script=str(script))
        # Load the rest through the bulk path (`ndp-ep-api --import-datasets`, beside the running
        # gateway), with the same payload, and time it from writing the file to the last commit.
        start = time.monotonic()
        registered = requests.get(f"{url}/status/metrics", headers=auth, timeout=30).json()["num_datasets"]
        imported = bulk_import(binaries, catalog_env, scratch / "datasets.jsonl", max(0, args.datasets - registered))
        load_seconds = time.monotonic() - start
        count = requests.get(f"{url}/status/metrics", headers=auth, timeout=30).json()["num_datasets"]
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
        admin = {"Authorization": "Bearer admin-token"}  # the imported datasets have no creator
        # Updates and deletes with the catalog full: one client, one at a time (each dataset's
        # words leave the full-text index too).
        names = [d["name"] for d in requests.get(f"{url}/search?terms=station418&server=local", timeout=30).json()][:40]
        patch_ms = [1000 * timed(lambda: requests.patch(f"{url}/dataset/{name}", json={"notes": "patched station418"}, headers=admin,
                                                     timeout=30).raise_for_status())[0] for name in names[:len(names) // 2]]
        delete_ms = [1000 * timed(lambda: requests.delete(f"{url}/resource", params={"resource_id": name}, headers=admin, timeout=30).raise_for_status())[0]
                     for name in names[len(names) // 2:]]
        rss_after = gateway.rss_mib()
        if postgres:
            size = int(subprocess.run(["psql", postgres["CATALOG_TEST_POSTGRES_URL"], "-tAc", "SELECT pg_database_size(current_database())"],
                                      capture_output=True, text=True, check=True).stdout)
        else:
            size = sum(p.stat().st_size for p in scratch.glob("catalog.sqlite*"))
        print(json.dumps({
            "backend": args.backend,
            "reference_status": reference, "registrations": registrations,
            "registrations_vs_status": round(registrations["rps"] / reference["rps"], 3),
            "datasets": count, "bulk_import": imported, "load_seconds_after_first_run": round(load_seconds, 1),
            "get_search_1_connection": search_one, "get_search_16_connections": search, "get_search_results": len(selective),
            "post_search_1_connection": advanced_one, "post_search_16_connections": advanced,
            "patch_ms_p50_max": [round(percentile(patch_ms, 0.5), 1), round(max(patch_ms), 1)],
            "delete_ms_p50_max": [round(percentile(delete_ms, 0.5), 1), round(max(delete_ms), 1)],
            "rss_mib_loaded": round(rss_loaded, 1), "rss_mib_after_searches": round(rss_after, 1),
            "database_mib": round(size / 1048576, 1),
        }, indent=1))
    finally:
        gateway.stop()
        idp.stop()
        if postgres:
            subprocess.run([str(ROOT / "scripts/throwaway-postgres.sh"), "stop", postgres["THROWAWAY_POSTGRES_DIR"]])
        subprocess.run(["rm", "-rf", str(scratch)])


if __name__ == "__main__":
    main()
