import AsyncHTTPClient
import Essentials
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

/// One of our executables, started as a real process on a free port.
final class ServiceProcess: Sendable {
    let name: String
    let port: Int
    private let process: Process
    private let output: OutputCollector

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var log: String { output.text }

    /// Where `swift build` put the executables (next to the test bundle), or `REXEC_BIN_DIR`.
    static let binDirectory: URL = {
        if let override = ProcessInfo.processInfo.environment["REXEC_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: besideTests.appendingPathComponent("rexec-broker").path) {
            return besideTests
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug")
    }()

    /// Starts `name` with `--port 0` and waits until it logs the port it listens on.
    static func start(
        _ name: String, arguments: [String] = [], environment: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> ServiceProcess {
        let (process, output) = try launch(name, arguments: ["--host", "127.0.0.1", "--port", "0"] + arguments, environment: environment)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let port = output.listeningPort() {
                return ServiceProcess(name: name, port: port, process: process, output: output)
            }
            if !process.isRunning {
                throw ServiceProcessError(message: "\(name) exited with \(process.terminationStatus) before listening:\n\(output.text)")
            }
            try await Sleep.for(.milliseconds(10))
        }
        process.terminate()
        throw ServiceProcessError(message: "\(name) did not report a port within \(timeout):\n\(output.text)")
    }

    /// Runs `name` to completion (for --help and configuration errors).
    static func run(_ name: String, arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(30)) async throws -> (status: Int32, output: String) {
        let (process, output) = try launch(name, arguments: arguments, environment: environment)
        try await waitForExit(process, timeout: timeout)
        return (process.terminationStatus, output.text)
    }

    /// Runs a tool from PATH (kubectl, python…) to completion, optionally feeding stdin.
    static func runTool(
        _ tool: String, arguments: [String], environment: [String: String] = [:], stdin: String? = nil, timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: String) {
        let (process, output) = try launch(tool, arguments: arguments, environment: environment, fromPath: true, stdin: stdin)
        try await waitForExit(process, timeout: timeout)
        return (process.terminationStatus, output.text)
    }

    static func launch(
        _ name: String, arguments: [String], environment: [String: String], fromPath: Bool = false, stdin: String? = nil
    ) throws -> (Process, OutputCollector) {
        let process = Process()
        if fromPath {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [name] + arguments
        } else {
            process.executableURL = binDirectory.appendingPathComponent(name)
            process.arguments = arguments
        }
        // A clean environment: the developer's own AUTH_API_URL or PORT must not leak in.
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LOG_LEVEL": "info"]
        env.merge(environment) { _, new in new }
        process.environment = env
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let output = OutputCollector()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                output.append(data)
            }
        }
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        return (process, output)
    }

    private init(name: String, port: Int, process: Process, output: OutputCollector) {
        self.name = name
        self.port = port
        self.process = process
        self.output = output
    }

    /// Sends SIGTERM and returns the exit status once the process has gone.
    func terminate(timeout: Duration = .seconds(15)) async throws -> Int32 {
        if process.isRunning { process.terminate() }
        try await Self.waitForExit(process, timeout: timeout)
        return process.terminationStatus
    }

    static func waitForExit(_ process: Process, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw ServiceProcessError(message: "process \(process.processIdentifier) still running after \(timeout)")
            }
            try await Sleep.for(.milliseconds(10))
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    // MARK: HTTP

    struct Reply: Sendable {
        let status: Int
        let body: String
        let headers: [(String, String)]

        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    func request(_ method: HTTPMethod = .GET, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 1 << 22)
        return Reply(status: Int(response.status.code), body: String(buffer: buffer), headers: response.headers.map { ($0.name, $0.value) })
    }
}

/// A long-running tool (e.g. `kubectl get -w`) whose output a test waits on.
final class ToolProcess: Sendable {
    private let process: Process
    private let collector: OutputCollector

    init(tool: String, arguments: [String], environment: [String: String]) throws {
        (process, collector) = try ServiceProcess.launch(tool, arguments: arguments, environment: environment, fromPath: true)
    }

    var output: String { collector.text }

    func waitForOutput(timeout: Duration, sourceLocation: SourceLocation = #_sourceLocation, _ condition: (String) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(collector.text) {
            guard ContinuousClock.now < deadline else {
                Issue.record("output did not arrive within \(timeout):\n\(collector.text)", sourceLocation: sourceLocation)
                throw CancellationError()
            }
            try await Sleep.for(.milliseconds(20))
        }
    }

    func stop() {
        if process.isRunning { process.terminate() }
    }

    deinit { stop() }
}

struct ServiceProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Gathers a child's combined output; finds the "listening on http://host:port" line.
final class OutputCollector: Sendable {
    private let buffer = NIOLockedValueBox(Data())

    func append(_ data: Data) {
        buffer.withLockedValue { $0.append(data) }
    }

    var text: String { buffer.withLockedValue { String(decoding: $0, as: UTF8.self) } }

    func listeningPort() -> Int? {
        guard let range = text.range(of: #"listening on http://[^\s:]+:(\d+)"#, options: .regularExpression) else { return nil }
        return Int(text[range].split(separator: ":").last ?? "")
    }
}
