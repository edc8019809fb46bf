import DevIdPKit
import Essentials
import Foundation
import Logging
import ServiceLifecycle
import TestFixtures
import TestSupport
import Testing

@testable import DeployAPI

/// The deploy API's contract with its clients beyond spawn itself: auth and the group gate
/// (docs/specs/rexec.md §5.4), /broker-config (§5.6), aliases, wait and /status, the reaper.
@Suite("Deploy API contract")
struct DeployAPIContractTests {
    static let requirements = ["python==3.11", "numpy>=1.26"]

    @Test("auth: form token or bearer; missing → 401; rejected → 401; IdP down → 502; nothing created")
    func authentication() async throws {
        try await DeployHarness.run { harness in
            let noToken = try await harness.request(.post, "/rexec/spawn", form: [("requirments", "python==3.11")])
            #expect(noToken.status == 401 && noToken["detail"] == "Not authenticated")
            let bad = try await harness.spawn(Self.requirements, token: "not-a-token")
            #expect(bad.status == 401 && bad["detail"] == "Invalid or expired token")
            let bearer = try await harness.request(.post, "/rexec/spawn", form: Self.requirements.map { ("requirments", $0) }, bearer: "demo-token")
            #expect(bearer.status == 200, "\(bearer.text)")

            await harness.idp.faults.set(Self.faults(status: 500))
            let down = try await harness.spawn(["python==3.12"], token: "viewer-token")
            #expect(down.status == 502 && down["detail"] == "Authentication service error")
            let missingField = try await harness.request(.post, "/rexec/spawn", form: [("token", "demo-token")])
            #expect(missingField.status == 422)
        }
    }

    @Test("the group gate: members pass with their membership, outsiders get upstream's 403 for a spawn")
    func groupGate() async throws {
        try await DeployHarness.run(environment: ["ENABLE_GROUP_BASED_ACCESS": "true", "GROUP_NAMES": "/ndp_ep/ep-demo"]) { harness in
            let member = try await harness.spawn(Self.requirements)
            #expect(member.status == 200)
            #expect(member["NDP_Endpoint_membership"] == "ndp_ep/ep-demo")
            let outsider = try await harness.spawn(Self.requirements, token: "outsider-token")
            #expect(outsider.status == 403 && outsider["detail"] == "Access forbidden: user is not a member of an allowed group.")
            // Terminating is the owner's right (the access policy's `rexec delete: [Object.Owner]`),
            // so a user who left the groups can still stop their own server; an outsider
            // owns none, and is told so.
            let terminate = try await harness.terminate(token: "outsider-token")
            #expect(terminate.status == 200 && terminate["terminated"] == false, "\(terminate.text)")
        }
    }

