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

    /// Reads `HOST`, `PORT`, the service's root-path variable(s), `MAX_BODY_BYTES`,
    /// `REQUEST_TIMEOUT_SECONDS`, `HTTP_HEADER_TIMEOUT_SECONDS`, `LOG_LEVEL`, `LOG_FORMAT` and `CORS_ORIGIN`.
    ///
    /// - Parameters:
    ///   - rootPathVariables: upstream names for the prefix, first one wins (`APP_ROOT_PATH`, `ROOT_PATH`).
    ///   - extraRootPaths: prefixes derived from the root path, e.g. `{root}/api` for the EP gateway.
    public static func load(
        from source: ConfigurationSource, defaultPort: Int, defaultHost: String = "0.0.0.0",
        rootPathVariables: [String] = ["ROOT_PATH"],
        extraRootPaths: (String) -> [String] = { _ in [] }
    ) throws -> HTTPServerSettings {
        var rootPaths: [String] = []
        if let (name, value) = source.raw(anyOf: rootPathVariables) {
            let root = try RootPath.normalize(value, variable: name)
            if !root.isEmpty { rootPaths = [root] + extraRootPaths(root) }
        }
        let level = try source.choice("LOG_LEVEL", default: LogLevelSetting.info).level
        return HTTPServerSettings(
            host: source.optionalString("HOST") ?? defaultHost,
            port: try source.port("PORT", default: defaultPort),
            rootPaths: RootPath.longestFirst(rootPaths),
            maxBodyBytes: try source.integer("MAX_BODY_BYTES", default: 1 << 20, range: 1024...(1 << 30)),
            requestTimeout: try source.seconds("REQUEST_TIMEOUT_SECONDS", default: 60, range: 0.1...3600),
            logLevel: level,
            logFormat: try source.choice("LOG_FORMAT", default: LogFormat.text),
            corsOrigin: source.optionalString("CORS_ORIGIN") ?? "*",
            headerTimeout: try source.seconds("HTTP_HEADER_TIMEOUT_SECONDS", default: defaultHeaderTimeout.seconds, range: 0.5...600)
        )
    }
}

/// `LOG_LEVEL` values; upstream Python names (`warning`, `critical`) are accepted too.
enum LogLevelSetting: String, CaseIterable {
    case trace, debug, info, notice, warning, error, critical

    var level: Logger.Level {
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
