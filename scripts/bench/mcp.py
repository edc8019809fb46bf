#!/usr/bin/env python3
"""The MCP server (issue 37): what the MCP layer adds to a call. A `tools/call` of the search
tool (`search_datasets_search_get`, through an open session: the session's check, the JSON-RPC
envelope, the in-process call of the route, the answer as text and as structured content) is
timed beside the same `GET /search` with the same token (the reference, same run), with wrk
and one connection (a request's own time), among `--datasets` datasets in the SQLite catalog.

    scripts/bench/mcp.py [--binaries DIR] [--datasets 10000] [--seconds 10]
"""
import argparse
import json
from pathlib import Path

import requests

from catalog import bulk_import, wrk
from children import endpoint_with_catalog, release_binaries

TOKEN = "demo-token"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binaries")
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    binaries = Path(args.binaries) if args.binaries else release_binaries(["dev-idp", "ndp-ep-api"])
    with endpoint_with_catalog(binaries, "bench-mcp-") as (base, catalog_env, scratch):
        auth = {"Authorization": f"Bearer {TOKEN}"}
        requests.post(f"{base}/organization", json={"name": "bench-lab", "title": "Bench"}, headers=auth, timeout=10).raise_for_status()
        imported = bulk_import(binaries, catalog_env, scratch / "datasets.jsonl", args.datasets)
        mcp_headers = {**auth, "Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        opened = requests.post(f"{base}/mcp", headers=mcp_headers, timeout=10, json={
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}})
        session = opened.headers["Mcp-Session-Id"]
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "search_datasets_search_get", "arguments": {"terms": ["station417"], "server": "local"}}}
        answer = requests.post(f"{base}/mcp", headers={**mcp_headers, "Mcp-Session-Id": session}, json=call, timeout=10).json()
        reference = f"{base}/search?terms=station417&server=local"
        found = requests.get(reference, headers=auth, timeout=10).json()
        assert answer["result"]["structuredContent"]["result"] == found and found, "the tool and the route answer differently"
        def lua(name, message):
            script = scratch / f"{name}.lua"
            script.write_text("\n".join([
                'wrk.method = "POST"',
                f"wrk.body = {json.dumps(json.dumps(message))}",
                *[f'wrk.headers["{name}"] = "{value}"' for name, value in {**mcp_headers, "Mcp-Session-Id": session}.items()],
            ]) + "\n")
            return str(script)
        figures = {"datasets": imported["imported"], "hits": len(found)}
        route = wrk(reference, args.seconds, connections=1, threads=1, headers=(f"Authorization: Bearer {TOKEN}",))
        tool = wrk(f"{base}/mcp", args.seconds, connections=1, threads=1, script=lua("tools-call", call))
        # The transport alone: a session's check and the envelope, no route called.
        ping = wrk(f"{base}/mcp", args.seconds, connections=1, threads=1, script=lua("ping", {"jsonrpc": "2.0", "id": 2, "method": "ping"}))
        health = wrk(f"{base}/health", args.seconds, connections=1, threads=1)
        figures.update({
            "get_search": route, "tools_call_search": tool, "ping": ping, "get_health": health,
            "mcp_adds_p50_ms": round(tool["p50_ms"] - route["p50_ms"], 3),
            "tools_call_vs_get_search_p50": round(tool["p50_ms"] / route["p50_ms"], 2),
        })
        print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
