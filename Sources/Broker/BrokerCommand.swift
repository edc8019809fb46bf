import ArgumentParser
import Hummingbird
import Logging
import ServiceKit

/// rexec-broker: routes rexec calls between clients and per-user servers over ZeroMQ
/// (docs/specs/rexec.md §2), with an HTTP side port for /healthz, /readyz and /metrics.
@main
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rexec-broker",
        abstract: "ZeroMQ router between rexec clients and per-user rexec servers.",
        discussion: """
            Every setting is also read from the environment (and an optional .env file); flags win.
            Upstream's flags --client_port, --server_port, --control_port, --auth_api_url, -v and --debug work unchanged.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("http-port"), help: "Port for /healthz, /readyz and /metrics (same as --port; env PORT; default 9090).")
    var httpPort: Int?

    @Option(
        name: [.customLong("client-port"), .customLong("client_port")],
        help: "Client ROUTER port; 0 picks a free one (env CLIENT_PORT; default 5559).")
    var clientPort: Int?

    @Option(name: [.customLong("server-port"), .customLong("server_port")], help: "Server ROUTER port (env SERVER_PORT; default 5560).")
    var serverPort: Int?

    @Option(name: [.customLong("control-port"), .customLong("control_port")], help: "Control socket port (env CONTROL_PORT; default 5561).")
    var controlPort: Int?

    @Option(name: .customLong("auth_api_url"), help: "Upstream spelling of --auth-api-url.")
    var upstreamAuthAPIURL: String?

    @Option(name: .customLong("client-bind"), help: "Address the client socket listens on (env REXEC_BROKER_CLIENT_BIND_ADDRESS; default 0.0.0.0).")
    var clientBind: String?

    @Option(name: .customLong("server-bind"), help: "Address the server socket listens on (env REXEC_BROKER_SERVER_BIND_ADDRESS; default 0.0.0.0).")
    var serverBind: String?

    @Option(
        name: .customLong("control-bind"), help: "Address the control socket listens on (env REXEC_BROKER_CONTROL_BIND_ADDRESS; default 127.0.0.1).")
    var controlBind: String?

    @Option(
        name: .customLong("heartbeat-stale-seconds"),
        help: "Report a server stale after this much silence (env REXEC_BROKER_HEARTBEAT_STALE_SECONDS; default 90).")
    var staleSeconds: Double?

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Log at info level (upstream flag).")
    var verbose = false

    @Flag(name: .customLong("debug"), help: "Log at debug level (upstream flag). Tokens are never logged.")
    var debug = false

    func run() async throws {
        let spec = LaunchSpec(name: "rexec-broker", defaultPort: 9090)
        var overrides: [String: String] = [:]
        overrides["PORT"] = httpPort.map(String.init)
        overrides["CLIENT_PORT"] = clientPort.map(String.init)
        overrides["SERVER_PORT"] = serverPort.map(String.init)
        overrides["CONTROL_PORT"] = controlPort.map(String.init)
        overrides["AUTH_API_URL"] = upstreamAuthAPIURL ?? common.authAPIURL
        overrides["REXEC_BROKER_CLIENT_BIND_ADDRESS"] = clientBind
        overrides["REXEC_BROKER_SERVER_BIND_ADDRESS"] = serverBind
        overrides["REXEC_BROKER_CONTROL_BIND_ADDRESS"] = controlBind
        overrides["REXEC_BROKER_HEARTBEAT_STALE_SECONDS"] = staleSeconds.map { String($0) }
        if debug { overrides["LOG_LEVEL"] = "debug" } else if verbose { overrides["LOG_LEVEL"] = "info" }

        try await ServiceLauncher.run(
            spec, context: BasicServiceRequestContext.self, options: common, extraOverrides: overrides.compactMapValues { $0 }
        ) { launch in
            try RexecBroker.definition(source: launch.source, http: launch.http, logger: launch.logger, metricsRegistry: launch.metricsRegistry)
        }
    }
}
