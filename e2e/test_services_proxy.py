"""The services registry and proxy of ndp-ep-api (`/services/redirect/{name}/…`,
`/services/health`): services registered with the real `ndp-ep` 0.9.0 client, reached through
the EP, answered by a small HTTP service this test runs."""
import hashlib
import http.server
import json
import threading
import time

import pytest
import requests

from conftest import free_port
from rexec_harness import Gateway, run_ndp_ep, serving

WRITER = {"Authorization": "Bearer demo-token"}
CHUNK = b"0123456789abcdef" * 4096  # 64 KiB


class Service:
    """An HTTP service in a thread: echoes what it got as JSON, except for a few paths
    (`/slow` answers after 3 s, `/moved` redirects, `/big?mib=N` streams N MiB, `/count` counts
    the body it was sent)."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                path = self.path.split("?")[0]
                if path.endswith("/count"):
                    digest, received = hashlib.sha256(), 0
                    while received < length:
                        piece = self.rfile.read(min(1 << 20, length - received))
                        digest.update(piece)
                        received += len(piece)
                    return self.reply(200, {"bytes": received, "sha256": digest.hexdigest()})
                body = self.rfile.read(length).decode() if length else ""
                if path.endswith("/slow"):
                    time.sleep(3)
                if path.endswith("/moved"):
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if path.endswith("/big"):
                    mib = int(self.path.split("mib=")[1])
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(mib << 20))
                    self.end_headers()
                    for _ in range(mib * 16):
                        self.wfile.write(CHUNK)
                    return None
                return self.reply(404 if path.endswith("/missing") else 200, {
                    "method": self.command, "path": self.path, "body": body,
                    "headers": {name.lower(): value for name, value in self.headers.items()},
                })

            def reply(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Service", "echo")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any  # noqa: N815 (http.server's naming)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class WebSocketService:
    """A WebSocket service in a thread: echoes each message with the path, query and whether
    it saw an Authorization header, as `<path>|<auth>|<message>`; `bye` closes from its side."""

    def __init__(self):
        import asyncio

        from websockets.asyncio.server import serve

        async def echo(connection):
            request = connection.request
            authorized = "yes" if request.headers.get("Authorization") else "no"
            async for message in connection:
                if message == "bye":
                    await connection.close()
                    return
                reply = message if isinstance(message, bytes) else f"{request.path}|{authorized}|{message}"
                await connection.send(reply)

        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def main():
            # chat.v1 when offered; a client offering none is served without one.
            self.server = await serve(echo, "127.0.0.1", 0, select_subprotocol=lambda _, offered: "chat.v1" if "chat.v1" in offered else None)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()
            await self.server.serve_forever()

        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(main()), daemon=True)
        self.thread.start()
        assert ready.wait(10)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.close)


@pytest.fixture(scope="module")
def ws_service():
    running = WebSocketService()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def service():
    running = Service()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def gateway(idp, service, ws_service):
    process = Gateway(idp)
    dead = f"http://127.0.0.1:{free_port()}"
    registrations = [
        {"service_name": "live", "service_title": "WebSocket echo", "owner_org": "services", "service_url": ws_service.url},
        {"service_name": "private-live", "service_title": "Protected WebSocket echo", "owner_org": "services",
         "service_url": ws_service.url, "extras": {"requires_auth": True}},
        {"service_name": "echo", "service_title": "Echo", "owner_org": "services", "service_url": f"{service.url}/api",
         "health_check_url": f"{service.url}/health"},
        {"service_name": "private-echo", "service_title": "Protected echo", "owner_org": "services", "service_url": service.url,
         "extras": {"requires_auth": "Yes"}},
        {"service_name": "sluggish", "service_title": "Slow", "owner_org": "services", "service_url": service.url,
         "extras": {"timeout_seconds": 1}},
        {"service_name": "gone", "service_title": "Dead", "owner_org": "services", "service_url": dead,
         "health_check_url": f"{dead}/health"},
    ]
    completed = run_ndp_ep("0.9.0", f"""
        client = APIClient(base_url={process.base!r}, token='demo-token')
        for data in {registrations!r}:
            print(json.dumps(client.register_service(data)))
        """)
    assert completed.returncode == 0, completed.stderr
    yield from serving(process)


def proxied(gateway, method, path, **kwargs):
    return requests.request(method, f"{gateway.base}/services/redirect/{path}", timeout=60, **kwargs)


def test_get_and_post_pass_through_with_path_query_headers_and_body(gateway):
    # Identity headers an auth proxy would set are the caller's claim here: never passed on.
    stated = {"X-Forwarded-User": "admin", "X-Auth-Request-Email": "admin@example.org", "Remote-User": "admin", "X-WEBAUTH-USER": "admin"}
    answer = proxied(gateway, "GET", "echo/items/a%20b?x=1&y=two&y=3", headers={**WRITER, "X-Trace": "t-1", "Connection": "X-Drop",
                                                                                 "X-Drop": "hop", **stated})
    assert answer.status_code == 200 and answer.headers["X-Service"] == "echo"
    echoed = answer.json()
    assert echoed["method"] == "GET" and echoed["path"] == "/api/items/a%20b?x=1&y=two&y=3"
    assert echoed["headers"]["x-trace"] == "t-1"
    assert "x-drop" not in echoed["headers"]  # named by Connection: hop-by-hop
    assert not {name.lower() for name in stated} & set(echoed["headers"]), echoed["headers"]
    assert echoed["headers"]["x-forwarded-for"] == "127.0.0.1"
    # The caller's token does not reach a service that does not ask for authentication.
    assert "authorization" not in echoed["headers"]

    posted = proxied(gateway, "POST", "echo/submit", data=b'{"a": 1}', headers={"Content-Type": "application/json"}).json()
    assert posted["method"] == "POST" and posted["body"] == '{"a": 1}' and posted["headers"]["content-type"] == "application/json"
    for method in ("PUT", "PATCH", "DELETE"):
        assert proxied(gateway, method, "echo", data=b"x").json()["method"] == method
    missing = proxied(gateway, "GET", "echo/missing")
    assert missing.status_code == 404 and missing.json()["path"] == "/api/missing"  # the service's own answer, passed through


def test_a_protected_service_needs_a_token_and_gets_it(gateway):
    anonymous = proxied(gateway, "GET", "private-echo/x")
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "This service requires authentication. Provide a bearer token."
    assert proxied(gateway, "GET", "private-echo/x", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    answer = proxied(gateway, "GET", "private-echo/x", headers=WRITER)
    assert answer.status_code == 200 and answer.json()["headers"]["authorization"] == "Bearer demo-token"


def test_unknown_slow_dead_and_redirecting_services(gateway):
    unknown = proxied(gateway, "GET", "nobody/x")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Service 'nobody' not found"
    started = time.monotonic()
    slow = proxied(gateway, "GET", "sluggish/slow")
    assert slow.status_code == 504 and "did not answer within 1 seconds" in slow.json()["detail"]
    assert time.monotonic() - started < 2.9  # the service's own timeout, not the service's 3 s
    dead = proxied(gateway, "GET", "gone/x")
    assert dead.status_code == 502 and dead.json()["detail"].startswith("Service 'gone' is unreachable")
    moved = proxied(gateway, "GET", "echo/moved", allow_redirects=False)
    assert moved.status_code == 302 and moved.headers["Location"] == "/elsewhere"


def test_bodies_stream_both_ways_past_the_body_limit(gateway):
    payload = CHUNK * 160  # 10 MiB, ten times MAX_BODY_BYTES
    sent = proxied(gateway, "POST", "echo/count", data=payload).json()
    assert sent == {"bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    with proxied(gateway, "GET", "echo/big?mib=12", stream=True) as download:
        assert download.status_code == 200 and download.headers["Content-Length"] == str(12 << 20)
        digest = hashlib.sha256()
        for piece in download.iter_content(1 << 20):
            digest.update(piece)
    assert digest.hexdigest() == hashlib.sha256(CHUNK * (12 * 16)).hexdigest()


def test_the_health_view_checks_every_service_at_once(gateway):
    assert requests.get(f"{gateway.base}/services/health", timeout=30).status_code == 401
    report = requests.get(f"{gateway.base}/services/health", headers=WRITER, timeout=30).json()
    by_name = {entry["name"]: entry for entry in report["services"]}
    assert set(by_name) == {"echo", "private-echo", "sluggish", "gone", "live", "private-live"}
    assert by_name["echo"]["status"] == "up" and by_name["echo"]["status_code"] == 200 and by_name["echo"]["latency_ms"] >= 0
    assert by_name["gone"]["status"] == "down" and "error" in by_name["gone"]
    assert by_name["sluggish"]["status"] == "unknown"
    assert report["up"] == 1 and report["down"] == 1


def test_websockets_are_relayed_both_ways(gateway):
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    ws_base = gateway.base.replace("http://", "ws://") + "/services/redirect"
    with connect(f"{ws_base}/live/chat/room-1?user=ann", subprotocols=["chat.v1"], open_timeout=10,
                 additional_headers=WRITER) as socket:
        assert socket.subprotocol == "chat.v1"
        socket.send("hello")
        assert socket.recv(timeout=10) == "/chat/room-1?user=ann|no|hello"  # no token for an open service
        socket.send(b"\x00\x01binary")
        assert socket.recv(timeout=10) == b"\x00\x01binary"
        socket.send("bye")  # the service closes; the relay closes the caller's side too
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)

    # A refused upgrade is answered 400 without a body (hummingbird-websocket's answer to an
    # upgrade its hook declines); no WebSocket reaches the service.
    for refused_url, headers in ((f"{ws_base}/private-live/x", {}), (f"{ws_base}/private-live/x", {"Authorization": "Bearer nope"}),
                                 (f"{ws_base}/nobody/x", WRITER)):
        with pytest.raises(InvalidStatus) as refused:
            connect(refused_url, open_timeout=10, additional_headers=headers)
        assert refused.value.response.status_code == 400, refused_url
    with connect(f"{ws_base}/private-live/x", open_timeout=10, additional_headers=WRITER) as socket:
        socket.send("hi")
        assert socket.recv(timeout=10) == "/x|yes|hi"
