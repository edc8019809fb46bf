import Foundation
import Logging

/// How a service's HTTP listener behaves. Shared by all four services.
public struct HTTPServerSettings: Sendable, Equatable {
    public enum LogFormat: String, CaseIterable, Sendable { case text, json }

    public var host: String
    public var port: Int
    /// Path prefixes the service also answers under, longest first, e.g. `["/ep/api", "/ep"]`.
    public var rootPaths: [String]
    public var maxBodyBytes: Int
    public var requestTimeout: Duration
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// `CORS_ORIGIN`: `*` (default) reflects any origin, as upstream does; otherwise the one origin allowed.
    public var corsOrigin: String
    /// `HTTP_HEADER_TIMEOUT_SECONDS`: a new connection's first request head must arrive within
    /// this (slow-loris clients are answered 408 and closed; ``ConnectionGuards``).
    public var headerTimeout: Duration = Self.defaultHeaderTimeout
    public static let defaultHeaderTimeout: Duration = .seconds(20)

    public init(
        host: String = "127.0.0.1", port: Int, rootPaths: [String] = [], maxBodyBytes: Int = 1 << 20,
        requestTimeout: Duration = .seconds(60), logLevel: Logger.Level = .info, logFormat: LogFormat = .text,
        corsOrigin: String = "*", headerTimeout: Duration = HTTPServerSettings.defaultHeaderTimeout
    ) {
        self.host = host
        self.port = port
        self.rootPaths = rootPaths
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeout = requestTimeout
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.corsOrigin = corsOrigin
        self.headerTimeout = headerTimeout
    }

}

extension HTTPServerSettings {
    /// The listener's and the logs' settings, as every binary declares them: the same names,
    /// with the binary's own default port and root-path variables.
    public struct Declarations: Sendable {
        public let host: Setting<String>
        public let port: Setting<Int>
        public let rootPath: Setting<String>
        public let maxBodyBytes = Setting<Int>.integer(
            "MAX_BODY_BYTES", default: 1 << 20, range: 1024...(1 << 30), help: "Request body limit in bytes; a larger body is answered 413.")
        public let requestTimeout = Setting<Duration>.seconds(
            "REQUEST_TIMEOUT_SECONDS", default: 60, range: 0.1...3600,
            help:
                "Time a handler may take before 503; on streaming routes (uploads, the services proxy, staging) the longest wait for the next chunk of the request body before 408."
        )
        public let headerTimeout = Setting<Duration>.seconds(
            "HTTP_HEADER_TIMEOUT_SECONDS", default: HTTPServerSettings.defaultHeaderTimeout.seconds, range: 0.5...600,
            help:
                "A new connection's first request head must arrive within this: a client trickling headers (slow loris) gets 408 and is closed. Headers over 80 KiB get 431, an unreadable request 400."
        )
        public let logLevel = Setting<LogLevelSetting>.choice(
            "LOG_LEVEL", default: .info, help: "Lowest level logged; Python's names (warning, critical) work too."
        ).flag("log-level")
        public let logFormat = Setting<LogFormat>.choice("LOG_FORMAT", default: .text, help: "`json` gives one JSON object a line.").flag(
            "log-format")
        public let corsOrigin = Setting<String>.text(
            "CORS_ORIGIN", default: "*", help: "`*` reflects the request's origin, as upstream; otherwise the one origin allowed."
        ).blankMeansDefault()
        /// Prefixes derived from the root path (the EP also answers under `{root}/api`).
        let extraRootPaths: @Sendable (String) -> [String]

        /// - Parameters:
        ///   - rootPathVariables: upstream's names of the root path, first wins (`APP_ROOT_PATH`, `ROOT_PATH`).
        ///   - portFlags: the port's flags (`port`; the broker adds `http-port`).
        public init(
            defaultPort: Int, defaultHost: String = "0.0.0.0", rootPathVariables: [String] = ["ROOT_PATH"], portFlags: [String] = ["port"],
            extraRootPaths: @escaping @Sendable (String) -> [String] = { _ in [] }
        ) {
            host = Setting<String>.text("HOST", default: defaultHost, help: "Address the HTTP listener binds.").flag("host")
                .blankMeansDefault()
            var port = Setting<Int>.port("PORT", default: defaultPort, help: "HTTP port; 0 picks a free one.")
            port.flags = portFlags
            self.port = port
            var rootPath = Setting<String>(
                rootPathVariables[0],
                help: "Path prefix the service also answers under (every route is served with and without it).",
                accepts: "URL path (/ep, /rexec)", defaultDescription: "none",
                parse: { text in try RootPath.normalize(text) }, fallback: { _ in "" }
            ).flag("root-path")
            rootPath.aliases = Array(rootPathVariables.dropFirst())
            self.rootPath = rootPath
            self.extraRootPaths = extraRootPaths
        }

        public var group: SettingGroup {
            SettingGroup(
                "HTTP listener and logs", [host, port, rootPath, maxBodyBytes, requestTimeout, headerTimeout, logLevel, logFormat, corsOrigin])
        }

        public func load(from source: ConfigurationSource) throws -> HTTPServerSettings {
            let root = try source.value(rootPath)
            return HTTPServerSettings(
                host: try source.value(host).trimmingCharacters(in: .whitespaces),
                port: try source.value(port),
                rootPaths: root.isEmpty ? [] : RootPath.longestFirst([root] + extraRootPaths(root)),
                maxBodyBytes: try source.value(maxBodyBytes),
                requestTimeout: try source.value(requestTimeout),
                logLevel: try source.value(logLevel).level,
                logFormat: try source.value(logFormat),
                corsOrigin: try source.value(corsOrigin),
                headerTimeout: try source.value(headerTimeout)
            )
        }
    }
}

/// `LOG_LEVEL` values; upstream Python names (`warning`, `critical`) are accepted too.
public enum LogLevelSetting: String, CaseIterable, Sendable {
    case trace, debug, info, notice, warning, error, critical

    public var level: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
