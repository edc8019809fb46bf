"""Shared helpers for the black-box tests: free ports and the local stack launcher."""
import fcntl
import os
import pty
import signal
import socket
import subprocess
import tempfile
import termios
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Every process the tests start inherits this mark, so that the run can find, at its end, any
# that is still alive (see pytest_sessionfinish).
RUN_MARK = uuid.uuid4().hex
os.environ["REXEC_TEST_RUN"] = RUN_MARK


def processes_of_this_run() -> list[tuple[int, str]]:
    """(pid, command line) of every live process carrying this run's mark, pytest aside."""
    return processes_marked("REXEC_TEST_RUN", RUN_MARK)


def processes_marked(variable: str, value: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process whose environment has variable=value."""
    mark = f"{variable}={value}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if mark not in environ.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if command:  # a zombie (exited, not yet reaped) has none
            found.append((int(entry), command))
    return found


def pytest_sessionfinish(session, exitstatus):
    """The run fails if a process it started outlives it (a leaked server keeps ports, files
    and CPU on the machine); what is left is listed and killed."""
    deadline = time.monotonic() + 10  # processes stopped just now may still be exiting
    left = processes_of_this_run()
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = processes_of_this_run()
    if not left:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = "\n".join(f"  {pid}: {command}" for pid, command in left)
    message = f"\n{len(left)} process(es) started by the tests are still running:\n{lines}\n"
    if reporter:
        reporter.write_line(message, red=True)
    else:
        print(message)
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    session.exitstatus = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_closed(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


PORT_NAMES = ("IDP_PORT", "KUBE_SIM_PORT", "BROKER_HTTP_PORT", "DEPLOY_API_PORT", "EP_PORT", "PODS_PORT",
              "BROKER_CLIENT_PORT", "BROKER_SERVER_PORT", "BROKER_CONTROL_PORT", "MANIFESTS_PORT", "S3_PORT", "JUPYTER_PORT")


class Stack:
    """`scripts/run-stack.sh` as a child process, its output collected line by line. Every
    process it starts carries STACK_MARK=<mark> in its environment (see `left_running`)."""

    def __init__(self, env_overrides: dict[str, str]):
        self.ports = {name: free_port() for name in PORT_NAMES}
        self.state_dir = tempfile.mkdtemp(prefix="rexec-stack-")
        self.mark = uuid.uuid4().hex
        env = dict(os.environ, STACK_SKIP_BUILD="1", STACK_STATE_DIR=self.state_dir, STACK_MARK=self.mark,
                   **{k: str(v) for k, v in self.ports.items()})
        env.update(env_overrides)
        self.lines: list[str] = []
        self.process = self._launch(env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _launch(self, env: dict[str, str]) -> subprocess.Popen:
        return subprocess.Popen(
            [str(ROOT / "scripts/run-stack.sh")], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            # As in a terminal: SIGINT at its default, even if whoever started the tests
            # (a CI runner, a background job) ignores it; bash cannot trap an inherited SIG_IGN.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            # Its own process group: ending the launcher ends every server it started.
            start_new_session=True,
        )

    def left_running(self) -> list[tuple[int, str]]:
        """Processes of this stack still alive."""
        return processes_marked("STACK_MARK", self.mark)

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
        """Ends the launcher and everything it started."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # its session's first process group
        except ProcessLookupError:
            pass
        for pid, _ in self.left_running():  # and any group of its own it made
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)


class TerminalStack(Stack):
    """`make up` as a newcomer runs it: in a terminal (a pseudo-terminal here, its session's
    controlling terminal), so that Ctrl-C is the terminal's: the ^C character, which the
    kernel turns into SIGINT for the terminal's foreground process group."""

    def _launch(self, env: dict[str, str]) -> subprocess.Popen:
        self._terminal, follower = pty.openpty()

        def take_the_terminal():
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # after setsid (start_new_session)

        try:
            return subprocess.Popen(["make", "--no-print-directory", "up"], cwd=ROOT, env=env, stdin=follower, stdout=follower,
                                    stderr=follower, start_new_session=True, preexec_fn=take_the_terminal)
        finally:
            os.close(follower)

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self._terminal, 65536)
            except OSError:  # EIO: every process holding the terminal has gone
                break
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            self.lines.extend(line.decode(errors="replace").rstrip("\r") for line in complete)
        if pending:
            self.lines.append(pending.decode(errors="replace").rstrip("\r"))
        os.close(self._terminal)

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C typed in the terminal, then make's exit status."""
        os.write(self._terminal, b"\x03")
        return self.process.wait(timeout=timeout)


@pytest.fixture
def stack_factory():
    started: list[Stack] = []

    def start(terminal: bool = False, **env: str) -> Stack:
        """The stack with these environment overrides; `terminal`: `make up` in a terminal."""
        stack = (TerminalStack if terminal else Stack)(env)
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
