"""`make up` as a newcomer meets it: in a terminal, with every capability of the platform on
local parts (S3 on moto, JupyterLab, staging, rexec, kbatch, pods on kube-sim, the catalog on
SQLite); every endpoint-calling method of the real `ndp-ep` 0.9.0 client, the printed snippets,
the rexec and kbatch demos and `ckanapi` work against it; Ctrl-C stops everything and make
exits 0; what was stored is there again after a restart."""
import inspect
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from ndp_ep import APIClient

from conftest import port_is_closed
from rexec_harness import ROOT, wait_until

DEMO = {"Authorization": "Bearer demo-token"}
SERVICE_PORTS = ("IDP_PORT", "KUBE_SIM_PORT", "BROKER_HTTP_PORT", "DEPLOY_API_PORT", "EP_PORT", "PODS_PORT")
BIN = Path(sys.executable).parent
# Client methods that do not call the endpoint: login (the constructor calls it), and the
# Pelican helpers that read a federation directly (pelicanfs) or subscribe to its events.
NOT_ENDPOINT_CALLS = {"get_token", "pelican_read", "pelican_list", "pelican_fetch", "subscribe_pelican"}
# The EP has no Pelican routes yet (the Pelican issue): these answer 404 until it lands.
PELICAN = {"list_federations", "browse_pelican", "get_pelican_info", "download_pelican", "import_pelican_metadata"}


def endpoint_methods() -> set[str]:
    return {name for name, _ in inspect.getmembers(APIClient, inspect.isfunction) if not name.startswith("_")} - NOT_ENDPOINT_CALLS


class Recorded:
    """A client whose method calls are noted, to prove that the scenario called every one."""

    def __init__(self, client: APIClient):
        self.client = client
        self.called: set[str] = set()

    def __getattr__(self, name):
        method = getattr(self.client, name)

        def call(*arguments, **keywords):
            self.called.add(name)
            return method(*arguments, **keywords)
        return call


def printed_block(stack, heading: str, last: str) -> str:
    """A copy-paste block the stack printed: the lines after `heading`, up to `last`."""
    start = next(i for i, line in enumerate(stack.lines) if line.startswith(heading))
    block = []
    for line in stack.lines[start + 1:]:
        if line.startswith("["):
            continue
        block.append(line)
        if line.startswith(last):
            return "\n".join(block)
    raise AssertionError(f"no {last!r} after {heading!r}:\n{stack.output}")


def printed_command(stack, contains: str) -> str:
    return next(line for line in stack.lines if contains in line).removeprefix("[stack]").strip()


def run_python(source: str, timeout: float = 120) -> str:
    ran = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=timeout)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def capability_lines(stack) -> dict[str, str]:
    start = stack.lines.index("[stack] ready. What runs:")
    lines = {}
    for line in stack.lines[start + 1:]:
        if not line.startswith("[stack]   "):
            break
        name, state = line[len("[stack]   "):len("[stack]   ") + 16].strip(), line[len("[stack]   ") + 17:]
        lines[name] = state
    return lines


def test_a_newcomer_uses_every_capability_then_ctrl_c_stops_it_all(stack_factory, tmp_path):
    stack = stack_factory(terminal=True)
    stack.wait_for_line("[stack] Ctrl-C stops everything.", timeout=180)
    ep = stack.url("EP_PORT", "/ep")

    capabilities = capability_lines(stack)
    assert capabilities["console"].startswith(f"on   {ep}/ui/")
    assert "NDP EndPoint" in requests.get(f"{ep}/ui/", timeout=10).text
    for name in ("mcp", "catalog", "storage (S3)", "jupyter", "staging", "rexec", "batch jobs", "pods", "access requests"):
        assert capabilities[name].startswith("on "), (name, capabilities)
    assert capabilities["staging"].endswith("jupyter_copy")
    assert capabilities["kafka"].startswith("off  no Kafka broker installs here")
    assert capabilities["pelican"].startswith("off ")
    for name in SERVICE_PORTS:
        assert requests.get(stack.url(name, "/readyz"), timeout=10).status_code == 200, name

    every_client_method_against_the_stack(stack, ep)
    printed_snippets_work(stack, ep, tmp_path)
    pods_on_kube_sim(stack)

    # Log lines carry their service's prefix; tokens never appear.
    logs = "\n".join(line for line in stack.lines if line.startswith("[") and not line.startswith("[stack]"))
    assert "[ndp-ep-api] " in logs and "[s3] " in logs and "[jupyter] " in logs
    assert "demo-token" not in logs and "dev-jupyter-token" not in logs

    assert stack.interrupt() == 0, stack.output[-3000:]
    assert "[stack] stopped" in stack.output and "Error" not in stack.lines[-1]
    assert stack.left_running() == []
    for name in stack.ports:
        if name not in ("BROKER_CONTROL_PORT",):
            assert port_is_closed(stack.ports[name]), f"{name} still open after Ctrl-C"

    # Started again on the same state folder: the bucket, the catalog and the Jupyter files are back.
    again = stack_factory(STACK_STATE_DIR=stack.state_dir)
    again.wait_for_line("[stack] Ctrl-C stops everything.", timeout=180)
    assert "restored 1 bucket(s), 1 object(s)" in again.output, again.output
    client = APIClient(base_url=again.url("EP_PORT", "/ep"), token="demo-token")
    assert client.download_object("demo-bucket", "notes/hello.txt") == b"kept across restarts"
    assert [d["name"] for d in client.search_datasets(["buoys"], server="local")] == ["sea-surface"]
    staged = requests.get(again.url("JUPYTER_PORT", "/api/contents/staged/hello.txt"), params={"content": 1},
                          headers={"Authorization": "token dev-jupyter-token"}, timeout=10)
    assert staged.status_code == 200 and staged.json()["content"] == "staged from the source storage\n"
    assert again.interrupt() == 0
    assert again.left_running() == []


