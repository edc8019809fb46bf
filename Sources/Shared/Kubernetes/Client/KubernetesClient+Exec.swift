import Essentials
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// What a command run in a container printed, and how it ended.
public struct ExecResult: Sendable, Equatable {
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var exitCode: Int

    public init(stdout: [UInt8], stderr: [UInt8], exitCode: Int) {
        self.stdout = stdout
        self.stderr = stderr
        self.exitCode = exitCode
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

extension KubernetesClient {
    /// Runs `command` in a pod's container over the WebSocket exec protocol
    /// (`v5.channel.k8s.io`, falling back to `v4`), keeping stdout and stderr apart and
    /// reading the exit code from the status channel. Output beyond `maxOutputBytes` per
    /// stream is dropped (the pods backend caps token reads).
    ///
    /// The whole exchange has a deadline (`timeout`): a connection that never delivers its
    /// status, or never closes, is an error rather than a caller waiting forever. (Seen with
    /// NIO's client upgrade: when the status, the close frame and the server's FIN arrive in
    /// one read with the `101`, the frames are dropped and the stream never ends.)
    public func exec(
        namespace: String? = nil, pod: String, container: String? = nil, command: [String], maxOutputBytes: Int = 1 << 20,
        timeout: Duration = .seconds(30)
    ) async throws -> ExecResult {
        var query = command.map { ("command", $0) } + [("stdout", "true"), ("stderr", "true")]
        if let container { query.append(("container", container)) }
        let http = try request(
            .GET, ResourceDescriptor.pods.path(namespace: namespace ?? configuration.namespace, name: pod, subresource: "exec"), query: query)
        let url = http.url.replacingOccurrences(of: "https://", with: "wss://").replacingOccurrences(of: "http://", with: "ws://")
        var headers: HTTPFields = [HTTPField.Name("Sec-WebSocket-Protocol")!: "v5.channel.k8s.io, v4.channel.k8s.io"]
        if let authorization = http.headers.first(name: "Authorization") { headers[.authorization] = authorization }

        let collected = NIOLockedValueBox(ExecResult(stdout: [], stderr: [], exitCode: -1))
        let statusBox = NIOLockedValueBox<JSONValue?>(nil)
        let logger = self.logger
        let upgradeHeaders = headers
        let tlsConfiguration = try configuration.tlsConfiguration()
        do {
            try await withDeadline(timeout) {
                try await Self.runExec(
                    url: url, headers: upgradeHeaders, tlsConfiguration: tlsConfiguration, logger: logger,
                    maxOutputBytes: maxOutputBytes, collected: collected, status: statusBox
                )
            }
        } catch let error as DeadlineExceeded {
            throw KubernetesError(code: 0, reason: "Timeout", message: "exec in \(pod) did not finish within \(error.duration)")
        } catch {
            // The server refused the upgrade (unknown pod, no permission…): its reason is
            // what a plain read of the pod answers.
            _ = try await get(.pods, namespace: namespace, name: pod)
            throw KubernetesError(code: 0, reason: "ExecFailed", message: "exec in \(pod): \(error)")
        }
        var result = collected.withLockedValue { $0 }
        guard let status = statusBox.withLockedValue({ $0 }) else {
            throw KubernetesError(code: 0, reason: "ExecFailed", message: "exec in \(pod) ended without a status")
        }
        if status["status"] == "Success" {
            result.exitCode = 0
        } else if status["reason"] == "NonZeroExitCode",
            let code = status["details"]?["causes"]?.arrayValue?.first(where: { $0["reason"] == "ExitCode" })?["message"]?.stringValue.flatMap(
                Int.init)
        {
            result.exitCode = code
        } else {
            throw KubernetesError(
                code: 0, reason: status["reason"]?.stringValue ?? "ExecFailed", message: status["message"]?.stringValue ?? "exec failed")
        }
        return result
    }

    /// One exec exchange: collects stdout/stderr (capped) and the status channel's `Status`.
    private static func runExec(
        url: String, headers: HTTPFields, tlsConfiguration: TLSConfiguration?, logger: Logger, maxOutputBytes: Int,
        collected: NIOLockedValueBox<ExecResult>, status: NIOLockedValueBox<JSONValue?>
    ) async throws {
        try await WebSocketClient.connect(
            url: url, configuration: .init(maxFrameSize: 1 << 22, additionalHeaders: headers),
            tlsConfiguration: tlsConfiguration, logger: logger
        ) { inbound, _, _ in
            for try await message in inbound.messages(maxSize: 1 << 24) {
                guard case .binary(var buffer) = message, let channel = buffer.readInteger(as: UInt8.self) else { continue }
                let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
                switch channel {
                case 1: collected.withLockedValue { $0.stdout.append(contentsOf: bytes.prefix(max(0, maxOutputBytes - $0.stdout.count))) }
                case 2: collected.withLockedValue { $0.stderr.append(contentsOf: bytes.prefix(max(0, maxOutputBytes - $0.stderr.count))) }
                case 3: status.withLockedValue { $0 = try? JSONValue.decode(Data(bytes)) }
                default: break
                }
            }
        }
    }
}
