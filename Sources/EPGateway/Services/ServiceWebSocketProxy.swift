import Access
import Foundation
import HTTPTypes
import HummingbirdWSClient
import HummingbirdWebSocket
import Identity
import Logging
import NIOCore
import ServiceKit

/// WebSocket upgrades through the services proxy: `GET /services/redirect/{name}/{path…}` with
/// `Upgrade: websocket` opens a WebSocket to the service (`ws://` or `wss://` at its URL,
/// same path and query) and relays messages both ways until either side closes.
///
/// The same rules as the HTTP proxy apply before anything is opened: the service must exist,
/// the caller must pass the policy (a token for a `requires_auth` service), and only then is
/// `Authorization` passed on. An upgrade refused here (unknown service, no or invalid token,
/// policy) is answered 400 without a body: hummingbird-websocket answers every declined
/// upgrade so, before the router sees it. The caller's first offered subprotocol is the one
/// offered to the service and answered to the caller (the caller's upgrade is answered before
/// the service's is known).
struct ServiceWebSocketProxy: Sendable {
    let directory: ServiceDirectory
    let access: EndpointAccess
    /// The server's root paths (`ROOT_PATH`), which upgrades arrive under too.
    let rootPaths: [String]
    /// The largest message relayed.
    var maxMessageSize = 16 << 20

    /// Headers the caller's upgrade does not pass on: the WebSocket handshake's own (the
    /// client makes its own), hop-by-hop ones, and `Host`.
    static let handshakeHeaders: Set<String> = ServiceProxy.requestHeadersDropped.union([
        "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-accept",
    ])

    typealias Result = ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>

    func shouldUpgrade(_ request: HTTPRequest, logger: Logger) async throws -> Result {
        guard let target = request.path else { return .dontUpgrade }
        let path = rootPaths.isEmpty ? target : (RootPath.strip(target, prefixes: rootPaths) ?? target)
        let pieces = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let prefix = "/services/redirect/"
        guard pieces[0].hasPrefix(prefix) else { return .dontUpgrade }
        let rest = pieces[0].dropFirst(prefix.count)
        let name = String(rest.prefix { $0 != "/" })
        guard !name.isEmpty, let service = try? await directory.service(named: name) else { return .dontUpgrade }
        let token = BearerToken.from(request.headerFields)
        var identity: UserIdentity?
        if let token {
            guard let known = try? await access.authenticator.authenticate(token: token) else { return .dontUpgrade }
            identity = known
        }
        if service.requiresAuthentication && identity == nil { return .dontUpgrade }
        guard access.permits(identity, .service, .read, service.policyObject) else { return .dontUpgrade }

        let subpath = String(rest.dropFirst(name.count).drop { $0 == "/" })
        var url = ServiceProxy.target(service, path: subpath, query: pieces.count > 1 ? String(pieces[1]) : "")
        if url.hasPrefix("http") { url = "ws" + url.dropFirst(4) }
        var headers = HTTPFields(ServiceProxy.passedOn(request.headerFields, to: service, dropping: Self.handshakeHeaders))
        let offered = request.headerFields[.secWebSocketProtocol]?.split(separator: ",").first.map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        // Caller and service must agree: the service is offered only what the caller will be
        // answered with.
        headers[.secWebSocketProtocol] = offered
        var answer = HTTPFields()
        if let offered { answer[.secWebSocketProtocol] = offered }
        let (maxMessageSize, upstreamURL, upstreamHeaders) = (maxMessageSize, url, headers)
        logger.info("relaying a WebSocket", metadata: ["service": "\(name)"])
        return .upgrade(answer) { inbound, outbound, context in
            do {
                try await Self.relay(inbound, outbound, url: upstreamURL, headers: upstreamHeaders, maxMessageSize: maxMessageSize, logger: logger)
            } catch {
                logger.warning("WebSocket relay failed", metadata: ["service": "\(name)", "error": "\(error)"])
                throw error
            }
        }
    }

    /// Opens the service's WebSocket and relays messages both ways; either side closing ends it.
    private static func relay(
        _ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, url: String, headers: HTTPFields, maxMessageSize: Int,
        logger: Logger
    ) async throws {
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: maxMessageSize, additionalHeaders: headers), logger: logger) {
            upstreamInbound, upstreamOutbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: maxMessageSize) { try await upstreamOutbound.write(output(message)) }
                    try? await upstreamOutbound.close(.normalClosure, reason: nil)
                }
                group.addTask {
                    for try await message in upstreamInbound.messages(maxSize: maxMessageSize) { try await outbound.write(output(message)) }
                    try? await outbound.close(.normalClosure, reason: nil)
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    static func output(_ message: WebSocketMessage) -> WebSocketOutboundWriter.OutboundFrame {
        switch message {
        case .text(let text): .text(text)
        case .binary(let bytes): .binary(bytes)
        }
    }
}
