import Essentials
import Foundation

// The kinds of setting the services read, each with the words its docs and errors use.

extension Setting where Value == String {
    /// Any text; a blank value is kept as given.
    public static func text(_ name: String, default value: String, help: String) -> Setting {
        Setting(
            name, help: help, accepts: "text", defaultDescription: value.isEmpty ? "empty" : value, parse: { $0 },
            fallback: { _ in value })
    }

    /// Text that `check` accepts (it returns what was expected otherwise); surrounding spaces are dropped.
    public static func text(
        _ name: String, default value: String, accepts: String, help: String, check: @escaping @Sendable (String) -> String?
    ) -> Setting {
        Setting(
            name, help: help, accepts: accepts, defaultDescription: value.isEmpty ? "empty" : value,
            parse: { text in
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                if let expected = check(trimmed) { throw SettingRefusal(expected: expected) }
                return trimmed
            }, fallback: { _ in value })
    }
}

extension Setting where Value == String? {
    /// Text or nothing: unset and blank are both nil; the value is trimmed.
    public static func optionalText(_ name: String, help: String, accepts: String = "text", default shown: String = "none") -> Setting {
        var setting = Setting(
            name, help: help, accepts: accepts, defaultDescription: shown,
            parse: { text in
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                return trimmed.isEmpty ? nil : trimmed
            }, fallback: { _ in nil })
        setting.blankIsUnset = true
        return setting
    }

    /// Text that `check` accepts, or nothing.
    public static func optionalText(
        _ name: String, help: String, accepts: String, check: @escaping @Sendable (String) -> String?
    ) -> Setting {
        var setting = Setting(
            name, help: help, accepts: accepts, defaultDescription: "none",
            parse: { text in
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { return nil }
                if let expected = check(trimmed) { throw SettingRefusal(expected: expected) }
                return trimmed
            }, fallback: { _ in nil })
        setting.blankIsUnset = true
        return setting
    }
}

extension Setting where Value == Bool {
    /// Upstream's spellings of true and false (``BooleanSetting``).
    public static func boolean(_ name: String, default value: Bool, help: String) -> Setting {
        Setting(
            name, help: help, accepts: "boolean", defaultDescription: value ? "true" : "false",
            parse: { text in
                guard let parsed = BooleanSetting.value(text) else { throw SettingRefusal(expected: BooleanSetting.allowedSpellings) }
                return parsed
            }, fallback: { _ in value })
    }
}

extension Setting where Value == Int {
    public static func integer(_ name: String, default value: Int, range: ClosedRange<Int>, help: String) -> Setting {
        Setting(
            name, help: help, accepts: "integer, \(range.lowerBound) to \(range.upperBound)", defaultDescription: String(value),
            parse: { text in try Self.integerValue(text, range: range) }, fallback: { _ in value })
    }

    /// A TCP port; 0 picks a free one where the service listens on it.
    public static func port(_ name: String, default value: Int, help: String) -> Setting {
        integer(name, default: value, range: 0...65535, help: help)
    }

    static func integerValue(_ text: String, range: ClosedRange<Int>) throws -> Int {
        guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(parsed) else {
            throw SettingRefusal(expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return parsed
    }
}

extension Setting where Value == Int? {
    /// A port or nothing (unset or blank).
    public static func optionalPort(_ name: String, help: String) -> Setting {
        var setting = Setting(
            name, help: help, accepts: "integer, 0 to 65535", defaultDescription: "none",
            parse: { text in try Setting<Int>.integerValue(text, range: 0...65535) }, fallback: { _ in nil })
        setting.blankIsUnset = true
        return setting
    }
}

extension Setting where Value == Duration {
    /// A duration in (possibly fractional) seconds.
    public static func seconds(_ name: String, default value: Double, range: ClosedRange<Double>, help: String) -> Setting {
        Setting(
            name, help: help, accepts: "seconds, \(SettingText.number(range.lowerBound)) to \(SettingText.number(range.upperBound))",
            defaultDescription: SettingText.number(value),
            parse: { text in
                guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)), parsed.isFinite, range.contains(parsed) else {
                    throw SettingRefusal(
                        expected: "a number of seconds from \(SettingText.number(range.lowerBound)) to \(SettingText.number(range.upperBound))")
                }
                return .milliseconds(Int64((parsed * 1000).rounded()))
            }, fallback: { _ in .milliseconds(Int64((value * 1000).rounded())) })
    }

