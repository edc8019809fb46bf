import Essentials
import Foundation

/// Where a service's settings come from, in order of precedence:
/// command-line flags, then the process environment, then an optional `.env` file.
///
/// Names are matched case-insensitively, as pydantic-settings does upstream, so
/// `auth_api_url` in a `.env` file sets `AUTH_API_URL`.
public struct ConfigurationSource: Sendable {
    private var layers: [[String: String]]

    /// - Parameters:
    ///   - overrides: values from command-line flags, keyed by the environment name they override.
    ///   - environment: the process environment.
    ///   - dotEnv: the contents of a `.env` file.
    public init(
        overrides: [String: String] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        dotEnv: [String: String] = [:]
    ) {
        self.layers = [overrides, environment, dotEnv].map(Self.foldKeys)
    }

    /// Reads the process environment and, when it exists, the `.env` file at `dotEnvPath`.
    public static func load(
        overrides: [String: String] = [:],
        dotEnvPath: String? = ".env"
    ) throws -> ConfigurationSource {
        let dotEnv = try dotEnvPath.map(DotEnvFile.load(path:)) ?? [:]
        return ConfigurationSource(overrides: overrides, dotEnv: dotEnv)
    }

    /// A copy in which `values` take precedence over everything else.
    public func overriding(_ values: [String: String]) -> ConfigurationSource {
        var copy = self
        copy.layers.insert(Self.foldKeys(values), at: 0)
        return copy
    }

    /// A copy in which `values` apply only where nothing else sets a name (a config file's
    /// values under environment overrides, as viper layers them).
    public func withDefaults(_ values: [String: String]) -> ConfigurationSource {
        var copy = self
        copy.layers.append(Self.foldKeys(values))
        return copy
    }

    private static func foldKeys(_ values: [String: String]) -> [String: String] {
        Dictionary(values.map { ($0.key.uppercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The raw value of a variable, or nil when no layer sets it. Settings are read with
    /// ``value(_:)``; this is for what is not a setting of ours (upstream's names we only
    /// recognise).
    public func raw(_ name: String) -> String? {
        let key = name.uppercased()
        for layer in layers {
            if let value = layer[key] { return value }
        }
        return nil
    }
}
