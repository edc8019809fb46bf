import Foundation
import Identity
import TestFixtures
import Testing

@testable import DevIdPKit

/// The HTTP IdP client against a real dev IdP on loopback.
@Suite("IdP client")
struct IdentityProviderTests {
    static func client(_ idp: DevIdPFixture, timeout: Duration = .seconds(5)) -> HTTPIdentityProvider {
        HTTPIdentityProvider(url: idp.informationURL, timeout: timeout)
    }

    @Test("a valid token yields the user with every field kept")
    func validToken() async throws {
        try await DevIdPFixture.run { idp in
            let user = try await Self.client(idp).identify(token: "demo-token")
            #expect(user.sub == "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e")
            #expect(user.username == "demo@example.org")
            #expect(user.email == "demo@example.org")
            #expect(user.groups == ["/NDP_EP/EP-Demo/"])
            #expect(user.roles == ["ndp_writer"])
            #expect(user.attributes["email"] == "demo@example.org")
            let viewer = try await Self.client(idp).identify(token: "viewer-token")
            #expect(viewer.groups == ["/ndp_ep/ep-demo"])
            #expect(await idp.informationRequests == 2)
        }
    }

    @Test(
        "IdP answers map to errors",
        arguments: [
            (FaultInjector.Faults(), IdentityProviderError.unauthorized),
            (faults(status: 401), .unauthorized),
            (faults(status: 403), .forbidden),
            (faults(status: 500), .internalError),
            (faults(status: 503), .unexpectedStatus(503)),
            (faults(status: 404), .unexpectedStatus(404)),
            (faults(malformed: true), .malformedResponse),
            (faults(error: "Token expired"), .tokenRejected(reason: "Token expired")),
        ])
    func statusMapping(faults: FaultInjector.Faults, expected: IdentityProviderError) async throws {
        try await DevIdPFixture.run { idp in
            await idp.faults.set(faults)
            await #expect(throws: expected) { try await Self.client(idp).identify(token: "unknown-or-faulted") }
        }
    }

    @Test("a slow IdP times out")
    func timeout() async throws {
        try await DevIdPFixture.run { idp in
            await idp.faults.set(faults(hold: true))
            await #expect(throws: IdentityProviderError.timedOut) {
                try await Self.client(idp, timeout: .milliseconds(200)).identify(token: "demo-token")
            }
        }
    }

    @Test("an unreachable IdP is reported as such")
    func unreachable() async throws {
        let closedPort = try await DevIdPFixture.run { $0.port }  // the server is gone once run returns
        let client = HTTPIdentityProvider(url: URL(string: "http://127.0.0.1:\(closedPort)/information")!, timeout: .seconds(5))
        await #expect {
            try await client.identify(token: "demo-token")
        } throws: { error in
            if case .unreachable = error as? IdentityProviderError { return true }
            return false
        }
    }

    @Test(
        "upstream status and text for each failure, per service",
        arguments: [
            (IdentityProviderError.tokenRejected(reason: "bad"), AuthDialect.epGateway, 401, "Invalid token: bad"),
            (.tokenRejected(reason: "bad"), .deployAPI, 401, "Token validation failed: bad"),
            (.unauthorized, .epGateway, 401, "Invalid or expired token"),
            (.forbidden, .epGateway, 401, "Token does not have sufficient permissions"),
            (.forbidden, .deployAPI, 401, "Token does not have sufficient permissions"),
            (.internalError, .epGateway, 502, "Authentication service is experiencing internal issues."),
            (.internalError, .deployAPI, 502, "Authentication service error"),
            (.unexpectedStatus(503), .epGateway, 502, "Authentication service returned unexpected response (HTTP 503)."),
            (.unreachable(reason: "refused"), .epGateway, 502, "Authentication service is unavailable."),
            (.timedOut, .epGateway, 502, "Authentication service is unavailable."),
            (.unreachable(reason: "refused"), .deployAPI, 502, "Auth service unavailable: connection failed"),
            (.malformedResponse, .epGateway, 502, "Authentication service returned an unexpected error."),
        ])
    func dialects(failure: IdentityProviderError, dialect: AuthDialect, status: Int, message: String) {
        let error = dialect.error(for: failure)
        #expect(Int(error.status.code) == status)
        #expect(error.detail == .string(message))
    }
}

func faults(status: Int? = nil, malformed: Bool = false, delay: Int = 0, hold: Bool = false, error: String? = nil) -> FaultInjector.Faults {
    var faults = FaultInjector.Faults()
    faults.status = status
    faults.malformed = malformed
    faults.delayMilliseconds = delay
    faults.hold = hold
    faults.error = error
    return faults
}
