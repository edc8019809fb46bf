import ArgumentParser
import DevIdPKit
import Hummingbird
import Prometheus
import ServiceKit

/// dev-idp: an identity provider for tests and the local stack. Never deploy it.
@main
struct DevIdPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-idp",
        abstract: "Development identity provider: /information and /user/login from a YAML user list."
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "YAML file with users, passwords, tokens, groups and roles (env DEV_IDP_USERS).")
    var users: String?

    func run() async throws {
        let spec = LaunchSpec(name: "dev-idp", defaultPort: 8090)
        var overrides: [String: String] = [:]
        overrides["DEV_IDP_USERS"] = users
        try await ServiceLauncher.run(spec, options: common, extraOverrides: overrides) { launch in
            let path = launch.source.string("DEV_IDP_USERS", default: "config/dev-idp-users.yaml")
            let directory: UserDirectory
            do {
                directory = try UserDirectory.load(path: path)
            } catch {
                throw ConfigurationError(variable: "DEV_IDP_USERS", value: path, expected: "a readable users YAML file (\(error))")
            }
            return DevIdP.definition(directory: directory, faults: FaultInjector(), launch: launch)
        }
    }
}
