import Essentials
import Foundation
import HTTPTypes
import Kubernetes
import TestFixtures
import TestSupport
import Testing

@testable import PodsBackend

/// Every endpoint over HTTP against kube-sim (or a real cluster), with upstream's example
/// manifests and the frontend's expectations (docs/specs/pods-backend.md §2, §4, §11.1).
@Suite("Pods backend API")
struct PodsAPITests {
    static let user = PodsHarness.user

    @Test("ubuntu with ssh: created, ready, listed with ssh_url and tokens, deleted; objects least-privileged and schema-valid")
    func ubuntuWithSSH() async throws {
        try await PodsHarness.run { harness in
            let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc fror@laptop"
            let name = try await harness.createReady(
                "ubuntu_sciencedata.yaml", settings: ["ubuntu-jammy": ["SSH_PUBLIC_KEY": .string(key)]],
                tokens: ["ed25519HostKeyHash": "ed\n", "rsaHostKeyHash": "rsa\n"]
            )
            #expect(name.hasPrefix("ubuntu-fror-dtu-dk-") && DNSName.isLabel(name))

            let pod = try #require(try await harness.pod(name))
            #expect(pod.labels == ["user": "fror", "domain": "dtu.dk", "podName": name, "sciencedata.dk/state": "ready"])
            #expect(pod.annotations["sciencedata.dk/owner"] == Self.user)
            #expect(pod["spec"]?["automountServiceAccountToken"] == false)
            let env = (pod.containers.first?["env"]?.arrayValue ?? []).reduce(into: [String: String]()) {
                $0[$1["name"]?.stringValue ?? ""] = $1["value"]?.stringValue
            }
            #expect(env["SSH_PUBLIC_KEY"] == key)
            #expect(env["SD_UID"] == Self.user)
            #expect(env["HOME_SERVER_IP"] == "10.2.0.20")
            #expect(env["HOME_SERVER_HOSTNAME"] == "silo7.sciencedata.dk")
            #expect(pod.containers.first?["image"] == "docker.io/library/busybox:1.36")

            let ssh = try #require(try await harness.backend.cluster.get(.services, ResourceNames.sshService(pod: name)))
            #expect(ssh["spec"]?["type"] == "NodePort")
            #expect(ssh["metadata"]?["ownerReferences"]?.arrayValue?.first?["uid"]?.stringValue == pod.uid)
            let nodePort = try #require(ssh["spec"]?["ports"]?.arrayValue?.first?["nodePort"]?.scalarDescription)

            let pods = try await harness.getPods()
            #expect(pods.status == 200)
            let info = try #require(pods.body.arrayValue?.first)
            #expect(info["pod_name"] == .string(name))
            #expect(info["owner"] == .string(Self.user))
            #expect(info["container_name"] == "ubuntu-jammy")
            #expect(info["image_name"] == "docker.io/library/busybox:1.36")
            #expect(info["status"]?.stringValue?.wholeMatch(of: /Running:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil, "\(info)")
            #expect(info["age"]?.stringValue?.wholeMatch(of: /\d+:\d{1,2}:\d{1,2}/) != nil)
            #expect(info["url"] == "")
            #expect(info["ssh_url"] == .string("ssh://root@pods.example.org:\(nodePort)"))
            #expect(info["k8s_pod_info"] == ["sshPort": .string(nodePort)])
            if !harness.cluster.isReal {
                #expect(info["tokens"] == ["ed25519HostKeyHash": "ed\n", "rsaHostKeyHash": "rsa\n"])
            }
            #expect(info["pod_ip"]?.stringValue?.isEmpty == false && info["node_ip"]?.stringValue?.isEmpty == false)

            var objects = [KubernetesSchemas.strippedForValidation(pod.json), KubernetesSchemas.strippedForValidation(ssh.json)]
            if let secret = try await harness.backend.cluster.get(.secrets, ResourceNames.tokenSecret(pod: name)) {
                objects.append(KubernetesSchemas.strippedForValidation(secret.json))
            }
            let report = try await KubernetesSchemas.validate(objects)
            #expect(report.passed, "\(report.output)")

            let deleted = try await harness.deletePod(name)
            #expect(deleted.status == 200 && deleted["requested"] == true, "\(deleted.text)")
            #expect(try await harness.getPods().body.arrayValue?.first?["status"] == "Deleting" || true)
            #expect(try await harness.watchDelete(name)["deleted"] == true)
            // The garbage collector takes the pod's Service and token Secret along.
            try await harness.waitFor(.services, ResourceNames.sshService(pod: name)) { $0 == nil }
            try await harness.waitFor(.secrets, ResourceNames.tokenSecret(pod: name)) { $0 == nil }
            let after = try await harness.getPods()
            #expect(after.status == 200 && after.body == .null && after.text == "null")
        }
    }

