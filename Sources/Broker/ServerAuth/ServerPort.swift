import BrokerWire
import Foundation
import Logging
import ZeroMQ

/// The broker's server-facing side: the CURVE ROUTER rexec servers connect to, its ZAP
/// handler and monitor, and (only when the operator allows it) a plain ROUTER for servers
/// without a credential. It knows which connection each user's calls go to
/// (``ServerConnections``) and speaks to the routing loop in users: a received message's
/// first frame is the user's `sub`, and a message sent to a `sub` goes to that user's
/// current connection, or fails with EHOSTUNREACH as libzmq's ROUTER_MANDATORY would.
///
/// Owned by the routing thread, like every socket of the broker.
final class ServerPort {
    struct Settings: Sendable, Equatable {
        var endpoint: String
        /// Set when unauthenticated servers are allowed: where they connect.
        var unauthenticatedEndpoint: String?
    }

    enum Readable {
        /// A message of a known server connection; frame 0 is its user's `sub`.
        case message([[UInt8]])
        /// Some server connection closed (libzmq does not say whose).
        case disconnection
    }

    private let authenticated: ZMQSocket
    private let zap: ZMQSocket
    private let monitor: ZMQSocket
    private let unauthenticated: ZMQSocket?
    private let unauthenticatedMonitor: ZMQSocket?
    private let handler: ZAPHandler
    private let keys: any ServerKeys
    private let metrics: BrokerMetrics
    private let logger: Logger
    private let clock = ContinuousClock()
    private(set) var connections = ServerConnections()
    private(set) var refusals: [ServerRefusal: Int] = [:]
    /// Refusals are logged once a minute per address and reason: a refused peer retries
    /// every 100 ms.
    private var lastLogged: [String: ContinuousClock.Instant] = [:]
    private var ownerCache: [String: String?] = [:]
    private var ownerCacheGeneration: UInt64 = .max

    var endpoint: String { authenticated.lastEndpoint }
    var unauthenticatedEndpoint: String? { unauthenticated?.lastEndpoint }
    /// What the routing loop polls, in this order.
    let sockets: [ZMQSocket]

    init(
        context: ZMQContext, settings: Settings, curveKey: CurveKeyPair, keys: any ServerKeys, heartbeat: (interval: Int32, timeout: Int32),
        metrics: BrokerMetrics, logger: Logger
    ) throws {
        self.keys = keys
        self.metrics = metrics
        self.logger = logger
        handler = ZAPHandler(keys: keys)
        // The handler must be listening before the CURVE socket accepts anyone: without one,
        // libzmq admits every key.
        zap = try ZMQSocket(context: context, kind: .rep)
        try zap.bind(ZAPHandler.endpoint)

        authenticated = try ZMQSocket(context: context, kind: .router)
        try authenticated.setRouterMandatory(true)
        try authenticated.setCurveServer(secretKey: CurveKeyPair.keyBytes(curveKey.secretKey)!)
        try authenticated.setZAPDomain(ZAPHandler.serverDomain)
        try authenticated.setProtocolHeartbeat(intervalMilliseconds: heartbeat.interval, timeoutMilliseconds: heartbeat.timeout)
        monitor = try authenticated.openMonitor(ZMQMonitorEvent.disconnections | ZMQMonitorEvent.handshakeFailures)
        try authenticated.bind(settings.endpoint)

        if let plainEndpoint = settings.unauthenticatedEndpoint {
            let plain = try ZMQSocket(context: context, kind: .router)
            try plain.setRouterMandatory(true)
            // Upstream's servers state their identity: a restarted one takes it over at once.
            try plain.setRouterHandover(true)
            try plain.setProtocolHeartbeat(intervalMilliseconds: heartbeat.interval, timeoutMilliseconds: heartbeat.timeout)
            unauthenticatedMonitor = try plain.openMonitor(ZMQMonitorEvent.disconnections)
            try plain.bind(plainEndpoint)
            unauthenticated = plain
        } else {
            unauthenticated = nil
            unauthenticatedMonitor = nil
        }
        sockets = [authenticated, zap, monitor] + [unauthenticated, unauthenticatedMonitor].compactMap { $0 }
    }

    func close() {
        for socket in sockets { socket.close() }
    }

    // MARK: Receiving

    /// Reads what is waiting on `sockets[index]`, up to `limit` messages.
    func read(_ index: Int, limit: Int, _ handle: (Readable) -> Void) {
        let socket = sockets[index]
        for _ in 0..<limit {
            if socket === authenticated {
                guard let (frames, userID) = try? authenticated.tryReceive(property: "User-Id") else { return }
                if let frames = identified(frames, publicKey: userID) { handle(.message(frames)) }
            } else if socket === unauthenticated {
                guard let frames = try? socket.tryReceive() else { return }
                if let frames = identifiedUnauthenticated(frames) { handle(.message(frames)) }
            } else if socket === zap {
                guard let frames = try? zap.tryReceive() else { return }
                answer(frames)
            } else {
                guard let frames = try? socket.tryReceive() else { return }
                guard let event = ZMQMonitorEvent.parse(frames) else { continue }
                if event.isDisconnection {
                    handle(.disconnection)
                } else if event.isHandshakeFailure, !event.isAuthenticationFailure {
                    // A peer without CURVE (upstream's server, a plain DEALER) or a broken
                    // handshake. libzmq names only our own endpoint here.
                    refused(.noCurve, address: "unknown (libzmq does not say)", detail: "no CURVE handshake (plain ZMTP or a wrong broker key)")
                }
            }
        }
    }

