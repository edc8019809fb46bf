"""Hostile input against every HTTP service of the running stack (ndp-ep-api, rexec-deploy-api,
user-pods-backend, and the broker's side port): oversized bodies, tokens, headers and URLs get
a clear 4xx; slow-loris clients neither block others nor stay forever; 1,000 concurrent
connections are all answered; no process crashes and memory stays bounded (RSS measured).
docs/reliability.md has the figures."""
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from rexec_harness import rss_mib, service_pid, wait_until

SERVICES = {
    # name: (port variable, a GET route that needs a token, a POST route that takes JSON)
    "ndp-ep-api": ("EP_PORT", "/ep/user/info", "/ep/dataset"),
    "rexec-deploy-api": ("DEPLOY_API_PORT", "/rexec/status", "/rexec/kbatch/jobs/"),
    "user-pods-backend": ("PODS_PORT", "/get_podip_owner?ip=10.0.0.1", "/get_pods"),
    "rexec-broker": ("BROKER_HTTP_PORT", "/servers/x", "/servers/x"),
}
TOKEN = {"Authorization": "Bearer demo-token"}


@pytest.fixture(scope="module")
def stack():
    import resource

    from conftest import Stack

    # 1,000 connections take 1,000 descriptors on each side; the services inherit the limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)
    if wanted < 2100:
        pytest.skip(f"the open-file limit ({hard}) is too low for 1,000 connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    # Slow-loris clients are dropped after this (20 s by default).
    stack = Stack({"HTTP_HEADER_TIMEOUT_SECONDS": "3"})
    stack.wait_for_line("[stack] ready")
    yield stack
    stack.kill()


def pid_of(port):
    pid = service_pid(port)
    assert pid is not None, f"no process listens on {port}"
    return pid


def raw(port, data, read_timeout=15):
    """Sends `data` on a fresh connection; the status line's code, or None if it was closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as connection:
        try:
            connection.sendall(data)
        except OSError:
            pass  # refused midway: the answer may already be there
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer.split(b" ")[1])


@pytest.mark.parametrize("service", SERVICES)
def test_oversized_body_token_header_and_url_get_a_clear_4xx(stack, service):
    variable, get_path, post_path = SERVICES[service]
    port = stack.ports[variable]
    pid = pid_of(port)
    body = b"{" + b'"x": "' + b"a" * (64 << 20) + b'"}'
    # Oversized body: refused from its Content-Length, without reading 64 MiB.
    head = f"POST {post_path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nAuthorization: Bearer demo-token\r\n\r\n"
    assert raw(port, head.encode() + body[:1 << 20]) in (413,), service
    # Oversized token, header, header count and URL.
    huge_token = "Bearer " + "t" * (256 << 10)
    assert raw(port, f"GET {get_path} HTTP/1.1\r\nHost: x\r\nAuthorization: {huge_token}\r\n\r\n".encode()) in (400, 401, 431), service
    many = "".join(f"X-Filler-{i}: {'v' * 100}\r\n" for i in range(2000))
    assert raw(port, f"GET {get_path} HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode()) in (400, 431), service
    long_url = get_path + ("&" if "?" in get_path else "?") + "q=" + "u" * (256 << 10)
    assert raw(port, f"GET {long_url} HTTP/1.1\r\nHost: x\r\n\r\n".encode()) in (400, 414, 431), service
    # Still serving, same process.
    assert requests.get(stack.url(variable, "/healthz"), timeout=10).status_code == 200
    assert pid_of(port) == pid


@pytest.mark.parametrize("service", SERVICES)
def test_slow_loris_clients_do_not_block_others_and_are_dropped(stack, service):
    variable = SERVICES[service][0]
    port = stack.ports[variable]
    slow = []
    for _ in range(100):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
        slow.append(connection)
    try:
        started = time.monotonic()
        assert requests.get(stack.url(variable, "/healthz"), timeout=10).status_code == 200
        assert time.monotonic() - started < 2

        def dropped(connection):
            connection.settimeout(0.2)
            try:
                return connection.recv(1) == b"" or True
            except socket.timeout:
                return False
            except OSError:
                return True

        # Each is answered (408) or closed within the services' header timeout.
        wait_until(f"{service} drops the slow clients", lambda: all(dropped(c) for c in slow), timeout=30)
    finally:
        for connection in slow:
            connection.close()


@pytest.mark.parametrize("service", SERVICES)
def test_a_thousand_concurrent_connections_are_all_answered_with_bounded_memory(stack, service):
    variable = SERVICES[service][0]
    port = stack.ports[variable]
    pid = pid_of(port)
    before = rss_mib(pid)
    barrier = threading.Barrier(1000, timeout=60)
    statuses = []

    def one(_):
        connection = socket.create_connection(("127.0.0.1", port), timeout=60)
        try:
            barrier.wait()
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = connection.recv(64)
            return int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/1.1 ") else None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1000) as pool:
        statuses = list(pool.map(one, range(1000)))
    after = rss_mib(pid)
    print(f"{service}: 1000 connections, RSS {before:.1f} → {after:.1f} MiB")
    assert statuses.count(200) == 1000, {code: statuses.count(code) for code in set(statuses)}
    assert after < before + 200, (before, after)
    assert pid_of(port) == pid
