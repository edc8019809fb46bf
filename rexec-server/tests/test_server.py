"""The rexec server's protocol (docs/specs/rexec.md §3): events, errors, cancel, heartbeats."""

import os
import signal
import time

import dill
import pytest


def data(events, channel):
    return [event["data"] for event in events if isinstance(event, dict) and event.get("channel") == channel]


def test_heartbeat_at_connect_carries_identity_and_instance(broker, start_server):
    start_server("alice")
    frames = broker.receive()
    assert frames[:3] == [b"alice", b"", b"__REXEC_HEARTBEAT__"]
    instance = frames[3]
    # ...and again at the configured interval, from the same instance.
    again = broker.receive()
    assert again == [b"alice", b"", b"__REXEC_HEARTBEAT__", instance]


def test_return_value_and_stdout_stream_in_order(broker, start_server):
    start_server()
    broker.receive()

    def compute(x, y):
        print("adding", x, y)
        import sys
        print("to stderr", file=sys.stderr)
        return {"sum": x + y}

    broker.invoke(b"alice", b"c1", compute, 2, 3)
    events = broker.events(b"c1")
    assert [e["type"] for e in events] == ["START", "DATA", "DATA", "DATA", "END"]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["function"] == "compute"
    assert data(events, "stdout") == ["adding 2 3\n"]
    assert data(events, "stderr") == ["to stderr\n"]
    assert data(events, "return") == [{"sum": 5}]


def test_none_result_sends_no_data_and_generators_yield(broker, start_server):
    start_server()
    broker.receive()
    broker.invoke(b"alice", b"c1", lambda: None)
    assert [e["type"] for e in broker.events(b"c1")] == ["START", "END"]

    def numbers(n):
        for i in range(n):
            yield i * i

    broker.invoke(b"alice", b"c2", numbers, 3)
    events = broker.events(b"c2")
    assert data(events, "yield") == [0, 1, 4]
    assert data(events, "return") == []


def test_exception_becomes_error_with_traceback(broker, start_server):
    start_server()
    broker.receive()

    def fail():
        raise ValueError("bad input")

    events = (broker.invoke(b"alice", b"c1", fail), broker.events(b"c1"))[1]
    assert events[-1]["type"] == "ERROR"
    assert events[-1]["message"] == "An unexpected error occurred: bad input"
    assert "ValueError: bad input" in events[-1]["details"]


def test_child_dying_is_reported_and_the_server_carries_on(broker, start_server):
    start_server()
    broker.receive()

    def die():
        import os
        os._exit(3)

    broker.invoke(b"alice", b"c1", die)
    events = broker.events(b"c1")
    assert events[-1]["type"] == "ERROR"
    assert events[-1]["message"] == "Execution process exited unexpectedly with code 3."
    broker.invoke(b"alice", b"c2", lambda: 42)
    assert data(broker.events(b"c2"), "return") == [42]


def test_invalid_payload_and_framing_get_text_replies(broker, start_server):
    start_server()
    broker.receive()
    broker.socket.send_multipart([b"alice", b"c1", b"", b"not a pickle", dill.dumps(())])
    reply = broker.receive_non_heartbeat()
    assert dill.loads(reply[3]).startswith("Invalid function payload: ")
    broker.socket.send_multipart([b"alice", b"c2", b"", dill.dumps(len)])
    assert dill.loads(broker.receive_non_heartbeat()[3]) == "Invalid request framing."


def test_cancel_stops_the_running_call_and_the_next_one_runs(broker, start_server):
    start_server()
    broker.receive()

    def forever():
        import time
        print("started", flush=True)
        while True:
            time.sleep(0.05)

    broker.invoke(b"alice", b"c1", forever)
    assert broker.receive_non_heartbeat()[1] == b"c1"  # START
    assert dill.loads(broker.receive_non_heartbeat()[3])["data"] == "started\n"
    # Another client's call waits behind it; a cancel from that other client must not stop c1.
    broker.invoke(b"alice", b"c2", lambda: "second")
    broker.cancel(b"alice", b"c3")
    broker.cancel(b"alice", b"c1")
    end = dill.loads(broker.receive_non_heartbeat()[3])
    assert end["type"] == "END" and end["cancelled"] is True and end["reason"] == "keyboard interrupt"
    assert data(broker.events(b"c2"), "return") == ["second"]


