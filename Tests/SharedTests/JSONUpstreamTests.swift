import Essentials
import Foundation
import TestFixtures
import Testing

@testable import DevIdPKit

/// The one outbound JSON client, against a real dev IdP on loopback: each way a call can fail
/// is told apart, and an answer is read within its limit.
@Suite("JSON upstream")
struct JSONUpstreamTests {
    static func idp(_ fixture: DevIdPFixture, timeout: Duration = .seconds(5), limit: Int = 1 << 20) -> JSONUpstream {
        JSONUpstream(base: "http://127.0.0.1:\(fixture.port)", timeout: timeout, answerLimit: limit)
    }

    @Test("a JSON call is sent as application/json and its answer decoded")
    func answer() async throws {
        struct Person: Decodable { var sub: String }
        try await DevIdPFixture.run { fixture in
            let answer = try await Self.idp(fixture).call(.POST, "information", json: ["token": "demo-token"])
            #expect(answer.isSuccess && answer.status == 200)
            #expect(answer.decode(Person.self)?.sub == "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e")
            #expect(answer.json?["username"] == "demo@example.org")
        }
    }

    @Test("the upstream's own words are the reason of a refusal")
    func reason() async throws {
        try await DevIdPFixture.run { fixture in
            await fixture.faults.set(faults(error: "Token expired"))
            let answer = try await Self.idp(fixture).call(.POST, "information", json: ["token": "demo-token"])
            #expect(answer.reason("detail", "error") == "Token expired")
            #expect(answer.reason("message") == answer.text)
        }
    }

    @Test("an answer over the limit fails as too large, not as a cut-off body")
    func tooLarge() async throws {
        try await DevIdPFixture.run { fixture in
            await #expect(throws: UpstreamFailure.answerTooLarge(limit: 16)) {
                try await Self.idp(fixture, limit: 16).call(.POST, "information", json: ["token": "demo-token"])
            }
        }
    }

    @Test("an upstream that holds the call times out")
    func timedOut() async throws {
        try await DevIdPFixture.run { fixture in
            await fixture.faults.set(faults(hold: true))
            await #expect(throws: UpstreamFailure.timedOut) {
                try await Self.idp(fixture, timeout: .milliseconds(200)).call(.POST, "information", json: ["token": "demo-token"])
            }
        }
    }

    @Test("a closed port is unreachable, with the cause")
    func unreachable() async throws {
        let closedPort = try await DevIdPFixture.run { $0.port }  // the server is gone once run returns
        let upstream = JSONUpstream(base: "http://127.0.0.1:\(closedPort)", timeout: .seconds(5))
        do {
            _ = try await upstream.call(.GET, "healthz")
            Issue.record("a closed port answered")
        } catch {
            guard case .unreachable(let reason) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(!reason.isEmpty)
        }
    }
}
