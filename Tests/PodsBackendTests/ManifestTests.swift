import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import ServiceKit
import Testing

@testable import PodsBackend

@Suite("Pods backend: manifests, policy, caller authentication")
struct ManifestTests {
    static let user = try! UserID("fror@dtu.dk")

    func template(_ text: String) throws -> PodTemplate {
        try PodTemplate(manifest: try ManifestFetcher.decode(text))
    }

    func env(_ pod: JSONValue, container: Int = 0) -> [String: String] {
        var values: [String: String] = [:]
        for entry in pod["spec"]?["containers"]?.arrayValue?[container]["env"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue { values[name] = entry["value"]?.stringValue }
        }
        return values
    }

    @Test("settings change only env entries the manifest declares; HOME_SERVER_IP, SD_UID and HOME_SERVER_HOSTNAME always win")
    func settingsAndMandatoryEnv() throws {
        var pod = try template(TestManifests.jupyter)
        pod.applySettings(["jupyter": ["ENVIRONMENT_FILE": "mine.env", "NOT_DECLARED": "x", "SD_UID": "someone-else"], "other": ["A": "b"]])
        pod.applyMandatorySettings(user: Self.user, siloIP: "10.0.0.20", restartPolicy: "Never", hostnames: ["10.0.0.20": "silo7.sciencedata.dk"])
        let values = env(pod.pod)
        #expect(values["ENVIRONMENT_FILE"] == "mine.env")
        #expect(values["NOT_DECLARED"] == nil)
        #expect(values["SD_UID"] == "fror@dtu.dk")
        #expect(values["HOME_SERVER_IP"] == "10.2.0.20")
        #expect(values["HOME_SERVER_HOSTNAME"] == "silo7.sciencedata.dk")
        #expect(pod.pod["spec"]?["restartPolicy"] == "Never")

        var other = try template(TestManifests.ubuntu)
        other.applyMandatorySettings(user: Self.user, siloIP: "192.168.1.1", restartPolicy: "Always", hostnames: [:])
        #expect(env(other.pod)["HOME_SERVER_HOSTNAME"] == nil)
        #expect(env(other.pod)["HOME_SERVER_IP"] == "192.168.1.1")
        // The manifest's own restartPolicy stays.
        #expect(other.pod["spec"]?["restartPolicy"] == "Never")
    }

    @Test("LOCALREGISTRY is replaced once per image and brings the pull secret")
    func registry() throws {
        var pod = try template(TestManifests.jupyter)
        pod.applyRegistry(url: "registry.local:5000", secret: "docker-registry-auth")
        #expect(pod.pod["spec"]?["containers"]?.arrayValue?.first?["image"] == "registry.local:5000/busybox:1.36")
        #expect(pod.pod["spec"]?["imagePullSecrets"] == [["name": "docker-registry-auth"]])
        var plain = try template(TestManifests.hostPath)
        plain.applyRegistry(url: "registry.local:5000", secret: "docker-registry-auth")
        #expect(plain.pod["spec"]?["imagePullSecrets"] == nil)
    }

    @Test("mounts without volumes: sciencedata → the user's claim, local → local-claim-<path>, others refused")
    func volumes() throws {
        var pod = try template(TestManifests.jupyter)
        try pod.applyVolumes(storageClaim: "user-storage-x")
        #expect(pod.needsStorage)
        #expect(pod.sciencedataClaim == "user-storage-x")
        var local = try template(
            TestManifests.unknownMount.replacingOccurrences(of: "mystery", with: "local").replacingOccurrences(
                of: "/data", with: "/usr/local/software"))
        try local.applyVolumes(storageClaim: "unused")
        #expect(!local.needsStorage)
        #expect(local.pod["spec"]?["volumes"]?.arrayValue?.first?["persistentVolumeClaim"]?["claimName"] == "local-claim--usr-local-software")
        var unknown = try template(TestManifests.unknownMount)
        #expect(throws: PodTemplate.Invalid.self) { try unknown.applyVolumes(storageClaim: "x") }
    }

    @Test("labels are ours alone; annotations are kept")
    func identity() throws {
        var pod = try template(TestManifests.jupyter)
        pod.applyIdentity(name: "jupyter-x", user: Self.user, namespace: "ns", annotations: ["sciencedata.dk/owner": "fror@dtu.dk"])
        #expect(pod.pod["metadata"]?["labels"] == ["user": "fror", "domain": "dtu.dk", "podName": "jupyter-x", "sciencedata.dk/state": "creating"])
        #expect(pod.pod["metadata"]?["annotations"]?["sciencedata.dk/ingress-port"] == "8888")
        #expect(pod.pod["metadata"]?["namespace"] == "ns")
    }

    @Test(
        "the policy refuses host access, privilege, service accounts and extra capabilities; enforces token and limits",
        arguments: [
            (TestManifests.hostPath, "hostPath"), (TestManifests.privileged, "serviceAccountName"),
            (TestManifests.privileged.replacingOccurrences(of: "  serviceAccountName: user-pods-backend\n", with: ""), "privileged"),
            (TestManifests.ubuntu.replacingOccurrences(of: "\"SYS_CHROOT\"", with: "\"SYS_ADMIN\""), "SYS_ADMIN"),
            (TestManifests.ubuntu.replacingOccurrences(of: "restartPolicy: Never", with: "hostNetwork: true"), "hostNetwork"),
            (TestManifests.ubuntu.replacingOccurrences(of: "- containerPort: 22", with: "- containerPort: 22\n      hostPort: 22"), "hostPort"),
        ])
    func policy(manifest: String, reason: String) throws {
        var pod = try template(manifest)
        let error = try #require(throws: PodPolicy.Violation.self) { try pod.enforce(Self.policy, namespace: "ns") }
        #expect(error.description.contains(reason))
    }