def every_client_method_against_the_stack(stack, ep):
    """Every endpoint-calling method of ndp-ep 0.9.0, in one scenario that creates, reads,
    updates and deletes, signed in as the newcomer would (username and password)."""
    client = Recorded(APIClient(base_url=ep, username="demo@example.org", password="demo-password"))
    suffix = uuid.uuid4().hex[:6]
    org = f"newcomer-{suffix}"

    # Status and identity.
    status = client.get_system_status()
    assert status["s3_enabled"] is True and status["s3_connected"] is True and status["jupyterlab_enabled"] is True
    assert status["jupyterlab_url"] == stack.url("JUPYTER_PORT", "/lab")
    assert "cpu" in json.dumps(client.get_system_metrics())
    jupyter = client.get_jupyter_details()
    assert jupyter == {"jupyter_url": stack.url("JUPYTER_PORT", "/lab")}
    lab = requests.get(jupyter["jupyter_url"], params={"token": "dev-jupyter-token"}, timeout=30)
    assert lab.status_code == 200 and "JupyterLab" in lab.text
    assert client.get_kafka_details()["kafka_connection"] is False
    assert client.get_user_info()["username"] == "demo@example.org"

    # Organizations and every kind of registration, updated and patched.
    assert org not in client.list_organizations(server="local") and org not in client.list_organizations()
    assert client.register_organization({"name": org, "title": "Newcomer Lab"})["message"] == "Organization created successfully"
    assert client.list_organizations(name=org, server="local") == [org]
    general = client.register_general_dataset({
        "name": f"{org}-rain", "title": "Rain", "owner_org": org, "notes": "rain gauges of the newcomer",
        "resources": [{"url": "https://example.org/rain.csv", "name": "rain", "format": "CSV"},
                      {"url": "https://example.org/rain.nc", "name": "rain-nc", "format": "NetCDF"}]})
    assert client.update_general_dataset(general["id"], {"notes": "rain gauges, checked"})["message"].endswith("updated successfully")
    assert client.patch_general_dataset(f"{org}-rain", {"extras": {"season": "wet"}})["message"].endswith("updated successfully")
    kafka = client.register_kafka_topic({"dataset_name": f"{org}-wind", "dataset_title": "Wind", "owner_org": org,
                                         "kafka_topic": "wind", "kafka_host": "kafka.example.org", "kafka_port": 9092})
    assert kafka["id"]
    assert client.update_kafka_topic(f"{org}-wind", {"kafka_topic": "gusts"}) == {"message": "Kafka dataset updated successfully"}
    url = client.register_url({"resource_name": f"{org}-tides", "resource_title": "Tides", "owner_org": org,
                               "resource_url": "https://example.org/tides.csv", "file_type": "CSV"})
    assert url["id"]
    assert client.update_url_resource(f"{org}-tides", {"file_type": "TSV"}) == {"message": "Resource updated successfully"}
    s3_link = client.register_s3_link({"resource_name": f"{org}-raw", "resource_title": "Raw", "owner_org": org,
                                       "resource_s3": "s3://demo-bucket/raw/"})
    assert s3_link["id"]
    assert client.update_s3_resource(f"{org}-raw", {"resource_title": "Raw data"}) == {"message": "S3 resource updated successfully"}
    assert client.patch_s3_resource(f"{org}-raw", {"resource_s3": "s3://demo-bucket/raw-2/"}) == {"message": "S3 resource updated successfully"}
    service = client.register_service({"service_name": f"{org}-tiles", "service_title": "Tiles", "owner_org": "services",
                                       "service_url": f"https://{org}.example.org", "service_type": "API"})
    assert service["id"]
    assert client.update_service(f"{org}-tiles", {"service_title": "Map tiles"}) == {"message": "Service updated successfully"}
    assert client.patch_service(f"{org}-tiles", {"service_description": "tiles"}) == {"message": "Service updated successfully"}

    # Search and resources.
    found = client.search_datasets([org], server="local")
    assert {d["name"] for d in found} == {f"{org}-rain", f"{org}-wind", f"{org}-tides", f"{org}-raw", f"{org}-tiles"}
    # keys as the client takes them: None for "any field" (sent as the text null).
    assert [d["name"] for d in client.search_datasets([org, "gauges"], keys=[None, "notes"], server="local")] == [f"{org}-rain"]
    assert [d["name"] for d in client.advanced_search({"search_term": "gauges", "owner_org": org, "server": "local"})] == [f"{org}-rain"]
    [rain] = [d for d in found if d["name"] == f"{org}-rain"]
    assert rain["notes"] == "rain gauges, checked" and rain["extras"]["season"] == "wet"
    csv, netcdf = [r["id"] for r in rain["resources"]]
    assert client.get_resource(csv)["format"] == "CSV"
    assert client.patch_resource(csv, description="hourly")["description"] == "hourly"
    assert client.patch_dataset_resource(general["id"], netcdf, {"format": "NetCDF4"})["format"] == "NetCDF4"
    assert client.search_resources(format="netcdf4")["count"] >= 1
    assert client.search_resources(q="example.org/rain", name="rain", url="rain", format="csv", description="hourly", limit=5,
                                   offset=0)["count"] == 1
    assert "deleted successfully" in str(client.delete_dataset_resource(general["id"], netcdf))
    assert "deleted successfully" in str(client.delete_resource(csv))
    assert client.delete_resource_by_id(url["id"]) == {"message": f"{url['id']} deleted successfully"}
    assert client.delete_resource_by_name(f"{org}-wind") == {"message": f"{org}-wind deleted successfully"}

    # Storage on the stack's S3 server, through the endpoint; presigned URLs reach it directly.
    assert client.create_bucket("newcomer-bucket", region="us-east-1") == {"message": "Bucket 'newcomer-bucket' created successfully", "success": True}
    assert "newcomer-bucket" in [b["name"] for b in client.list_buckets()["buckets"]]
    assert client.get_bucket_info("newcomer-bucket")["name"] == "newcomer-bucket"
    client.upload_object("newcomer-bucket", "runs/a.csv", b"x,y\n1,2\n", content_type="text/csv")
    client.upload_object("newcomer-bucket", "notes.txt", io.BytesIO(b"a file object, no content type"))
    assert [o["key"] for o in client.list_objects("newcomer-bucket", prefix="runs/")["objects"]] == ["runs/a.csv"]
    assert client.download_object("newcomer-bucket", "notes.txt") == b"a file object, no content type"
    assert client.get_object_metadata("newcomer-bucket", "runs/a.csv")["content_type"] == "text/csv"
    assert client.download_object("newcomer-bucket", "runs/a.csv") == b"x,y\n1,2\n"
    upload = client.generate_presigned_upload_url("newcomer-bucket", "runs/b.bin", expiration=300)
    assert requests.put(upload["url"], data=b"presigned", timeout=30).status_code == 200
    download = client.generate_presigned_download_url("newcomer-bucket", "runs/b.bin")
    assert requests.get(download["url"], timeout=30).content == b"presigned"
    s3 = boto3.client("s3", endpoint_url=stack.url("S3_PORT", ""), region_name="us-east-1",
                      aws_access_key_id="any", aws_secret_access_key="any")
    assert s3.get_object(Bucket="newcomer-bucket", Key="runs/a.csv")["ContentType"] == "text/csv"
    for key in ("runs/a.csv", "runs/b.bin", "notes.txt"):
        client.delete_object("newcomer-bucket", key)
    client.delete_bucket("newcomer-bucket")
    assert "newcomer-bucket" not in [b["name"] for b in client.list_buckets()["buckets"]]

    # Pelican: no routes yet; each method reaches the endpoint and gets its 404.
    for call in (lambda: client.list_federations(), lambda: client.browse_pelican("/ospool/data"),
                 lambda: client.get_pelican_info("/ospool/data/a.txt"), lambda: client.download_pelican("/ospool/data/a.txt"),
                 lambda: client.import_pelican_metadata("pelican://osg-htc.org/ospool/data/a.txt", general["id"])):
        with pytest.raises(Exception, match="(?i)not found"):
            call()

    # The organization goes last, with what is left in it.
    assert client.delete_organization(org) == {"message": "Organization deleted successfully"}
    assert org not in client.list_organizations(server="local")

    # rexec: the README's demo, as printed (it calls setup_ and terminate_rexec_environment).
    demo = printed_block(stack, "[stack] Python (pip install ndp-ep==0.9.0 scidx-rexec==0.1.0)", "print(client.terminate_rexec_environment())")
    output = run_python(demo, timeout=600).splitlines()
    assert any(line.startswith("running on") for line in output) and "45" in output, output
    assert "terminated" in output[-1], output
    for name in ("setup_rexec_environment", "terminate_rexec_environment"):
        assert f"client.{name}(" in demo
        client.called.add(name)

    left = endpoint_methods() - client.called
    assert left == set(), f"client methods the scenario did not call: {sorted(left)}"
    assert len(endpoint_methods()) == 49 and PELICAN <= endpoint_methods()


