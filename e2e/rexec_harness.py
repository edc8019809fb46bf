"""Real processes for the rexec tests: the dev IdP, rexec-broker, our rexec server, and the
real `scidx-rexec` client running a user's script as `__main__`, as in a notebook."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".build" / "debug"

DEMO_SUB = "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e"
VIEWER_SUB = "5f8e2a10-9c4b-4d7e-8a61-2b3c4d5e6f70"


class Process:
    """A child process whose combined output is collected line by line."""

    def __init__(self, args, env=None, cwd=ROOT):
        self.lines = []
        self.process = subprocess.Popen(
            [str(a) for a in args], cwd=cwd, env=dict(os.environ, **(env or {})),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self):
        return "\n".join(self.lines)

    def wait_for(self, pattern, timeout=60):
        """The first match of `pattern` in the output, waiting for it up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = regex.search(line)
                if match:
                    return match
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no output matching {pattern!r} within {timeout}s:\n{self.output}")

    def stop(self, timeout=20):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


# The dev IdP's one confidential OpenID client (any other client id is a public one).
CONFIDENTIAL_CLIENT = ("ep-console-confidential", "console-test-secret")


def start_idp():
    idp = Process([BIN / "dev-idp", "--host", "127.0.0.1", "--port", "0"], env={
        "DEV_IDP_USERS": "config/dev-idp-users.yaml", "DEV_IDP_OIDC_CLIENTS": ":".join(CONFIDENTIAL_CLIENT)})
    port = idp.wait_for(r"listening on http://[^:]+:(\d+)").group(1)
    idp.url = f"http://127.0.0.1:{port}"
    return idp


class Broker(Process):
    def __init__(self, idp_url, *extra, env=None, ports=(0, 0, 0), state=None):
        """`ports`: client, server and control port (0: any free one); `state`: the folder of
        its CURVE key and of the server keys registered with it (a new one if not given). A
        restarted broker takes its predecessor's ports and state."""
        client, server, control = ports
        self.state = Path(state or tempfile.mkdtemp(prefix="rexec-broker-"))
        self.keys_dir = self.state / "server-keys"
        self.key_file = self.state / "broker-curve.key"
        environment = {"REXEC_BROKER_SERVER_KEYS_DIR": str(self.keys_dir), "REXEC_BROKER_CURVE_KEY_FILE": str(self.key_file)}
        environment.update(env or {})
        super().__init__(
            [BIN / "rexec-broker", "--host", "127.0.0.1", "--port", "0", "--client_port", str(client), "--server_port", str(server),
             "--control_port", str(control), "--auth_api_url", f"{idp_url}/information", *extra],
            env=environment,
        )
        endpoints = self.wait_for(r"client=tcp://[^:]+:(\d+) control=tcp://[^:]+:(\d+) server=tcp://[^:]+:(\d+)")
        self.client_port, self.control_port, self.server_port = (int(p) for p in endpoints.groups())
        http_port = self.wait_for(r"listening on http://[^:]+:(\d+)").group(1)
        self.http = f"http://127.0.0.1:{http_port}"

    def metrics(self):
        return requests.get(f"{self.http}/metrics", timeout=10).text

    def control(self, *frames, timeout=10):
        import zmq

        context = zmq.Context()
        socket = context.socket(zmq.REQ)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(f"tcp://127.0.0.1:{self.control_port}")
        socket.send_multipart([f.encode() if isinstance(f, str) else f for f in frames])
        try:
            if not socket.poll(timeout * 1000):
                raise AssertionError("no answer on the control socket")
            return socket.recv().decode()
        finally:
            socket.close()
            context.term()

    def statistics(self):
        return json.loads(self.control("STATISTICS"))

    @property
    def ports(self):
        return self.client_port, self.server_port, self.control_port

    @property
    def public_key(self):
        return requests.get(f"{self.http}/server-key", timeout=10).json()["public_key"]

    def register_server(self, identity, name=None):
        """Issues a server credential as the deploy API's local runtime does: a key pair,
        its certificates in a folder, the public key registered for `identity`. Returns the
        folder (the server's REXEC_CREDENTIALS_DIR)."""
        name = name or re.sub(r"[^a-z0-9-]", "-", identity.lower())
        folder = self.state / "credentials" / name
        public_key, secret_key = write_credentials(folder, self.public_key)
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        registration = self.keys_dir / f".{name}.tmp"
        registration.write_text(json.dumps({"sub": identity, "public_key": public_key.decode()}))
        registration.rename(self.keys_dir / f"{name}.json")
        return folder

    def withdraw_server(self, identity, name=None):
        name = name or re.sub(r"[^a-z0-9-]", "-", identity.lower())
        (self.keys_dir / f"{name}.json").unlink(missing_ok=True)


