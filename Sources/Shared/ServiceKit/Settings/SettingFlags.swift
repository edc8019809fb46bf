/// The command-line flags of a binary, derived from its settings' declarations: each
/// `--flag value` (or `--flag=value`) overrides the setting's environment variable, validated
/// the same way. A boolean setting's flag alone means true and `--no-<flag>` false; a list's
/// flag may be repeated.
public struct SettingFlags: Sendable {
    public let groups: [SettingGroup]

    public init(_ groups: [SettingGroup]) {
        self.groups = groups
    }

    /// A flag nobody declared, or one missing its value.
    public struct Unrecognized: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The values `arguments` give, keyed by the variable each overrides.
    public func overrides(_ arguments: [String]) throws -> [String: String] {
        var byFlag: [String: any SettingDeclaration] = [:]
        for setting in groups.flatMap(\.settings) {
            for flag in setting.flags { byFlag[flag] = setting }
        }
        var values: [String: String] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw Unrecognized(description: "Unexpected argument '\(argument)'")
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            var negated = false
            if byFlag[name] == nil, name.hasPrefix("no-"), let setting = byFlag[String(name.dropFirst(3))], setting.isBoolean {
                name = String(name.dropFirst(3))
                negated = true
            }
            guard let setting = byFlag[name] else { throw Unrecognized(description: "Unknown option '--\(name)'") }
            if value == nil {
                if setting.isBoolean, negated || index == arguments.endIndex || arguments[index].hasPrefix("--") {
                    value = negated ? "false" : "true"
                } else if index < arguments.endIndex {
                    value = arguments[index]
                    index += 1
                } else {
                    throw Unrecognized(description: "Missing value for '--\(name) <\(setting.valueName)>'")
                }
            }
            if setting.isList, let earlier = values[setting.name] {
                values[setting.name] = earlier + "," + value!
            } else {
                values[setting.name] = value
            }
        }
        return values
    }

    /// `--help`'s list of settings: each with its flag, variable, default and help.
    public var help: String {
        var lines = ["Every setting is an environment variable (also read from a .env file); a flag overrides it."]
        for group in groups where !group.settings.isEmpty {
            lines.append("")
            lines.append("\(group.title.uppercased()):")
            for setting in group.settings {
                let flag = setting.flags.first.map { "--\($0) <\(setting.valueName)>, " } ?? ""
                lines.append("  \(flag)\(setting.variables.joined(separator: " / ")) (default: \(setting.defaultDescription))")
                lines.append("        \(setting.help)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension SettingDeclaration {
    /// The setting's variable and the others that set it.
    public var variables: [String] { [name] + aliases }

    var isBoolean: Bool { accepts == "boolean" }
    var isList: Bool { accepts == "comma-separated list" }

    /// `<seconds>`, `<url>`: what `--help` shows after the flag.
    var valueName: String {
        switch accepts {
        case "boolean": "bool"
        case "text": "text"
        case "http(s) URL": "url"
        case let words where words.hasPrefix("seconds"): "seconds"
        case let words where words.hasPrefix("integer"): "n"
        default: "value"
        }
    }
}