def printed_snippets_work(stack, ep, tmp_path):
    # README's demo, at the stack's moved port.
    readme = (ROOT / "README.md").read_text()
    demo = readme[readme.index("```python", readme.index("sign in as the demo user")) + len("```python"):]
    demo = demo[:demo.index("```")].replace("http://127.0.0.1:8003/ep", ep)
    assert run_python(demo).splitlines()[-2:] == ["['sea-surface']", "b'kept across restarts'"]
    # The catalog snippet registers a dataset and finds it.
    catalog = printed_block(stack, "[stack] The catalog", "print([d")
    assert run_python(catalog).splitlines()[-1] == "['sea-surface']"
    # The storage snippet keeps an object in the stack's S3 server.
    storage = printed_block(stack, "[stack] Storage", "print(client.download_object")
    assert run_python(storage).splitlines()[-2:] == ["['notes/hello.txt']", "b'kept across restarts'"]

    # The staging lines: into the demo user's area, and into JupyterLab.
    for method, check in (("local_copy", lambda: Path(stack.state_dir, "staging/users/demo@example.org/hello.txt").read_text()),
                          ("jupyter_copy", lambda: Path(stack.state_dir, "jupyter/work/staged/hello.txt").read_text())):
        ran = subprocess.run(["bash", "-c", printed_command(stack, f"stage-data/?method={method}") + " -sS"],
                             capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        answer = json.loads(ran.stdout)
        assert answer["status"] == "success", answer
        job = requests.get(f"{ep}/stage-data/jobs/{answer['job_id']}", headers=DEMO, timeout=10).json()
        assert job["status"] == "succeeded" and check() == "staged from the source storage\n"

    # The kbatch demo, as printed, from a folder with a run.py; the job really runs.
    home, code = tmp_path / "home", tmp_path / "code"
    code.mkdir()
    (code / "run.py").write_text("print('hello from a batch job')\n")
    env = {"PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    start = next(i for i, line in enumerate(stack.lines) if line.startswith("[stack] kbatch"))
    for command in stack.lines[start + 1:start + 4]:
        ran = subprocess.run(["bash", "-c", command], cwd=code, env=env, capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, (command, ran.stderr)

    def kbatch_json(*arguments):
        ran = subprocess.run([BIN / "kbatch", *arguments, "-o", "json"], env=env, capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        return json.loads(ran.stdout[ran.stdout.index("{"):])

    [job] = [j["metadata"]["name"] for j in kbatch_json("job", "list")["items"] if j["metadata"]["name"].startswith("hello-")]

    def job_pod():
        pods = kbatch_json("pod", "list", "--job-name", job)["items"]
        return pods[0]["metadata"]["name"] if pods and pods[0]["status"]["phase"] == "Succeeded" else None
    pod = wait_until("the kbatch job's pod succeeded", job_pod, timeout=120)
    logs = subprocess.run([BIN / "kbatch", "pod", "logs", pod], env=env, capture_output=True, text=True, timeout=60)
    assert "hello from a batch job" in logs.stdout, logs

    # ckanapi, the CKAN command line, reads the catalog through the endpoint's action API.
    ran = subprocess.run([BIN / "ckanapi", "action", "package_show", "id=sea-surface", "-r", ep], capture_output=True, text=True,
                         timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["title"] == "Sea surface temperature"


def pods_on_kube_sim(stack):
    """The pods backend runs the demo user's pods on kube-sim from the served manifests."""
    manifest = stack.url("MANIFESTS_PORT", "/ubuntu.yaml")
    created = requests.post(stack.url("PODS_PORT", "/create_pod"), headers=DEMO, timeout=30,
                            json={"user_id": "demo@example.org", "yaml_url": manifest, "settings": {"ubuntu-jammy": {"SSH_PUBLIC_KEY": "ssh-ed25519 AAAA demo"}}})
    assert created.status_code == 200, created.text
    pod = created.json()["pod_name"]
    ready = requests.post(stack.url("PODS_PORT", "/watch_create_pod"), headers=DEMO, timeout=120,
                          json={"user_id": "demo@example.org", "pod_name": pod})
    assert ready.json() == {"ready": True}
    pods = requests.post(stack.url("PODS_PORT", "/get_pods"), headers=DEMO, timeout=30, json={"user_id": "demo@example.org"}).json()
    assert [p["pod_name"] for p in pods] == [pod]
    assert pods[0]["status"].startswith("Running:") and pods[0]["ssh_url"].startswith("ssh://root@pods.localhost:")
    # Another user's token cannot act for the demo user.
    assert requests.post(stack.url("PODS_PORT", "/get_pods"), headers={"Authorization": "Bearer viewer-token"}, timeout=30,
                         json={"user_id": "demo@example.org"}).status_code == 403
    assert requests.post(stack.url("PODS_PORT", "/delete_pod"), headers=DEMO, timeout=30,
                         json={"user_id": "demo@example.org", "pod_name": pod}).json() == {"requested": True}
    # Access requests: someone outside the group may ask to be let in.
    asked = requests.post(stack.url("EP_PORT", "/ep/user/access-requests"), headers={"Authorization": "Bearer outsider-token"},
                          json={"justification": "trying the platform"}, timeout=10)
    assert asked.status_code == 201, asked.text


def test_each_local_part_can_be_turned_off(stack_factory):
    stack = stack_factory(STACK_S3="off", STACK_JUPYTER="off")
    stack.wait_for_line("[stack] Ctrl-C stops everything.", timeout=180)
    capabilities = capability_lines(stack)
    assert capabilities["storage (S3)"].startswith("off  STACK_S3=off")
    assert capabilities["jupyter"].startswith("off  STACK_JUPYTER=off")
    assert not capabilities["staging"].endswith("jupyter_copy")
    assert "[stack] Storage" not in stack.output and "method=jupyter_copy" not in stack.output
    ep = stack.url("EP_PORT", "/ep")
    assert requests.get(f"{ep}/status/jupyter", headers=DEMO, timeout=10).status_code == 404
    status = requests.get(f"{ep}/status/", headers=DEMO, timeout=10).json()
    assert status["s3_enabled"] is False and status["jupyterlab_enabled"] is False
    assert port_is_closed(stack.ports["S3_PORT"]) and port_is_closed(stack.ports["JUPYTER_PORT"])
    assert stack.interrupt() == 0
    assert stack.left_running() == []


def test_a_misspelt_switch_is_refused_before_anything_starts(stack_factory):
    stack = stack_factory(STACK_S3="maybe")
    assert stack.process.wait(timeout=60) == 2
    assert "run-stack: STACK_S3 is on or off, not 'maybe'" in stack.output
    assert stack.left_running() == []


def test_a_service_that_cannot_start_stops_the_launcher(stack_factory):
    import socket
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        stack = stack_factory(PODS_PORT=str(blocker.getsockname()[1]))
        assert stack.process.wait(timeout=120) == 1
        assert "[stack] user-pods-backend exited during start-up" in stack.output
        assert stack.left_running() == []
        for name in ("IDP_PORT", "KUBE_SIM_PORT", "BROKER_HTTP_PORT", "DEPLOY_API_PORT", "EP_PORT", "S3_PORT", "JUPYTER_PORT"):
            assert port_is_closed(stack.ports[name]), f"{name} left running"
    finally:
        blocker.close()
