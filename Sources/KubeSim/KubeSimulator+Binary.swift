import ServiceKit

extension KubeSimulator {
    /// The `kube-sim` binary: its settings and how they make a simulator.
    public static let binary = ServiceBinary<BasicServiceRequestContext>(
        name: "kube-sim", summary: "Kubernetes API emulator speaking the real REST protocol (JSON and protobuf), for tests and the local stack.",
        listener: HTTPServerSettings.Declarations(defaultPort: 6443), settings: [Settings.group]
    ) { launch in
        let simulator = KubeSimulator(settings: try Settings.load(from: launch.source))
        try await simulator.seed()
        return simulator.definition(http: launch.http, metricsRegistry: launch.metricsRegistry)
    }
}

extension KubeSimulator.Settings {
    static let bookmarkSeconds = Setting<Duration>.seconds(
        "KUBESIM_BOOKMARK_SECONDS", default: 5, range: 0.05...3600, help: "Seconds between watch BOOKMARK events."
    ).flag("bookmark-interval")
    static let history = Setting<Int>.integer(
        "KUBESIM_HISTORY", default: 10_000, range: 1...10_000_000, help: "Watch events kept for resuming; older resourceVersions get 410."
    ).flag("history")
    static let podStartSeconds = Setting<Duration>.seconds(
        "KUBESIM_POD_START_SECONDS", default: 0.3, range: 0...3600, help: "Time from scheduling to Running and Ready."
    ).flag("pod-start-delay")
    static let simulate = Setting<Bool>.boolean(
        "KUBESIM_SIMULATE", default: true, help: "Schedule pods and run controllers; --no-simulation serves the API only."
    ).flag("simulation")
    static let authFile = Setting<String?>.optionalText(
        "KUBESIM_AUTH_FILE", help: "YAML users (tokens) and RBAC-like rules; without it any request is allowed.", accepts: "file path"
    ).flag("auth-file")
    static let extraNamespaces = Setting<[String]>.list(
        "KUBESIM_NAMESPACES", help: "Namespaces to create at start, besides default, kube-system and kube-public (--namespace is repeatable)."
    ).flag("namespace")

    static let group = SettingGroup("Simulated cluster", [bookmarkSeconds, history, podStartSeconds, simulate, authFile, extraNamespaces])

    public static func load(from source: ConfigurationSource) throws -> KubeSimulator.Settings {
        var settings = KubeSimulator.Settings()
        settings.bookmarkInterval = try source.value(bookmarkSeconds)
        settings.historyLimit = try source.value(history)
        settings.simulation.podStartDelay = try source.value(podStartSeconds)
        settings.simulate = try source.value(simulate)
        settings.access = try source.value(authFile).map(AccessControl.load(path:))
        for namespace in try source.value(extraNamespaces) where !settings.namespaces.contains(namespace) {
            settings.namespaces.append(namespace)
        }
        return settings
    }
}
