#!/usr/bin/env python3
"""Resident memory of every binary, idle, and its size: each is started alone (release build)
with the settings it needs to be ready, given a moment of traffic (a few /healthz, so lazily
made structures exist), and its VmRSS read from /proc. Sizes are the release binary as built
and stripped of symbols (`strip`, as an image would ship it). The figures under load come from
each service's own benchmark (docs/benchmarks.md), which reports RSS after its run.

    scripts/bench/memory.py [--binaries DIR]
"""
import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import requests

from children import ROOT, Child, kubeconfig, release_binaries

PRODUCTS = ("dev-idp", "kube-sim", "rexec-broker", "rexec-deploy-api", "ndp-ep-api", "user-pods-backend")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binaries", default=None, help="directory with the release binaries (default: build them)")
    arguments = parser.parse_args()
    binaries = Path(arguments.binaries) if arguments.binaries else release_binaries(PRODUCTS)
    children = []
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as scratch:
        try:
            def start(product, args=(), env=None):
                child = Child([binaries / product, "--host", "127.0.0.1", "--port", "0", "--log-level", "notice", *args], env=env)
                children.append(child)
                port = child.port()
                for _ in range(20):
                    requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                return child, port

            idp, idp_port = start("dev-idp", env={"DEV_IDP_USERS": str(ROOT / "config/dev-idp-users.yaml")})
            auth = {"AUTH_API_URL": f"http://127.0.0.1:{idp_port}/information"}
            sim, sim_port = start("kube-sim", ["--namespace", "rexec-broker", "--namespace", "sciencedata-dev"])
            config = str(kubeconfig(Path(scratch) / "kubeconfig", f"http://127.0.0.1:{sim_port}", "sciencedata-dev"))
            broker, _ = start("rexec-broker", ["--client_port", "0", "--server_port", "0", "--control_port", "0"], env=auth)
            deploy, _ = start("rexec-deploy-api", env={**auth, "REXEC_RUNTIME": "kubernetes", "REXEC_KUBECONFIG_LOCAL_PATH": config,
                                                       "REXEC_SERVER_SOURCE": str(ROOT / "rexec-server")})
            gateway, _ = start("ndp-ep-api", env=auth)
            pods, _ = start("user-pods-backend", env={**auth, "KUBECONFIG": config, "BACKEND_NAMESPACE": "sciencedata-dev",
                                                      "BACKEND_SILOSECRET": "memory-bench-secret-0123"})
            print("| binary | RSS idle | size | stripped |")
            print("|---|---:|---:|---:|")
            for name, child in zip(PRODUCTS, (idp, sim, broker, deploy, gateway, pods)):
                size, stripped = sizes(binaries / name, Path(scratch))
                print(f"| `{name}` | {child.rss_mib():.1f} MiB | {size:.1f} MiB | {stripped} |")
        finally:
            for child in reversed(children):
                child.stop()


def sizes(binary, scratch):
    """(size in MiB, stripped size as text): `strip` may be missing on a bare machine."""
    size = binary.stat().st_size / 2**20
    if not shutil.which("strip"):
        return size, "n/a"
    copy = scratch / (binary.name + ".stripped")
    subprocess.run(["strip", "-o", str(copy), str(binary)], check=True)
    return size, f"{copy.stat().st_size / 2**20:.1f} MiB"


if __name__ == "__main__":
    main()
