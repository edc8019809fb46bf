import ArgumentParser
import ServiceKit

/// rexec-broker: routes rexec calls between clients and per-user servers over ZeroMQ
/// (docs/specs/rexec.md §2), with an HTTP side port for /healthz, /readyz and /metrics.
@main
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = RexecBroker.binary.command(
        discussion: "Upstream's flags --client_port, --server_port, --control_port, --auth_api_url, -v and --debug work unchanged.")

    /// The settings' flags (`--client-port 5559`), read by the launcher from their declarations.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Log at info level (upstream flag).")
    var verbose = false

    @Flag(name: .customLong("debug"), help: "Log at debug level (upstream flag). Tokens are never logged.")
    var debug = false

    func run() async throws {
        let level = debug ? "debug" : verbose ? "info" : nil
        try await ServiceLauncher.run(RexecBroker.binary, arguments: settingFlags, extraOverrides: level.map { ["LOG_LEVEL": $0] } ?? [:])
    }
}
