"""A pyzmq ROUTER plays the broker; the server under test runs as a real subprocess."""

import os
import subprocess
import sys
import time

import dill
import pytest
import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def by_value(function):
    """Pickles a test's function by value, as dill does for a notebook's (`__main__`) functions;
    otherwise dill would refer to the test module, which the server cannot import."""
    function.__module__ = "__main__"
    return dill.dumps(function, recurse=True)


class FakeBroker:
    def __init__(self, curve_directory=None):
        """Plain, or (with `curve_directory`) a CURVE server admitting only the public
        certificates found there, judged by pyzmq's own ZAP authenticator."""
        self.context = zmq.Context()
        self.authenticator = None
        self.public_key = None
        if curve_directory is not None:
            from zmq.auth.thread import ThreadAuthenticator

            self.public_key, secret_key = zmq.curve_keypair()
            self.authenticator = ThreadAuthenticator(self.context)
            self.authenticator.start()
            self.authenticator.configure_curve(domain="*", location=str(curve_directory))
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        if curve_directory is not None:
            self.socket.curve_server = True
            self.socket.curve_secretkey = secret_key
        self.port = self.socket.bind_to_random_port("tcp://127.0.0.1")

    def receive(self, timeout=10.0):
        if not self.socket.poll(int(timeout * 1000)):
            raise TimeoutError("no message from the server within %.1f s" % timeout)
        return self.socket.recv_multipart()

    def receive_non_heartbeat(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            frames = self.receive(max(0.01, deadline - time.monotonic()))
            if frames[1:3] != [b"", b"__REXEC_HEARTBEAT__"]:
                return frames

    def invoke(self, identity, client, function, *args):
        self.socket.send_multipart([identity, client, b"", by_value(function), dill.dumps(args)])

    def cancel(self, identity, client, reason=b"keyboard_interrupt"):
        self.socket.send_multipart([identity, client, b"", b"__REXEC_CANCEL__", reason])

    def events(self, client, timeout=20.0):
        """Events addressed to `client` until END, ERROR or a plain string."""
        collected = []
        deadline = time.monotonic() + timeout
        while True:
            frames = self.receive_non_heartbeat(max(0.01, deadline - time.monotonic()))
            assert frames[1] == client and frames[2] == b"", frames[:3]
            event = dill.loads(frames[3])
            collected.append(event)
            if not isinstance(event, dict) or event["type"] in ("END", "ERROR"):
                return collected

    def close(self):
        self.socket.close()
        if self.authenticator is not None:
            self.authenticator.stop()
        self.context.term()


def write_credentials(directory, broker_public_key, server_keys=None):
    """What the deploy API issues: the server's secret certificate and the broker's public one."""
    import zmq.auth.certs

    public_key, secret_key = server_keys or zmq.curve_keypair()
    os.makedirs(directory, exist_ok=True)
    zmq.auth.certs._write_key_file(os.path.join(directory, "server.key_secret"), "test", public_key, secret_key)
    zmq.auth.certs._write_key_file(os.path.join(directory, "broker.key"), "test", broker_public_key)
    return public_key


@pytest.fixture
def broker():
    fake = FakeBroker()
    yield fake
    fake.close()


@pytest.fixture
def start_server(broker):
    processes = []

    def start(identity="alice", heartbeat="0.2", extra_env=None, port=None, stderr=None):
        env = dict(os.environ, REXEC_USER_ID=identity, PYTHONPATH=ROOT)
        env.pop("REXEC_CREDENTIALS_DIR", None)
        env.update(extra_env or {})
        process = subprocess.Popen(
            [sys.executable, "-m", "rexec_server", "127.0.0.1", "--broker_port", str(port or broker.port), "--heartbeat_interval", heartbeat],
            env=env, cwd=ROOT, stderr=stderr, text=stderr is not None,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
