import Foundation
import Identity
import ServiceKit
import Testing

@testable import Broker

@Suite("Broker settings")
struct BrokerSettingsTests {
    static let auth = AuthSettings(authAPIURL: URL(string: "http://idp/information")!)

    @Test("defaults: upstream ports, clients and servers on every address, control internal, no secret")
    func defaults() throws {
        let settings = try BrokerSettings.load(from: ConfigurationSource(environment: [:]), auth: Self.auth)
        #expect(settings.clientEndpoint == "tcp://0.0.0.0:5559")
        #expect(settings.serverEndpoint == "tcp://0.0.0.0:5560")
        #expect(settings.controlEndpoint == "tcp://127.0.0.1:5561")
        #expect(settings.controlSecret == nil)
        #expect(settings.tokenTTL == Self.auth.cacheTTL)
    }

    @Test("upstream's lowercase variables, bind addresses, port 0 and IPv6")
    func overrides() throws {
        let settings = try BrokerSettings.load(
            from: ConfigurationSource(environment: [
                "client_port": "30001", "server_port": "0", "REXEC_BROKER_CONTROL_BIND_ADDRESS": "::1",
                "REXEC_BROKER_CONTROL_SECRET": "0123456789abcdef",
            ]), auth: Self.auth)
        #expect(settings.clientEndpoint == "tcp://0.0.0.0:30001")
        #expect(settings.serverEndpoint == "tcp://0.0.0.0:*")
        #expect(settings.controlEndpoint == "tcp://[::1]:5561")
        #expect(settings.controlSecret == "0123456789abcdef")
    }

    @Test(
        "the secret can come from a file; short secrets and odd addresses are refused",
        arguments: [
            ["REXEC_BROKER_CONTROL_SECRET": "short"],
            ["REXEC_BROKER_CONTROL_SECRET_FILE": "/nonexistent/secret"],
            ["REXEC_BROKER_CLIENT_BIND_ADDRESS": "host; rm -rf /"],
            ["CLIENT_PORT": "70000"],
        ])
    func refused(environment: [String: String]) {
        #expect(throws: ConfigurationError.self) {
            try BrokerSettings.load(from: ConfigurationSource(environment: environment), auth: Self.auth)
        }
    }

    @Test("secret file")
    func secretFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        try Data("  file-secret-0123456789\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try BrokerSettings.load(from: ConfigurationSource(environment: ["REXEC_BROKER_CONTROL_SECRET_FILE": path]), auth: Self.auth)
        #expect(settings.controlSecret == "file-secret-0123456789")
    }

    @Test("control commands parse as documented")
    func controlCommands() {
        #expect(ControlCommand.parse([Array("statistics".utf8)]) == .statistics)
        #expect(ControlCommand.parse([Array("TERMINATE".utf8), Array("s".utf8)]) == .terminate(secret: "s"))
        #expect(ControlCommand.parse([Array("QUIT s2".utf8)]) == .terminate(secret: "s2"))
        #expect(ControlCommand.parse([]) == .unknown)
        #expect(ControlCommand.authorize(given: "abc", configured: nil) != .accept)
        #expect(ControlCommand.authorize(given: "abc", configured: "abc") == .accept)
        #expect(ControlCommand.authorize(given: "abd", configured: "abc") != .accept)
    }
}
