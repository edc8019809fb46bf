"""Child processes for the benchmark scripts: output read by a thread (so a full pipe never
blocks the child), waiting for a line, resident memory, and a clean stop."""
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timed(function):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def release_binaries(products):
    """Builds `products` in release mode; returns the folder holding them."""
    for product in products:
        subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return Path(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip())


def users_file(count, directory):
    """A dev-idp users file with `count` users: bench-N@example.org, token bench-token-N."""
    lines = ["users:"]
    for index in range(count):
        lines += [f"  - username: bench-{index}@example.org", f"    sub: bench-user-{index:04d}", "    groups: []", "    roles: []",
                  f"    tokens: [bench-token-{index}]"]
    path = Path(directory) / "users.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def kubeconfig(path, server, namespace=None):
    """A kubeconfig for a kube-sim at `server` (no credentials)."""
    context = f"{{cluster: s, user: u{', namespace: ' + namespace if namespace else ''}}}"
    Path(path).write_text(f"apiVersion: v1\nkind: Config\nclusters: [{{name: s, cluster: {{server: '{server}'}}}}]\n"
                          f"users: [{{name: u, user: {{}}}}]\ncontexts: [{{name: s, context: {context}}}]\ncurrent-context: s\n")
    return Path(path)


class Child:
    def __init__(self, args, env=None):
        self.process = subprocess.Popen([str(a) for a in args], cwd=ROOT, env=dict(os.environ, **(env or {})),
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, pattern, timeout=60):
        """The first match of `pattern` in the output; exits the benchmark if none comes."""
        regex, deadline = re.compile(pattern), time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := regex.search(line):
                    return match
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise SystemExit(f"benchmark: no {pattern!r} from {self.process.args[0]}:\n" + "\n".join(self.lines[-20:]))

    def port(self, timeout=60):
        """The HTTP port our services log when they start listening."""
        return int(self.wait_for(r"listening on http://[^:]+:(\d+)", timeout).group(1))

    def rss_mib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@contextlib.contextmanager
def endpoint_with_catalog(binaries, prefix):
    """A dev IdP and an `ndp-ep-api` at `/ep` with an SQLite catalog of its own in a scratch
    folder; yields (base URL, catalog environment, scratch folder); stops both and removes
    the folder afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    catalog_env = {"CATALOG_SQLITE_PATH": str(scratch / "catalog.sqlite")}
    idp = Child([binaries / "dev-idp", "--host", "127.0.0.1", "--port", "0"], env={"DEV_IDP_USERS": "config/dev-idp-users.yaml", "LOG_LEVEL": "notice"})
    ep = Child([binaries / "ndp-ep-api", "--host", "127.0.0.1", "--port", "0"],
               env={"AUTH_API_URL": f"http://127.0.0.1:{idp.port()}/information", "ROOT_PATH": "/ep", "LOG_LEVEL": "notice", **catalog_env})
    try:
        yield f"http://127.0.0.1:{ep.port()}/ep", catalog_env, scratch
    finally:
        for child in (ep, idp):
            child.stop()
        shutil.rmtree(scratch, ignore_errors=True)
