import ArgumentParser
import KubeSim
import ServiceKit

/// kube-sim: a Kubernetes API server emulator for tests and the local stack.
@main
struct KubeSimCommand: AsyncParsableCommand {
    static let configuration = KubeSimulator.binary.command()

    /// The settings' flags, read by the launcher from their declarations.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    func run() async throws {
        try await ServiceLauncher.run(KubeSimulator.binary, arguments: settingFlags)
    }
}
