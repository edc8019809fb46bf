import Foundation
import NIOConcurrencyHelpers

/// A program started directly (never through a shell), its output appended to a file, its
/// end awaited without blocking a thread. The deploy API's local runtime runs users' rexec
/// servers and pip with it; tests run our binaries and real tools (kubectl, openssl) with it.
///
/// Output goes to a file rather than a pipe on purpose: a pipe's write end inherited by an
/// unrelated long-lived child (processes are spawned concurrently) keeps a reader waiting
/// for an end of file that never comes.
public final class ChildProcess: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Where standard error goes.
    public enum Errors: Sendable {
        /// Into the output file, interleaved with standard output.
        case merged
        case discarded
    }

    public let executable: String
    /// The file standard output (and maybe standard error) is appended to.
    public let outputFile: URL
    public let processIdentifier: Int32
    private let process: UncheckedProcess
    private let exit = NIOLockedValueBox(ExitState())

    private struct ExitState {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    /// `Process` is thread-safe for what is used here (signals, `isRunning`), but not `Sendable`.
    private struct UncheckedProcess: @unchecked Sendable {
        let value: Process
    }

    /// Starts `executable` (a path; `/usr/bin/env` with the tool's name finds one on `PATH`).
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; nil inherits ours.
    ///   - input: written to the child's standard input, which then ends; nil gives it none.
    ///   - onExit: runs, on some thread, with the exit status.
    ///   - defaultSignals: start the program with every signal's default action. A service
    ///     ignores SIGTERM and SIGINT to handle them itself (swift-service-lifecycle does), and
    ///     ignored signals stay ignored across exec: without this, a child would not end on
    ///     SIGTERM and every stop would wait out its grace. Uses coreutils' `env --default-signal`.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, workingDirectory: URL? = nil,
        output: URL, errors: Errors = .merged, input: Data? = nil, defaultSignals: Bool = false, onExit: (@Sendable (Int32) -> Void)? = nil
    ) throws {
        if !FileManager.default.fileExists(atPath: output.path) {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        }
        let outputHandle = try FileHandle(forWritingTo: output)
        outputHandle.seekToEndOfFile()
        let inputFile = input.map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("child-input-\(UUID().uuidString)") }
        if let input, let inputFile { try input.write(to: inputFile) }
        let inputHandle = try inputFile.map { try FileHandle(forReadingFrom: $0) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: defaultSignals ? "/usr/bin/env" : executable)
        process.arguments = defaultSignals ? ["--default-signal", "--", executable] + arguments : arguments
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        process.standardInput = inputHandle ?? FileHandle.nullDevice
        process.standardOutput = outputHandle
        process.standardError = errors == .merged ? outputHandle : FileHandle.nullDevice
        let exit = self.exit
        process.terminationHandler = { finished in
            try? outputHandle.close()
            try? inputHandle?.close()
            if let inputFile { try? FileManager.default.removeItem(at: inputFile) }
            let status = finished.terminationStatus
            let waiters = exit.withLockedValue { state -> [CheckedContinuation<Int32, Never>] in
                state.status = status
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: status) }
            onExit?(status)
        }
        do {
            try process.run()
        } catch {
            try? outputHandle.close()
            try? inputHandle?.close()
            if let inputFile { try? FileManager.default.removeItem(at: inputFile) }
            throw Failure(description: "cannot start \(executable): \(error)")
        }
        self.executable = executable
        self.outputFile = output
        self.processIdentifier = process.processIdentifier
        self.process = UncheckedProcess(value: process)
    }

    /// The exit status, once the process has ended.
    public var exitStatus: Int32? { exit.withLockedValue { $0.status } }

    public var isRunning: Bool { exitStatus == nil }

    /// What the process has written so far.
    public var output: String {
        (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    }

    /// Waits for the end; returns the exit status.
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = exit.withLockedValue { state -> Int32? in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// Waits for the end at most `timeout`, then kills the process and throws.
    @discardableResult
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask { await self.waitForExit() }
            group.addTask {
                try? await Sleep.for(timeout)
                return nil
            }
            defer { group.cancelAll() }
            if let status = try await group.next() ?? nil { return status }
            kill()
            _ = await waitForExit()
            throw Failure(description: "\(URL(fileURLWithPath: executable).lastPathComponent) did not finish within \(timeout)")
        }
    }

    /// SIGTERM, then SIGKILL if the process has not ended within `grace`; returns the status.
    @discardableResult
    public func stop(grace: Duration = .seconds(5)) async -> Int32 {
        if isRunning { process.value.terminate() }
        if let status = try? await waitForExit(timeout: grace) { return status }
        return await waitForExit()
    }

    /// SIGKILL.
    public func kill() {
        if isRunning { Foundation.kill(processIdentifier, SIGKILL) }
    }

    /// Runs to completion, killed after `timeout`; returns the exit status.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, workingDirectory: URL? = nil,
        output: URL, errors: Errors = .merged, input: Data? = nil, timeout: Duration
    ) async throws -> Int32 {
        let child = try ChildProcess(
            executable, arguments, environment: environment, workingDirectory: workingDirectory, output: output, errors: errors, input: input
        )
        return try await withTaskCancellationHandler {
            try await child.waitForExit(timeout: timeout)
        } onCancel: {
            child.kill()
        }
    }
}
