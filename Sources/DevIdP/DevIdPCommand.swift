import ArgumentParser
import DevIdPKit
import ServiceKit

/// dev-idp: an identity provider for tests and the local stack. Never deploy it.
@main
struct DevIdPCommand: AsyncParsableCommand {
    static let configuration = DevIdP.binary.command()

    /// The settings' flags, read by the launcher from their declarations.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    func run() async throws {
        try await ServiceLauncher.run(DevIdP.binary, arguments: settingFlags)
    }
}