    /// A CURVE connection's message: its user is the owner of its key (its `User-Id`).
    private func identified(_ frames: [[UInt8]], publicKey: String?) -> [[UInt8]]? {
        guard let routingID = frames.first, let publicKey else { return nil }
        guard let sub = owner(of: publicKey) else {
            // Its key was withdrawn since the handshake.
            refused(.withdrawnKey, address: "an open connection", detail: "a message on a connection whose key was withdrawn")
            return nil
        }
        return accept(frames, sub: sub, connection: .init(routingID: routingID, origin: .authenticated(publicKey: publicKey)))
    }

    /// An unauthenticated connection's message: its user is the identity it states, unless
    /// that user's server authenticates.
    private func identifiedUnauthenticated(_ frames: [[UInt8]]) -> [[UInt8]]? {
        guard let routingID = frames.first else { return nil }
        let sub = String(decoding: routingID, as: UTF8.self)
        guard !keys.hasKey(for: sub) else {
            refused(
                .unauthenticatedClaim, address: "the unauthenticated server port",
                detail: "an unauthenticated server stated a user whose server authenticates")
            return nil
        }
        return accept(frames, sub: sub, connection: .init(routingID: routingID, origin: .unauthenticated))
    }

    private func accept(_ frames: [[UInt8]], sub: String, connection: ServerConnections.Connection) -> [[UInt8]] {
        switch connections.heard(connection, of: sub) {
        case .tookOver:
            logger.notice("a new connection of a rexec server took its calls over", metadata: ["server": "\(sub)"])
        case .routed, .none:
            break
        }
        var renamed = frames
        renamed[0] = Array(sub.utf8)
        return renamed
    }

    // MARK: Sending

    /// Sends `frames` (frame 0: a user's `sub`) to that user's current connection.
    func send(_ frames: [[UInt8]]) throws {
        let sub = String(decoding: frames[0], as: UTF8.self)
        guard let connection = connections.current[sub] else {
            // Upstream's servers state their identity as the routing id and may not have
            // spoken yet on this connection (just after a broker restart): try it there.
            guard let unauthenticated, !keys.hasKey(for: sub) else { throw ZMQError(code: EHOSTUNREACH, operation: "send") }
            try unauthenticated.send(frames, dontWait: true)
            return
        }
        guard stillAdmitted(connection, of: sub) else {
            connections.drop(sub)
            refused(.withdrawnKey, address: "an open connection", detail: "the server's key was withdrawn; its connection is no longer routed to")
            throw ZMQError(code: EHOSTUNREACH, operation: "send")
        }
        var addressed = frames
        addressed[0] = connection.routingID
        let socket = connection.origin == .unauthenticated ? unauthenticated! : authenticated
        do {
            try socket.send(addressed, dontWait: true)
        } catch let error as ZMQError where error.isHostUnreachable {
            connections.drop(sub)
            throw error
        }
    }

    private func stillAdmitted(_ connection: ServerConnections.Connection, of sub: String) -> Bool {
        keys.refresh(immediately: false)
        return switch connection.origin {
        case .authenticated(let publicKey): owner(of: publicKey) == sub
        case .unauthenticated: !keys.hasKey(for: sub)
        }
    }

    /// The owner of `publicKey`, asked again only when the key table has changed.
    private func owner(of publicKey: String) -> String? {
        let generation = keys.generation
        if generation != ownerCacheGeneration {
            ownerCache = [:]
            ownerCacheGeneration = generation
        }
        if let cached = ownerCache[publicKey] { return cached }
        let found = keys.owner(of: publicKey)
        ownerCache[publicKey] = found
        return found
    }

    // MARK: ZAP

    private func answer(_ frames: [[UInt8]]) {
        guard let request = ZAPHandler.Request.parse(frames) else {
            // A malformed request cannot come from libzmq; answer so the REP socket goes on.
            try? zap.send([Array("1.0".utf8), [], Array("500".utf8), Array("malformed".utf8), [], []])
            return
        }
        let decision = handler.decide(request)
        if case .refuse(let reason, let text) = decision {
            refused(reason, address: request.address, detail: text)
        }
        try? zap.send(ZAPHandler.replyFrames(to: request, decision))
    }

    // MARK: Refusals

    private func refused(_ reason: ServerRefusal, address: String, detail: String) {
        refusals[reason, default: 0] += 1
        metrics.count(reason)
        let now = clock.now
        let key = "\(reason.rawValue) \(address)"
        if let last = lastLogged[key], now - last < .seconds(60) { return }
        lastLogged[key] = now
        // Never the key: only where the connection came from and why it was refused.
        logger.warning(
            "refused a rexec server connection", metadata: ["address": "\(address)", "reason": "\(reason.rawValue)", "detail": "\(detail)"])
    }

    /// Forgets log throttling older than a minute and routes of users the registry forgot.
    func housekeeping(knownServers: Set<String>) {
        let now = clock.now
        lastLogged = lastLogged.filter { now - $0.value < .seconds(60) }
        connections.retain(knownServers)
        keys.refresh(immediately: true)
    }
}
