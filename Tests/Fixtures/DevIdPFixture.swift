import DevIdPKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing

/// A real dev IdP on a loopback port, for the duration of a test.
public struct DevIdPFixture: Sendable {
    public let port: Int
    public let faults: FaultInjector

    public var informationURL: URL { URL(string: "http://127.0.0.1:\(port)/information")! }

    public var informationRequests: Int {
        get async { await faults.counters.informationRequests }
    }

    public static let usersYAML = """
        users:
          - username: demo@example.org
            password: demo-password
            sub: 0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e
            email: demo@example.org
            groups: [/NDP_EP/EP-Demo/]
            roles: [ndp_writer]
            tokens: [demo-token]
          - username: viewer@example.org
            groups: [{path: /ndp_ep/ep-demo, name: ep-demo}]
            roles: [ndp_viewer]
            tokens: [viewer-token]
          - username: outsider@example.org
            groups: [/other]
            roles: []
            tokens: [outsider-token]
          - username: admin@example.org
            groups: []
            roles: [NDP_ADMIN]
            tokens: [admin-token]
        """

    public static func run<Value: Sendable>(_ body: @Sendable (DevIdPFixture) async throws -> Value) async throws -> Value {
        let faults = FaultInjector()
        let definition = DevIdP.definition(
            directory: try UserDirectory.parse(yaml: usersYAML), faults: faults,
            settings: HTTPServerSettings(host: "127.0.0.1", port: 0), registry: PrometheusCollectorRegistry()
        )
        var logger = Logger(label: "dev-idp-test")
        logger.logLevel = .warning
        let app = buildApplication(definition, logger: logger)
        return try await app.test(.live) { client in
            let fixture = DevIdPFixture(port: try #require(client.port), faults: faults)
            // Release anything a failing test left parked, so the server can shut down.
            defer { Task { await faults.releaseHeld() } }
            return try await body(fixture)
        }
    }
}
