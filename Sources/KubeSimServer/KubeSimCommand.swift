import ArgumentParser
import KubeSim
import ServiceKit

/// kube-sim: a Kubernetes API server emulator for tests and the local stack.
@main
struct KubeSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube-sim",
        abstract: "Kubernetes API emulator speaking the real REST protocol (JSON), for tests and the local stack."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("bookmark-interval"), help: "Seconds between watch BOOKMARK events (env KUBESIM_BOOKMARK_SECONDS; default 5).")
    var bookmarkInterval: Double?

    @Option(
        name: .customLong("history"), help: "Watch events kept for resuming; older resourceVersions get 410 (env KUBESIM_HISTORY; default 10000).")
    var history: Int?

    @Option(name: .customLong("pod-start-delay"), help: "Seconds from scheduling to Running/Ready (env KUBESIM_POD_START_SECONDS; default 0.3).")
    var podStartDelay: Double?

    @Option(
        name: .customLong("auth-file"), help: "YAML users (tokens) and RBAC-like rules; without it any request is allowed (env KUBESIM_AUTH_FILE).")
    var authFile: String?

    @Option(
        name: .customLong("namespace"),
        help: "A namespace to create at start, besides default, kube-system and kube-public; repeatable (env KUBESIM_NAMESPACES, comma-separated).")
    var namespaces: [String] = []

    @Flag(name: .customLong("no-simulation"), help: "Serve the API only: nothing schedules pods or runs controllers.")
    var noSimulation = false

    func run() async throws {
        let spec = LaunchSpec(name: "kube-sim", defaultPort: 6443)
        var overrides: [String: String] = [:]
        overrides["KUBESIM_BOOKMARK_SECONDS"] = bookmarkInterval.map { String($0) }
        overrides["KUBESIM_HISTORY"] = history.map(String.init)
        overrides["KUBESIM_POD_START_SECONDS"] = podStartDelay.map { String($0) }
        if noSimulation { overrides["KUBESIM_SIMULATE"] = "false" }
        overrides["KUBESIM_AUTH_FILE"] = authFile
        if !namespaces.isEmpty { overrides["KUBESIM_NAMESPACES"] = namespaces.joined(separator: ",") }
        try await ServiceLauncher.run(spec, options: common, extraOverrides: overrides) { launch in
            var settings = KubeSimulator.Settings()
            settings.bookmarkInterval = try launch.source.seconds("KUBESIM_BOOKMARK_SECONDS", default: 5, range: 0.05...3600)
            settings.historyLimit = try launch.source.integer("KUBESIM_HISTORY", default: 10_000, range: 1...10_000_000)
            settings.simulation.podStartDelay = try launch.source.seconds("KUBESIM_POD_START_SECONDS", default: 0.3, range: 0...3600)
            settings.simulate = try launch.source.bool("KUBESIM_SIMULATE", default: true)
            settings.access = try launch.source.optionalString("KUBESIM_AUTH_FILE").map(AccessControl.load(path:))
            for namespace in launch.source.list("KUBESIM_NAMESPACES") where !settings.namespaces.contains(namespace) {
                settings.namespaces.append(namespace)
            }
            let simulator = KubeSimulator(settings: settings)
            try await simulator.seed()
            return simulator.definition(http: launch.http, metricsRegistry: launch.metricsRegistry)
        }
    }
}