def write_credentials(folder, broker_public_key, keys=None):
    """A server's secret certificate and the broker's public one, in zmq.auth's format."""
    import zmq
    import zmq.auth.certs

    public_key, secret_key = keys or zmq.curve_keypair()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    zmq.auth.certs._write_key_file(str(folder / "server.key_secret"), "rexec e2e", public_key, secret_key)
    zmq.auth.certs._write_key_file(str(folder / "broker.key"), "rexec e2e", broker_public_key.encode() if isinstance(broker_public_key, str) else broker_public_key)
    return public_key, secret_key


def start_server(broker, identity, heartbeat="1", credentials=None):
    """Our rexec server for `identity`, with a credential registered for it (or the folder
    given, or none at all when `credentials` is False)."""
    env = {"REXEC_USER_ID": identity, "PYTHONPATH": str(ROOT / "rexec-server")}
    if credentials is not False:
        env["REXEC_CREDENTIALS_DIR"] = str(credentials or broker.register_server(identity))
    server = Process(
        [sys.executable, "-m", "rexec_server", "127.0.0.1", "--broker_port", broker.server_port, "--heartbeat_interval", heartbeat, "-v"],
        env=env,
    )
    return server


def process_gone(pid):
    """True once no process `pid` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def service_pid(port):
    """The service process listening on `port` (its command line says `--port <port>`)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if b"--port" in args and args[args.index(b"--port") + 1] == str(port).encode():
            return int(pid)
    return None


def rss_mib(pid):
    """A process's resident set size in MiB."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


PING = """
    @remote_func
    def ping():
        return "pong"
    print("RESULT", ping())
"""


def assert_pings(broker, token="demo-token"):
    """A call through `broker` to the token's server answers."""
    result = run_client(broker, token, PING)
    assert result.stdout.splitlines() == ["RESULT pong"], result.stdout + result.stderr


