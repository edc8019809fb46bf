import Essentials
import Foundation

/// Starting programs for the local runtime: never through a shell, output to a log file,
/// termination awaited without blocking a thread.
enum ChildProcess {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `executable`; `onExit` runs (on some thread) with the exit status.
    static func launch(
        _ executable: String, _ arguments: [String], environment: [String: String], workingDirectory: URL, log: URL,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        output.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = workingDirectory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        process.terminationHandler = { finished in
            try? output.close()
            onExit(finished.terminationStatus)
        }
        do {
            try process.run()
        } catch {
            try? output.close()
            throw Failure(description: "cannot start \(executable): \(error)")
        }
        return process
    }

    /// Runs to completion; SIGKILL after `timeout`. Returns the exit status.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], workingDirectory: URL, log: URL, timeout: Duration
    ) async throws -> Int32 {
        let box = ExitBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
                box.set(continuation)
                do {
                    let process = try launch(executable, arguments, environment: environment, workingDirectory: workingDirectory, log: log) { status in
                        box.finish(.success(status))
                    }
                    box.process = process
                    box.timer = Task {
                        try? await Sleep.for(timeout)
                        if process.isRunning {
                            kill(process.processIdentifier, SIGKILL)
                            box.finish(.failure(Failure(description: "\(URL(fileURLWithPath: executable).lastPathComponent) did not finish within \(timeout)")))
                        }
                    }
                } catch {
                    box.finish(.failure(error))
                }
            }
        } onCancel: {
            if let process = box.process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// Environment for children: ours, minus what must not leak into user code.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in environment.keys where name.hasPrefix("AUTH_") || name.hasPrefix("REXEC_") || name == "TEST_TOKEN" || name == "KUBECONFIG" {
            environment[name] = nil
        }
        return environment.merging(extra) { $1 }
    }
}

/// Resumes a continuation once, whichever of exit, timeout or failure comes first.
private final class ExitBox: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Int32, any Error>?
    private var _process: Process?
    private var _timer: Task<Void, Never>?

    var process: Process? {
        get { lock.withLock { _process } }
        set { lock.withLock { _process = newValue } }
    }

    var timer: Task<Void, Never>? {
        get { lock.withLock { _timer } }
        set { lock.withLock { _timer = newValue } }
    }

    func set(_ continuation: CheckedContinuation<Int32, any Error>) {
        lock.withLock { self.continuation = continuation }
    }

    func finish(_ result: Result<Int32, any Error>) {
        let continuation = lock.withLock {
            let taken = self.continuation
            self.continuation = nil
            _timer?.cancel()
            return taken
        }
        continuation?.resume(with: result)
    }
}
