import ArgumentParser
import ServiceKit

/// rexec-deploy-api: creates, reports on and tears down each user's rexec server, on
/// Kubernetes or as local processes, and runs kbatch's batch jobs.
@main
struct RexecDeployAPICommand: AsyncParsableCommand {
    static let configuration = RexecDeployAPI.binary.command()

    /// The settings' flags (`--runtime kubernetes`), read by the launcher from their declarations.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    func run() async throws {
        try await ServiceLauncher.run(RexecDeployAPI.binary, arguments: settingFlags)
    }
}