    /// A duration in Go's syntax (`90s`, `1m30s`, `500ms`), as upstream's config.yaml writes them.
    public static func goDuration(_ name: String, default value: String, help: String) -> Setting {
        let parse: @Sendable (String) throws -> Duration = { text in
            guard let duration = GoDuration.parse(text.trimmingCharacters(in: .whitespaces)), duration >= .zero else {
                throw SettingRefusal(expected: "a Go duration such as 90s, 1m30s or 500ms")
            }
            return duration
        }
        var setting = Setting(name, help: help, accepts: "Go duration (90s, 1m30s, 500ms)", defaultDescription: value, parse: parse) { _ in
            try parse(value)
        }
        setting.blankIsUnset = true
        return setting
    }
}

extension Setting where Value == URL {
    /// An absolute http:// or https:// URL.
    public static func url(_ name: String, default value: String, help: String) -> Setting {
        Setting(
            name, help: help, accepts: "http(s) URL", defaultDescription: value, parse: { try SettingText.url($0) },
            fallback: { _ in try SettingText.url(value) })
    }
}

extension Setting where Value == URL? {
    /// An absolute http:// or https:// URL, or nothing (unset or blank).
    public static func optionalURL(_ name: String, help: String) -> Setting {
        var setting = Setting(name, help: help, accepts: "http(s) URL", defaultDescription: "none", parse: { try SettingText.url($0) }) { _ in
            nil
        }
        setting.blankIsUnset = true
        return setting
    }
}

extension Setting where Value == [String] {
    /// A comma-separated list; entries are trimmed and blank ones dropped.
    public static func list(_ name: String, default shown: String = "empty", help: String) -> Setting {
        Setting(name, help: help, accepts: "comma-separated list", defaultDescription: shown, parse: SettingText.list) { _ in [] }
    }
}

extension Setting where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of a fixed set of words, compared case-insensitively.
    public static func choice(_ name: String, default value: Value, help: String) -> Setting {
        let words = Value.allCases.map(\.rawValue)
        return Setting(
            name, help: help, accepts: words.joined(separator: ", "), defaultDescription: value.rawValue,
            parse: { text in
                let folded = text.trimmingCharacters(in: .whitespaces).lowercased()
                guard let choice = Value.allCases.first(where: { $0.rawValue.lowercased() == folded }) else {
                    throw SettingRefusal(expected: "one of \(words.joined(separator: ", "))")
                }
                return choice
            }, fallback: { _ in value })
    }
}

/// Texts and parsers the kinds share.
public enum SettingText {
    /// `5`, `0.05`.
    public static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    public static func url(_ text: String) throws -> URL {
        guard let url = URL(string: text.trimmingCharacters(in: .whitespaces)),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil
        else { throw SettingRefusal(expected: "an absolute http:// or https:// URL") }
        return url
    }

    @Sendable public static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// Booleans spelled the way pydantic accepts them upstream.
public enum BooleanSetting {
    public static let allowedSpellings = "true/false, 1/0, yes/no, on/off (any case)"

    /// The boolean `text` spells, or nil.
    public static func value(_ text: String) -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes", "on", "t", "y": true
        case "false", "0", "no", "off", "f", "n": false
        default: nil
        }
    }
}

extension Setting where Value == JSONValue? {
    /// A JSON object given inline; `null` means none.
    public static func jsonObject(_ name: String, default value: JSONValue?, accepts: String, help: String) -> Setting {
        var setting = Setting(
            name, help: help, accepts: "JSON: \(accepts), or null",
            defaultDescription: value.map { String(decoding: $0.bytes(), as: UTF8.self) } ?? "none",
            parse: { text in
                let parsed = try? JSONValue.decode(Data(text.utf8))
                if case .null? = parsed { return nil }
                guard let parsed, parsed.objectValue != nil else { throw SettingRefusal(expected: accepts + ", or null") }
                return parsed
            }, fallback: { _ in value })
        setting.blankIsUnset = true
        return setting
    }
}
