/// docs/configuration.md, written from the settings' declarations: one section a binary,
/// one table a group of settings. A test renders it and fails when the committed page differs.
public enum SettingsDocument {
    public struct Binary: Sendable {
        public let name: String
        public let summary: String
        public let groups: [SettingGroup]

        public init(name: String, summary: String, groups: [SettingGroup]) {
            self.name = name
            self.summary = summary
            self.groups = groups
        }
    }

    public static func markdown(_ binaries: [Binary]) -> String {
        var lines = [
            "# Configuration",
            "",
            "<!-- Generated from the settings' declarations (Setting in Sources/Shared/ServiceKit/Settings);",
            "     `make docs` writes it, and `make test` fails when it differs. Do not edit by hand. -->",
            "",
            "Every setting is an environment variable. Each binary also reads a `.env` file (`--env-file`, default `.env`;",
            "names match case-insensitively, as pydantic-settings does), and a flag, where a setting has one, overrides both.",
            "Only a value you give is checked: a value a binary cannot use stops it at start-up with exit code 78 and one",
            "line naming the variable, your value and what it accepts. Defaults that follow other settings say so.",
            "",
        ]
        for binary in binaries {
            lines.append("- [`\(binary.name)`](#\(binary.name))")
        }
        for binary in binaries {
            lines += ["", "## \(binary.name)", "", binary.summary]
            for group in binary.groups where !group.settings.isEmpty {
                lines += [
                    "", "### \(binary.name): \(group.title)", "", "| Variable | Flag | Accepts | Default | Meaning |", "|---|---|---|---|---|",
                ]
                for setting in group.settings {
                    lines.append(row(setting))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func row(_ setting: any SettingDeclaration) -> String {
        var names = setting.variables.map { "`\($0)`" }.joined(separator: " / ")
        if let key = setting.fileKey { names += " (config.yaml `\(key)`)" }
        let flags = setting.flags.isEmpty ? "" : setting.flags.map { "`--\($0)`" }.joined(separator: ", ")
        let accepts = setting.isSecret ? "\(setting.accepts) (secret)" : setting.accepts
        let fallback = setting.defaultDescription
        let shown = fallback.contains(" ") || ["none", "empty"].contains(fallback) ? fallback : "`\(fallback)`"
        return "| \(names) | \(flags) | \(cell(accepts)) | \(cell(shown)) | \(cell(setting.help)) |"
    }

    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
