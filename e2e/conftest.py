"""Shared helpers for the black-box tests: free ports and the local stack launcher."""
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_closed(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


class Stack:
    """`scripts/run-stack.sh` as a child process, its output collected line by line."""

    def __init__(self, env_overrides: dict[str, str]):
        self.ports = {name: free_port() for name in (
            "IDP_PORT", "KUBE_SIM_PORT", "BROKER_HTTP_PORT", "DEPLOY_API_PORT", "EP_PORT", "PODS_PORT",
            "BROKER_CLIENT_PORT", "BROKER_SERVER_PORT", "BROKER_CONTROL_PORT", "MANIFESTS_PORT",
        )}
        env = dict(os.environ, STACK_SKIP_BUILD="1", STACK_STATE_DIR=tempfile.mkdtemp(prefix="rexec-stack-"),
                   **{k: str(v) for k, v in self.ports.items()})
        env.update(env_overrides)
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(ROOT / "scripts/run-stack.sh")], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            # As in a terminal: SIGINT at its default, even if whoever started the tests
            # (a CI runner, a background job) ignores it; bash cannot trap an inherited SIG_IGN.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no line containing {text!r} within {timeout}s; output:\n{self.output}")

    def url(self, port_name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[port_name]}{path}"

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C, then the exit status once the launcher is gone."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def stack_factory():
    started: list[Stack] = []

    def start(**env: str) -> Stack:
        stack = Stack(env)
        started.append(stack)
        return stack

    yield start
    for stack in started:
        stack.kill()


@pytest.fixture(scope="module")
def idp():
    """The dev IdP with config/dev-idp-users.yaml, one per test module."""
    from rexec_harness import start_idp

    process = start_idp()
    yield process
    process.stop()
