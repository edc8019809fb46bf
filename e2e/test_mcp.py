"""The MCP server at /ep/mcp, driven by the official MCP Python SDK (mcp 1.30.0: its
Streamable HTTP client and ClientSession), as an agent drives it: a bearer token is the
caller, tools are the API's routes under the same access policy, datasets are resources."""
import asyncio
import json
import re

import httpx
import pytest
import requests
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from rexec_harness import Gateway, serving, wait_until

WRITER = "demo-token"
READER = "viewer-token"


@pytest.fixture(scope="module")
def gateway(idp):
    requests.post(f"{idp.url}/_dev/reset", timeout=10).raise_for_status()
    yield from serving(Gateway(idp))


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 60))


async def with_session(base, token, work):
    """`work(session)` in an initialized MCP session at `base`/mcp as the user of `token`."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with streamable_http_client(f"{base}/mcp", http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                initialized = await session.initialize()
                return initialized, await work(session)


def test_tools_are_the_routes_with_upstream_names_schemas_and_hints(gateway):
    async def work(session):
        return (await session.list_tools()).tools

    initialized, tools = run(with_session(gateway.base, WRITER, work))
    assert initialized.protocolVersion == "2025-11-25" and initialized.serverInfo.name == "ndp-ep-api"
    by_name = {tool.name: tool for tool in tools}
    for name in ("search_datasets_search_get", "create_organization_endpoint_organization_post", "get_user_info_user_info_get",
                 "create_general_dataset_endpoint_dataset_post", "list_organizations_organization_get", "health_check_health_get"):
        assert name in by_name, name
    search = by_name["search_datasets_search_get"]
    assert search.inputSchema["required"] == ["terms"] and "server" in search.inputSchema["properties"]
    assert search.annotations.readOnlyHint is True and search.annotations.idempotentHint is True
    create = by_name["create_organization_endpoint_organization_post"]
    assert {"name", "title"} <= set(create.inputSchema["required"]) and create.annotations.readOnlyHint is False
    assert create.annotations.destructiveHint is False and "`POST /organization`" in create.description
    delete = by_name["delete_organization_organization__organization_name__delete"]
    assert delete.annotations.destructiveHint is True and delete.inputSchema["required"] == ["name"]
    # What is not an operation, or would hand a model a credential, is no tool.
    assert not any(name in by_name for name in ("post_user_login", "user_login_user_login_post", "get_metrics", "get_ui_page"))
    assert not any("_api_3_action_" in name or name.startswith("get_ui") for name in by_name)


def test_a_writer_registers_and_finds_data_and_reads_it_as_a_resource(gateway):
    async def work(session):
        made = await session.call_tool("create_organization_endpoint_organization_post",
                                       {"name": "mcp-lab", "title": "MCP Lab", "description": "made by an agent"})
        assert not made.isError, made.content[0].text
        dataset = await session.call_tool("create_general_dataset_endpoint_dataset_post", {
            "name": "agent-sst", "title": "Sea temperature, by an agent", "owner_org": "mcp-lab", "notes": "buoys",
            "resources": [{"url": "https://example.org/sst.csv", "name": "sst", "format": "CSV"}]})
        assert not dataset.isError, dataset.content[0].text
        found = await session.call_tool("search_datasets_search_get", {"terms": ["temperature"], "server": "local"})
        assert not found.isError, found.content[0].text
        listed = await session.list_resources()
        templates = await session.list_resource_templates()
        read = await session.read_resource("ndp://dataset/agent-sst")
        return found, listed, templates, read

    _, (found, listed, templates, read) = run(with_session(gateway.base, WRITER, work))
    names = [item["name"] for item in found.structuredContent["result"]]
    assert "agent-sst" in names and "agent-sst" in found.content[0].text
    assert "ndp://dataset/agent-sst" in [str(resource.uri) for resource in listed.resources]
    assert templates.resourceTemplates[0].uriTemplate == "ndp://dataset/{id}"
    dataset = json.loads(read.contents[0].text)
    assert dataset["name"] == "agent-sst" and dataset["resources"][0]["url"] == "https://example.org/sst.csv"


def test_a_reader_is_refused_a_write_with_the_apis_answer_and_nothing_changes(gateway):
    async def work(session):
        refused = await session.call_tool("create_organization_endpoint_organization_post", {"name": "not-mine", "title": "No"})
        invalid = await session.call_tool("search_datasets_search_get", {})
        unknown_argument = await session.call_tool("get_user_info_user_info_get", {"token": "x"})
        me = await session.call_tool("get_user_info_user_info_get", {})
        return refused, invalid, unknown_argument, me

    _, (refused, invalid, unknown_argument, me) = run(with_session(gateway.base, READER, work))
    assert refused.isError and refused.content[0].text.startswith("Error calling create_organization_endpoint_organization_post. Status code: 403.")
    assert "access policy" in refused.content[0].text
    assert invalid.isError and "'terms' is a required property" in invalid.content[0].text
    assert unknown_argument.isError and "unknown argument 'token'" in unknown_argument.content[0].text
    assert me.structuredContent["username"] == "viewer@example.org"
    assert READER not in me.content[0].text  # no token in a result
    organizations = requests.get(f"{gateway.base}/organization", headers={"Authorization": f"Bearer {WRITER}"}, timeout=10).json()
    assert "not-mine" not in json.dumps(organizations)


def test_the_transport_rules(gateway):
    """What the HTTP layer says before a tool runs: no token, a foreign Origin, no session,
    someone else's session, an ended session, an unsupported version, GET."""
    url = f"{gateway.base}/mcp"
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
    headers = lambda token, **extra: {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream", **extra}  # noqa: E731
    assert requests.post(url, json=initialize, timeout=10).status_code == 401
    assert requests.post(url, json=initialize, headers=headers("wrong-token"), timeout=10).status_code == 401
    # An outsider (not in the endpoint's group) is refused by the group gate, as on every route.
    outsider = requests.post(url, json=initialize, headers=headers("outsider-token"), timeout=10)
    assert outsider.status_code == 403 and "Mcp-Session-Id" not in outsider.headers
    assert requests.post(url, json=initialize, headers=headers(WRITER, Origin="https://evil.example"), timeout=10).status_code == 403
    assert requests.post(url, json=initialize, headers=headers(WRITER, Accept="text/html"), timeout=10).status_code == 406
    opened = requests.post(url, json=initialize, headers=headers(WRITER), timeout=10)
    assert opened.status_code == 200 and opened.json()["result"]["protocolVersion"] == "2025-06-18"
    session = opened.headers["Mcp-Session-Id"]
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    missing = requests.post(url, json=ping, headers=headers(WRITER), timeout=10)
    assert missing.status_code == 400 and missing.json()["error"]["message"] == "Bad Request: Missing session ID"
    assert "Mcp-Session-Id" not in missing.headers  # no session is made for it
    assert requests.post(url, json=ping, headers=headers(WRITER, **{"Mcp-Session-Id": session}), timeout=10).json()["result"] == {}
    others = requests.post(url, json=ping, headers=headers(READER, **{"Mcp-Session-Id": session}), timeout=10)
    assert others.status_code == 404 and others.json()["error"]["message"] == "Session not found"
    version = requests.post(url, json=ping, headers=headers(WRITER, **{"Mcp-Session-Id": session, "MCP-Protocol-Version": "1999-01-01"}),
                            timeout=10)
    assert version.status_code == 400 and "Unsupported protocol version" in version.json()["error"]["message"]
    assert requests.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                         headers=headers(WRITER, **{"Mcp-Session-Id": session}), timeout=10).status_code == 202
    unknown = requests.post(url, json={"jsonrpc": "2.0", "id": 3, "method": "sampling/createMessage"},
                            headers=headers(WRITER, **{"Mcp-Session-Id": session}), timeout=10)
    assert unknown.json()["error"]["code"] == -32601
    assert requests.get(url, headers=headers(WRITER, Accept="text/event-stream"), timeout=10).status_code == 405
    assert requests.delete(url, headers=headers(WRITER, **{"Mcp-Session-Id": session}), timeout=10).status_code == 200
    assert requests.post(url, json=ping, headers=headers(WRITER, **{"Mcp-Session-Id": session}), timeout=10).status_code == 404