    @Test("/broker-config: the NodePort Service's port and the first node's address, or the configured values")
    func brokerConfig() async throws {
        try await DeployHarness.run { harness in
            try #require(!harness.isRealCluster, "a real cluster's node addresses differ")
            let config = try await harness.request(.get, "/rexec/broker-config")
            #expect(config.status == 200)
            #expect(
                config.body == [
                    "broker_external_host": "172.18.0.2", "broker_external_port": 30001, "broker_external_url": "172.18.0.2:30001", "api_url": .null,
                ])
        }
        try await DeployHarness.run(environment: [
            "REXEC_BROKER_EXTERNAL_HOST": "rexec.example.org", "REXEC_BROKER_EXTERNAL_PORT": "31000",
            "REXEC_DEPLOYMENT_PUBLIC_URL": "https://ep.example.org/rexec/",
        ]) { harness in
            let config = try await harness.request(.get, "/broker-config")
            #expect(
                config.body == [
                    "broker_external_host": "rexec.example.org", "broker_external_port": 31000, "broker_external_url": "rexec.example.org:31000",
                    "api_url": "https://ep.example.org/rexec/spawn",
                ])
        }
    }

    @Test("POST at the root path spawns (ndp-ep leaves scidx-rexec pointing there); GET / is upstream's string")
    func aliases() async throws {
        try await DeployHarness.run { harness in
            #expect(
                try await harness.spawn(Self.requirements, path: "/rexec")["Status"]?.stringValue?.hasPrefix("Remote Execution server created")
                    == true)
            #expect(
                try await harness.spawn(Self.requirements, path: "/")["Status"]
                    == "remote execution server instance with user-provided requirements exists.")
            #expect(try await harness.request(.get, "/rexec/").body == "API is running successfully.")
            let unknown = try await harness.request(.get, "/rexec/nothing-here")
            #expect(unknown.status == 404)
        }
    }

    @Test("wait=true answers once the server's pod is ready; /status reports it")
    func waitAndStatus() async throws {
        try await DeployHarness.run { harness in
            let absent = try await harness.request(.get, "/rexec/status", bearer: "demo-token")
            #expect(absent["phase"] == "absent" && absent["ready"] == false)
            let spawned = try await harness.spawn(Self.requirements, wait: true)
            #expect(spawned.status == 200, "\(spawned.text)")
            #expect(spawned["ready"] == true)
            let status = try await harness.request(.get, "/rexec/status", bearer: "demo-token")
            #expect(status["phase"] == "running" && status["ready"] == true)
            #expect(status["requirements"] == ["python==3.11", "numpy>=1.26"])
            #expect(status["digest"] == .string(try RequirementSet(lines: Self.requirements).digest))
            #expect(try await harness.request(.get, "/rexec/status").status == 401)
        }
    }

    @Test("a server whose pod cannot start makes wait=true fail fast with the reason")
    func waitForFailedServer() async throws {
        try await DeployHarness.run(environment: ["REXEC_SERVER_IMAGE": "crashloop/python:{python}"]) { harness in
            try #require(!harness.isRealCluster)
            let spawned = try await harness.spawn(Self.requirements, wait: true)
            #expect(spawned.status == 503, "\(spawned.text)")
            #expect(spawned["detail"]?.stringValue?.contains("CrashLoopBackOff") == true)
            #expect(try await harness.request(.get, "/rexec/status", bearer: "demo-token")["phase"] == "failed")
        }
    }

    @Test("the reaper removes servers past their lifetime or idle, and keeps the others")
    func reaper() async throws {
        try await DeployHarness.run { harness in
            #expect(try await harness.spawn(Self.requirements).status == 200)
            let runtime = try RexecDeployAPI.makeRuntime(harness.settings, logger: Logger(label: "reaper"))
            let manager = ServerManager(runtime: runtime, broker: nil, metrics: DeployMetrics(registry: .init()), logger: Logger(label: "reaper"))
            let lifecycle = DeploySettings.LifecycleSettings(
                spawnWaitTimeout: .seconds(1), idleTimeout: .seconds(600), maxLifetime: .zero, reaperInterval: .seconds(60)
            )
            let reaper = IdleReaper(manager: manager, settings: lifecycle, logger: Logger(label: "reaper"))
            #expect(try await reaper.pass(now: Date()).isEmpty)
            let reaped = try await reaper.pass(now: Date().addingTimeInterval(3600))
            #expect(reaped.map(\.sub) == [DeployHarness.demoSub])
            #expect(try await harness.request(.get, "/rexec/status", bearer: "demo-token")["phase"] != "running")
        }
    }

    @Test("the reaper stops at once on graceful shutdown, not after its interval")
    func reaperStopsPromptly() async throws {
        try await DeployHarness.run { harness in
            let runtime = try RexecDeployAPI.makeRuntime(harness.settings, logger: Logger(label: "reaper"))
            let manager = ServerManager(runtime: runtime, broker: nil, metrics: DeployMetrics(registry: .init()), logger: Logger(label: "reaper"))
            let lifecycle = DeploySettings.LifecycleSettings(
                spawnWaitTimeout: .seconds(1), idleTimeout: .seconds(600), maxLifetime: .zero, reaperInterval: .seconds(3600)
            )
            let logs = LogCapture()
            let group = ServiceGroup(
                configuration: .init(
                    services: [IdleReaper(manager: manager, settings: lifecycle, logger: logs.logger())], logger: Logger(label: "group"))
            )
            // A reaper that waited out its pause would be cancelled here, failing the test.
            try await withDeadline(.seconds(60)) {
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    // Its loop has begun: from here it passes, then pauses for the hour.
                    try await waitUntil("the reaper has started") { logs.text.contains("idle reaper on") }
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
            #expect(logs.text.contains("idle reaper stopped"))
        }
    }

    static func faults(status: Int) -> FaultInjector.Faults {
        var faults = FaultInjector.Faults()
        faults.status = status
        return faults
    }
}