def test_cancel_with_another_reason_is_ignored(broker, start_server):
    start_server()
    broker.receive()

    def slow():
        import time
        time.sleep(0.5)
        return "done"

    broker.invoke(b"alice", b"c1", slow)
    broker.cancel(b"alice", b"c1", reason=b"something_else")
    assert data(broker.events(b"c1"), "return") == ["done"]


def test_missing_identity_refuses_to_start(start_server):
    process = start_server(identity="")
    assert process.wait(20) == 78


def test_sigterm_stops_the_server_and_its_running_call(broker, start_server):
    process = start_server()
    broker.receive()

    def forever():
        import os, time
        print(os.getpid(), flush=True)
        while True:
            time.sleep(0.05)

    broker.invoke(b"alice", b"c1", forever)
    broker.receive_non_heartbeat()
    child = int(dill.loads(broker.receive_non_heartbeat()[3])["data"])
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail("the call's child process outlived the server")


def test_sigterm_says_goodbye_with_the_instance_before_the_connection_closes(broker, start_server):
    process = start_server("alice")
    instance = broker.receive()[3]
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    deadline = time.monotonic() + 10
    while True:
        frames = broker.receive(max(0.01, deadline - time.monotonic()))
        if frames[2] != b"__REXEC_HEARTBEAT__":
            break
    assert frames == [b"alice", b"", b"__REXEC_GOODBYE__", instance]


# CURVE: the credential the deploy API issues (docs/reliability.md, "Servers prove who they are").

@pytest.fixture
def curve_broker(tmp_path):
    from conftest import FakeBroker

    admitted = tmp_path / "admitted"
    admitted.mkdir()
    fake = FakeBroker(curve_directory=admitted)
    fake.admitted = admitted
    yield fake
    fake.close()


def test_with_a_credential_the_server_authenticates_with_curve_and_states_no_identity(curve_broker, start_server, tmp_path):
    from conftest import write_credentials
    import zmq.auth.certs

    public_key = write_credentials(tmp_path / "credentials", curve_broker.public_key)
    zmq.auth.certs._write_key_file(str(curve_broker.admitted / "alice.key"), "test", public_key)
    curve_broker.authenticator.configure_curve(domain="*", location=str(curve_broker.admitted))
    start_server("alice", port=curve_broker.port, extra_env={"REXEC_CREDENTIALS_DIR": str(tmp_path / "credentials")})
    frames = curve_broker.receive()
    assert frames[1:3] == [b"", b"__REXEC_HEARTBEAT__"]
    # The routing id is the broker's to choose (libzmq's generated ids start with a zero byte).
    assert frames[0] != b"alice" and frames[0][:1] == b"\x00"

    def add(x, y):
        return x + y

    curve_broker.invoke(frames[0], b"c1", add, 2, 3)
    events = curve_broker.events(b"c1")
    assert data(events, "return") == [5]


def test_a_refused_credential_is_reported_and_retried_until_admitted(curve_broker, start_server, tmp_path):
    import subprocess
    import zmq.auth.certs
    from conftest import write_credentials

    public_key = write_credentials(tmp_path / "credentials", curve_broker.public_key)  # not admitted yet
    process = start_server("alice", port=curve_broker.port, extra_env={"REXEC_CREDENTIALS_DIR": str(tmp_path / "credentials")},
                           stderr=subprocess.PIPE)
    line = process.stderr.readline()
    assert "refused this server's handshake (credential refused)" in line, line
    assert process.poll() is None
    # libzmq gives a refused connection up for good; the server opens a new one itself, so
    # a key registered late (a broker still reading its keys after a restart) gets through.
    zmq.auth.certs._write_key_file(str(curve_broker.admitted / "alice.key"), "test", public_key)
    curve_broker.authenticator.configure_curve(domain="*", location=str(curve_broker.admitted))
    frames = curve_broker.receive(timeout=15)
    assert frames[1:3] == [b"", b"__REXEC_HEARTBEAT__"]


def test_an_unreadable_credential_refuses_to_start(start_server, tmp_path):
    (tmp_path / "credentials").mkdir()
    process = start_server(extra_env={"REXEC_CREDENTIALS_DIR": str(tmp_path / "credentials")})
    assert process.wait(30) == 78
