import Essentials
import Foundation

/// A condition a test waited for did not come true in time.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let description: String
}

/// Polls `condition` until it holds; throws ``WaitTimedOut`` naming what was awaited when
/// `timeout` passes, so the test fails with that text.
public func waitUntil(
    _ description: String, timeout: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Sleep.for(.milliseconds(5))
    }
    throw WaitTimedOut(description: "timed out after \(timeout) waiting until \(description)")
}

/// Runs a short-lived tool from PATH (openssl, python3, kubectl, kubernetes-validate) to
/// completion (killed after `timeout`).
/// - Parameter environment: the tool's whole environment; nil inherits the test's.
/// - Returns: its exit status and standard output (with standard error when `mergingErrors`).
public func runTool(
    _ arguments: [String], stdin: Data? = nil, mergingErrors: Bool = false, environment: [String: String]? = nil,
    timeout: Duration = .seconds(120)
) async throws -> (status: Int32, output: Data) {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("tool-out-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: output) }
    let status = try await ChildProcess.run(
        "/usr/bin/env", arguments, environment: environment, output: output, errors: mergingErrors ? .merged : .discarded, input: stdin,
        timeout: timeout
    )
    return (status, try Data(contentsOf: output))
}

/// Writes a kubeconfig for an API server at `server` with no credentials (kube-sim, or an
/// address nobody answers at) to a temporary file; returns its path.
public func writeKubeconfig(server: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)").path
    let text = """
        apiVersion: v1
        kind: Config
        clusters: [{name: sim, cluster: {server: "\(server)"}}]
        users: [{name: tester, user: {}}]
        contexts: [{name: sim, context: {cluster: sim, user: tester}}]
        current-context: sim
        """
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A deterministic random source (SplitMix64) for property and fuzz tests: the same seed
/// gives the same inputs on every machine, so a failure can be replayed.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