def test_staging_and_a_batch_job_through_tools_on_the_local_stack(stack_factory):
    """Against `make up`'s stack: a file staged into the caller's area, waiting for the job in
    one call; a batch job submitted to the deploy API's kbatch and its log read back."""
    stack = stack_factory()
    stack.wait_for_line("[stack] Ctrl-C stops everything.", timeout=180)
    ep = stack.url("EP_PORT", "/ep")

    async def work(session):
        names = {tool.name for tool in (await session.list_tools()).tools}
        assert {"stage_data_and_wait", "submit_batch_job", "get_batch_job_logs", "delete_batch_job"} <= names
        staged = await session.call_tool("stage_data_and_wait", {"local_path_on_storage": "examples/hello.txt",
                                                                 "relative_path": "from-agent/hello.txt"})
        submitted = await session.call_tool("submit_batch_job", {
            "name": "agent", "image": "python:3.12-slim", "command": ["python3", "-c", "print('hello from an agent')"]})
        assert not submitted.isError, submitted.content[0].text
        job = json.loads(submitted.content[0].text)["metadata"]["name"]
        deadline = asyncio.get_running_loop().time() + 120
        while True:  # the job's output, once its process has written it
            logs = await session.call_tool("get_batch_job_logs", {"job_name": job})
            if "hello from an agent" in logs.content[0].text or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.5)
        deleted = await session.call_tool("delete_batch_job", {"job_name": job})
        # A pod from the served manifests, on kube-sim, through the pods backend's own policy.
        manifest = next(match.group(1) for line in stack.lines if (match := re.search(r'"yaml_url":"(http[^"]+ubuntu\.yaml)"', line)))
        pod = await session.call_tool("create_pod", {"yaml_url": manifest})
        mine = await session.call_tool("list_my_pods", {})
        return staged, logs, deleted, pod, mine

    _, (staged, logs, deleted, pod, mine) = asyncio.run(asyncio.wait_for(with_session(ep, WRITER, work), 240))
    assert not pod.isError, pod.content[0].text
    assert json.loads(pod.content[0].text)["pod_name"] in mine.content[0].text
    assert not staged.isError and json.loads(staged.content[0].text)["status"] == "succeeded", staged.content[0].text
    assert "hello from an agent" in logs.content[0].text
    assert not deleted.isError, deleted.content[0].text


