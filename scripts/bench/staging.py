#!/usr/bin/env python3
"""Data staging through ndp-ep-api (issue 20), each against a reference measured in the same
run on the same disk, so the figures are ratios.

  1. local_copy of one large file (1 GiB) vs `cp -r` of it, and vs `cp -r` then `sync` (the
     staging copy is durable before it is renamed into place: its data is flushed first).
  2. local_copy of a tree of 10,000 small files (4 KiB each, 100 folders) vs the same.
  3. direct_download of the large file vs reading it with `cat` (to /dev/null; the client
     reads the download into nothing either).

The source is read once before each measurement, so every reader finds it in the page cache,
and earlier writes are flushed (`sync`), so no measurement pays for another's write-back.

    scripts/bench/staging.py [--binaries DIR] [--mib 1024] [--files 10000] [--rounds 3]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from children import Child, release_binaries

TOKEN = {"Authorization": "Bearer demo-token"}
USER = "demo@example.org"


def warm(path):
    """Reads `path` into the page cache and flushes earlier writes, so each measurement starts
    from the same state (no other copy's write-back still going on)."""
    subprocess.run(["bash", "-c", f"find {path!s} -type f -print0 | xargs -0 cat > /dev/null; sync"], check=True)


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def stage(ep_url, source, destination):
    start = time.perf_counter()
    answer = requests.post(f"{ep_url}/stage-data/", params={"method": "local_copy"}, headers=TOKEN, timeout=3600,
                           json={"data": {"local_path_on_storage": source, "relative_path": destination}})
    elapsed = time.perf_counter() - start
    if answer.status_code != 200:
        raise SystemExit(f"benchmark: staging answered {answer.status_code}: {answer.text[:300]}")
    return elapsed


def compare(label, ep_url, roots, name, size, rounds):
    """Alternates the three copies `rounds` times (this disk's speed drifts by several times
    within a minute) and reports medians, and the median of each round's ratio."""
    source = roots["source"] / name
    cp, cp_sync, ours = [], [], []
    for round_ in range(rounds):
        reference = roots["scratch"] / f"cp-{name}"
        warm(source)
        cp.append(timed(["cp", "-r", str(source), str(reference)]))
        shutil.rmtree(reference) if reference.is_dir() else reference.unlink()
        warm(source)
        cp_sync.append(timed(["bash", "-c", f"cp -r {source!s} {reference!s} && sync"]))
        shutil.rmtree(reference) if reference.is_dir() else reference.unlink()
        warm(source)
        ours.append(stage(ep_url, name, f"bench/{round_}/{name}"))
    median = statistics.median
    mbs = lambda seconds: size / seconds / 1e6  # noqa: E731
    ratio = median(c / o for c, o in zip(cp, ours))
    ratio_sync = median(c / o for c, o in zip(cp_sync, ours))
    print(f"{label} (median of {rounds}): cp -r {mbs(median(cp)):6.0f} MB/s ({median(cp):.2f} s), "
          f"cp -r + sync {mbs(median(cp_sync)):6.0f} MB/s ({median(cp_sync):.2f} s), "
          f"local_copy {mbs(median(ours)):6.0f} MB/s ({median(ours):.2f} s): {ratio:.2f}× cp -r, {ratio_sync:.2f}× cp -r + sync")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binaries", default=None, help="directory with the release binaries (default: build them)")
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    binaries = Path(arguments.binaries) if arguments.binaries else release_binaries(("ndp-ep-api", "dev-idp"))
    children = []
    # On the working tree's disk, not a tmpfs: the copies are disk writes.
    base = Path(tempfile.mkdtemp(prefix="staging-bench-", dir=Path(__file__).resolve().parents[2] / ".build"))
    roots = {name: base / name for name in ("source", "target", "scratch")}
    try:
        for folder in roots.values():
            folder.mkdir()
        block = os.urandom(1 << 20)
        with open(roots["source"] / "large.bin", "wb") as handle:
            for _ in range(arguments.mib):
                handle.write(block)
        small = roots["source"] / "small"
        for index in range(arguments.files):
            folder = small / f"d{index % 100:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"f{index:05d}.dat").write_bytes(block[index % 1000:index % 1000 + 4096])
        subprocess.run(["sync"], check=True)

        idp = Child([binaries / "dev-idp", "--host", "127.0.0.1", "--port", "0", "--log-level", "notice"],
                    env={"DEV_IDP_USERS": "config/dev-idp-users.yaml"})
        children.append(idp)
        ep = Child([binaries / "ndp-ep-api", "--host", "127.0.0.1", "--port", "0"],
                   env={"AUTH_API_URL": f"http://127.0.0.1:{idp.port()}/information", "LOG_LEVEL": "notice",
                        "CATALOG_SQLITE_PATH": str(base / "catalog.sqlite"), "STAGING_ENABLED": "true",
                        "STAGING_SOURCE_ROOT": str(roots["source"]), "STAGING_TARGET_ROOT": str(roots["target"])})
        children.append(ep)
        ep_url = f"http://127.0.0.1:{ep.port()}"

        print(f"== local_copy of one {arguments.mib} MiB file")
        compare("large file", ep_url, roots, "large.bin", arguments.mib << 20, arguments.rounds)
        print(f"== local_copy of {arguments.files} files of 4 KiB in 100 folders")
        compare("small files", ep_url, roots, "small", arguments.files * 4096, arguments.rounds)

        print(f"== direct_download of the {arguments.mib} MiB file")
        large = roots["source"] / "large.bin"
        warm(large)
        cat = timed(["bash", "-c", f"cat {large!s} > /dev/null"])
        # curl as the client: a Python client would be the slowest part of the measurement.
        start = time.perf_counter()
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-X", "POST",
                              "-H", f"Authorization: {TOKEN['Authorization']}", "-H", "Content-Type: application/json",
                              "--data", '{"data": {"local_path_on_storage": "large.bin"}}',
                              f"{ep_url}/stage-data/?method=direct_download"], capture_output=True, text=True, check=True).stdout
        download = time.perf_counter() - start
        status, size = out.split()
        assert status == "200" and int(size) == arguments.mib << 20, out
        mbs = lambda seconds: (arguments.mib << 20) / seconds / 1e6  # noqa: E731
        print(f"cat {mbs(cat):7.0f} MB/s, direct_download (curl) {mbs(download):7.0f} MB/s ({cat / download:.2f}× cat)")
    finally:
        for child in reversed(children):
            child.stop()
        for path, folders, _ in os.walk(base):
            for name in folders:
                if not os.path.islink(os.path.join(path, name)):
                    os.chmod(os.path.join(path, name), 0o700)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
