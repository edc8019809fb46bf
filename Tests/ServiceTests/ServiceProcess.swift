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
        do {
            try await waitUntil("\(name) reports its port", timeout: timeout) { listeningPort(in: child.output) != nil || !child.isRunning }
        } catch is WaitTimedOut {
            child.kill()
            throw ServiceProcessError(message: "\(name) did not report a port within \(timeout):\n\(child.output)")
        }
        guard let port = listeningPort(in: child.output) else {
            throw ServiceProcessError(message: "\(name) exited with \(child.exitStatus ?? -1) before listening:\n\(child.output)")
        }
        return ServiceProcess(name: name, port: port, child: child)
    }

    /// The dev IdP and an ndp-ep-api that asks it, for `body`; both must then stop cleanly.
    static func withGateway(
        arguments: [String] = [], environment: [String: String], _ body: (_ idp: ServiceProcess, _ gateway: ServiceProcess) async throws -> Void
    ) async throws {
        let idp = try await start("dev-idp", environment: ["DEV_IDP_USERS": ServiceBinaryTests.usersFile])
        let gateway: ServiceProcess
        do {
            gateway = try await start(
                "ndp-ep-api", arguments: arguments, environment: ["AUTH_API_URL": "\(idp.baseURL)/information"].merging(environment) { $1 })
        } catch {
            _ = try? await idp.terminate()
            throw error
        }
        do {
            try await body(idp, gateway)
        } catch {
            _ = try? await gateway.terminate()
            _ = try? await idp.terminate()
            throw error
        }
        #expect(try await gateway.terminate() == 0)
        #expect(try await idp.terminate() == 0)
    }

    /// Runs `name` to completion (for --help and configuration errors).
    static func run(
        _ name: String, arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, output: String) {
        let child = try launch(name, arguments: arguments, environment: environment)
        defer { removeFiles(of: child) }
        return (try await child.waitForExit(timeout: timeout), child.output)
    }

    /// Runs a tool from PATH (kubectl, python…) to completion in the clean environment,
    /// optionally feeding stdin; output is both streams.
    static func runTool(
        _ tool: String, arguments: [String], environment: [String: String] = [:], stdin: String? = nil, timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: String) {
        let result = try await TestSupport.runTool(
            [tool] + arguments, stdin: Data((stdin ?? "").utf8), mergingErrors: true, environment: cleanEnvironment(environment), timeout: timeout
        )
        return (result.status, String(decoding: result.output, as: UTF8.self))
    }

    /// PATH and LOG_LEVEL, then `extra`: the developer's own AUTH_API_URL or PORT must not leak in.
    static func cleanEnvironment(_ extra: [String: String]) -> [String: String] {
        ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LOG_LEVEL": "info"].merging(extra) { _, new in new }
    }

    /// The gateway's catalog file, beside the process's log (its default is relative to the
    /// working directory, which every process here shares).
    static func catalogFile(besideLog log: URL) -> String { log.path + ".catalog.sqlite" }

    /// The log and the catalog files (with SQLite's `-wal` and `-shm`) a process leaves.
    static func removeFiles(of child: ChildProcess) {
        let catalog = catalogFile(besideLog: child.outputFile)
        for path in [child.outputFile.path, catalog, catalog + "-wal", catalog + "-shm"] { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Starts one of our binaries (or, `fromPath`, a tool) in the clean environment. Output
    /// (both streams) goes to a temporary file, removed with the process's handle.
    static func launch(_ name: String, arguments: [String], environment: [String: String], fromPath: Bool = false) throws -> ChildProcess {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).log")
        return try ChildProcess(
            fromPath ? "/usr/bin/env" : binDirectory.appendingPathComponent(name).path, fromPath ? [name] + arguments : arguments,
            environment: cleanEnvironment(["CATALOG_SQLITE_PATH": catalogFile(besideLog: output)].merging(environment) { $1 }),
            workingDirectory: FileManager.default.temporaryDirectory, output: output, input: Data()
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
        Self.removeFiles(of: child)
    }

    /// Sends `signal` (SIGHUP: reload the access policy).
    func send(_ signal: Int32) {
        if child.isRunning { Foundation.kill(child.processIdentifier, signal) }
    }

    var isRunning: Bool { child.isRunning }

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

    func waitForOutput(
        timeout: Duration, sourceLocation: SourceLocation = #_sourceLocation, _ condition: @escaping @Sendable (String) -> Bool
    ) async throws {
        do {
            try await waitUntil("the output arrives", timeout: timeout) { [child] in condition(child.output) }
        } catch let error as WaitTimedOut {
            Issue.record("\(error):\n\(child.output)", sourceLocation: sourceLocation)
            throw error
        }
    }

    func stop() {
        child.kill()
        ServiceProcess.removeFiles(of: child)
    }

    deinit { stop() }
}

struct ServiceProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
