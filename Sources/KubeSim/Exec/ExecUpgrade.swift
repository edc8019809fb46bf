import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Identity
import Logging
import NIOCore

/// `pods/exec` over WebSocket with the Kubernetes channel protocol (`v5.channel.k8s.io`,
/// `v4.channel.k8s.io`): each binary message starts with its channel, 1 stdout, 2 stderr,
/// 3 the final `Status` carrying the exit code. Requests that are not an exec upgrade (or
/// name a pod that does not exist) fall through to the HTTP routes, which answer them.
struct ExecUpgrade: Sendable {
    static let protocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]
    static let processStartDelay: Duration = .milliseconds(50)

    let store: ObjectStore
    let pods: PodRuntime
    let registry: ResourceRegistry
    let access: AccessControl?

    func shouldUpgrade(_ request: HTTPRequest) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let target = request.path, let path = ResourcePath(String(target.split(separator: "?", maxSplits: 1)[0])),
            case .subresource("pods", let name, "exec") = path.target, let namespace = path.namespace,
            let podType = registry.type(group: "", version: "v1", plural: "pods")
        else { return .dontUpgrade }
        let offered = (request.headerFields[.secWebSocketProtocol] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let chosen = Self.protocols.first(where: offered.contains) else { return .dontUpgrade }
        if let access {
            guard let user = try? access.authenticate(BearerToken.from(request.headerFields)),
                (try? access.authorize(user, verb: "create", group: "", resource: "pods/exec", namespace: namespace, name: name)) != nil
            else { return .dontUpgrade }
        }
        guard let pod = try? await store.get(podType, namespace: namespace, name: name) else { return .dontUpgrade }
        let query = QueryParameters(rawQuery: target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "")
        let command = query.all("command")
        let containers = (pod["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let container = query["container"] ?? containers.first ?? ""
        let running = pod["status"]?["phase"] == "Running"
        let pods = self.pods
        return .upgrade([.secWebSocketProtocol: chosen]) { _, outbound, _ in
            // A real container's process starts tens of milliseconds after the stream is set
            // up. Answering at once puts our frames and the FIN that follows them (the server
            // half-closes when the handler returns) into the client's upgrade: NIO's client
            // drops bytes that arrive with an EOF before its HTTP decoder is removed, and the
            // stream then never ends. Keep the wire timing realistic.
            try await Sleep.for(Self.processStartDelay)
            let status: JSONValue
            if !containers.contains(container) {
                status = Self.failure(message: "container \(container) is not valid for pod \(name)", reason: "BadRequest")
            } else if !running {
                status = Self.failure(message: "unable to upgrade connection: container not found (\"\(container)\")", reason: "BadRequest")
            } else {
                let result = FakeShell(files: await pods.files(namespace: namespace, name: name)).run(command)
                if !result.stdout.isEmpty { try await outbound.write(.binary(Self.frame(1, Array(result.stdout.utf8)))) }
                if !result.stderr.isEmpty { try await outbound.write(.binary(Self.frame(2, Array(result.stderr.utf8)))) }
                status =
                    result.exitCode == 0
                    ? ["metadata": [:], "status": "Success"]
                    : [
                        "metadata": [:], "status": "Failure", "reason": "NonZeroExitCode",
                        "message": .string(
                            "command terminated with non-zero exit code: error executing command \(command), exit code \(result.exitCode)"),
                        "details": ["causes": [["reason": "ExitCode", "message": .string(String(result.exitCode))]]],
                    ]
            }
            try await outbound.write(.binary(Self.frame(3, Array(status.encoded()))))
            try await outbound.close(.normalClosure, reason: nil)
        }
    }

    static func frame(_ channel: UInt8, _ bytes: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(channel)
        buffer.writeBytes(bytes)
        return buffer
    }

    static func failure(message: String, reason: String) -> JSONValue {
        ["metadata": [:], "status": "Failure", "message": .string(message), "reason": .string(reason)]
    }
}

extension HTTPField.Name {
    static let secWebSocketProtocol = HTTPField.Name("Sec-WebSocket-Protocol")!
}
