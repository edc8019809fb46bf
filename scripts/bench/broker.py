#!/usr/bin/env python3
"""Round trips through rexec-broker versus a reference forwarder, in one run on loopback,
with the server side on CURVE (how rexec servers connect since issue 34) and without it.

The reference is a minimal ROUTER->ROUTER forwarding loop written in C on libzmq directly
(scripts/bench/zmq/zmq-bench.c `forward`): same routing (token -> server identity, token
stripped, replies back by client id), zero-copy, no authentication, no metrics. The broker runs
with a warm auth cache (the dev IdP answers the first lookup, memory the rest). The same C
program generates the load and plays the rexec server (it echoes the function frame, which
carries the send time), so both paths see identical peers. Rounds alternate between the two
to spread machine noise evenly; medians are reported.

  Four paths: the reference plain and with CURVE on its server side; the broker with a CURVE
  server (the demo user's, key registered in a keys directory) and with a plain one (the viewer's,
  on the port the broker opens when unauthenticated servers are allowed). The broker's goal is
  judged against the reference with CURVE.

  throughput: 4 DEALERs x 32 calls in flight, closed loop -> round trips/s; ratio broker/reference
  latency:    one DEALER sending 10,000 calls/s open loop -> RTT percentiles; "added" p99 is the
              broker's minus the reference's (and minus a direct client<->server baseline)

    scripts/bench/broker.py [--binaries DIR] [--rounds 3] [--seconds 5] [--rate 10000]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from children import ROOT, Child

TOKEN = "demo-token"
SUB = "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e"
PLAIN_TOKEN = "viewer-token"
PLAIN_SUB = "5f8e2a10-9c4b-4d7e-8a61-2b3c4d5e6f70"


def build_load_generator():
    output = ROOT / ".build" / "bench" / "zmq-bench"
    output.parent.mkdir(parents=True, exist_ok=True)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libzmq"], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["gcc", "-O2", "-Wall", "-o", str(output), str(ROOT / "scripts/bench/zmq/zmq-bench.c"), *flags], check=True)
    return output


def run(tool, *args):
    result = subprocess.run([str(tool), *map(str, args)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"benchmark: {' '.join(map(str, args[:1]))} failed: {result.stderr.strip()}")
    return result.stdout


def throughput(tool, endpoint, seconds, token=TOKEN):
    return float(re.search(r"round_trips_per_second (\d+)", run(tool, "throughput", endpoint, token, 4, 32, seconds)).group(1))


def latency(tool, endpoint, rate, seconds, token=TOKEN):
    out = run(tool, "latency", endpoint, token, rate, seconds)
    return {k: float(v) for k, v in re.findall(r"(p50|p90|p99|p999|max|achieved_rate) ([\d.]+)", out)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binaries", default=None, help="directory with rexec-broker and dev-idp (default: release build)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rate", type=float, default=10000)
    arguments = parser.parse_args()

    if arguments.binaries:
        binaries = Path(arguments.binaries)
    else:
        for product in ("rexec-broker", "dev-idp"):
            subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        binaries = Path(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip())
    tool = build_load_generator()

    children = []
    try:
        idp = Child([binaries / "dev-idp", "--host", "127.0.0.1", "--port", "0"], env={"DEV_IDP_USERS": "config/dev-idp-users.yaml"})
        children.append(idp)
        idp_port = idp.wait_for(r"listening on http://[^:]+:(\d+)").group(1)
        import tempfile
        import zmq

        state = Path(tempfile.mkdtemp(prefix="broker-bench-"))
        broker_public, broker_secret = (k.decode() for k in zmq.curve_keypair())
        (state / "broker.key").write_text(broker_secret)
        server_public, server_secret = (k.decode() for k in zmq.curve_keypair())
        (state / "keys").mkdir(mode=0o755)
        (state / "keys" / "demo.json").write_text(f'{{"sub": "{SUB}", "public_key": "{server_public}"}}')
        broker = Child([binaries / "rexec-broker", "--host", "127.0.0.1", "--port", "0", "--client_port", "0", "--server_port", "0",
                        "--control_port", "0", "--auth_api_url", f"http://127.0.0.1:{idp_port}/information"],
                       env={"REXEC_BROKER_CURVE_KEY_FILE": str(state / "broker.key"), "REXEC_BROKER_SERVER_KEYS_DIR": str(state / "keys"),
                            "REXEC_BROKER_ALLOW_UNAUTHENTICATED_SERVERS": "true", "REXEC_BROKER_UNAUTHENTICATED_SERVER_PORT": "0"})
        children.append(broker)
        ports = broker.wait_for(r"client=tcp://[^:]+:(\d+) control=tcp://[^:]+:(\d+) server=tcp://[^:]+:(\d+)")
        broker_client, broker_server = f"tcp://127.0.0.1:{ports.group(1)}", f"tcp://127.0.0.1:{ports.group(3)}"
        broker_plain_server = broker.wait_for(r"unauthenticated_server=(tcp://\S+)").group(1)
        reference = Child([tool, "forward", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", TOKEN, SUB])
        children.append(reference)
        reference_client = reference.wait_for(r"client (\S+)").group(1)
        reference_server = reference.wait_for(r"server (\S+)").group(1)
        curve_reference = Child([tool, "forward", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", TOKEN, SUB, broker_secret])
        children.append(curve_reference)
        curve_reference_client = curve_reference.wait_for(r"client (\S+)").group(1)
        curve_reference_server = curve_reference.wait_for(r"server (\S+)").group(1)
        direct = Child([tool, "echo-router", "tcp://127.0.0.1:*"])
        children.append(direct)
        direct_client = direct.wait_for(r"client (\S+)").group(1)
        curve = [server_public, server_secret, broker_public]
        children.append(Child([tool, "echo-server", reference_server, SUB]))
        children.append(Child([tool, "echo-server", curve_reference_server, SUB, *curve]))
        children.append(Child([tool, "echo-server", broker_server, SUB, *curve]))
        children.append(Child([tool, "echo-server", broker_plain_server, PLAIN_SUB]))
        time.sleep(0.5)  # let the echo servers' connections settle before the first round
        rss_idle = broker.rss_mib()

        # name: (client endpoint, token)
        paths = {
            "reference": (reference_client, TOKEN), "reference+curve": (curve_reference_client, TOKEN),
            "broker": (broker_client, PLAIN_TOKEN), "broker+curve": (broker_client, TOKEN),
        }
        results = {name: [] for name in paths}
        lat = {name: [] for name in ["direct", *paths]}
        for round_number in range(1, arguments.rounds + 1):
            for name, (endpoint, token) in paths.items():
                results[name].append(throughput(tool, endpoint, arguments.seconds, token))
            lat["direct"].append(latency(tool, direct_client, arguments.rate, arguments.seconds))
            for name, (endpoint, token) in paths.items():
                lat[name].append(latency(tool, endpoint, arguments.rate, arguments.seconds, token))
            print(f"round {round_number}: throughput " + " ".join(f"{name} {results[name][-1]:.0f}/s" for name in paths)
                  + "; p99 " + " ".join(f"{name} {lat[name][-1]['p99']:.0f} us" for name in lat), flush=True)
        rss_loaded = broker.rss_mib()

        def median(name, key):
            return statistics.median(sample[key] for sample in lat[name])

        tp = {name: statistics.median(samples) for name, samples in results.items()}
        print()
        print(f"machine: {os.cpu_count()} CPUs, {platform_line()}")
        print(f"throughput (median of {arguments.rounds}, 4 connections x 32 in flight, {arguments.seconds:.0f} s each), round trips/s")
        for name in paths:
            print(f"  {name:20s} {tp[name]:10.0f}")
        print(f"  ratio broker+curve / reference+curve  {tp['broker+curve'] / tp['reference+curve']:.2f} (target >= 0.90)")
        print(f"  ratio broker / reference (plain)      {tp['broker'] / tp['reference']:.2f}")
        print(f"  CURVE costs the broker               {1 - tp['broker+curve'] / tp['broker']:.0%} of its plain throughput"
              f" (the reference: {1 - tp['reference+curve'] / tp['reference']:.0%})")
        print(f"latency at {arguments.rate:.0f} calls/s open loop (median of {arguments.rounds} runs), microseconds")
        print(f"  {'':20s} {'p50':>8s} {'p90':>8s} {'p99':>8s} {'p99.9':>8s}")
        for name in lat:
            print(f"  {name:20s} {median(name, 'p50'):8.0f} {median(name, 'p90'):8.0f} {median(name, 'p99'):8.0f} {median(name, 'p999'):8.0f}")
        added_ref = median("broker+curve", "p99") - median("reference+curve", "p99")
        added_direct = median("broker+curve", "p99") - median("direct", "p99")
        print(f"  added p99 (CURVE): {added_ref:.0f} us over the reference forwarder, {added_direct:.0f} us over no hop at all (target < 1000)")
        print(f"broker RSS: {rss_idle:.1f} MiB idle, {rss_loaded:.1f} MiB after the load")
    finally:
        for child in reversed(children):
            child.stop()


def platform_line():
    try:
        model = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name"))
    except (OSError, StopIteration):
        model = "unknown CPU"
    return f"{model}, libzmq via {subprocess.run(['pkg-config', '--modversion', 'libzmq'], capture_output=True, text=True).stdout.strip()}"


if __name__ == "__main__":
    sys.exit(main())