def wait_until(description, condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting until {description}")


def run_client(broker, token, body, timeout=60):
    """Runs `body` as the `__main__` of a fresh interpreter using the real client, with
    `remote_func` set up for `broker` and `token`. Returns the CompletedProcess."""
    setup = f"""
        import json, sys
        from rexec.client_api import remote_func
        remote_func.set_remote_addr("127.0.0.1")
        remote_func.set_remote_port("{broker.client_port}")
        remote_func.set_exec_token({token!r})
        """
    return run_script(textwrap.dedent(setup) + textwrap.dedent(body), timeout=timeout)


class DeployAPI(Process):
    """rexec-deploy-api on the local runtime, wired to `broker` and `idp`, root path /rexec."""

    def __init__(self, idp, broker, state_dir, env=None):
        environment = {
            "AUTH_API_URL": f"{idp.url}/information", "APP_ROOT_PATH": "/rexec", "REXEC_RUNTIME": "local",
            "REXEC_BROKER_HOST": "127.0.0.1", "REXEC_BROKER_PORT": str(broker.server_port),
            "REXEC_BROKER_EXTERNAL_HOST": "127.0.0.1", "REXEC_BROKER_EXTERNAL_PORT": str(broker.client_port),
            "REXEC_BROKER_STATUS_URL": broker.http, "REXEC_LOCAL_STATE_DIR": str(state_dir),
            "REXEC_LOCAL_SERVER_KEYS_DIR": str(broker.keys_dir), "REXEC_BROKER_CURVE_KEY_FILE": str(broker.key_file),
            "REXEC_LOCAL_PYTHON": sys.executable, "REXEC_HEARTBEAT_INTERVAL": "1", "REXEC_SPAWN_WAIT_TIMEOUT_SECONDS": "300",
        }
        environment.update(env or {})
        super().__init__([BIN / "rexec-deploy-api", "--host", "127.0.0.1", "--port", "0"], env=environment)
        port = self.wait_for(r"listening on http://[^:]+:(\d+)").group(1)
        self.url = f"http://127.0.0.1:{port}"


class EPStub:
    """The two EP routes ndp-ep's rexec helpers call (`/status/` and `/status/rexec`), until the
    gateway serves them: a thread with a plain HTTP server."""

    def __init__(self, deployment_api_url):
        import http.server

        body = {"/status/": {"version": "0.34.0", "api_version": "0.34.0"}, "/status/rexec": {"deployment_api_url": deployment_api_url}}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                answer = body.get(self.path.split("?")[0])
                data = json.dumps(answer if answer is not None else {"detail": "Not Found"}).encode()
                self.send_response(200 if answer is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def run_script(body, timeout=300):
    """Runs `body` (dedented) as a fresh interpreter's `__main__`; returns the CompletedProcess."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(textwrap.dedent(body))
        path = handle.name
    try:
        return subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        # Name the step that hung: the script's own output so far says how far it got.
        printed = (expired.stdout or b"").decode("utf-8", "replace") if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        errors = (expired.stderr or b"").decode("utf-8", "replace") if isinstance(expired.stderr, bytes) else (expired.stderr or "")
        pytest.fail(f"script did not finish within {timeout}s\n--- stdout so far ---\n{printed}\n--- stderr so far ---\n{errors}")
    finally:
        os.unlink(path)


def postgres_server_url():
    """The test run's PostgreSQL server (scripts/test.sh starts a throw-away one), or a skip;
    a failure instead when the run requires it (REQUIRE_POSTGRES_TESTS=1, as CI does)."""
    url = os.environ.get("CATALOG_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES_TESTS") == "1":
            pytest.fail("REQUIRE_POSTGRES_TESTS=1 but CATALOG_TEST_POSTGRES_URL is unset")
        pytest.skip("no PostgreSQL server: set CATALOG_TEST_POSTGRES_URL (scripts/throwaway-postgres.sh start)")
    return url


class ScratchPostgresDatabase:
    """A new, empty database on the test run's PostgreSQL server, dropped by `drop()`."""

    def __init__(self):
        self.server = postgres_server_url()
        self.name = "ep_e2e_" + os.urandom(4).hex()
        self._psql(f"CREATE DATABASE {self.name}")
        head, _, query = self.server.partition("?")
        self.url = head.rsplit("/", 1)[0] + "/" + self.name + ("?" + query if query else "")

    def _psql(self, sql):
        subprocess.run(["psql", self.server, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, capture_output=True, timeout=60)

    def drop(self):
        self._psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class Gateway(Process):
    """ndp-ep-api with ROOT_PATH=/ep, wired to `idp` (and to `deploy` for rexec delegation).
    `catalog` picks the catalog backend: an SQLite file of its own (default), a scratch
    database on the test run's PostgreSQL server, or `ckan`: another gateway's catalog through
    CKAN's action API."""

    def __init__(self, idp, deploy=None, env=None, port=0, catalog="sqlite"):
        environment = {
            "AUTH_API_URL": f"{idp.url}/information", "ROOT_PATH": "/ep", "ORGANIZATION": "Test Lab", "EP_NAME": "test-ep",
            "ENABLE_GROUP_BASED_ACCESS": "true", "GROUP_NAMES": "/ndp_ep/ep-demo", "USE_JUPYTERLAB": "true",
            "JUPYTER_URL": "https://jupyter.example.org/lab", "PUBLIC_IP": "203.0.113.7",
        }
        # Each gateway its own catalog, removed when it stops.
        self.catalog_dir = tempfile.mkdtemp(prefix="ep-catalog-")
        environment["CATALOG_SQLITE_PATH"] = os.path.join(self.catalog_dir, "catalog.sqlite")
        self.catalog = catalog
        self.postgres = None
        self.remote = None
        if catalog == "postgres":
            self.postgres = ScratchPostgresDatabase()
            environment.update({"LOCAL_CATALOG_BACKEND": "postgres", "CATALOG_POSTGRES_URL": self.postgres.url})
        if catalog == "ckan":
            # The catalog kept in another endpoint (its own SQLite file), through CKAN's action
            # API with an admin's token, as upstream keeps it in a CKAN.
            self.remote = Gateway(idp)
            environment.update({"LOCAL_CATALOG_BACKEND": "ckan", "CKAN_URL": self.remote.base, "CKAN_API_KEY": "admin-token"})
        # What another process needs to reach the same catalog (`--import-datasets`).
        self.catalog_env = {key: environment[key] for key in (
            "LOCAL_CATALOG_BACKEND", "CATALOG_POSTGRES_URL", "CATALOG_SQLITE_PATH", "CKAN_URL", "CKAN_API_KEY") if key in environment}
        if deploy is not None:
            environment.update({"REXEC_CONNECTION": "true", "REXEC_DEPLOYMENT_INTERNAL_URL": f"{deploy.url}/rexec"})
        environment.update(env or {})
        super().__init__([BIN / "ndp-ep-api", "--host", "127.0.0.1", "--port", str(port)], env=environment)
        port = self.wait_for(r"listening on http://[^:]+:(\d+)").group(1)
        self.url = f"http://127.0.0.1:{port}"
        self.base = f"{self.url}/ep"

    def stop(self, timeout=20):
        status = super().stop(timeout)
        shutil.rmtree(self.catalog_dir, ignore_errors=True)
        if self.postgres is not None:
            self.postgres.drop()
        if self.remote is not None:
            assert self.remote.stop() == 0
        return status


# What the dev IdP's users log in with; none may ever reach a service's log.
DEV_SECRETS = ("demo-token", "viewer-token", "admin-token", "outsider-token", "demo-password")


def serving(gateway):
    """A module fixture's body (`yield from serving(Gateway(...))`): the gateway for the
    module's tests, then stopped cleanly, with no dev token or password in what it logged."""
    yield gateway
    assert gateway.stop() == 0
    leaked = [secret for secret in DEV_SECRETS if secret in gateway.output]
    assert not leaked, f"the gateway logged {leaked}"


NDP_EP_070 = ROOT / ".venv" / "ndp-ep-0.7.0"


def run_ndp_ep(version, body, timeout=300):
    """Runs `body` with `from ndp_ep import APIClient` resolving to ndp-ep `version` (0.9.0 is
    the venv's; 0.7.0 is installed beside it by scripts/install-deps.sh)."""
    prelude = f"import sys; sys.path.insert(0, {str(NDP_EP_070)!r})\n" if version == "0.7.0" else ""
    prelude += "import json\nimport ndp_ep\nassert ndp_ep.__version__ or True\nfrom ndp_ep import APIClient\n"
    return run_script(prelude + textwrap.dedent(body), timeout=timeout)


class S3Server(Process):
    """A real S3-compatible server: moto in server mode on a free loopback port.

    `strict=True` turns on moto's request authentication: an IAM user with an access key is
    made first (moto lets exactly the first INITIAL_NO_AUTH_ACTION_COUNT calls through
    unsigned, its own /moto-api/ aside), and from then on every S3 call must carry a valid
    Signature Version 4 from that key (moto answers SignatureDoesNotMatch otherwise). moto
    cannot check presigned URLs in that mode, so those are tested against a lenient server.
    """

    def __init__(self, strict=False, region="us-east-1"):
        from conftest import free_port

        self.port = free_port()
        env = {"INITIAL_NO_AUTH_ACTION_COUNT": "3"} if strict else {}
        super().__init__([ROOT / ".venv" / "bin" / "moto_server", "-H", "127.0.0.1", "-p", str(self.port)], env=env)
        self.url = f"http://127.0.0.1:{self.port}"
        self.region = region
        wait_until("moto_server answers", self._answers, timeout=60)
        self.access_key, self.secret_key = "testing-access", "testing-secret"
        if strict:
            iam = self._boto("iam", "bootstrap", "bootstrap")
            iam.create_user(UserName="ndp-ep")
            iam.put_user_policy(UserName="ndp-ep", PolicyName="s3", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
            key = iam.create_access_key(UserName="ndp-ep")["AccessKey"]
            self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]

    def _answers(self):
        if self.process.poll() is not None:
            raise AssertionError(f"moto_server exited:\n{self.output}")
        try:
            return requests.get(f"{self.url}/moto-api/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def _boto(self, service, access_key, secret_key):
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=self.region, aws_access_key_id=access_key,
                            aws_secret_access_key=secret_key)

    def client(self):
        """boto3's S3 client with the server's key: to check what the EP wrote."""
        return self._boto("s3", self.access_key, self.secret_key)

    def gateway_env(self):
        """The EP's S3 settings for this server (upstream's names; endpoint as host:port)."""
        return {"S3_ENABLED": "True", "S3_ENDPOINT": f"127.0.0.1:{self.port}", "S3_ACCESS_KEY": self.access_key,
                "S3_SECRET_KEY": self.secret_key, "S3_SECURE": "False", "S3_REGION": self.region}


class JupyterServer(Process):
    """A real `jupyter server` on a free loopback port, serving `root` under `base_url`, with
    a fixed token: what staging's `jupyter_copy` pushes files into."""

    def __init__(self, root, token, base_url="/"):
        from conftest import free_port

        self.port = free_port()
        self.token = token
        self.root = root
        home = tempfile.mkdtemp(prefix="jupyter-home-")
        self.home = home
        env = {"HOME": home, "JUPYTER_CONFIG_DIR": f"{home}/config", "JUPYTER_DATA_DIR": f"{home}/data",
               "JUPYTER_RUNTIME_DIR": f"{home}/runtime", "JUPYTER_PLATFORM_DIRS": "1"}
        super().__init__([ROOT / ".venv" / "bin" / "jupyter", "server", "--no-browser", "--ServerApp.ip=127.0.0.1",
                          f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--allow-root",
                          f"--ServerApp.root_dir={root}", f"--ServerApp.base_url={base_url}"], env=env)
        self.url = f"http://127.0.0.1:{self.port}{base_url}"
        wait_until("jupyter server answers", self._answers, timeout=60)

    def _answers(self):
        if self.process.poll() is not None:
            raise AssertionError(f"jupyter server exited:\n{self.output}")
        try:
            return requests.get(f"{self.url}api/status", headers={"Authorization": f"token {self.token}"}, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, timeout=20):
        status = super().stop(timeout)
        shutil.rmtree(self.home, ignore_errors=True)
        return status


def results(completed):
    """The JSON lines a client script printed (other lines, such as a client's own messages,
    skipped); the script must have succeeded."""
    assert completed.returncode == 0, completed.stderr
    return [json.loads(line) for line in completed.stdout.splitlines() if line.startswith(("{", "["))]


def attempt(expression):
    """A client call as a line of a script: `{"ok": result}` (bytes as text), or
    `{"error": message}` when the client raised its ValueError."""
    return f"""
try:
    value = {expression}
    print(json.dumps({{"ok": value.decode() if isinstance(value, bytes) else value}}))
except ValueError as error:
    print(json.dumps({{"error": str(error)}}))
"""