    @Test(
        "jupyter with storage and ingress: NFS volume and claim, TLS ingress and url with the token; storage goes with the last pod, without blocking delete_pod"
    )
    func jupyterWithStorageAndIngress() async throws {
        try await PodsHarness.run { harness in
            guard !harness.cluster.isReal else { return }  // NFS on the silo is not reachable from a test cluster
            let name = try await harness.createReady(
                "jupyter_sciencedata.yaml", settings: ["jupyter": ["ENVIRONMENT_FILE": "mine.env"]], tokens: ["appendURL": "?token=abc123\n"])
            let user = try UserID(Self.user)
            let claimName = ResourceNames.storageClaim(user: user)
            let claim = try #require(try await harness.backend.cluster.get(.persistentVolumeClaims, claimName))
            #expect(claim["status"]?["phase"] == "Bound")
            #expect(claim["spec"]?["storageClassName"] == "nfs")
            let volumeName = try #require(claim["spec"]?["volumeName"]?.stringValue)
            let volume = try #require(try await harness.backend.cluster.get(.persistentVolumes, volumeName))
            #expect(volume["spec"]?["nfs"] == ["server": "10.0.0.20", "path": "/tank/storage/fror@dtu.dk"])
            #expect(volume["spec"]?["persistentVolumeReclaimPolicy"] == "Retain")
            #expect(volume.labels["user"] == "fror" && volume.labels["domain"] == "dtu.dk" && volume.labels["server"] == "10.0.0.20")
            let pod = try #require(try await harness.pod(name))
            #expect(PodTemplate.sciencedataClaim(of: pod.json) == claimName)

            let ingress = try #require(try await harness.backend.cluster.get(.ingresses, ResourceNames.ingress(pod: name)))
            #expect(ingress["spec"]?["tls"] == [["hosts": [.string("\(name).pods.example.org")], "secretName": "user-pods-wildcard"]])
            let backend = ingress["spec"]?["rules"]?.arrayValue?.first?["http"]?["paths"]?.arrayValue?.first?["backend"]?["service"]
            #expect(backend == ["name": .string(ResourceNames.httpService(pod: name)), "port": ["number": 8888]])
            #expect(
                try await harness.backend.cluster.get(.services, ResourceNames.httpService(pod: name))?["spec"]?["ports"]?.arrayValue?.first?["port"]
                    == 8888)

            let info = try #require(try await harness.getPods().body.arrayValue?.first)
            #expect(info["url"] == .string("https://\(name).pods.example.org"))
            #expect(info["tokens"] == ["appendURL": "?token=abc123\n"])
            #expect(info["ssh_url"] == "")

            let report = try await KubernetesSchemas.validate([claim, volume, ingress].map { KubernetesSchemas.strippedForValidation($0.json) })
            #expect(report.passed, "\(report.output)")

            #expect(try await harness.deletePod(name)["requested"] == true)
            try await harness.waitFor(.persistentVolumeClaims, claimName) { $0 == nil }
            try await harness.waitFor(.persistentVolumes, volume.name ?? "") { $0 == nil }
        }
    }

    @Test("a pod with both ssh and an ingress gets both Services, and deleting it removes both (upstream's docs/specs/pods-backend.md W9 lost one)")
    func caddyBothServices() async throws {
        try await PodsHarness.run { harness in
            guard !harness.cluster.isReal else { return }
            let name = try await harness.createReady(
                "caddy_sciencedata.yaml", settings: ["caddy": ["SSH_PUBLIC_KEY": "ssh-rsa AAAA x", "WORKING_DIRECTORY": "/root/data"]])
            let services = try await harness.objects(.services, labelSelector: "createdForPod=\(name)").compactMap(\.name).sorted()
            #expect(services == [ResourceNames.httpService(pod: name), ResourceNames.sshService(pod: name)])
            let info = try #require(try await harness.getPods().body.arrayValue?.first)
            #expect(info["url"]?.stringValue?.hasPrefix("https://") == true && info["ssh_url"]?.stringValue?.hasPrefix("ssh://root@") == true)
            #expect(try await harness.deletePod(name)["requested"] == true)
            #expect(try await harness.watchDelete(name)["deleted"] == true)
            for service in services { try await harness.waitFor(.services, service) { $0 == nil } }
            try await harness.waitFor(.ingresses, ResourceNames.ingress(pod: name)) { $0 == nil }
        }
    }

    @Test("tokens over tokenByteLimit are cut to exactly the limit; short ones are kept whole")
    func longToken() async throws {
        try await PodsHarness.run { harness in
            let name = try await harness.createReady(
                "test_long_key.yaml", tokens: ["shortkey": "short\n", "longkey": String(repeating: "k", count: 5000)])
            let tokens = try #require(try await harness.getPods().body.arrayValue?.first?["tokens"])
            #expect(tokens["shortkey"] == "short\n")
            #expect(tokens["longkey"]?.stringValue?.count == 4096)
            _ = try await harness.deletePod(name)
        }
    }

    @Test("a pod that never becomes ready: watch answers false, the pod is removed")
    func failingStart() async throws {
        try await PodsHarness.run(environment: ["BACKEND_TIMEOUTCREATE": "2s"]) { harness in
            let created = try await harness.createPod("test_fail_start.yaml")
            let name = try #require(created["pod_name"]?.stringValue)
            #expect(try await harness.getPods().body.arrayValue?.first?["status"] == "Creating")
            #expect(try await harness.watchCreate(name)["ready"] == false)
            try await harness.waitFor(.pods, name) { $0 == nil }
        }
    }

    @Test("the frontend's expectations: null for no pods, 400 with the default body on failures, default watch answers that leak nothing")
    func frontendContract() async throws {
        try await PodsHarness.run { harness in
            let empty = try await harness.getPods()
            #expect(empty.status == 200 && empty.text == "null")
            for user in ["foO@bar", "foo@bar@baz", ""] {
                #expect(try await harness.getPods(user: user).status == 400)
                let created = try await harness.createPod("ubuntu_sciencedata.yaml", user: user)
                #expect(created.status == 400 && created["pod_name"] == "", "\(created.text)")
            }
            for settings: JSONValue in [.null, [], ["ubuntu-jammy": [:]]] {
                let created = try await harness.createPod("ubuntu_sciencedata.yaml", settings: settings)
                #expect(created.status == 200, "\(settings) → \(created.text)")
            }
            let other = try await harness.createReady("ubuntu_sciencedata.yaml", user: "misc@test.user")
            // Another user's pod, an unknown pod, an empty user: the same default answers.
            for (user, pod) in [(Self.user, other), (Self.user, "nope"), ("", other)] {
                #expect(try await harness.watchCreate(pod, user: user).body == ["ready": false])
                #expect(try await harness.watchDelete(pod, user: user).body == ["deleted": true])
            }
            let refused = try await harness.deletePod(other)
            #expect(refused.status == 400 && refused["requested"] == false)
            #expect(try await harness.pod(other)?.isBeingDeleted == false)
            let missing = try await harness.deletePod("nope")
            #expect(missing.status == 400 && missing["requested"] == false)
        }
    }

    @Test("manifests are refused with 400 and nothing is created: off the whitelist, redirected out, too large, too slow, not allowed, unknown mount")
    func refusedManifests() async throws {
        try await PodsHarness.run(environment: ["BACKEND_MANIFESTTIMEOUT": "1s"]) { harness in
            let base = harness.manifestBase.replacingOccurrences(of: "testing/", with: "")
            let urls = [
                "https://evil.example/?\(harness.manifestBase)ubuntu_sciencedata.yaml", base + "redirect-out", base + "huge.yaml", base + "slow.yaml",
                harness.manifestBase + "host_path.yaml", harness.manifestBase + "privileged.yaml", harness.manifestBase + "unknown_mount.yaml",
                harness.manifestBase + "missing.yaml",
            ]
            for url in urls {
                let reply = try await harness.post("/create_pod", ["yaml_url": .string(url), "user_id": .string(Self.user)])
                #expect(reply.status == 400 && reply["pod_name"] == "", "\(url) → \(reply.text)")
                #expect(reply["detail"]?.stringValue?.isEmpty == false)
            }
            #expect(try await harness.objects(.pods).isEmpty)
            #expect(try await harness.objects(.persistentVolumeClaims).isEmpty)
            // A redirect that stays on the whitelist is followed.
            let followed = try await harness.post("/create_pod", ["yaml_url": .string(base + "redirect-in"), "user_id": .string(Self.user)])
            #expect(followed.status == 200, "\(followed.text)")
        }
    }

    @Test("a caller chooses neither its silo address (X-Forwarded-For from an untrusted peer) nor the namespace")
    func noSpoofing() async throws {
        try await PodsHarness.run { harness in
            let reply = try await harness.post(
                "/create_pod", ["yaml_url": .string(harness.manifestBase + "other_namespace.yaml"), "user_id": .string(Self.user)],
                headers: [HTTPField.Name("X-Forwarded-For")!: "6.6.6.6"]
            )
            let name = try #require(reply["pod_name"]?.stringValue, "\(reply.text)")
            let pod = try #require(try await harness.pod(name))
            #expect(pod.namespace == harness.namespace)
            #expect(pod.annotations["sciencedata.dk/silo-ip"] == "10.0.0.20")
            let env = (pod.containers.first?["env"]?.arrayValue ?? []).first { $0["name"] == "HOME_SERVER_IP" }
            #expect(env?["value"] == "10.2.0.20")
        }
    }

    @Test("ten names per manifest and user, as upstream: base, -1 … -9; the eleventh is refused")
    func nameLimit() async throws {
        try await PodsHarness.run { harness in
            guard !harness.cluster.isReal else { return }
            var names: [String] = []
            for _ in 0..<10 {
                let created = try await harness.createPod("test_long_key.yaml")
                names.append(try #require(created["pod_name"]?.stringValue))
            }
            let base = names[0]
            #expect(names == [base] + (1...9).map { "\(base)-\($0)" })
            let eleventh = try await harness.createPod("test_long_key.yaml")
            #expect(eleventh.status == 400 && eleventh["detail"]?.stringValue?.contains("in use") == true)
        }
    }

    @Test("callers authenticate: none → 401, wrong secret → 401, HMAC signed → OK, stale signature → 401; admin routes need the admin secret")
    func callerAuthentication() async throws {
        try await PodsHarness.run { harness in
            let body: JSONValue = ["user_id": .string(Self.user)]
            let reply1 = try await harness.post("/get_pods", body, auth: .anonymous)
            #expect(reply1.status == 401, "\(reply1.text)")
            let reply2 = try await harness.post("/get_pods", body, auth: .header("X-Backend-Secret", "wrong-secret-0123456789"))
            #expect(reply2.status == 401, "\(reply2.text)")
            let reply3 = try await harness.post("/get_pods", body, auth: .hmac(skew: 0))
            #expect(reply3.status == 200, "\(reply3.text)")
            let reply4 = try await harness.post("/get_pods", body, auth: .hmac(skew: -600))
            #expect(reply4.status == 401, "\(reply4.text)")
            let reply5 = try await harness.post(
                "/create_pod", ["yaml_url": .string(harness.manifestBase + "ubuntu_sciencedata.yaml"), "user_id": .string(Self.user)],
                auth: .anonymous)
            #expect(reply5.status == 401, "\(reply5.text)")
            #expect(try await harness.objects(.pods).isEmpty)
            for path in ["/delete_all_user", "/clean_all_unused"] {
                #expect(try await harness.post(path, body).status == 403)
                let reply6 = try await harness.post(path, body, auth: .anonymous)
                #expect(reply6.status == 401, "\(reply6.text)")
            }
            let reply7 = try await harness.request(.get, "/get_podip_owner?ip=10.244.0.9", auth: .anonymous)
            #expect(reply7.status == 401, "\(reply7.text)")
            #expect(try await harness.request(.get, "/clean_all_unused").status == 405)
        }
    }

    @Test("with the IdP mode a user's token acts only for that user")
    func userTokens() async throws {
        try await DevIdPFixture.run { idp in
            try await PodsHarness.run(environment: ["BACKEND_AUTHMODES": "secret,idp", "AUTH_API_URL": idp.informationURL.absoluteString]) {
                harness in
                let mine: JSONValue = ["user_id": "demo@example.org"]
                let reply8 = try await harness.post("/get_pods", mine, auth: .bearer("demo-token"))
                #expect(reply8.status == 200, "\(reply8.text)")
                let reply9 = try await harness.post("/get_pods", ["user_id": .string(Self.user)], auth: .bearer("demo-token"))
                #expect(reply9.status == 403, "\(reply9.text)")
                let reply10 = try await harness.post("/get_pods", mine, auth: .bearer("not-a-token"))
                #expect(reply10.status == 401, "\(reply10.text)")
                let reply11 = try await harness.request(.get, "/get_podip_owner?ip=10.244.0.9", auth: .bearer("demo-token"))
                #expect(reply11.status == 403, "\(reply11.text)")
            }
        }
    }

    @Test("get_podip_owner: the Running pod's owner; empty for unknown and finished pods; 400 outside the pod subnet")
    func podIPOwner() async throws {
        // Long enough for a loaded machine's first list; unknown addresses wait this long.
        try await PodsHarness.run(environment: ["BACKEND_PODIPLOOKUPWINDOW": "2s"]) { harness in
            let name = try await harness.createReady("test_long_key.yaml", tokens: ["shortkey": "s", "longkey": "l"])
            let ip = try #require(try await harness.pod(name)?["status"]?["podIP"]?.stringValue)
            let owner = try await harness.request(.get, "/get_podip_owner?ip=\(ip)")
            #expect(owner.status == 200 && owner.text == Self.user)
            #expect(try await harness.request(.get, "/get_podip_owner?ip=10.244.250.250").text == "")
            #expect(try await harness.request(.get, "/get_podip_owner?ip=10.0.0.1").status == 400)
            #expect(try await harness.request(.get, "/get_podip_owner?ip=banana").status == 400)
            #expect(try await harness.request(.get, "/get_podip_owner").status == 400)
            guard !harness.cluster.isReal else { return }
            // A finished pod keeps its IP, which may be reused: it owns nothing.
            _ = try await harness.kube.patch(
                .pods, namespace: harness.namespace, name: name, ["status": ["phase": "Succeeded"]], subresource: "status")
            #expect(try await harness.request(.get, "/get_podip_owner?ip=\(ip)").text == "")
        }
    }

    @Test("logs and a token refresh for the user's own pod only")
    func logsAndTokenRefresh() async throws {
        try await PodsHarness.run { harness in
            guard !harness.cluster.isReal else { return }
            let name = try await harness.createReady("test_long_key.yaml", tokens: ["shortkey": "one"])
            let logs = try await harness.post("/get_pod_logs", ["user_id": .string(Self.user), "pod_name": .string(name)])
            #expect(logs.status == 200 && logs["logs"]?.stringValue?.contains("started container") == true, "\(logs.text)")
            #expect(try await harness.post("/get_pod_logs", ["user_id": "misc@test.user", "pod_name": .string(name)]).status == 404)

            try await harness.writeFiles(pod: name, ["shortkey": "two", "longkey": "late"])
            let refreshed = try await harness.post("/refresh_tokens", ["user_id": .string(Self.user), "pod_name": .string(name)])
            #expect(refreshed["tokens"] == ["shortkey": "two", "longkey": "late"], "\(refreshed.text)")
            #expect(try await harness.getPods().body.arrayValue?.first?["tokens"] == ["shortkey": "two", "longkey": "late"])
        }
    }

    @Test("delete_all_user (admin) removes every pod and the storage and waits; clean_all_unused removes orphans")
    func adminRoutes() async throws {
        try await PodsHarness.run(environment: ["BACKEND_TIMEOUTCREATE": "10s"]) { harness in
            guard !harness.cluster.isReal else { return }
            _ = try await harness.createReady("jupyter_sciencedata.yaml", tokens: ["appendURL": "x"])
            _ = try await harness.createReady("ubuntu_sciencedata.yaml")
            let all = try await harness.post("/delete_all_user", ["user_id": .string(Self.user)], auth: .admin)
            let left = try await harness.objects(.pods).map { ($0.name ?? "", $0.isBeingDeleted) }
            let claimsLeft = try await harness.objects(.persistentVolumeClaims).map { ($0.name ?? "", $0.isBeingDeleted) }
            #expect(all.status == 200 && all["deleted"] == true, "\(all.text) \(left) \(claimsLeft)")
            #expect(try await harness.objects(.pods).isEmpty)
            #expect(try await harness.objects(.persistentVolumeClaims).isEmpty)

            // Orphans upstream left: a Service and an Ingress of a pod that is gone, and the
            // storage of a user with no pods.
            let cluster = harness.backend.cluster
            _ = try await cluster.createIfAbsent(
                .services,
                [
                    "metadata": ["name": "ghost-ssh", "labels": ["createdForPod": "ghost"]],
                    "spec": ["type": "ClusterIP", "ports": [["port": 22]]],
                ])
            let storage = harness.backend.storage
            let orphan = try UserID("gone@dtu.dk")
            _ = try await storage.ensure(for: orphan, siloIP: "10.0.0.20", deadline: .now + .seconds(10))
            let cleaned = try await harness.post("/clean_all_unused", [:], auth: .admin)
            #expect(cleaned.status == 200, "\(cleaned.text)")
            #expect(cleaned["services"] == ["ghost-ssh"])
            #expect(try await cluster.get(.services, "ghost-ssh") == nil)
            // Younger than timeoutCreate: it may belong to a creation in progress, so it stays.
            #expect(try await storage.claims(of: orphan).count == 1)
        }
    }

    @Test("pods and storage upstream created are recognised: listed, deletable, and the storage reused")
    func legacyObjects() async throws {
        try await PodsHarness.run { harness in
            guard !harness.cluster.isReal else { return }
            let cluster = harness.backend.cluster
            let legacyLabels: JSONValue = ["user": "fror", "domain": "dtu.dk", "name": "user-storage-fror-dtu-dk", "server": "10.0.0.20"]
            _ = try await cluster.createIfAbsent(
                .persistentVolumes,
                [
                    "metadata": ["name": "user-storage-fror-dtu-dk", "labels": legacyLabels],
                    "spec": [
                        "capacity": ["storage": "10Gi"], "accessModes": ["ReadWriteMany"], "storageClassName": "nfs",
                        "nfs": ["server": "10.0.0.20", "path": "/tank/storage/fror@dtu.dk"],
                        "claimRef": ["kind": "PersistentVolumeClaim", "namespace": .string(harness.namespace), "name": "user-storage-fror-dtu-dk"],
                    ],
                ])
            _ = try await cluster.createIfAbsent(
                .persistentVolumeClaims,
                [
                    "metadata": ["name": "user-storage-fror-dtu-dk", "labels": legacyLabels],
                    "spec": [
                        "accessModes": ["ReadWriteMany"], "resources": ["requests": ["storage": "10Gi"]], "volumeName": "user-storage-fror-dtu-dk",
                    ],
                ])
            _ = try await cluster.createPod([
                "metadata": ["name": "jupyter-fror-dtu-dk", "labels": ["user": "fror", "domain": "dtu.dk", "podName": "jupyter-fror-dtu-dk"]],
                "spec": ["containers": [["name": "jupyter", "image": "busybox:1.36"]]],
            ])
            try await harness.waitFor(.pods, "jupyter-fror-dtu-dk") { $0?.isPodReady == true }
            // get_pods answers from the backend's watch-fed cache, which sees the pod run a moment later.
            try await waitUntil("get_pods reports the legacy pod running") {
                try await harness.getPods().body.arrayValue?.first?["status"]?.stringValue?.hasPrefix("Running:") == true
            }
            let info = try #require(try await harness.getPods().body.arrayValue?.first)
            #expect(info["pod_name"] == "jupyter-fror-dtu-dk" && info["status"]?.stringValue?.hasPrefix("Running:") == true)
            #expect(try await harness.watchCreate("jupyter-fror-dtu-dk")["ready"] == true)

            let name = try await harness.createReady("jupyter_sciencedata.yaml", tokens: ["appendURL": "t"])
            #expect(PodTemplate.sciencedataClaim(of: try #require(try await harness.pod(name)).json) == "user-storage-fror-dtu-dk")

            #expect(try await harness.deletePod("jupyter-fror-dtu-dk")["requested"] == true)
            #expect(try await harness.watchDelete("jupyter-fror-dtu-dk")["deleted"] == true)
            // Another pod still uses the storage.
            #expect(try await cluster.get(.persistentVolumeClaims, "user-storage-fror-dtu-dk") != nil)
        }
    }
}