def test_a_session_opened_at_one_replica_is_answered_by_another(idp):
    """Two endpoints on one PostgreSQL catalog, as replicas behind a load balancer: a session
    opened at one is answered by the other, and ended at one, is refused by the other once its
    two seconds of memory pass (upstream's four workers answer "Session not found")."""
    first = Gateway(idp, catalog="postgres")
    second = None
    try:
        second = Gateway(idp, env={"LOCAL_CATALOG_BACKEND": "postgres", "CATALOG_POSTGRES_URL": first.postgres.url})
        headers = {"Authorization": f"Bearer {WRITER}", "Accept": "application/json"}
        opened = requests.post(f"{first.base}/mcp", headers=headers, timeout=10, json={
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
        session = {**headers, "Mcp-Session-Id": opened.headers["Mcp-Session-Id"]}
        listed = requests.post(f"{second.base}/mcp", headers=session, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, timeout=10)
        assert listed.status_code == 200 and any(tool["name"] == "search_datasets_search_get" for tool in listed.json()["result"]["tools"])
        assert requests.delete(f"{first.base}/mcp", headers=session, timeout=10).status_code == 200
        ping = {"jsonrpc": "2.0", "id": 3, "method": "ping"}
        wait_until("the other replica refuses the ended session",
                   lambda: requests.post(f"{second.base}/mcp", headers=session, json=ping, timeout=10).status_code == 404, timeout=10)
    finally:
        if second is not None:
            second.stop()
        first.stop()
