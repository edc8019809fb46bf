import ArgumentParser

/// What a binary is, declared once: its name and what it does, its HTTP listener's defaults,
/// the settings its parts own, and how its service is built from them. The launcher, the
/// binary's flags and `--help`, and docs/configuration.md all read this one value.
public struct ServiceBinary<Context: ServiceRequestContext>: Sendable {
    public let name: String
    /// One line: what the binary does.
    public let summary: String
    public let listener: HTTPServerSettings.Declarations
    /// The settings of the service's parts, beyond the listener's, in the order docs show them.
    public let settings: [SettingGroup]
    /// The service, from what the launcher read.
    public let build: @Sendable (LaunchContext) async throws -> ServiceDefinition<Context>

    public init(
        name: String, summary: String, listener: HTTPServerSettings.Declarations, settings: [SettingGroup],
        build: @escaping @Sendable (LaunchContext) async throws -> ServiceDefinition<Context>
    ) {
        self.name = name
        self.summary = summary
        self.listener = listener
        self.settings = settings
        self.build = build
    }

    /// Every setting the binary reads: the listener's, the `.env` file's, then its parts'.
    public var allSettings: [SettingGroup] {
        [SettingGroup(listener.group.title, listener.group.settings + [LaunchSettings.envFile])] + settings
    }

    /// The command's name, abstract and `--help` text.
    public func command(discussion: String = "") -> CommandConfiguration {
        let settingsHelp = SettingFlags(allSettings).help
        return CommandConfiguration(
            commandName: name, abstract: summary, discussion: discussion.isEmpty ? settingsHelp : discussion + "\n\n" + settingsHelp)
    }

    /// Its section of docs/configuration.md.
    public var document: SettingsDocument.Binary {
        SettingsDocument.Binary(name: name, summary: summary, groups: allSettings)
    }
}

/// Settings the launcher reads before the others.
public enum LaunchSettings {
    /// The `.env` file read below the environment.
    public static let envFile = Setting<String>.text(
        "ENV_FILE", default: ".env", help: "A dotenv file read below the environment (a missing file is no error)."
    ).flag("env-file")
}
