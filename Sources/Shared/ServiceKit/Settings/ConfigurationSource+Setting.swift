import Foundation

extension ConfigurationSource {
    /// The variable and the text that set `setting`, when something does: its variables in
    /// order, each looked up through every layer (flags, environment, `.env`, a config file).
    public func given<Value>(_ setting: Setting<Value>) -> (variable: String, text: String)? {
        for variable in setting.variables {
            guard let text = raw(variable) else { continue }
            if setting.blankIsUnset, text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            return (variable, text)
        }
        return nil
    }

    /// Whether the user set `setting` (rather than leaving it to its default).
    public func isGiven<Value>(_ setting: Setting<Value>) -> Bool {
        given(setting) != nil
    }

    /// The setting's value: what the user gave, checked, or its default. A refused value
    /// throws a ``ConfigurationError`` naming the variable the user set and their value
    /// (`<hidden>` for a secret).
    public func value<Value>(_ setting: Setting<Value>) throws -> Value {
        guard let (variable, text) = given(setting) else { return try setting.fallback(self) }
        do {
            return try setting.parse(text)
        } catch let refusal as SettingRefusal {
            throw ConfigurationError(variable: variable, value: setting.isSecret ? "<hidden>" : text, expected: refusal.expected)
        }
    }

    /// A refusal of what the user gave for `setting`, for checks that involve other settings
    /// (a negative-cache TTL above the cache TTL).
    public func refusal<Value>(_ setting: Setting<Value>, expected: String) -> ConfigurationError {
        let given = given(setting)
        return ConfigurationError(
            variable: given?.variable ?? setting.name, value: setting.isSecret ? "<hidden>" : given?.text ?? "", expected: expected)
    }
}
