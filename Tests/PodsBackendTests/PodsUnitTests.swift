import Essentials
import Foundation
import ServiceKit
import Testing

@testable import PodsBackend

@Suite("Pods backend: identities, names, settings")
struct PodsIdentityTests {
    @Test(
        "user_id: upstream's table of valid and invalid ids",
        arguments: [
            ("foo", true), ("foo@bar", true), ("foo@bar.baz", true), ("foo@bar.baz-baz", true), ("foo-bar.baz@foo.bar-baz", true),
            ("foo.bar@bar.baz", true), ("foo@bar@baz", false), ("foO@bar", false), ("foo@", false), ("foo.", false), (".foo", false),
            ("-foo", false), ("", false), ("f", false), ("a b", false),
        ])
    func userIDs(id: String, valid: Bool) {
        #expect(((try? UserID(id)) != nil) == valid)
    }

    @Test("a part that cannot be a label value is refused with a reason")
    func labelValues() {
        #expect(throws: UserID.Invalid.notALabelValue("foo.")) { try UserID("foo.@bar") }
        #expect(throws: UserID.Invalid.self) { try UserID(String(repeating: "a", count: 64) + "@dtu.dk") }
        #expect((try? UserID("fror@dtu.dk"))?.labelSelector == "user=fror,domain=dtu.dk")
        #expect((try? UserID("fror"))?.labelSelector == "user=fror,domain=")
        #expect(UserID(labels: ["user": "fror", "domain": "dtu.dk"])?.description == "fror@dtu.dk")
        #expect(UserID(labels: ["user": "fror"])?.description == "fror")
        #expect(UserID(labels: ["domain": "x"]) == nil)
    }

    @Test("upstream's user string, and ours: DNS-safe, bounded, injective where upstream's collides")
    func userStrings() throws {
        for (id, legacy) in [
            ("foo", "foo"), ("foo@bar", "foo-bar"), ("foo@bar.baz", "foo-bar-baz"), ("foo@bar.baz-baz", "foo-bar-baz-baz"),
            ("foo.bar@bar.baz", "foo-bar-bar-baz"),
        ] {
            #expect(try UserID(id).legacyUserString == legacy)
        }
        let dotted = try UserID("john.doe@x.dk")
        let dashed = try UserID("john-doe@x.dk")
        #expect(dotted.legacyUserString == dashed.legacyUserString)
        #expect(dotted.safeUserString() != dashed.safeUserString())
        let long = try UserID(String(repeating: "a", count: 60) + "@" + String(repeating: "b", count: 60) + ".dk")
        for id in [dotted, dashed, long, try UserID("under_score@x.dk")] {
            let pod = ResourceNames.podBase(manifestName: "ubuntu-caddy", user: id)
            #expect(DNSName.isLabel(pod) && pod.count <= ResourceNames.maxPodName, "\(pod)")
            #expect(DNSName.isLabel(ResourceNames.httpService(pod: pod + "-9")))
            #expect(DNSName.isLabel(ResourceNames.storageClaim(user: id)))
        }
        #expect(ResourceNames.podBase(manifestName: "Jupyter_Lab!", user: dotted).hasPrefix("jupyter-lab-john-doe-x-dk-"))
    }

    @Test("Go durations as upstream's config writes them")
    func goDurations() {
        #expect(GoDuration.parse("1m30s") == .seconds(90))
        #expect(GoDuration.parse("5m3s") == .seconds(303))
        #expect(GoDuration.parse("300ms") == .milliseconds(300))
        #expect(GoDuration.parse("1.5h") == .seconds(5400))
        #expect(GoDuration.parse("0") == .zero)
        #expect(GoDuration.parse("90") == nil && GoDuration.parse("") == nil && GoDuration.parse("1x") == nil)
    }

    @Test("the silo address: upstream's cases, and X-Forwarded-For only from a trusted proxy")
    func callerAddress() {
        let upstream = CallerAddress(trustedProxies: [IPAddressRange("0.0.0.0/0")!, IPAddressRange("::/0")!], testingHost: "10.0.0.20")
        #expect(upstream.resolve(peer: "1.2.3.4", forwardedFor: ["10.0.0.20:1234"]) == "10.0.0.20")
        #expect(upstream.resolve(peer: "1.2.3.4", forwardedFor: []) == "1.2.3.4")
        #expect(upstream.resolve(peer: "127.0.0.1", forwardedFor: []) == "10.0.0.20")
        #expect(upstream.resolve(peer: "::1", forwardedFor: []) == "10.0.0.20")
        #expect(upstream.resolve(peer: "fe80::1", forwardedFor: []) == "fe80::1")
        #expect(upstream.resolve(peer: nil, forwardedFor: []) == "")

        let guarded = CallerAddress(trustedProxies: [IPAddressRange("10.96.0.0/12")!], testingHost: "10.0.0.20")
        // A caller that is not a proxy cannot choose its address.
        #expect(guarded.resolve(peer: "10.0.0.14", forwardedFor: ["6.6.6.6"]) == "10.0.0.14")
        // Through the ingress: the rightmost address the proxy did not add itself.
        #expect(guarded.resolve(peer: "10.96.0.5", forwardedFor: ["6.6.6.6, 10.0.0.14"]) == "10.0.0.14")
        #expect(guarded.resolve(peer: "10.96.0.5", forwardedFor: ["10.0.0.14", "10.96.0.7"]) == "10.0.0.14")
        #expect(IPAddressRange("10.128.0.0/15")!.contains(IPAddress("10.129.255.1")!))
        #expect(!IPAddressRange("10.128.0.0/15")!.contains(IPAddress("10.130.0.1")!))
    }

