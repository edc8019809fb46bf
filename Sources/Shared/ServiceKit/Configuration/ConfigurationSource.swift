import Essentials
import Foundation

/// Where a service's settings come from, in order of precedence:
/// command-line flags, then the process environment, then an optional `.env` file.
///
/// Names are matched case-insensitively, as pydantic-settings does upstream, so
/// `auth_api_url` in a `.env` file sets `AUTH_API_URL`.
public struct ConfigurationSource: Sendable {
    private var layers: [[String: String]]
    /// Set by ``scoped(prefix:)``: names are read as `prefix + NAME`.
    private var prefix = ""
    /// Set by ``scoped(prefix:)``: a blank value does not hide a lower layer's.
    private var blankIsUnset = false

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

    /// A view of these settings in which a name such as `timeoutCreate` is read as
    /// `PREFIX` + `TIMEOUTCREATE` and blank values count as unset: how the pods backend reads
    /// upstream's config.yaml keys and their `BACKEND_*` overrides (viper's rules). Errors
    /// name the full variable.
    public func scoped(prefix: String) -> ConfigurationSource {
        var copy = self
        copy.prefix = prefix
        copy.blankIsUnset = true
        return copy
    }

    /// The same settings without the scope of ``scoped(prefix:)``.
    public var unscoped: ConfigurationSource {
        var copy = self
        copy.prefix = ""
        copy.blankIsUnset = false
        return copy
    }

    /// The variable a name is read from (what errors name).
    public func variable(_ name: String) -> String {
        prefix.isEmpty ? name : prefix + name.uppercased()
    }

    private static func foldKeys(_ values: [String: String]) -> [String: String] {
        Dictionary(values.map { ($0.key.uppercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Typed readers

    /// The raw value, or nil when no layer sets it.
    public func raw(_ name: String) -> String? {
        let key = variable(name).uppercased()
        for layer in layers {
            guard let value = layer[key] else { continue }
            if blankIsUnset, value.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            return value
        }
        return nil
    }

    /// The first of `names` that is set; lets a service accept an upstream alias.
    public func raw(anyOf names: [String]) -> (name: String, value: String)? {
        for name in names {
            if let value = raw(name) { return (name, value) }
        }
        return nil
    }

    public func string(_ name: String, default defaultValue: String) -> String {
        raw(name) ?? defaultValue
    }

    /// A value that is unset or blank counts as absent.
    public func optionalString(_ name: String) -> String? {
        guard let value = raw(name)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    public func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let value = raw(name) else { return defaultValue }
        return try BooleanSetting.parse(value, variable: variable(name))
    }

    public func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let value = raw(name) else { return defaultValue }
        guard let parsed = Int(value.trimmingCharacters(in: .whitespaces)), range.contains(parsed) else {
            throw ConfigurationError(variable: variable(name), value: value, expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return parsed
    }

    public func port(_ name: String, default defaultValue: Int) throws -> Int {
        try integer(name, default: defaultValue, range: 0...65535)
    }

    /// A duration given in (possibly fractional) seconds.
    public func seconds(_ name: String, default defaultValue: Double, range: ClosedRange<Double>) throws -> Duration {
        guard let value = raw(name) else { return .milliseconds(Int64(defaultValue * 1000)) }
        guard let parsed = Double(value.trimmingCharacters(in: .whitespaces)), parsed.isFinite, range.contains(parsed) else {
            throw ConfigurationError(
                variable: variable(name), value: value,
                expected: "a number of seconds from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))"
            )
        }
        return .milliseconds(Int64((parsed * 1000).rounded()))
    }

    /// An absolute http or https URL.
    public func url(_ name: String, default defaultValue: String) throws -> URL {
        let value = raw(name) ?? defaultValue
        guard let url = URL(string: value.trimmingCharacters(in: .whitespaces)),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil
        else {
            throw ConfigurationError(variable: variable(name), value: value, expected: "an absolute http:// or https:// URL")
        }
        return url
    }

    /// One of a fixed set of words, compared case-insensitively.
    public func choice<Choice: RawRepresentable & CaseIterable>(
        _ name: String, default defaultValue: Choice
    ) throws -> Choice where Choice.RawValue == String {
        guard let value = raw(name) else { return defaultValue }
        let folded = value.trimmingCharacters(in: .whitespaces).lowercased()
        guard let choice = Choice.allCases.first(where: { $0.rawValue.lowercased() == folded }) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(variable: variable(name), value: value, expected: "one of \(allowed)")
        }
        return choice
    }

    /// A duration in Go's syntax (`90s`, `1m30s`, `500ms`), as upstream's config.yaml writes them.
    public func goDuration(_ name: String, default defaultValue: String) throws -> Duration {
        let value = optionalString(name) ?? defaultValue
        guard let duration = GoDuration.parse(value), duration >= .zero else {
            throw ConfigurationError(variable: variable(name), value: value, expected: "a Go duration such as 90s, 1m30s or 500ms")
        }
        return duration
    }

    /// A comma-separated list; blank entries are dropped and entries are trimmed.
    public func list(_ name: String) -> [String] {
        guard let value = raw(name) else { return [] }
        return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}

/// Booleans spelled the way pydantic accepts them upstream.
public enum BooleanSetting {
    public static let allowedSpellings = "true/false, 1/0, yes/no, on/off (any case)"

    public static func parse(_ value: String, variable: String) throws -> Bool {
        switch value.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes", "on", "t", "y": return true
        case "false", "0", "no", "off", "f", "n": return false
        default: throw ConfigurationError(variable: variable, value: value, expected: allowedSpellings)
        }
    }
}
