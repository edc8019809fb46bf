import AsyncHTTPClient
import Essentials
import Foundation
import TestSupport
import Testing

/// The EP gateway and the dev IdP as two real processes: authentication, the group gate,
/// readiness, and the IdP call count seen by the IdP itself.
@Suite("Gateway against the dev IdP", .serialized)
struct GatewayAuthTests {
    static func withStack(
        gateway extra: [String: String] = [:], _ body: (ServiceProcess, ServiceProcess) async throws -> Void
    ) async throws {
        let environment = ["ENABLE_GROUP_BASED_ACCESS": "True", "GROUP_NAMES": "/ndp_ep/ep-demo", "ROOT_PATH": "/ep"]
        try await ServiceProcess.withGateway(environment: environment.merging(extra) { _, new in new }, body)
    }

    static func informationRequests(_ idp: ServiceProcess) async throws -> Int {
        let stats = try await idp.request(.GET, "/_dev/stats").json
        return (stats?["counters"] as? [String: Any])?["information_requests"] as? Int ?? -1
    }

    @Test("/user/info: member, viewer, outsider, bad token, no token")
    func userInfo() async throws {
        try await Self.withStack { _, gateway in
            let member = try await gateway.request(.GET, "/ep/api/user/info", headers: ["Authorization": "Bearer demo-token"])
            #expect(member.status == 200)
            #expect(member.json?["effective_role"] as? String == "writer")
            #expect(member.json?["ndp_user_id"] as? String == "7c64684b294a5055")
            #expect(member.json?["email"] as? String == "demo@example.org")

            let viewer = try await gateway.request(.GET, "/ep/user/info", headers: ["Authorization": "bearer viewer-token"])
            #expect(viewer.json?["effective_role"] as? String == "viewer")

            let outsider = try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer outsider-token"])
            #expect(outsider.status == 403)
            #expect(outsider.json?["detail"] as? String == "You do not have permission to access this Endpoint. Please contact the administrator.")
            #expect(outsider.json?["error"] as? String == "Forbidden")

            let bad = try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer nope"])
            #expect(bad.status == 401 && bad.json?["detail"] as? String == "Invalid or expired token")

            let none = try await gateway.request(.GET, "/user/info")
            #expect(none.status == 401 && none.json?["detail"] as? String == "Not authenticated")
        }
    }

    @Test("N concurrent requests with one new token cost the IdP exactly one call")
    func coalescedThroughTheGateway() async throws {
        try await Self.withStack { idp, gateway in
            _ = try await idp.request(.POST, "/_dev/faults", headers: ["Content-Type": "application/json"], body: #"{"delay_ms": 300}"#)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer demo-token"]).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 20))
            #expect(try await Self.informationRequests(idp) == 1)
            // And later requests are served from the cache.
            for _ in 0..<5 { _ = try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer demo-token"]) }
            #expect(try await Self.informationRequests(idp) == 1)
        }
    }

    @Test("IdP failures: 5xx → 502, and /readyz follows the IdP")
    func idpFailures() async throws {
        try await Self.withStack { idp, gateway in
            #expect(try await gateway.request(.GET, "/readyz").status == 200)
            _ = try await idp.request(.POST, "/_dev/faults", headers: ["Content-Type": "application/json"], body: #"{"status": 500}"#)
            let reply = try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer admin-token"])
            #expect(reply.status == 502)
            #expect(reply.json?["detail"] as? String == "Authentication service is experiencing internal issues.")
            #expect(reply.json?["error"] as? String == "BadGateway")
            #expect(try await gateway.request(.GET, "/readyz").status == 503)
        }
    }

    @Test("IdP error key → 401, slow → 502 within the timeout, down → 502; known tokens ride it out")
    func idpFailureKinds() async throws {
        try await Self.withStack(gateway: ["AUTH_TIMEOUT_SECONDS": "0.5"]) { idp, gateway in
            func info(_ token: String) async throws -> HTTPReply {
                try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer \(token)"])
            }
            func fault(_ json: String) async throws {
                _ = try await idp.request(.POST, "/_dev/faults", headers: ["Content-Type": "application/json"], body: json)
            }
            #expect(try await info("demo-token").status == 200)

            try await fault(#"{"error": "token expired"}"#)
            let rejected = try await info("viewer-token")
            #expect(rejected.status == 401 && rejected.json?["detail"] as? String == "Invalid token: token expired")
            // Cached before the fault: still served, without asking the IdP.
            #expect(try await info("demo-token").status == 200)

            try await fault(#"{"delay_ms": 6000}"#)
            let started = ContinuousClock.now
            let slow = try await info("admin-token")
            #expect(slow.status == 502 && slow.json?["detail"] as? String == "Authentication service is unavailable.")
            // The 0.5 s budget ended it, not the IdP's 6 s.
            #expect(ContinuousClock.now - started < .seconds(5))

            _ = try await idp.request(.POST, "/_dev/reset")
            #expect(try await idp.terminate() == 0)
            let down = try await info("outsider-token")
            #expect(down.status == 502 && down.json?["detail"] as? String == "Authentication service is unavailable.")
            #expect(try await info("demo-token").status == 200)
        }
    }

    @Test("TEST_TOKEN is off by default and works when configured")
    func testToken() async throws {
        try await Self.withStack { _, gateway in
            let reply = try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer testing_token"])
            #expect(reply.status == 401)
        }
        try await Self.withStack(gateway: ["TEST_TOKEN": "local-only"]) { idp, gateway in
            let reply = try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer local-only"])
            #expect(reply.status == 200)
            #expect(reply.json?["effective_role"] as? String == "admin")
            #expect(try await Self.informationRequests(idp) == 0)
        }
    }

    @Test("the gateway's logs never contain a token")
    func noTokenInLogs() async throws {
        try await Self.withStack(gateway: ["LOG_LEVEL": "trace", "LOG_FORMAT": "json"]) { _, gateway in
            _ = try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer demo-token"])
            _ = try await gateway.request(.GET, "/user/info", headers: ["Authorization": "Bearer secret-unknown-token"])
            try await Sleep.for(.zero)
            #expect(gateway.log.contains(#""msg":"request""#))
            #expect(!gateway.log.contains("demo-token"))
            #expect(!gateway.log.contains("secret-unknown-token"))
        }
    }
}
