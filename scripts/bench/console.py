#!/usr/bin/env python3
"""The web console (issue 36) with 100,000 datasets in the endpoint's SQLite catalog:

- server time of the search page: the one call its first screen makes (`package_search`,
  20 rows, the user's token), for a word (about 100 hits) and for the landing page (every
  dataset, newest first), beside the same word through the JSON API (`GET /search`, the
  reference, same run); wrk with one connection (a request's own time) and with sixteen;
- bytes a browser transfers for the first visit and for a repeat visit (the page is checked
  with its ETag, the hashed assets come from the cache);
- time to the first render in headless Chromium on loopback: first contentful paint of the
  sign-in screen, and until a signed-in user sees the search results, median of `--visits`.

    scripts/bench/console.py [--binaries DIR] [--datasets 100000] [--seconds 10] [--visits 9]
"""
import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import requests

from catalog import bulk_import, wrk
from children import endpoint_with_catalog, release_binaries

TOKEN = "demo-token"


def page_bytes(base):
    """Bytes of the first visit (page and every asset it names) and of a repeat visit."""
    first = requests.get(f"{base}/ui/", timeout=10)
    assets = [part.split('"')[0] for part in first.text.split('="')[1:] if "/ui/assets/" in part.split('"')[0]]
    sizes = {"page": len(first.content)}
    for asset in assets:
        sizes[asset.rsplit("/", 1)[-1]] = len(requests.get(base.split("/ep")[0] + asset, timeout=10).content)
    repeat = requests.get(f"{base}/ui/", headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    return {"first_visit_bytes": sum(sizes.values()), "files": sizes, "repeat_visit_status": repeat.status_code,
            "repeat_visit_bytes": len(repeat.content), "asset_cache_control": requests.get(base.split("/ep")[0] + assets[0], timeout=10).headers["Cache-Control"]}


def first_render(base, visits):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--disable-gpu"):
        options.add_argument(argument)
    paints, results = [], []
    for _ in range(visits):
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            driver.get(f"{base}/ui/")  # a new visitor: the sign-in screen
            deadline = time.monotonic() + 10
            while not driver.execute_script("return performance.getEntriesByName('first-contentful-paint').length"):
                assert time.monotonic() < deadline
                time.sleep(0.01)
            paints.append(driver.execute_script("return performance.getEntriesByName('first-contentful-paint')[0].startTime"))
            # Signed in (the token in this tab's session), a fresh load until the results show.
            driver.execute_script("sessionStorage.setItem('ndp-ep-console-token', arguments[0])", TOKEN)
            driver.get(f"{base}/ui/search?q=station417")
            deadline = time.monotonic() + 10
            while not driver.execute_script("return document.getElementById('result-count') !== null"):
                assert time.monotonic() < deadline
                time.sleep(0.005)
            results.append(driver.execute_script("return performance.now()"))
        finally:
            driver.quit()
    return {"visits": visits, "first_contentful_paint_ms_median": round(statistics.median(paints), 1),
            "signed_in_results_shown_ms_median": round(statistics.median(results), 1)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binaries")
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--visits", type=int, default=9)
    args = parser.parse_args()
    binaries = Path(args.binaries) if args.binaries else release_binaries(["dev-idp", "ndp-ep-api"])
    with endpoint_with_catalog(binaries, "bench-console-") as (base, catalog_env, scratch):
        requests.post(f"{base}/organization", json={"name": "bench-lab", "title": "Bench"}, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=10).raise_for_status()
        imported = bulk_import(binaries, catalog_env, scratch / "datasets.jsonl", args.datasets)
        auth = (f"Authorization: Bearer {TOKEN}",)
        word = f"{base}/api/3/action/package_search?q=station417&fq=&rows=20&start=0&include_private=true"
        landing = f"{base}/api/3/action/package_search?q=*:*&fq=&rows=20&start=0&include_private=true"
        reference = f"{base}/search?terms=station417&server=local"
        assert requests.get(word, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).json()["result"]["count"] == \
            len(requests.get(reference, timeout=30).json())
        figures = {"datasets": imported["imported"], **page_bytes(base), **first_render(base, args.visits)}
        for connections in (1, 16):
            threads = 1 if connections == 1 else 2
            searched = wrk(word, args.seconds, connections=connections, threads=threads, headers=auth)
            everything = wrk(landing, args.seconds, connections=connections, threads=threads, headers=auth)
            json_api = wrk(reference, args.seconds, connections=connections, threads=threads)
            figures[f"{connections}_connection"] = {
                "search_page_word": searched, "search_page_landing": everything, "json_api_search": json_api,
                "search_page_vs_json_api_p50": round(searched["p50_ms"] / json_api["p50_ms"], 2),
            }
        print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
