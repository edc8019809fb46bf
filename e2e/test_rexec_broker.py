"""The real `scidx-rexec` 0.1.0 client from PyPI, through rexec-broker, to our rexec server
(docs/specs/rexec.md §2-§4): values, streamed stdout, exceptions, upstream's error texts, isolation
between users, cancel, and an IdP outage."""
import signal
import threading
import time

import pytest
import requests

from rexec_harness import DEMO_SUB, VIEWER_SUB, Broker, assert_pings, process_gone, run_client, start_server, wait_until


@pytest.fixture(scope="module")
def broker(idp):
    # No start-up grace: a call for a user without a server is refused at once.
    process = Broker(idp.url, env={"REXEC_BROKER_CONTROL_SECRET": "a-control-secret-for-tests", "REXEC_BROKER_STARTUP_GRACE_SECONDS": "0"})
    yield process
    process.stop()


@pytest.fixture(scope="module")
def demo_server(broker):
    server = start_server(broker, DEMO_SUB)
    wait_until("the demo server is known to the broker", lambda: DEMO_SUB in broker.statistics()["servers"])
    yield server
    server.stop()


def test_value_returned_and_stdout_streamed(broker, demo_server):
    result = run_client(broker, "demo-token", """
        @remote_func
        def greet(name, n):
            for i in range(n):
                print(f"hello {name} {i}")
            return {"name": name, "squares": [i * i for i in range(n)]}

        value = greet("ada", 3)
        print("RESULT " + json.dumps(value))
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == ["hello ada 0", "hello ada 1", "hello ada 2", 'RESULT {"name": "ada", "squares": [0, 1, 4]}']


def test_remote_exception_becomes_runtime_error(broker, demo_server):
    result = run_client(broker, "demo-token", """
        @remote_func
        def broken():
            return 1 / 0

        try:
            broken()
        except RuntimeError as error:
            print("RUNTIME " + str(error))
    """)
    assert result.returncode == 0, result.stderr
    assert "RUNTIME An unexpected error occurred: division by zero" in result.stdout


def test_bad_token_gets_token_validation_failed(broker, demo_server):
    result = run_client(broker, "not-a-token", """
        @remote_func
        def f():
            return 1
        print("RESULT", f())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Token validation failed.", "RESULT None"]


def test_user_without_server_is_told_and_never_reaches_another_users_server(broker, demo_server):
    # The viewer is a valid user; only the demo user has a server. The viewer's call must not
    # land on it: the broker routes by the token's own `sub`.
    result = run_client(broker, "viewer-token", """
        @remote_func
        def whoami():
            import os
            return os.environ.get("REXEC_USER_ID")
        print("RESULT", whoami())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"Server not ready/available for user {VIEWER_SUB}.", "RESULT None"]
    # The demo user's own call reaches the demo server.
    own = run_client(broker, "demo-token", """
        @remote_func
        def whoami():
            import os
            return os.environ.get("REXEC_USER_ID")
        print("RESULT", whoami())
    """)
    assert own.stdout.splitlines() == [f"RESULT {DEMO_SUB}"]


def test_ctrl_c_cancels_the_running_call(broker, demo_server, tmp_path):
    marker = tmp_path / "pid"
    result = run_client(broker, "demo-token", f"""
        import signal, threading, os, time

        @remote_func
        def forever(path):
            import os, time
            with open(path, "w") as handle:
                handle.write(str(os.getpid()))
            print("running", flush=True)
            while True:
                time.sleep(0.05)

        def interrupt_when_running():
            while not os.path.exists({str(marker)!r}) or not open({str(marker)!r}).read():
                time.sleep(0.02)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt_when_running, daemon=True).start()
        try:
            forever({str(marker)!r})
        except KeyboardInterrupt:
            print("INTERRUPTED")
    """)
    assert result.returncode == 0, result.stderr
    assert "INTERRUPTED" in result.stdout
    child = int(marker.read_text())

    wait_until("the cancelled call's process is gone", lambda: process_gone(child), timeout=15)
    assert broker.statistics()["messages_routed"]["cancel"] >= 1
    # The server is free again for the next call.
    assert_pings(broker)


def test_statistics_metrics_and_terminate_need_the_secret(broker, demo_server):
    statistics = broker.statistics()
    assert statistics["servers"][DEMO_SUB]["state"] == "live"
    assert statistics["messages_routed"]["invoke"] >= 1
    assert statistics["errors"]["token_validation_failed"] >= 0
    metrics = broker.metrics()
    for series in ("rexec_broker_messages_routed_total", "rexec_broker_routing_latency_seconds_bucket",
                   "rexec_broker_connected_servers", "auth_cache"):
        assert series in metrics, series
    server = requests.get(f"{broker.http}/servers/{DEMO_SUB}", timeout=10)
    assert server.status_code == 200 and server.json()["state"] == "live" and server.json()["identity"] == DEMO_SUB
    assert requests.get(f"{broker.http}/servers/nobody", timeout=10).status_code == 404
    assert broker.control("TERMINATE").startswith("ERROR")
    assert broker.control("TERMINATE", "wrong-secret-wrong-secret").startswith("ERROR")
    assert broker.process.poll() is None
    assert "demo-token" not in broker.output


def test_idp_outage_cached_users_keep_working_new_tokens_fail(idp):
    # A broker of its own: the outage must start with the demo token known and the viewer's not.
    broker = Broker(idp.url)
    server = start_server(broker, DEMO_SUB)
    try:
        wait_until("the server is known", lambda: DEMO_SUB in broker.statistics()["servers"])
        call = """
            @remote_func
            def add(a, b):
                return a + b
            print("RESULT", add(20, 22))
        """
        assert run_client(broker, "demo-token", call).stdout.splitlines() == ["RESULT 42"]

        requests.post(f"{idp.url}/_dev/faults", json={"status": 503}, timeout=10).raise_for_status()
        try:
            assert run_client(broker, "demo-token", call).stdout.splitlines() == ["RESULT 42"]
            assert run_client(broker, "viewer-token", call).stdout.splitlines() == ["Token validation failed.", "RESULT None"]
            assert requests.get(f"{broker.http}/healthz", timeout=10).status_code == 200
        finally:
            requests.post(f"{idp.url}/_dev/reset", timeout=10).raise_for_status()
        # Back to normal for new tokens once the IdP is.
        assert run_client(broker, "viewer-token", call).stdout.splitlines() == [f"Server not ready/available for user {VIEWER_SUB}.", "RESULT None"]
    finally:
        server.stop()
        assert broker.stop() == 0


@pytest.mark.parametrize("fault", ["SIGKILL", "SIGSTOP"])
def test_a_lost_server_ends_the_running_call_with_an_exception_within_ten_seconds(idp, tmp_path, fault):
    """SIGKILL: the connection closes and the broker hears of it at once. SIGSTOP: a frozen
    process (or a host gone from the network) closes nothing; the broker's protocol heartbeat
    finds it silent and drops it after five seconds."""
    # A broker of its own: the server it loses must not be the module's.
    broker = Broker(idp.url)
    # Heartbeats off: the broker must notice the lost connection itself, not a missed heartbeat.
    server = start_server(broker, DEMO_SUB, heartbeat="0")
    marker, caught = tmp_path / "pid", tmp_path / "caught"
    try:
        wait_until("the server is known", lambda: DEMO_SUB in broker.statistics()["servers"])
        outcome = {}
        client = threading.Thread(target=lambda: outcome.update(result=run_client(broker, "demo-token", f"""
            import time

            @remote_func
            def forever(path):
                import os, time
                with open(path, "w") as handle:
                    handle.write(str(os.getpid()))
                while True:
                    time.sleep(0.05)

            try:
                forever({str(marker)!r})
                print("RETURNED")
            except RuntimeError as error:
                open({str(caught)!r}, "w").write(repr(time.time()))
                print("RAISED " + str(error))
        """)))
        client.start()
        wait_until("the call runs", lambda: marker.exists() and marker.read_text())
        call_process = int(marker.read_text())
        killed_at = time.time()
        server.process.send_signal(getattr(signal, fault))
        client.join(30)
        assert not client.is_alive(), "the client still waits for the killed server's answer"
        result = outcome["result"]
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            f"RAISED The rexec server for user {DEMO_SUB} stopped (its connection was lost) before this call finished."]
        elapsed = float(caught.read_text()) - killed_at
        print(f"the lost call raised {elapsed:.2f} s after the server got {fault}")
        assert elapsed < 10
        assert broker.statistics()["servers"][DEMO_SUB]["state"] == "unreachable"
        assert broker.statistics()["errors"]["call_abandoned"] == 1

        # The call's own process died with its server (no orphan running user code).
        if fault == "SIGSTOP":
            server.process.kill()
            server.process.wait(10)

        wait_until("the call's process is gone", lambda: process_gone(call_process), timeout=10)

        # A new server process takes over and calls work again.
        server = start_server(broker, DEMO_SUB)
        wait_until("the new server is heard", lambda: broker.statistics()["servers"][DEMO_SUB]["state"] == "live")
        assert_pings(broker)
    finally:
        server.stop()
        broker.stop()


def test_broker_restart_servers_come_back_and_calls_made_meanwhile_complete(idp):
    broker = Broker(idp.url)
    server = start_server(broker, DEMO_SUB)
    call = """
        import time
        started = time.monotonic()

        @remote_func
        def add(a, b):
            return a + b
        print("RESULT", add(20, 22))
    """
    try:
        wait_until("the server is known", lambda: DEMO_SUB in broker.statistics()["servers"])
        assert run_client(broker, "demo-token", call).stdout.splitlines() == ["RESULT 42"]
        ports = broker.ports
        broker.process.kill()
        broker.process.wait(10)
        # A call made while no broker runs waits in the client's queue (libzmq connects when
        # it can) and completes once a broker is back on the same ports.
        outcome = {}
        client = threading.Thread(target=lambda: outcome.update(result=run_client(broker, "demo-token", call)))
        client.start()
        time.sleep(0.5)  # the call is made against no broker at all (not a synchronisation)
        broker = Broker(idp.url, ports=ports, state=broker.state)
        client.join(60)
        assert not client.is_alive()
        assert outcome["result"].stdout.splitlines() == ["RESULT 42"], outcome["result"].stdout + outcome["result"].stderr
        # The server reconnected by itself and is known to the new broker.
        wait_until("the server is heard by the new broker", lambda: broker.statistics()["servers"].get(DEMO_SUB, {}).get("state") == "live")
        assert run_client(broker, "demo-token", call).stdout.splitlines() == ["RESULT 42"]
    finally:
        server.stop()
        broker.stop()
