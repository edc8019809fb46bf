import AsyncHTTPClient
import Essentials
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// One of our executables, started as a real process on a free port.
final class ServiceProcess: Sendable {
    let name: String
    let port: Int
    private let child: ChildProcess

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var log: String { child.output }

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
        let child = try launch(name, arguments: ["--host", "127.0.0.1", "--port", "0"] + arguments, environment: environment)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let port = listeningPort(in: child.output) {
                return ServiceProcess(name: name, port: port, child: child)
            }
            if let status = child.exitStatus {
                throw ServiceProcessError(message: "\(name) exited with \(status) before listening:\n\(child.output)")
            }
            try await Sleep.for(.milliseconds(10))
        }
        child.kill()
        throw ServiceProcessError(message: "\(name) did not report a port within \(timeout):\n\(child.output)")
    }

    /// Runs `name` to completion (for --help and configuration errors).
    static func run(
        _ name: String, arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, output: String) {
        let child = try launch(name, arguments: arguments, environment: environment)
        return (try await child.waitForExit(timeout: timeout), child.output)
    }

    /// Runs a tool from PATH (kubectl, python…) to completion, optionally feeding stdin.
    static func runTool(
        _ tool: String, arguments: [String], environment: [String: String] = [:], stdin: String? = nil, timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: String) {
        let child = try launch(tool, arguments: arguments, environment: environment, fromPath: true, stdin: stdin)
        return (try await child.waitForExit(timeout: timeout), child.output)
    }

    /// Starts one of our binaries (or, `fromPath`, a tool) in a clean environment: the
    /// developer's own AUTH_API_URL or PORT must not leak in. Output (both streams) goes to a
    /// temporary file.
    static func launch(
        _ name: String, arguments: [String], environment: [String: String], fromPath: Bool = false, stdin: String? = nil
    ) throws -> ChildProcess {
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LOG_LEVEL": "info"]
        env.merge(environment) { _, new in new }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).log")
        return try ChildProcess(
            fromPath ? "/usr/bin/env" : binDirectory.appendingPathComponent(name).path, fromPath ? [name] + arguments : arguments,
            environment: env, workingDirectory: FileManager.default.temporaryDirectory, output: output, input: Data((stdin ?? "").utf8)
        )
    }

    private init(name: String, port: Int, child: ChildProcess) {
        self.name = name
        self.port = port
        self.child = child
    }

    /// Sends SIGTERM and returns the exit status once the process has gone (SIGKILL after `timeout`).
    func terminate(timeout: Duration = .seconds(15)) async throws -> Int32 {
        await child.stop(grace: timeout)
    }

    deinit {
        child.kill()
    }

    /// The port in a "listening on http://host:port" line.
    static func listeningPort(in text: String) -> Int? {
        guard let range = text.range(of: #"listening on http://[^\s:]+:(\d+)"#, options: .regularExpression) else { return nil }
        return Int(text[range].split(separator: ":").last ?? "")
    }

    // MARK: HTTP

    func request(_ method: HTTPMethod = .GET, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 1 << 22)
        return HTTPReply(status: Int(response.status.code), bytes: buffer.readableBytesView, headers: response.headers.map { ($0.name, $0.value) })
    }
}

/// A long-running tool (e.g. `kubectl get -w`) whose output a test waits on.
final class ToolProcess: Sendable {
    private let child: ChildProcess

    init(tool: String, arguments: [String], environment: [String: String]) throws {
        child = try ServiceProcess.launch(tool, arguments: arguments, environment: environment, fromPath: true)
    }

    var output: String { child.output }

    func waitForOutput(timeout: Duration, sourceLocation: SourceLocation = #_sourceLocation, _ condition: (String) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(child.output) {
            guard ContinuousClock.now < deadline else {
                Issue.record("output did not arrive within \(timeout):\n\(child.output)", sourceLocation: sourceLocation)
                throw CancellationError()
            }
            try await Sleep.for(.milliseconds(20))
        }
    }

    func stop() {
        child.kill()
    }

    deinit { stop() }
}

struct ServiceProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
