import Access
import AccessPolicy
import Foundation
import Logging
import Metrics
import Prometheus
import TestSupport
import Testing

@Suite("Access policy store")
struct PolicyStoreTests {
    static let open = "status:\n  public:\n    read: [Any.Any]\n"
    static let closed = "status:\n  public:\n    read: []\n"

    /// A store over a file of its own, its log and its metrics.
    struct Fixture {
        let file: URL
        let store: PolicyStore
        let capture = LogCapture()
        let registry = PrometheusCollectorRegistry()

        init(_ text: String) throws {
            file = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString).yaml")
            try Data(text.utf8).write(to: file)
            store = try PolicyStore.open(
                file: file.path, metrics: PolicyMetrics(factory: PrometheusMetricsFactory(registry: registry)), logger: capture.logger())
        }

        func write(_ text: String) throws { try Data(text.utf8).write(to: file) }

        var allowsStatus: Bool { store.current.policy.rule(.status, .public, .read)?.allowsAnyone == true }

        var metrics: String { String(decoding: registry.emitToBuffer(), as: UTF8.self) }
    }

    @Test("a changed file is swapped in; unchanged bytes are left alone")
    func reload() throws {
        let fixture = try Fixture(Self.open)
        defer { try? FileManager.default.removeItem(at: fixture.file) }
        #expect(fixture.allowsStatus)
        #expect(fixture.store.reload(reason: "poll", onlyIfChanged: true) == .unchanged)
        try fixture.write(Self.closed)
        let expected = try LoadedPolicy(bytes: Array(Self.closed.utf8), source: "closed").sha256
        #expect(fixture.store.reload(reason: "poll", onlyIfChanged: true) == .reloaded(sha256: expected))
        #expect(!fixture.allowsStatus && fixture.store.current.sha256 == expected)
        #expect(fixture.metrics.contains(#"policy_reloads_total{result="success"} 1"#))
        // SIGHUP reloads even unchanged bytes.
        #expect(fixture.store.reload(reason: "SIGHUP") != .unchanged)
    }

    @Test("an invalid or vanished file keeps the policy in force and is reported once, with its line")
    func failures() throws {
        let fixture = try Fixture(Self.open)
        defer { try? FileManager.default.removeItem(at: fixture.file) }
        let before = fixture.store.current.sha256
        try fixture.write("status:\n  public:\n    read: [Any.Anyone]\n")
        guard case .failed(let error) = fixture.store.reload(reason: "poll", onlyIfChanged: true) else {
            Issue.record("an invalid file was accepted")
            return
        }
        #expect(error.line == 3 && error.message.hasPrefix("unknown role 'Anyone'"))
        #expect(fixture.store.current.sha256 == before && fixture.allowsStatus)
        #expect(fixture.store.reload(reason: "poll", onlyIfChanged: true) == .unchanged)
        try FileManager.default.removeItem(at: fixture.file)
        guard case .failed = fixture.store.reload(reason: "poll", onlyIfChanged: true) else {
            Issue.record("a vanished file was not reported")
            return
        }
        #expect(fixture.store.reload(reason: "poll", onlyIfChanged: true) == .unchanged)
        #expect(fixture.allowsStatus)
        #expect(fixture.metrics.contains(#"policy_reloads_total{result="error"} 2"#))
        #expect(fixture.capture.text.components(separatedBy: "access policy not reloaded").count == 3)
    }

    @Test("the built-in policy has nothing to reload")
    func builtIn() {
        #expect(PolicyStore.builtIn().reload(reason: "SIGHUP") == .builtIn)
    }
}