    static let policy = PodPolicy(
        allowedCapabilities: Set(PodPolicy.baselineCapabilities), defaultRequests: ["cpu": "100m", "memory": "256Mi"],
        defaultLimits: ["cpu": "2", "memory": "4Gi"]
    )

    @Test("allowed manifests get no service-account token and consistent requests and limits")
    func enforcement() throws {
        var pod = try template(TestManifests.ubuntu)
        try pod.enforce(Self.policy, namespace: "ns")
        #expect(pod.pod["spec"]?["automountServiceAccountToken"] == false)
        #expect(
            pod.pod["spec"]?["containers"]?.arrayValue?.first?["resources"] == [
                "requests": ["cpu": "100m", "memory": "256Mi"], "limits": ["cpu": "2", "memory": "4Gi"],
            ])
        #expect(
            Self.policy.withDefaults(["requests": ["memory": "8Gi"]]) == [
                "requests": ["memory": "8Gi", "cpu": "100m"], "limits": ["memory": "8Gi", "cpu": "2"],
            ])
        #expect(Self.policy.withDefaults(["limits": ["memory": "64Mi"]]) == ["requests": ["cpu": "100m"], "limits": ["memory": "64Mi", "cpu": "2"]])
        #expect(Quantity.parse("256Mi") == 268_435_456 && Quantity.parse("100m") == 0.1 && Quantity.parse("1G") == 1e9)
    }

    @Test("manifests must be one v1 Pod with containers; quoted numbers stay strings")
    func decoding() throws {
        #expect(throws: ManifestFetcher.Failure.self) { try ManifestFetcher.decode("apiVersion: v1\nkind: Service\n") }
        #expect(throws: ManifestFetcher.Failure.self) { try ManifestFetcher.decode(TestManifests.ubuntu + "\n---\n" + TestManifests.ubuntu) }
        #expect(throws: ManifestFetcher.Failure.self) { try ManifestFetcher.decode("{{{") }
        let pod = try ManifestFetcher.decode(TestManifests.jupyter)
        #expect(pod["metadata"]?["annotations"]?["sciencedata.dk/ingress-port"] == "8888")
        #expect(pod["spec"]?["containers"]?.arrayValue?.first?["ports"]?.arrayValue?.first?["containerPort"] == 8888)
    }

    @Test("the whitelist is anchored")
    func whitelist() throws {
        let fetcher = try ManifestFetcher(
            whitelistPattern: #"https:\/\/raw[.]githubusercontent[.]com\/deic-dk\/pod_manifests"#,
            settings: .init(maxBytes: 1000, timeout: .seconds(1), maxRedirects: 1)
        )
        #expect(fetcher.isAllowed("https://raw.githubusercontent.com/deic-dk/pod_manifests/testing/jupyter.yaml"))
        #expect(!fetcher.isAllowed("https://evil.example/?https://raw.githubusercontent.com/deic-dk/pod_manifests"))
        #expect(!fetcher.isAllowed("http://raw.githubusercontent.com/deic-dk/pod_manifests/x"))
    }

    @Test("HMAC: a signed request passes; a wrong secret, another body or an old timestamp does not")
    func hmac() async throws {
        let settings = CallerAuthSettings(
            modes: [.hmac], siloSecrets: ["silo-secret-0123456789"], adminSecrets: [], hmacMaxSkew: .seconds(300), idpUserField: .username, auth: nil
        )
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let authenticator = CallerAuthenticator(settings: settings, users: nil) { now }
        let body = Array(#"{"user_id":"fror@dtu.dk"}"#.utf8)
        func request(secret: String, timestamp: Int, signedBody: [UInt8]) -> Request {
            let signature = CallerAuthenticator.signature(
                secret: secret, timestamp: String(timestamp), method: "POST", path: "/get_pods", body: signedBody)
            let head = HTTPRequest(
                method: .post, scheme: "http", authority: "x", path: "/get_pods",
                headerFields: [
                    HTTPField.Name("X-Backend-Timestamp")!: String(timestamp), HTTPField.Name("X-Backend-Signature")!: signature,
                ])
            return Request(head: head, body: .init(buffer: .init()))
        }
        let t = Int(now.timeIntervalSince1970)
        #expect(
            try await authenticator.authenticate(
                request(secret: "silo-secret-0123456789", timestamp: t, signedBody: body), path: "/get_pods", body: body) == .silo)
        for bad in [
            request(secret: "another-secret-0123456789", timestamp: t, signedBody: body),
            request(secret: "silo-secret-0123456789", timestamp: t, signedBody: Array("{}".utf8)),
            request(secret: "silo-secret-0123456789", timestamp: t - 301, signedBody: body),
        ] {
            await #expect(throws: APIError.self) { try await authenticator.authenticate(bad, path: "/get_pods", body: body) }
        }
        // The shared-secret header is refused when only HMAC is enabled.
        let head = HTTPRequest(
            method: .post, scheme: "http", authority: "x", path: "/get_pods",
            headerFields: [HTTPField.Name("X-Backend-Secret")!: "silo-secret-0123456789"])
        await #expect(throws: APIError.self) {
            try await authenticator.authenticate(Request(head: head, body: .init(buffer: .init())), path: "/get_pods", body: body)
        }
    }
}
