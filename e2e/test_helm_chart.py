"""The umbrella chart helm/rexec-stack, rendered by tools/helm-render (Go text/template with
sprig and Helm's functions; a real `helm` is used beside it when on PATH), checked the way an
operator's cluster would: every object against the Kubernetes 1.30 schemas
(kubernetes-validate, strict), the upstream names, ports and paths for the sysadmin guide's
values, least privilege, each subchart switched off in turn, and `kubectl apply` to kube-sim.
Also: the Dockerfiles (statically; no Docker engine here) and the README's values table."""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from rexec_harness import BIN, ROOT, Process

CHART = ROOT / "helm/rexec-stack"
SEED = ROOT / "e2e/data/seed-values.yaml"
SUBCHARTS = ("rexec-broker", "rexec-server-deployment-api", "ndp-ep-api", "user-pods-backend")
KUBERNETES_VERSION = "1.30.0"


@pytest.fixture(scope="module")
def renderer():
    """tools/helm-render, built with Debian's Go and sprig (GOPATH mode, no network; see its go.mod).

    The tool imports sprig by its module path (`…/sprig/v3`); a one-link GOPATH entry maps
    that path onto Debian's sources, which live under the path without `/v3`."""
    out = ROOT / ".build-tools/helm-render"
    out.parent.mkdir(exist_ok=True)
    overlay = ROOT / ".build-tools/gopath"
    link = overlay / "src/github.com/Masterminds/sprig/v3"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/usr/share/gocode/src/github.com/Masterminds/sprig")
    env = dict(os.environ, GO111MODULE="off", GOPATH=f"{overlay}:/usr/share/gocode", GOTOOLCHAIN="local",
               GOCACHE=str(ROOT / ".build-tools/gocache"), GOFLAGS="")
    result = subprocess.run(["go", "build", "-o", str(out), "."], cwd=ROOT / "tools/helm-render", env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return out


def render(renderer, *values_files, sets=(), namespace="rexec", notes=False, expect_failure=False):
    args = [str(renderer), "--name", "rexec", "--namespace", namespace]
    for path in values_files:
        args += ["-f", str(path)]
    for item in sets:
        args += ["--set-string", item]
    if notes:
        args.append("--notes")
    result = subprocess.run(args + [str(CHART)], capture_output=True, text=True)
    if expect_failure:
        assert result.returncode != 0
        return result.stderr
    assert result.returncode == 0, result.stderr
    if notes:
        return result.stdout
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(docs, kind):
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def validate(docs):
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for index, doc in enumerate(docs):
            path = Path(scratch) / f"{index:03d}-{doc['kind']}.json"
            path.write_text(json.dumps(doc))
            paths.append(str(path))
        result = subprocess.run([str(ROOT / ".venv/bin/kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, *paths],
                                capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def env_of(deployment):
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {entry["name"]: entry.get("value") for entry in container.get("env", [])}


def test_defaults_render_valid_objects_with_upstream_names(renderer):
    docs = render(renderer)
    validate(docs)
    assert set(by_kind(docs, "Deployment")) == {"rexec-broker", "rexec-deployment-api", "rexec-ndp-ep-api"}
    services = by_kind(docs, "Service")
    assert {"rexec-broker-external-ip", "rexec-broker-internal-ip", "rexec-deployment-api", "ndp-ep-api-service"} <= set(services)
    external = services["rexec-broker-external-ip"]["spec"]
    assert external["type"] == "NodePort"
    # The control port stays inside the pod unless asked for (upstream exposed it, unauthenticated).
    assert [(p["name"], p["port"], p["nodePort"]) for p in external["ports"]] == [("client-port", 5559, 30001)]
    assert [(p["name"], p["port"]) for p in services["rexec-broker-internal-ip"]["spec"]["ports"]] == [("server-port", 5560)]
    assert [p["port"] for p in services["rexec-deployment-api"]["spec"]["ports"]] == [8000]
    assert [p["port"] for p in services["ndp-ep-api-service"]["spec"]["ports"]] == [8003]
    broker = by_kind(docs, "Deployment")["rexec-broker"]
    assert "--control-bind=0.0.0.0" not in broker["spec"]["template"]["spec"]["containers"][0]["args"]
    assert env_of(broker)["AUTH_API_URL"] == "https://idp-test.nationaldataplatform.org/temp/information"
    # The control secret is a generated Secret, mounted as a file, never a plain env value.
    assert "rexec-broker-control" in by_kind(docs, "Secret")
    assert "REXEC_BROKER_CONTROL_SECRET" not in env_of(broker)


def test_the_sysadmin_guides_values_install_unchanged(renderer):
    docs = render(renderer, SEED)
    validate(docs)
    deployments = by_kind(docs, "Deployment")
    deploy_env = env_of(deployments["rexec-deployment-api"])
    assert deploy_env["APP_ROOT_PATH"] == "/rexec"
    assert deploy_env["ENABLE_GROUP_BASED_ACCESS"] == "true"
    assert deploy_env["GROUP_NAMES"] == "/ndp_ep/ep-<your-endpoint-id>"
    assert deploy_env["REXEC_BROKER_SERVICE_NAME"] == "rexec-broker-internal-ip"
    assert deploy_env["REXEC_BROKER_NAMESPACE"] == "rexec"
    assert deploy_env["REXEC_USE_IN_CLUSTER_CONFIG"] == "true"
    ingresses = by_kind(docs, "Ingress")
    rexec_rule = ingresses["rexec-deployment-api"]["spec"]
    assert rexec_rule["ingressClassName"] == "nginx"
    assert rexec_rule["rules"][0]["host"] == "rexec.example.org"
    path = rexec_rule["rules"][0]["http"]["paths"][0]
    assert (path["path"], path["backend"]["service"]["name"], path["backend"]["service"]["port"]["number"]) == ("/rexec", "rexec-deployment-api", 8000)
    ep_rule = ingresses["ndp-ep-api-ingress"]["spec"]["rules"][0]
    assert ep_rule["host"] == "rexec.example.org"
    assert (ep_rule["http"]["paths"][0]["path"], ep_rule["http"]["paths"][0]["backend"]["service"]["name"]) == ("/api", "ndp-ep-api-service")
    assert by_kind(docs, "ConfigMap")["root-path-cm"]["data"] == {"ROOT_PATH": "/api"}
    settings = by_kind(docs, "Secret")["ndp-ep-env-secret"]["stringData"]
    assert settings == {"ORGANIZATION": "My University", "EP_NAME": "My NDP Endpoint", "REXEC_CONNECTION": "true",
                        "REXEC_DEPLOYMENT_API_URL": "https://rexec.example.org/rexec"}
    ep = deployments["rexec-ndp-ep-api"]["spec"]["template"]["spec"]["containers"][0]
    assert {"secretRef": {"name": "ndp-ep-env-secret"}} in ep["envFrom"] and {"configMapRef": {"name": "root-path-cm"}} in ep["envFrom"]
    assert env_of(deployments["rexec-ndp-ep-api"])["REXEC_DEPLOYMENT_INTERNAL_URL"] == "http://rexec-deployment-api:8000/rexec"
    # controlNodePort is kept for when the operator exposes the port; it is not exposed here.
    assert [p["name"] for p in by_kind(docs, "Service")["rexec-broker-external-ip"]["spec"]["ports"]] == ["client-port"]
    notes = render(renderer, SEED, notes=True)
    assert "NodePort 30001" in notes and "https://rexec.example.org/rexec/docs" in notes and "https://rexec.example.org/api/docs" in notes


def test_every_upstream_value_key_is_accepted(renderer):
    docs = render(renderer, ROOT / "e2e/data/upstream-values.yaml")
    validate(docs)
    deployments = by_kind(docs, "Deployment")
    broker = deployments["rexec-broker"]["spec"]["template"]["spec"]
    assert broker["containers"][0]["image"] == "registry.example.org/rexec-broker:0.2.0"
    assert broker["containers"][0]["imagePullPolicy"] == "Always"
    assert broker["imagePullSecrets"] == [{"name": "regcred"}]
    assert broker["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert broker["containers"][0]["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}
    deploy = env_of(deployments["rexec-deployment-api"])
    # The chart's own env.enableGroupBasedAccess: false wins over the global true, as upstream.
    assert deploy["ENABLE_GROUP_BASED_ACCESS"] == "false"
    assert deploy["GROUP_NAMES"] == "/ndp_ep/ep-1234"
    assert deploy["REXEC_BROKER_EXTERNAL_HOST"] == "rexec.example.org"
    assert deploy["AUTH_API_URL"] == "https://idp.example.org/temp/information"
    ingress = by_kind(docs, "Ingress")["rexec-deployment-api"]
    assert ingress["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/proxy-read-timeout": "600"}
    assert ingress["spec"]["tls"] == [{"secretName": "rexec-tls", "hosts": ["rexec.example.org"]}]


def test_exposing_the_control_port_is_explicit(renderer):
    docs = render(renderer, SEED, sets=["rexec-broker.service.external.exposeControl=true"])
    validate(docs)
    ports = by_kind(docs, "Service")["rexec-broker-external-ip"]["spec"]["ports"]
    assert [(p["name"], p["port"], p["nodePort"]) for p in ports] == [("client-port", 5559, 30001), ("control-port", 5561, 30002)]
    assert "--control-bind=0.0.0.0" in by_kind(docs, "Deployment")["rexec-broker"]["spec"]["template"]["spec"]["containers"][0]["args"]


@pytest.mark.parametrize("disabled", SUBCHARTS)
def test_each_subchart_can_be_switched_off(renderer, disabled):
    sets = ["user-pods-backend.enabled=true", f"{disabled}.enabled=false"]
    docs = render(renderer, SEED, sets=sets)
    validate(docs)
    components = {doc["metadata"]["labels"]["app.kubernetes.io/name"] for doc in docs}
    expected = {"rexec-broker": "rexec-broker", "rexec-server-deployment-api": "rexec-deploy-api", "ndp-ep-api": "ndp-ep-api",
                "user-pods-backend": "user-pods-backend"}
    # The access policy's ConfigMap is the umbrella's, shared by the services that remain.
    assert components == {name for chart, name in expected.items() if chart != disabled} | {"access-policy"}


def test_pods_are_least_privileged_and_probed(renderer):
    docs = render(renderer, SEED, sets=["user-pods-backend.enabled=true"])
    deployments = by_kind(docs, "Deployment")
    assert set(deployments) == {"rexec-broker", "rexec-deployment-api", "rexec-ndp-ep-api", "user-pods-backend"}
    # The broker reads server public keys from namespaces.
    talks_to_kubernetes = {"rexec-deployment-api", "user-pods-backend", "rexec-broker"}
    for name, deployment in deployments.items():
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] != 0, name
        assert spec["automountServiceAccountToken"] is (name in talks_to_kubernetes), name
        assert not any(spec.get(key) for key in ("hostNetwork", "hostPID", "hostIPC")), name
        assert not any("hostPath" in volume for volume in spec.get("volumes", [])), name
        container = spec["containers"][0]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"] == {"drop": ["ALL"]}, name
        assert container["resources"]["limits"]["cpu"] and container["resources"]["limits"]["memory"], name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert any(port["name"] == "http" for port in container["ports"]), name
    # Pods expire: the lifetimes reach the backend.
    assert {k: v for k, v in env_of(deployments["user-pods-backend"]).items() if k.startswith("POD_")} == {
        "POD_DEFAULT_LIFETIME": "7d", "POD_MAX_LIFETIME": "30d"}
    # Exactly the rights each service uses; nobody gets wildcards or Secrets cluster-wide.
    cluster_roles = by_kind(docs, "ClusterRole")
    def rules_of(role):
        return {(tuple(r["apiGroups"]), tuple(r["resources"]), tuple(r.get("resourceNames", ()))): set(r["verbs"]) for r in role["rules"]}
    assert rules_of(cluster_roles["rexec-rexec-deployment-api"]) == {
        (("",), ("namespaces",), ()): {"get", "list", "watch", "create", "delete", "patch"},
        (("",), ("secrets",), ()): {"create", "patch"},
        (("",), ("configmaps",), ()): {"get", "list", "create", "update", "delete"},
        (("apps",), ("deployments",), ()): {"get", "list", "create", "update"},
        (("networking.k8s.io",), ("networkpolicies",), ()): {"get", "create", "update"},
        (("",), ("resourcequotas",), ()): {"get", "create", "update"},
        (("",), ("pods",), ()): {"get", "list"},
        (("",), ("nodes",), ()): {"list"},
        # kbatch (on by default): only binding its namespace role, in the namespaces it makes.
        (("rbac.authorization.k8s.io",), ("rolebindings",), ()): {"create"},
        (("rbac.authorization.k8s.io",), ("clusterroles",), ("rexec-kbatch-namespace",)): {"bind"},
    }
    # What a RoleBinding grants in each user's kbatch namespace (the same list as
    # Tests/DeployAPITests/KbatchKubernetesTests.swift's namespaceRoleRules): jobs, the env
    # Secrets they own (written, never read), their pods and logs, the guard rails.
    assert rules_of(cluster_roles["rexec-kbatch-namespace"]) == {
        (("batch",), ("jobs", "cronjobs"), ()): {"get", "list", "create", "delete"},
        (("",), ("secrets",), ()): {"create", "patch", "delete"},
        (("",), ("configmaps",), ()): {"create", "patch", "delete"},
        (("",), ("pods",), ()): {"get", "list"},
        (("",), ("pods/log",), ()): {"get"},
        (("",), ("limitranges", "resourcequotas"), ()): {"create"},
        (("networking.k8s.io",), ("networkpolicies",), ()): {"create"},
    }
    assert "rexec-kbatch-namespace" not in {binding["roleRef"]["name"] for binding in by_kind(docs, "ClusterRoleBinding").values()}
    # The broker: namespaces read, nothing else; its CURVE key from a Secret, mounted read-only.
    assert rules_of(cluster_roles["rexec-rexec-broker-server-keys"]) == {(("",), ("namespaces",), ()): {"get", "list", "watch"}}
    broker_env = env_of(deployments["rexec-broker"])
    assert broker_env["REXEC_BROKER_SERVER_KEYS_KUBERNETES"] == "true"
    assert broker_env["REXEC_BROKER_CURVE_KEY_FILE"] == "/etc/rexec-broker-curve/curve.key"
    assert "REXEC_BROKER_ALLOW_UNAUTHENTICATED_SERVERS" not in broker_env
    assert deployments["rexec-broker"]["spec"]["template"]["spec"]["serviceAccountName"] == "rexec-broker"
    curve = base64.b64decode(by_kind(docs, "Secret")["rexec-broker-curve"]["data"]["curve.key"]).decode()
    assert re.fullmatch(r"[A-Za-z0-9]{40}", curve)
    deploy_env = env_of(deployments["rexec-deployment-api"])
    assert deploy_env["KBATCH_NAMESPACE_ROLE"] == "rexec-kbatch-namespace"
    assert deploy_env["KBATCH_SERVICE_ACCOUNT"] == "rexec/" + deployments["rexec-deployment-api"]["spec"]["template"]["spec"]["serviceAccountName"]
    assert cluster_roles["rexec-user-pods-backend-volumes"]["rules"] == [
        {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["get", "list", "watch", "create", "delete"]}]
    pods_role = by_kind(docs, "Role")["user-pods-backend"]["rules"]
    assert {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get", "create"]} in pods_role
    for role in list(cluster_roles.values()) + list(by_kind(docs, "Role").values()):
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"], role["metadata"]["name"]
    # Nobody reads Secrets cluster-wide (kbatch's deploy API writes its jobs' env Secrets only).
    for role in cluster_roles.values():
        for rule in role["rules"]:
            if "secrets" in rule["resources"]:
                assert {"get", "list", "watch"}.isdisjoint(rule["verbs"]), role["metadata"]["name"]
    # Secrets come from Secret objects: no value in any env looks like one.
    for deployment in deployments.values():
        assert not [name for name in env_of(deployment) if "SECRET" in name and not name.endswith("FILE")]
    assert {"PodDisruptionBudget", "NetworkPolicy"} <= {doc["kind"] for doc in docs}


def test_unauthenticated_servers_are_an_explicit_opt_in_with_their_own_port(renderer):
    docs = render(renderer, SEED, sets=["rexec-broker.allowUnauthenticatedServers=true"])
    broker = by_kind(docs, "Deployment")["rexec-broker"]
    env = env_of(broker)
    assert env["REXEC_BROKER_ALLOW_UNAUTHENTICATED_SERVERS"] == "true" and env["REXEC_BROKER_UNAUTHENTICATED_SERVER_PORT"] == "5562"
    internal = by_kind(docs, "Service")["rexec-broker-internal-ip"]
    assert {port["port"] for port in internal["spec"]["ports"]} == {5560, 5562}
    policy = by_kind(docs, "NetworkPolicy")["rexec-broker"]
    assert {5560, 5562} <= {port["port"] for rule in policy["spec"]["ingress"] for port in rule.get("ports", [])}


def test_required_values_fail_with_a_clear_message(renderer):
    message = render(renderer, sets=["global.authApiUrl="], expect_failure=True)
    assert "global.authApiUrl" in message


def test_helm_itself_renders_the_same_objects_when_installed(renderer, tmp_path):
    helm = shutil.which("helm")
    if helm is None:
        pytest.skip("helm is not on PATH; tools/helm-render is the renderer")
    ours = render(renderer, SEED)
    result = subprocess.run([helm, "template", "rexec", str(CHART), "-n", "rexec", "-f", str(SEED)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    theirs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    def comparable(docs):
        out = {}
        for doc in docs:
            doc = json.loads(json.dumps(doc))
            doc.get("data", {}).pop("control-secret", None)
            doc.get("data", {}).pop("siloSecret", None)
            doc.get("data", {}).pop("adminSecret", None)
            doc.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations", {}).pop("checksum/secret", None)
            out[(doc["kind"], doc["metadata"]["name"])] = doc
        return out
    assert comparable(ours) == comparable(theirs)


def test_the_rendered_chart_applies_to_kube_sim(renderer, tmp_path):
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not installed (scripts/install-deps.sh installs Debian's kubernetes-client)")
    docs = render(renderer, SEED, sets=["user-pods-backend.enabled=true"])
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(yaml.safe_dump_all(docs))
    sim = Process([BIN / "kube-sim", "--host", "127.0.0.1", "--port", "0", "--namespace", "rexec"])
    try:
        port = sim.wait_for(r"listening on http://[^:]+:(\d+)").group(1)
        kubectl = ["kubectl", "--server", f"http://127.0.0.1:{port}", "--insecure-skip-tls-verify", "-n", "rexec"]
        applied = subprocess.run(kubectl + ["apply", "-f", str(manifest)], capture_output=True, text=True, timeout=120)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        for doc in docs:
            namespaced = doc["kind"] not in ("ClusterRole", "ClusterRoleBinding")
            args = kubectl + ["get", doc["kind"].lower(), doc["metadata"]["name"], "-o", "json"]
            if not namespaced:
                args = [a for a in args if a not in ("-n", "rexec")]
            got = subprocess.run(args, capture_output=True, text=True, timeout=60)
            assert got.returncode == 0, f"{doc['kind']}/{doc['metadata']['name']}: {got.stderr}"
            assert json.loads(got.stdout)["metadata"]["labels"]["app.kubernetes.io/part-of"] == "rexec-stack"
        again = subprocess.run(kubectl + ["apply", "-f", str(manifest)], capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
    finally:
        sim.stop()


DOCKERFILES = {
    "rexec-broker": "rexec-broker", "rexec-deploy-api": "rexec-deploy-api", "ndp-ep-api": "ndp-ep-api",
    "user-pods-backend": "user-pods-backend",
}


@pytest.mark.parametrize("product", sorted(DOCKERFILES))
def test_dockerfiles_pin_their_bases_run_as_non_root_and_run_their_product(renderer, product):
    text = (ROOT / f"docker/{product}.Dockerfile").read_text()
    instructions = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    bases = [line.split()[1] for line in instructions if line.upper().startswith("FROM ")]
    assert len(bases) == 2, "multi-stage: a build stage and a runtime stage"
    for base in bases:
        name, _, tag = base.partition(":")
        assert tag and tag != "latest" and any(c.isdigit() for c in tag), f"{base} is not pinned to a version tag"
    runtime = instructions[max(i for i, line in enumerate(instructions) if line.upper().startswith("FROM ")):]
    user = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert user and user[-1].split(":")[0] not in ("0", "root"), "the runtime stage must switch to a non-root user"
    assert f"--product {product}" in text, "the build stage builds this product"
    assert any(line == f'ENTRYPOINT ["/usr/local/bin/{product}"]' for line in runtime)
    assert any(line.startswith("COPY --from=build") and line.endswith(f"/usr/local/bin/{product}") for line in runtime)
    # The Swift products of Package.swift are the images' binaries.
    package = (ROOT / "Package.swift").read_text()
    assert f'.executable(name: "{product}"' in package
    # Health: a HEALTHCHECK, or (these images) the chart's probes on the binary's deployment.
    if "HEALTHCHECK" not in text:
        docs = render(renderer, SEED, sets=["user-pods-backend.enabled=true"])
        images = {d["spec"]["template"]["spec"]["containers"][0]["image"].split("/")[-1].split(":")[0]: d for d in by_kind(docs, "Deployment").values()}
        container = images[product]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"] and container["readinessProbe"]


def test_the_rexec_server_image_bakes_in_its_pinned_dependencies():
    text = (ROOT / "docker/rexec-server.Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)", text, re.M).group(1)
    assert ":" in base and base.split(":")[1][0].isdigit()
    assert "pip install --no-cache-dir -r /opt/rexec-server/requirements.txt" in text
    assert re.search(r"^USER 1000", text, re.M)
    for line in (ROOT / "rexec-server/requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert "==" in line, f"{line} is not pinned"


def flatten(prefix, value, out):
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            flatten(f"{prefix}.{key}" if prefix else key, inner, out)
    else:
        out[prefix] = value


def test_the_readme_values_table_matches_the_values_files():
    expected = {}
    flatten("", yaml.safe_load((CHART / "values.yaml").read_text()), expected)
    for chart in SUBCHARTS:
        values = yaml.safe_load((CHART / f"charts/{chart}/values.yaml").read_text())
        values.pop("global", None)
        flatten(chart, values, expected)
    documented = {}
    for line in (CHART / "README.md").read_text().splitlines():
        match = re.match(r"^\| `([^`]+)` \| `(.*)` \| (.+) \|$", line)
        if match:
            documented[match.group(1)] = json.loads(match.group(2).replace("\\|", "|"))
    assert sorted(set(expected) - set(documented)) == [], "values without a README row"
    assert sorted(set(documented) - set(expected)) == [], "README rows for values that do not exist"
    wrong = {key: (documented[key], value) for key, value in expected.items() if documented[key] != value}
    assert wrong == {}, "README defaults differ from values.yaml"


def test_the_image_context_leaves_out_build_outputs_and_caches():
    """`COPY . .` sends the repository to the build: .dockerignore keeps out what is large,
    local or secret, and keeps in what the images build from."""
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    for excluded in (".build/", ".venv/", ".git/", ".swiftpm/", ".stack-state/", "/.env", "**/__pycache__/"):
        assert excluded in patterns, f"{excluded} reaches the image context"
    for needed in ("Package.swift", "Sources", "rexec-server"):
        assert not any(pattern.strip("/") == needed for pattern in patterns), f"{needed} is excluded but the images build from it"


def test_the_access_policy_is_one_configmap_mounted_by_the_three_services(renderer, tmp_path):
    everything = tmp_path / "all.yaml"
    everything.write_text("user-pods-backend:\n  enabled: true\n")
    docs = render(renderer, SEED, everything)
    validate(docs)
    policy = by_kind(docs, "ConfigMap")["rexec-access-policy"]
    # The default is the services' built-in policy, byte for byte.
    assert policy["data"]["policy.yaml"] == (ROOT / "config/policy.yaml").read_text()
    assert (CHART / "files/policy.yaml").read_text() == (ROOT / "config/policy.yaml").read_text()
    deployments = by_kind(docs, "Deployment")
    for name in ("rexec-deployment-api", "rexec-ndp-ep-api", "user-pods-backend"):
        pod = deployments[name]["spec"]["template"]["spec"]
        assert env_of(deployments[name])["POLICY_FILE"] == "/etc/rexec-stack/policy/policy.yaml", name
        volume = next(v for v in pod["volumes"] if v["name"] == "access-policy")
        assert volume["configMap"]["name"] == "rexec-access-policy"
        mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "access-policy")
        # A directory mount: the kubelet's symlink swap reaches the pod (a subPath never updates).
        assert mount == {"name": "access-policy", "mountPath": "/etc/rexec-stack/policy", "readOnly": True}, name
    assert "POLICY_FILE" not in env_of(deployments["rexec-broker"])

    custom = tmp_path / "policy-values.yaml"
    custom.write_text(yaml.safe_dump({"global": {"accessPolicy": "status:\n  public:\n    read: [Any.Any]\n"}}))
    docs = render(renderer, custom)
    assert by_kind(docs, "ConfigMap")["rexec-access-policy"]["data"]["policy.yaml"] == "status:\n  public:\n    read: [Any.Any]\n"


def test_the_catalog_lives_on_a_claim_with_one_replica_or_is_off(renderer):
    docs = render(renderer, SEED)
    validate(docs)
    gateway = by_kind(docs, "Deployment")["rexec-ndp-ep-api"]
    spec = gateway["spec"]
    # SQLite: one writer, so one replica, no autoscaler or disruption budget, Recreate updates.
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    assert "rexec-ndp-ep-api" not in by_kind(docs, "HorizontalPodAutoscaler") and "rexec-ndp-ep-api" not in by_kind(docs, "PodDisruptionBudget")
    claim = by_kind(docs, "PersistentVolumeClaim")["rexec-ndp-ep-api-catalog"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi" and claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    pod = spec["template"]["spec"]
    assert {"name": "catalog", "persistentVolumeClaim": {"claimName": "rexec-ndp-ep-api-catalog"}} in pod["volumes"]
    env = env_of(gateway)
    assert env["LOCAL_CATALOG_BACKEND"] == "sqlite" and env["CATALOG_SQLITE_PATH"] == "/var/lib/ndp-ep-api/catalog.sqlite"
    # The file is on the claim, not on the read-only root filesystem.
    assert {"name": "catalog", "mountPath": "/var/lib/ndp-ep-api"} in pod["containers"][0]["volumeMounts"]

    docs = render(renderer, SEED, sets=["ndp-ep-api.catalog.backend=none"])
    validate(docs)
    assert "PersistentVolumeClaim" not in {doc["kind"] for doc in docs}
    assert "rexec-ndp-ep-api" in by_kind(docs, "HorizontalPodAutoscaler")
    assert env_of(by_kind(docs, "Deployment")["rexec-ndp-ep-api"])["LOCAL_CATALOG_BACKEND"] == "none"

    docs = render(renderer, SEED, sets=["ndp-ep-api.catalog.persistence.existingClaim=my-claim"])
    assert "PersistentVolumeClaim" not in {doc["kind"] for doc in docs}
    volumes = by_kind(docs, "Deployment")["rexec-ndp-ep-api"]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "catalog", "persistentVolumeClaim": {"claimName": "my-claim"}} in volumes


def test_staging_mounts_its_claims_source_read_only_and_stays_non_root(renderer, tmp_path):
    values = tmp_path / "staging-values.yaml"
    values.write_text(yaml.safe_dump({"ndp-ep-api": {"staging": {
        "enabled": True, "source": {"existingClaim": "survey-data"}, "target": {"existingClaim": "user-areas"},
        "jupyterUrl": "https://hub.example.org/user/{username}/", "allowedMethods": ["local_copy", "jupyter_copy"]}}}))
    docs = render(renderer, SEED, values)
    validate(docs)
    gateway = by_kind(docs, "Deployment")["rexec-ndp-ep-api"]
    pod = gateway["spec"]["template"]["spec"]
    assert {"name": "staging-source", "persistentVolumeClaim": {"claimName": "survey-data", "readOnly": True}} in pod["volumes"]
    assert {"name": "staging-users", "persistentVolumeClaim": {"claimName": "user-areas"}} in pod["volumes"]
    mounts = pod["containers"][0]["volumeMounts"]
    assert {"name": "staging-source", "mountPath": "/data/source", "readOnly": True} in mounts
    assert {"name": "staging-users", "mountPath": "/data/users"} in mounts
    env = env_of(gateway)
    assert env["STAGING_ENABLED"] == "true" and env["STAGING_SOURCE_ROOT"] == "/data/source" and env["STAGING_TARGET_ROOT"] == "/data/users"
    assert json.loads(env["STAGING_ALLOWED_METHODS"]) == ["local_copy", "jupyter_copy"]
    assert env["STAGING_JUPYTER_URL"] == "https://hub.example.org/user/{username}/"
    # Ownership comes from the pod's fsGroup; nothing runs as root.
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["fsGroup"] == 65532
    assert "STAGING_ENABLED" not in env_of(by_kind(render(renderer, SEED), "Deployment")["rexec-ndp-ep-api"])

    no_claim = render(renderer, SEED, sets=["ndp-ep-api.staging.enabled=true"], expect_failure=True)
    assert "ndp-ep-api.staging.source.existingClaim is required" in no_claim, no_claim
    no_catalog = render(renderer, SEED, values, sets=["ndp-ep-api.catalog.backend=none"], expect_failure=True)
    assert "ndp-ep-api.staging needs the catalog" in no_catalog, no_catalog


def test_the_catalog_on_postgres_takes_its_url_from_a_secret_and_scales(renderer):
    docs = render(renderer, SEED, sets=["ndp-ep-api.catalog.backend=postgres", "ndp-ep-api.catalog.postgres.existingSecret=catalog-db"])
    validate(docs)
    gateway = by_kind(docs, "Deployment")["rexec-ndp-ep-api"]
    # Several replicas on one database: the chart's replica count, autoscaler and disruption budget apply again.
    assert gateway["spec"].get("strategy") != {"type": "Recreate"} and "PersistentVolumeClaim" not in {doc["kind"] for doc in docs}
    assert "rexec-ndp-ep-api" in by_kind(docs, "HorizontalPodAutoscaler") and "rexec-ndp-ep-api" in by_kind(docs, "PodDisruptionBudget")
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    env = {entry["name"]: entry for entry in container["env"]}
    assert env["LOCAL_CATALOG_BACKEND"]["value"] == "postgres" and "CATALOG_SQLITE_PATH" not in env
    # The URL holds a password: it comes from the Secret, never as a plain value.
    assert env["CATALOG_POSTGRES_URL"] == {"name": "CATALOG_POSTGRES_URL", "valueFrom": {"secretKeyRef": {"name": "catalog-db", "key": "url"}}}
    assert {"name": "catalog", "mountPath": "/var/lib/ndp-ep-api"} not in container["volumeMounts"]

    failed = render(renderer, SEED, sets=["ndp-ep-api.catalog.backend=postgres"], expect_failure=True)
    assert "ndp-ep-api.catalog.postgres.existingSecret is required with catalog.backend postgres" in failed
    failed = render(renderer, SEED, sets=["ndp-ep-api.catalog.backend=mongodb"], expect_failure=True)
    assert 'ndp-ep-api.catalog.backend must be sqlite, postgres, ckan or none, not "mongodb"' in failed


def test_the_catalog_in_a_ckan_scales_and_keeps_staging_off(renderer):
    docs = render(renderer, SEED, sets=["ndp-ep-api.catalog.backend=ckan"])
    validate(docs)
    gateway = by_kind(docs, "Deployment")["rexec-ndp-ep-api"]
    assert "PersistentVolumeClaim" not in {doc["kind"] for doc in docs} and "rexec-ndp-ep-api" in by_kind(docs, "HorizontalPodAutoscaler")
    env = env_of(gateway)
    assert env["LOCAL_CATALOG_BACKEND"] == "ckan" and "CATALOG_SQLITE_PATH" not in env and "CATALOG_POSTGRES_URL" not in env
    failed = render(renderer, SEED, sets=["ndp-ep-api.catalog.backend=ckan", "ndp-ep-api.staging.enabled=true",
                                          "ndp-ep-api.staging.source.existingClaim=a", "ndp-ep-api.staging.target.existingClaim=b"],
                    expect_failure=True)
    assert "ndp-ep-api.staging needs the catalog" in failed, failed


def test_kbatch_values_reach_the_deploy_api(renderer, tmp_path):
    values = tmp_path / "kbatch-values.yaml"
    values.write_text(yaml.safe_dump({"rexec-server-deployment-api": {"kbatch": {
        "profiles": {"python": {"image": "python:3.12-slim"}},
        "jobTemplate": {"spec": {"template": {"spec": {"tolerations": [{"key": "user", "operator": "Exists"}]}}}},
        "extraEnv": {"SITE": "lab"}, "resourceQuota": {"pods": "10"}, "maxActiveJobsPerUser": 5, "podSecurityLevel": "restricted"}}}))
    docs = render(renderer, SEED, values)
    validate(docs)
    deploy = by_kind(docs, "Deployment")["rexec-deployment-api"]
    env = env_of(deploy)
    assert env["KBATCH_ENABLED"] == "true" and env["KBATCH_PREFIX"] == "/kbatch" and env["KBATCH_MAX_ACTIVE_JOBS_PER_USER"] == "5"
    assert json.loads(env["KBATCH_JOB_EXTRA_ENV"]) == {"SITE": "lab"} and json.loads(env["KBATCH_RESOURCE_QUOTA"]) == {"pods": "10"}
    assert env["KBATCH_POD_SECURITY_LEVEL"] == "restricted" and "KBATCH_LIMIT_RANGE" not in env
    assert env["KBATCH_PROFILE_FILE"] == "/etc/kbatch/profiles.yaml" and env["KBATCH_JOB_TEMPLATE_FILE"] == "/etc/kbatch/job-template.yaml"
    config = by_kind(docs, "ConfigMap")["rexec-kbatch"]["data"]
    assert yaml.safe_load(config["profiles.yaml"]) == {"python": {"image": "python:3.12-slim"}}
    assert yaml.safe_load(config["job-template.yaml"])["spec"]["template"]["spec"]["tolerations"] == [{"key": "user", "operator": "Exists"}]
    assert {"name": "kbatch", "configMap": {"name": "rexec-kbatch"}} in deploy["spec"]["template"]["spec"]["volumes"]

    # Off: no env, no ConfigMap, no job rights.
    docs = render(renderer, SEED, sets=["rexec-server-deployment-api.kbatch.enabled=false"])
    assert env_of(by_kind(docs, "Deployment")["rexec-deployment-api"])["KBATCH_ENABLED"] == "false"
    rules = by_kind(docs, "ClusterRole")["rexec-rexec-deployment-api"]["rules"]
    assert not [rule for rule in rules if "rolebindings" in rule["resources"] or "clusterroles" in rule["resources"]]
    assert "rexec-kbatch-namespace" not in by_kind(docs, "ClusterRole")
    assert "KBATCH_NAMESPACE_ROLE" not in env_of(by_kind(docs, "Deployment")["rexec-deployment-api"])


def test_the_console_and_its_oidc_sign_in_from_values(renderer, tmp_path):
    assert env_of(by_kind(render(renderer, SEED), "Deployment")["rexec-ndp-ep-api"])["UI_ENABLED"] == "true"
    off = render(renderer, SEED, sets=["ndp-ep-api.ui.enabled=false"])
    assert env_of(by_kind(off, "Deployment")["rexec-ndp-ep-api"])["UI_ENABLED"] == "false"
    values = tmp_path / "oidc-values.yaml"
    values.write_text(yaml.safe_dump({"ndp-ep-api": {"ui": {"oidc": {
        "enabled": True, "issuer": "https://idp.example.org/realms/NDP", "clientId": "ep-console"}}}}))
    env = env_of(by_kind(render(renderer, SEED, values), "Deployment")["rexec-ndp-ep-api"])
    assert {key: env[key] for key in ("OIDC_ENABLED", "OIDC_ISSUER", "OIDC_CLIENT_ID")} == {
        "OIDC_ENABLED": "true", "OIDC_ISSUER": "https://idp.example.org/realms/NDP", "OIDC_CLIENT_ID": "ep-console"}
    services = tmp_path / "console-services.yaml"
    services.write_text(yaml.safe_dump({"ndp-ep-api": {"ui": {
        "podsUrl": "https://pods.example.org", "kbatchUrl": "https://hub.example.org/services/kbatch",
        "podManifests": ["https://raw.example.org/jupyter.yaml", "https://raw.example.org/ubuntu.yaml"]}}}))
    env = env_of(by_kind(render(renderer, SEED, services), "Deployment")["rexec-ndp-ep-api"])
    assert env["UI_PODS_URL"] == "https://pods.example.org" and env["UI_KBATCH_URL"] == "https://hub.example.org/services/kbatch"
    assert env["UI_POD_MANIFESTS"] == "https://raw.example.org/jupyter.yaml,https://raw.example.org/ubuntu.yaml"
    missing = render(renderer, SEED, sets=["ndp-ep-api.ui.oidc.enabled=true"], expect_failure=True)
    assert "ndp-ep-api.ui.oidc.issuer is required with ui.oidc.enabled" in missing
    # A confidential client: its secret from a Secret, never a literal in the Deployment.
    confidential = tmp_path / "oidc-confidential.yaml"
    confidential.write_text(yaml.safe_dump({"ndp-ep-api": {"ui": {"oidc": {
        "enabled": True, "issuer": "https://idp.example.org/realms/NDP", "clientId": "ep-console",
        "clientSecret": {"existingSecret": "ep-console-oidc"}}}}}))
    container = by_kind(render(renderer, SEED, confidential), "Deployment")["rexec-ndp-ep-api"]["spec"]["template"]["spec"]["containers"][0]
    secret = next(entry for entry in container["env"] if entry["name"] == "OIDC_CLIENT_SECRET")
    assert secret == {"name": "OIDC_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": "ep-console-oidc", "key": "client-secret"}}}


def test_the_mcp_server_from_values(renderer):
    env = env_of(by_kind(render(renderer, SEED), "Deployment")["rexec-ndp-ep-api"])
    assert env["MCP_ENABLED"] == "true" and env["MCP_MAX_SESSIONS_PER_USER"] == "16" and "KBATCH_INTERNAL_URL" not in env
    env = env_of(by_kind(render(renderer, SEED, sets=[
        "ndp-ep-api.mcp.enabled=false", "ndp-ep-api.mcp.kbatchInternalUrl=http://rexec-deployment-api:8000/kbatch"]), "Deployment")["rexec-ndp-ep-api"])
    assert env["MCP_ENABLED"] == "false" and env["KBATCH_INTERNAL_URL"] == "http://rexec-deployment-api:8000/kbatch"
