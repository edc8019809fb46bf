import Foundation

/// One setting, declared once: its environment name, what it accepts, its default (or how
/// the default follows from other settings), its flag and its help. Reading it
/// (``ConfigurationSource/value(_:)``), the flags and `--help` of every binary
/// (``SettingFlags``) and docs/configuration.md (``SettingsDocument``) all come from the
/// declaration, so none of them can say something the others do not.
///
/// Only a value the user gave is checked against the bounds; a default, fixed or derived, is
/// taken as it is.
public struct Setting<Value: Sendable>: Sendable {
    /// The environment variable (`AUTH_CACHE_TTL_SECONDS`).
    public let name: String
    /// Other variables that set it too, after `name` in precedence (upstream's `ROOT_PATH`
    /// beside `APP_ROOT_PATH`).
    public var aliases: [String] = []
    /// Long flags without dashes (`port`, `client_port`); the first is shown in `--help`.
    public var flags: [String] = []
    /// The key in a configuration file that sets it (the pods backend's `config.yaml`).
    public var fileKey: String?
    public let help: String
    /// What it accepts, in words (`seconds, 0 to 86400`).
    public let accepts: String
    /// Its default, in words (`60`, `none`, `AUTH_CACHE_TTL_SECONDS, at most 10`).
    public var defaultDescription: String
    /// Never shown: errors print `<hidden>`, docs say "secret".
    public var isSecret = false
    /// A blank value counts as unset (viper's rule for the pods backend's keys).
    public var blankIsUnset = false
    var parse: @Sendable (String) throws -> Value
    var fallback: @Sendable (ConfigurationSource) throws -> Value

    /// - Parameters:
    ///   - parse: the given text to a value; throws ``SettingRefusal`` (what it expected) when it cannot.
    ///   - fallback: the value when nothing sets it.
    public init(
        _ name: String, help: String, accepts: String, defaultDescription: String, parse: @escaping @Sendable (String) throws -> Value,
        fallback: @escaping @Sendable (ConfigurationSource) throws -> Value
    ) {
        self.name = name
        self.help = help
        self.accepts = accepts
        self.defaultDescription = defaultDescription
        self.parse = parse
        self.fallback = fallback
    }

    /// Every variable that sets it, in precedence order.
    public var variables: [String] { [name] + aliases }

    // MARK: Modifiers

    /// The same setting, also set by `--flag` (and the other spellings given).
    public func flag(_ names: String...) -> Setting {
        var copy = self
        copy.flags += names
        return copy
    }

    /// The same setting, also set by these variables (after its own name).
    public func aliases(_ names: String...) -> Setting {
        var copy = self
        copy.aliases += names
        return copy
    }

    /// A value never printed.
    public func secret() -> Setting {
        var copy = self
        copy.isSecret = true
        return copy
    }

    /// A blank value counts as unset (the default applies).
    public func blankMeansDefault() -> Setting {
        var copy = self
        copy.blankIsUnset = true
        return copy
    }

    /// The same setting, also read from `key` of a configuration file (whose loader keys the
    /// file's values by this setting's variable); a blank value counts as unset there and here.
    public func fileKey(_ key: String) -> Setting {
        var copy = self
        copy.fileKey = key
        copy.blankIsUnset = true
        return copy
    }

    /// A default that follows other settings: `description` says how, `derive` computes it.
    /// The derived value is not checked against this setting's bounds: only what a user gives is.
    public func derivingDefault(_ description: String, _ derive: @escaping @Sendable (ConfigurationSource) throws -> Value) -> Setting {
        var copy = self
        copy.defaultDescription = description
        copy.fallback = derive
        return copy
    }

    /// The same setting with one more check of the value the user gave: `check` returns what
    /// was expected when the value is refused, nil when it is fine.
    public func checking(_ check: @escaping @Sendable (Value) -> String?) -> Setting {
        let parse = self.parse
        var copy = self
        copy.parse = { text in
            let value = try parse(text)
            if let expected = check(value) { throw SettingRefusal(expected: expected) }
            return value
        }
        return copy
    }
}

/// What a setting's parser throws for text it cannot take: what it expected instead.
public struct SettingRefusal: Error, Sendable {
    public let expected: String

    public init(expected: String) {
        self.expected = expected
    }
}
