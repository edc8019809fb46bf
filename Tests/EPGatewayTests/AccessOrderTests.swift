import Essentials
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ServiceKit
import Testing

@testable import EPGateway

/// What a route group's middleware does before a handler runs, in-process with an IdP that
/// cannot be reached: a request the group refuses never gets as far as asking the IdP.
@Suite("EP gateway access order")
struct AccessOrderTests {
    static func app() throws -> some ApplicationProtocol {
        let settings = try EPSettings.load(
            from: ConfigurationSource(environment: [
                "AUTH_API_URL": "http://127.0.0.1:9/information", "AUTH_TIMEOUT_SECONDS": "1",
                "REXEC_CONNECTION": "True", "REXEC_DEPLOYMENT_INTERNAL_URL": "http://127.0.0.1:9/rexec",
            ]))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return buildApplication(
            NDPEndpointAPI.definition(
                settings: settings, http: HTTPServerSettings(port: 0), logger: logger, metricsRegistry: PrometheusCollectorRegistry()),
            logger: logger
        )
    }

    @Test("/status redirects to /status/ before any token check, as FastAPI does")
    func bareStatusRedirects() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/status", method: .get) { response in
                #expect(response.status == .temporaryRedirect)
                #expect(response.headers[.location] == "/status/")
            }
            try await client.execute(uri: "/status/", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("no token: 401 from the group, without asking the IdP; a token the IdP cannot check: 502")
    func tokenBeforeHandler() async throws {
        try await Self.app().test(.router) { client in
            for (method, path) in [
                (HTTPRequest.Method.get, "/user/info"), (.get, "/rexec/status"), (.post, "/rexec/spawn"), (.get, "/status/metrics"),
            ] {
                try await client.execute(uri: path, method: method) { response in
                    #expect(response.status == .unauthorized, "\(method) \(path)")
                    let body = try JSONValue.decode(Data(buffer: response.body))
                    #expect(body["detail"] == "Not authenticated")
                }
            }
            try await client.execute(uri: "/user/info", method: .get, headers: [.authorization: "Bearer some-token"]) { response in
                #expect(response.status == .badGateway)
            }
            // Open routes answer without a token.
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
