import Foundation

/// The environment of the processes the local runtime starts.
enum ChildEnvironment {
    /// Environment for children: ours, minus what must not leak into user code.
    static func cleaned(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in environment.keys where name.hasPrefix("AUTH_") || name.hasPrefix("REXEC_") || name == "TEST_TOKEN" || name == "KUBECONFIG" {
            environment[name] = nil
        }
        return environment.merging(extra) { $1 }
    }
}