    @Test("every config.yaml key can be set by BACKEND_<KEY>, also keys the file leaves out; blank values do not count")
    func settings() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pods-config-\(UUID().uuidString).yaml")
        try """
        namespace: sciencedata-dev
        timeoutDelete: 1m30s
        whitelistmanifestregex: 'https:\\/\\/example[.]org\\/'
        hostnameList:
          - hostname: silo7.sciencedata.dk
            address: 10.0.0.20
        siloSecret: from-the-file-0123456789
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let source = ConfigurationSource(environment: [
            "BACKEND_NAMESPACE": "foobar", "BACKEND_TIMEOUTDELETE": "5m3s", "BACKEND_INGRESSDOMAIN": "pods.example.org",
            "BACKEND_TOKENBYTELIMIT": "", "BACKEND_HOSTNAMELIST": "silo1.sciencedata.dk=10.0.0.14",
        ]).withDefaults(try ConfigFile.load(path: file.path))
        let settings = try PodsSettings.load(from: source)
        #expect(settings.namespace == "foobar")
        #expect(settings.timeoutDelete == .seconds(303))
        #expect(settings.timeoutCreate == .seconds(90))
        #expect(settings.ingressDomain == "pods.example.org")
        #expect(settings.tokenByteLimit == 4096)
        #expect(settings.whitelistManifestRegex == #"https:\/\/example[.]org\/"#)
        #expect(settings.hostnames == ["10.0.0.14": "silo1.sciencedata.dk"])
        #expect(settings.callers.siloSecrets == ["from-the-file-0123456789"])

        #expect(throws: ConfigurationError.self) { try PodsSettings.load(from: ConfigurationSource(environment: ["BACKEND_TIMEOUTCREATE": "90"])) }
        #expect(throws: ConfigurationError.self) { try PodsSettings.load(from: ConfigurationSource(environment: [:])) }
        #expect(throws: ConfigurationError.self) {
            try PodsSettings.load(from: ConfigurationSource(environment: ["BACKEND_SILOSECRET": "short"]))
        }
        let open = try PodsSettings.load(from: ConfigurationSource(environment: ["BACKEND_AUTHMODES": "none"]))
        #expect(open.callers.modes == [.none])
    }

    @Test("request bodies are read as leniently as upstream's Go decoder")
    func lenientBodies() {
        let body = LenientBody(Array(#"{"User_ID": "fror@dtu.dk", "settings": [], "pod_name": 7}"#.utf8))
        #expect(body.string("user_id") == "fror@dtu.dk")
        #expect(body.string("pod_name") == "")
        #expect(body.settings.isEmpty)
        #expect(LenientBody(Array("not json".utf8)).string("user_id") == "")
        let settings = LenientBody(Array(#"{"settings": {"c": {"A": "x", "B": 2, "C": true, "D": {}}, "d": null}}"#.utf8)).settings
        #expect(settings == ["c": ["A": "x", "B": "2", "C": "true"]])
    }
}

@Suite("Pods backend: Kubernetes timestamps")
struct KubernetesTimeTests {
    @Test("RFC 3339 as Kubernetes writes it, read and written without Foundation's format styles")
    func timestamps() throws {
        let date = try #require(KubernetesTime.parse("2023-01-23T15:38:35Z"))
        #expect(date.timeIntervalSince1970 == 1_674_488_315)
        #expect(KubernetesTime.format(date) == "2023-01-23T15:38:35Z")
        #expect(KubernetesTime.parse("2023-01-23T15:38:35.250Z")?.timeIntervalSince1970 == 1_674_488_315.25)
        #expect(KubernetesTime.parse("2023-01-23T17:38:35+02:00") == date)
        #expect(KubernetesTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        for bad in ["", "2023-01-23", "2023-01-23T15:38:35", "2023-01-23T15:38:35Zjunk", "2023-1-23T15:38:35Z"] {
            #expect(KubernetesTime.parse(bad) == nil, "\(bad)")
        }
    }
}
