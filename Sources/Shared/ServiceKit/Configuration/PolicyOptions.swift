import AccessPolicy
import ArgumentParser
import Logging

/// `--policy-file` (env `POLICY_FILE`), for the services the access policy governs.
public struct PolicyOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("policy-file"), help: "Access policy YAML (env POLICY_FILE); unset: the built-in policy.")
    public var policyFile: String?

    public init() {}

    /// The flag, keyed by the variable it replaces, for ``ServiceLauncher/run(_:context:options:extraOverrides:make:)``.
    public var overrides: [String: String] {
        policyFile.map { ["POLICY_FILE": $0] } ?? [:]
    }
}

extension PolicyStore {
    /// The policy `POLICY_FILE` names, or the built-in one. A file that cannot be used throws
    /// its ``PolicyError``, which the launcher reports in one line before exiting.
    public static func open(from source: ConfigurationSource, logger: Logger) throws -> PolicyStore {
        var logger = logger
        logger[metadataKey: "component"] = "policy"
        return try open(file: source.optionalString("POLICY_FILE"), logger: logger)
    }
}
