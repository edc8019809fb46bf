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

/// Runs a short-lived tool from PATH (openssl, python3, kubernetes-validate) to completion.
///
/// Input and output go through temporary files, not pipes: tests spawn processes in
/// parallel, and a pipe end inherited by an unrelated long-running child would keep a
/// reader waiting for an end of file that never comes.
/// - Returns: its exit status and standard output (with standard error when `mergingErrors`).
public func runTool(_ arguments: [String], stdin: Data? = nil, mergingErrors: Bool = false) throws -> (status: Int32, output: Data) {
    let directory = FileManager.default.temporaryDirectory
    let inputURL = directory.appendingPathComponent("tool-in-\(UUID().uuidString)")
    let outputURL = directory.appendingPathComponent("tool-out-\(UUID().uuidString)")
    defer {
        try? FileManager.default.removeItem(at: inputURL)
        try? FileManager.default.removeItem(at: outputURL)
    }
    try (stdin ?? Data()).write(to: inputURL)
    FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    let input = try FileHandle(forReadingFrom: inputURL)
    let output = try FileHandle(forWritingTo: outputURL)
    defer {
        try? input.close()
        try? output.close()
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardInput = input
    process.standardOutput = output
    process.standardError = mergingErrors ? output : FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return (process.terminationStatus, try Data(contentsOf: outputURL))
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
