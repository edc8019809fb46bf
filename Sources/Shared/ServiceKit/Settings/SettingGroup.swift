/// What docs, flags and `--help` need of a setting, whatever its value's type.
public protocol SettingDeclaration: Sendable {
    var name: String { get }
    var aliases: [String] { get }
    var flags: [String] { get }
    var fileKey: String? { get }
    var help: String { get }
    var accepts: String { get }
    var defaultDescription: String { get }
    var isSecret: Bool { get }
}

extension Setting: SettingDeclaration {}

/// The settings one part of a service owns (its HTTP listener, its IdP client, its catalog),
/// under a title: a section of docs/configuration.md and of `--help`.
public struct SettingGroup: Sendable {
    public let title: String
    public let settings: [any SettingDeclaration]

    public init(_ title: String, _ settings: [any SettingDeclaration]) {
        self.title = title
        self.settings = settings
    }
}
