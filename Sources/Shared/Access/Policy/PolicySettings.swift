import AccessPolicy
import Identity
import Logging
import ServiceKit

/// Where the access policy comes from, for the services it governs.
public enum PolicySettings {
    public static let file = Setting<String?>.optionalText(
        "POLICY_FILE", help: "Access policy YAML (docs/policy.md); unset: the built-in policy. SIGHUP or a change of the file reloads it.",
        accepts: "file path", default: "the built-in policy"
    ).flag("policy-file")

    public static let settings = SettingGroup("Access policy", [file])
}

extension PolicyStore {
    /// The policy `POLICY_FILE` names, or the built-in one. A file that cannot be used throws
    /// its ``PolicyError``, which the launcher reports in one line before exiting.
    public static func open(from source: ConfigurationSource, logger: Logger) throws -> PolicyStore {
        var logger = logger
        logger[metadataKey: "component"] = "policy"
        return try open(file: source.value(PolicySettings.file), logger: logger)
    }
}

extension PolicyError: StartupFailure {
    public var kind: String { "access policy error" }
}
