#!/usr/bin/env python3
"""CKAN's action API and federation (issue 21), with 100,000 datasets in endpoint A's SQLite
catalog: `package_search` through the action API against `GET /search` on the same database
(the reference, measured in the same run), and a federated search, endpoint B's
`server=global` with `CKAN_GLOBAL_URL` at A, against the same search made on A itself. wrk
drives each for `--seconds`, with one connection (a request's own time) and with sixteen.

    scripts/bench/ckan-action.py [--binaries DIR] [--datasets 100000] [--seconds 10]
"""
import argparse
import json
import shutil
import tempfile
from pathlib import Path

import requests

from catalog import bulk_import, wrk
from children import Child, release_binaries


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binaries")
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    binaries = Path(args.binaries) if args.binaries else release_binaries(["dev-idp", "ndp-ep-api"])
    scratch = Path(tempfile.mkdtemp(prefix="bench-ckan-"))
    catalog_env = {"CATALOG_SQLITE_PATH": str(scratch / "catalog.sqlite")}
    idp = Child([binaries / "dev-idp", "--host", "127.0.0.1", "--port", "0"], env={"DEV_IDP_USERS": "config/dev-idp-users.yaml", "LOG_LEVEL": "notice"})
    auth_url = f"http://127.0.0.1:{idp.port()}/information"
    a = Child([binaries / "ndp-ep-api", "--host", "127.0.0.1", "--port", "0"], env={"AUTH_API_URL": auth_url, "LOG_LEVEL": "notice", **catalog_env})
    a_url = f"http://127.0.0.1:{a.port()}"
    b = Child([binaries / "ndp-ep-api", "--host", "127.0.0.1", "--port", "0"],
              env={"AUTH_API_URL": auth_url, "LOG_LEVEL": "notice", "CATALOG_SQLITE_PATH": str(scratch / "b.sqlite"), "CKAN_GLOBAL_URL": a_url})
    b_url = f"http://127.0.0.1:{b.port()}"
    try:
        requests.post(f"{a_url}/organization", json={"name": "bench-lab", "title": "Bench"}, headers={"Authorization": "Bearer demo-token"},
                      timeout=10).raise_for_status()
        imported = bulk_import(binaries, catalog_env, scratch / "datasets.jsonl", args.datasets)
        # station417: about 100 of the datasets; both searches answer all of them.
        local = f"{a_url}/search?terms=station417&server=local"
        action = f"{a_url}/api/3/action/package_search?q=station417&rows=1000"
        action_page = f"{a_url}/api/3/action/package_search?q=station417&rows=10"
        federated = f"{b_url}/search?terms=station417"
        hits = len(requests.get(local, timeout=30).json())
        answer = requests.get(action, timeout=30).json()["result"]
        assert answer["count"] == hits == len(answer["results"]), (answer["count"], hits)
        assert len(requests.get(federated, timeout=30).json()) == hits
        figures = {"datasets": imported["imported"], "hits": hits}
        for connections in (1, 16):
            threads = 1 if connections == 1 else 2
            reference = wrk(local, args.seconds, connections=connections, threads=threads)
            searched = wrk(action, args.seconds, connections=connections, threads=threads)
            paged = wrk(action_page, args.seconds, connections=connections, threads=threads)
            remote = wrk(federated, args.seconds, connections=connections, threads=threads)
            figures[f"{connections}_connection"] = {
                "get_search_local": reference, "package_search_rows_1000": searched, "package_search_rows_10": paged,
                "federated_global_search": remote,
                "package_search_vs_search_p50": round(searched["p50_ms"] / reference["p50_ms"], 2),
                "federated_vs_local_p50": round(remote["p50_ms"] / reference["p50_ms"], 2),
            }
        print(json.dumps(figures, indent=1))
    finally:
        for child in (b, a, idp):
            child.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
