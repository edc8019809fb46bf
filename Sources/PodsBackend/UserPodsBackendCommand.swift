import ArgumentParser
import ServiceKit

/// user-pods-backend: per-user pods with storage, ssh and TLS ingress (ScienceData's
/// kubernetes_backend, compatible and hardened).
@main
struct UserPodsBackendCommand: AsyncParsableCommand {
    static let configuration = UserPodsBackend.binary.command()

    /// The settings' flags (`--config config.yaml`), read by the launcher from their declarations.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    func run() async throws {
        try await ServiceLauncher.run(UserPodsBackend.binary, arguments: settingFlags)
    }
}
