import Crypto
import Essentials
import Foundation
import TestSupport
import Testing

/// The access policy of running services, from a file of the test's own: it is enforced,
/// reported, reloaded by SIGHUP and on change, survives an invalid reload, and an invalid file
/// stops start-up naming its line.
@Suite("Access policy files", .serialized)
struct PolicyFileTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let defaultPolicy = (try? String(contentsOf: repository.appendingPathComponent("config/policy.yaml"), encoding: .utf8)) ?? ""

    /// The default policy with `rexec` `protected` `read` (`/status/rexec`) set to `roles`.
    static func policy(rexecStatusReaders roles: String) throws -> String {
        let rule = "(/status/rexec)\n    create: []\n    read:   [Endpoint.Writer]\n"
        try #require(defaultPolicy.components(separatedBy: rule).count == 2, "config/policy.yaml changed: update PolicyFileTests")
        return defaultPolicy.replacingOccurrences(of: rule, with: "(/status/rexec)\n    create: []\n    read:   \(roles)\n")
    }

    static func write(_ text: String, to file: URL) throws {
        // As a ConfigMap update does: a new file renamed over the old one.
        let staging = file.deletingLastPathComponent().appendingPathComponent(".policy-\(UUID().uuidString)")
        try Data(text.utf8).write(to: staging)
        try #require(rename(staging.path, file.path) == 0, "rename: errno \(errno)")
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }

    static func withGateway(policy text: String, _ body: (ServiceProcess, URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("policy.yaml")
        try write(text, to: file)
        try await ServiceProcess.withGateway(
            arguments: ["--policy-file", file.path],
            environment: [
                "REXEC_CONNECTION": "True", "REXEC_DEPLOYMENT_INTERNAL_URL": "http://127.0.0.1:9/rexec",
                "REXEC_DEPLOYMENT_API_URL": "http://ep.example/rexec",
            ]
        ) { _, gateway in try await body(gateway, file) }
    }

    static func statusRexec(_ gateway: ServiceProcess, _ token: String) async throws -> Int {
        try await gateway.request(.GET, "/status/rexec", headers: ["Authorization": "Bearer \(token)"]).status
    }

    @Test(
        "tightening rexec read to Endpoint.Admin: /status/rexec is 403 for a writer, 200 for an admin; GET /policy and /status/ report the file's hash"
    )
    func tightened() async throws {
        let text = try Self.policy(rexecStatusReaders: "[Endpoint.Admin]")
        try await Self.withGateway(policy: text) { gateway, file in
            let writer = try await gateway.request(.GET, "/status/rexec", headers: ["Authorization": "Bearer demo-token"])
            #expect(writer.status == 403)
            #expect(
                writer.json?["detail"] as? String
                    == "Administrator role required. The access policy does not allow you to read rexec (protected); it allows Endpoint.Admin.")
            #expect(try await Self.statusRexec(gateway, "admin-token") == 200)

            let policy = try await gateway.request(.GET, "/policy", headers: ["Authorization": "Bearer viewer-token"])
            #expect(policy.status == 200)
            #expect(policy.json?["sha256"] as? String == Self.sha256(text))
            #expect(policy.json?["source"] as? String == file.path)
            let rules = (policy.json?["policy"] as? [String: Any])?["rexec"] as? [String: [String: [String]]]
            #expect(rules?["protected"]?["read"] == ["Endpoint.Admin"])
            #expect(try await gateway.request(.GET, "/policy").status == 401)
            let status = try await gateway.request(.GET, "/status/", headers: ["Authorization": "Bearer viewer-token"])
            #expect(status.json?["policy_sha256"] as? String == Self.sha256(text))
            // The refusal is audited, without the token.
            #expect(gateway.log.contains("access denied") && gateway.log.contains("entity=rexec"))
            #expect(!gateway.log.contains("demo-token"))
        }
    }

    @Test("loosening, by rewriting the file and by SIGHUP, takes effect without a restart; an invalid file keeps the policy in force")
    func reloads() async throws {
        try await Self.withGateway(policy: Self.defaultPolicy) { gateway, file in
            #expect(try await Self.statusRexec(gateway, "viewer-token") == 403)

            // Loosened by rewriting the file: the watcher notices within 10 s.
            let loosened = try Self.policy(rexecStatusReaders: "[Endpoint.Viewer]")
            try Self.write(loosened, to: file)
            try await waitUntil("the loosened policy is in force", timeout: .seconds(10)) {
                (try? await Self.statusRexec(gateway, "viewer-token")) == 200
            }
            #expect(
                try await gateway.request(.GET, "/policy", headers: ["Authorization": "Bearer viewer-token"]).json?["sha256"] as? String
                    == Self.sha256(loosened))

            // An invalid file: refused with its line, counted, and the loosened policy stays.
            try Self.write(loosened.replacingOccurrences(of: "[Endpoint.Viewer]", with: "[Endpoint.Viewr]"), to: file)
            try await waitUntil("the invalid file is reported", timeout: .seconds(10)) {
                gateway.log.contains("access policy not reloaded")
            }
            #expect(gateway.log.contains("\(file.path):"))
            #expect(gateway.log.contains("unknown role 'Viewr' in 'Endpoint.Viewr'"))
            #expect(try await Self.statusRexec(gateway, "viewer-token") == 200)
            let metrics = try await gateway.request(.GET, "/metrics").text
            #expect(metrics.contains(#"policy_reloads_total{result="error"} 1"#))

            // Tightened again, announced by SIGHUP: the process reloads (and does not end).
            try Self.write(Self.defaultPolicy, to: file)
            gateway.send(SIGHUP)
            try await waitUntil("SIGHUP reloads the policy", timeout: .seconds(10)) {
                let refused = (try? await Self.statusRexec(gateway, "viewer-token")) == 403
                return refused && gateway.log.contains("policy.reload=SIGHUP")
            }
            #expect(gateway.isRunning)
        }
    }

    @Test(
        "an invalid policy file stops start-up with exit 78 and one line naming the file and the line",
        arguments: ["rexec-deploy-api", "ndp-ep-api", "user-pods-backend"])
    func invalidAtStartUp(service: String) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-policy-\(UUID().uuidString).yaml")
        try Data("status:\n  public:\n    read: [Any.Any]\n    delete: [Endpoint.Wrter]\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try await ServiceProcess.run(
            service, arguments: ["--port", "0"], environment: ServiceBinaryTests.environment(for: service).merging(["POLICY_FILE": file.path]) { $1 })
        #expect(status == 78)
        #expect(output.contains("\(service): access policy error: \(file.path):4:14: unknown role 'Wrter' in 'Endpoint.Wrter'"), "\(output)")
    }

    @Test("the pods backend and the deploy API serve GET /policy with the file's hash")
    func otherServices() async throws {
        let text = try Self.policy(rexecStatusReaders: "[Endpoint.Admin]")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString).yaml")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let pods = try await ServiceProcess.start(
            "user-pods-backend", arguments: ["--policy-file", file.path], environment: ServiceBinaryTests.environment(for: "user-pods-backend"))
        let reply = try await pods.request(.GET, "/policy", headers: ["X-Backend-Secret": "service-test-secret-0123"])
        #expect(reply.status == 200 && reply.json?["sha256"] as? String == Self.sha256(text))
        #expect(try await pods.request(.GET, "/policy").status == 401)
        #expect(try await pods.terminate() == 0)

        let idp = try await ServiceProcess.start("dev-idp", environment: ["DEV_IDP_USERS": ServiceBinaryTests.usersFile])
        let deploy = try await ServiceProcess.start(
            "rexec-deploy-api",
            environment: ServiceBinaryTests.environment(for: "rexec-deploy-api").merging(
                ["POLICY_FILE": file.path, "AUTH_API_URL": "\(idp.baseURL)/information"]) { $1 })
        let answer = try await deploy.request(.GET, "/policy", headers: ["Authorization": "Bearer member-token"])
        #expect(answer.status == 200 && answer.json?["sha256"] as? String == Self.sha256(text))
        #expect(try await deploy.terminate() == 0)
        #expect(try await idp.terminate() == 0)
    }
}
