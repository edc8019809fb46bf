import ArgumentParser

/// Flags every HTTP service takes. Each flag overrides the environment variable named in
/// its help, so `--port 9000` and `PORT=9000` are the same setting, validated the same way.
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(help: "Address to listen on (env HOST).")
    public var host: String?

    @Option(help: "HTTP port; 0 picks a free one (env PORT).")
    public var port: Int?

    @Option(name: .customLong("root-path"), help: "Path prefix the service also answers under (env ROOT_PATH / APP_ROOT_PATH).")
    public var rootPath: String?

    @Option(name: .customLong("auth-api-url"), help: "Identity provider validation URL (env AUTH_API_URL).")
    public var authAPIURL: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL).")
    public var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json (env LOG_FORMAT).")
    public var logFormat: String?

    @Option(name: .customLong("env-file"), help: "Optional dotenv file read after the environment.")
    public var envFile: String = ".env"

    public init() {}

    /// The flags that were given, keyed by the environment variable they replace.
    public func overrides(rootPathVariable: String) -> [String: String] {
        var values: [String: String] = [:]
        values["HOST"] = host
        values["PORT"] = port.map(String.init)
        values[rootPathVariable] = rootPath
        values["AUTH_API_URL"] = authAPIURL
        values["LOG_LEVEL"] = logLevel
        values["LOG_FORMAT"] = logFormat
        return values
    }

    /// Environment, `.env` file and these flags, merged in that order of increasing precedence.
    public func configurationSource(rootPathVariable: String, extraOverrides: [String: String] = [:]) throws -> ConfigurationSource {
        let merged = overrides(rootPathVariable: rootPathVariable).merging(extraOverrides) { _, extra in extra }
        return try ConfigurationSource.load(overrides: merged, dotEnvPath: envFile)
    }
}
