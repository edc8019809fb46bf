import BrokerWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import ZeroMQ

/// The broker proper: one thread owns the three network sockets and the mailbox, and routes
/// (docs/specs/rexec.md §2.4) client messages to the server whose identity is the token's `sub`,
/// and server messages back to the client that asked.
///
/// Nothing on this thread waits for the network: tokens validated earlier are looked up in
/// memory, unknown ones are validated by a task that posts the outcome to the mailbox while
/// their messages wait, and every send is non-blocking.
final class RoutingLoop: @unchecked Sendable {
    struct Endpoints: Sendable, Equatable {
        var client: String
        /// The CURVE port servers with a credential connect to.
        var server: String
        var control: String
        /// The plain port for servers without a credential, when the operator allows them.
        var unauthenticatedServer: String?
    }

    enum Exit: Sendable, Equatable {
        /// Asked by the process (SIGTERM) through ``stop()``.
        case stopped
        /// TERMINATE with the right secret on the control socket.
        case terminated
    }

    /// A client message waiting for its token's validation.
    struct Parked {
        var request: ClientRequest
        var receivedAt: ContinuousClock.Instant
    }

    /// A validated call whose server is not connected yet (just after a start).
    struct AwaitingCall {
        var request: ClientRequest
        var sub: String
        var receivedAt: ContinuousClock.Instant
    }

    /// Which server a client (by its ROUTER id) talks to, so a server can only answer the
    /// clients that addressed it.
    struct ClientRoute {
        var server: [UInt8]
        var lastUsed: ContinuousClock.Instant
    }

    static let batchSize = 512
    static let housekeepingInterval: Duration = .seconds(1)
    /// A call silent for this long (no request, no reply) loses its route back.
    static let clientRouteIdle: Duration = .seconds(86_400)
    /// After a server connection closes, servers with calls are probed this often, for this
    /// long: libzmq forgets a closed peer a moment after it reports the closing, and only then
    /// does a send to it fail.
    static let probeInterval: Duration = .milliseconds(100)
    static let probeWindow: Duration = .seconds(3)
    /// The client id of probes: a CANCEL for no call, with a reason servers ignore (upstream's
    /// and ours cancel only for `keyboard_interrupt`).
    static let probe = ClientRequest(envelope: [Array("__rexec_broker_probe__".utf8)], token: "", kind: .cancel(reason: Array("broker_probe".utf8)))

    let endpoints: Endpoints
    private let settings: BrokerSettings
    private let context: ZMQContext
    private let clients: ZMQSocket
    /// Rexec servers: authenticated connections, each known by its user.
    private let servers: ServerPort
    private let control: ZMQSocket
    private let mailbox: RoutingMailbox
    private let validator: TokenValidator
    private let metrics: BrokerMetrics
    private let logger: Logger
    private let clock = ContinuousClock()
    private let runningFlag = NSLock()
    private var running = false
    /// A copy of the registry for other threads (the HTTP side port), refreshed when a
    /// server appears, returns or goes unreachable, and on every housekeeping tick (so call
    /// times lag by at most a second, and the routing thread copies its table at most then).
    private let published: NIOLockedValueBox<ServerRegistry>

    // Routing-thread state.
    private var tokens: TokenTable<Parked>
    private var registry: ServerRegistry
    private var counters = BrokerCounters()
    private var clientRoutes: [[UInt8]: ClientRoute] = [:]
    private var exit: Exit?
    /// Until when servers with calls are probed, after a server connection closed.
    private var probingUntil: ContinuousClock.Instant?
    private var nextProbe: ContinuousClock.Instant?
    /// Calls that arrived, just after a start, for servers not yet reconnected.
    private var awaitingServer: [AwaitingCall] = []
    private var nextRetry: ContinuousClock.Instant?
    private let startedAt: ContinuousClock.Instant

    /// Creates and binds the sockets, so a port in use fails start-up rather than the thread.
    init(
        settings: BrokerSettings, curveKey: CurveKeyPair, serverKeys: any ServerKeys, validator: TokenValidator, metrics: BrokerMetrics,
        logger: Logger
    ) throws {
        self.settings = settings
        self.validator = validator
        self.metrics = metrics
        self.logger = logger
        tokens = TokenTable(ttl: settings.tokenTTL, outageGrace: settings.outageGrace, maxWaiting: settings.maxPendingMessages)
        registry = ServerRegistry(staleAfter: settings.staleAfter)
        published = NIOLockedValueBox(registry)
        startedAt = clock.now

        context = ZMQContext()
        clients = try ZMQSocket(context: context, kind: .router)
        // Count replies to clients that have gone instead of dropping them silently.
        try clients.setRouterMandatory(true)
        try clients.setSendHighWaterMark(settings.clientSendHighWaterMark)
        try clients.setProtocolHeartbeat(intervalMilliseconds: 10_000, timeoutMilliseconds: 30_000)
        // Heartbeats short: a server whose host vanished without closing its connection is
        // dropped after five seconds, and the probe then ends its calls well within the ten
        // seconds clients are promised. libzmq's I/O thread answers PINGs, so a busy server
        // still does.
        servers = try ServerPort(
            context: context,
            settings: .init(endpoint: settings.serverEndpoint, unauthenticatedEndpoint: settings.unauthenticatedServerEndpoint),
            curveKey: curveKey, keys: serverKeys, heartbeat: (1_000, 5_000), metrics: metrics, logger: logger)
        control = try ZMQSocket(context: context, kind: .rep)
        mailbox = try RoutingMailbox(context: context)

        try clients.bind(settings.clientEndpoint)
        try control.bind(settings.controlEndpoint)
        endpoints = Endpoints(
            client: clients.lastEndpoint, server: servers.endpoint, control: control.lastEndpoint,
            unauthenticatedServer: servers.unauthenticatedEndpoint)
    }

    var isRunning: Bool {
        runningFlag.lock()
        defer { runningFlag.unlock() }
        return running
    }

    /// What the broker knows of one server, as of the last publication; safe from any thread.
    func server(_ id: String) -> BrokerServerState? {
        let registry = published.withLockedValue { $0 }
        return registry.records[id].map { BrokerStatistics.serverState($0, in: registry, now: clock.now) }
    }

    private func publish() {
        published.withLockedValue { $0 = registry }
    }

    /// Asks the routing thread to finish; safe from any thread.
    func stop() {
        mailbox.post(.stop)
    }

    /// Routes until ``stop()`` or an authorised TERMINATE; closes the sockets before returning.
    func run() -> Exit {
        setRunning(true)
        defer {
            setRunning(false)
            mailbox.close()
            clients.close()
            servers.close()
            control.close()
        }
        // Servers first: a goodbye read in the same wake-up as a call for that server must
        // be known before the call is routed.
        let sockets = servers.sockets + [clients, control, mailbox.receiver]
        let serverSockets = servers.sockets.count
        var nextHousekeeping = clock.now + Self.housekeepingInterval
        while exit == nil {
            let wake = min(nextHousekeeping, nextProbe ?? nextHousekeeping, nextRetry ?? nextHousekeeping)
            let wait = max(0, (wake - clock.now).millisecondsRoundedUp)
            let ready: [Int]
            do {
                ready = try ZMQPoller.readable(sockets, timeoutMilliseconds: wait)
            } catch {
                logger.error("polling the broker's sockets failed; stopping", metadata: ["error": "\(error)"])
                return .stopped
            }
            for index in ready {
                switch index - serverSockets {
                case ..<0:
                    servers.read(index, limit: Self.batchSize) { readable in
                        guard exit == nil else { return }
                        switch readable {
                        case .message(let frames): handleServer(frames)
                        case .disconnection: handleServerDisconnection()
                        }
                    }
                case 0: drain(clients) { self.handleClient($0) }
                case 1: drain(control) { self.handleControl($0) }
                default: handleMailbox()
                }
            }
            if let due = nextProbe, clock.now >= due {
                probeServersWithCalls()
            }
            if let due = nextRetry, clock.now >= due {
                retryAwaitingServers()
            }
            if clock.now >= nextHousekeeping {
                housekeeping()
                nextHousekeeping = clock.now + Self.housekeepingInterval
            }
        }
        return exit!
    }

    private func setRunning(_ value: Bool) {
        runningFlag.lock()
        running = value
        runningFlag.unlock()
    }

    private func drain(_ socket: ZMQSocket, _ handle: ([[UInt8]]) -> Void) {
        for _ in 0..<Self.batchSize {
            guard exit == nil, let frames = try? socket.tryReceive() else { return }
            handle(frames)
        }
    }

    // MARK: Clients → servers

    private func handleClient(_ frames: [[UInt8]]) {
        let now = clock.now
        switch ClientRequest.parse(frames) {
        case .failure(let failure):
            refuse(envelope: failure.envelope, text: failure.replyText, reason: failure.reason)
        case .success(let request):
            switch tokens.lookup(request.token, for: Parked(request: request, receivedAt: now), at: now) {
            case .route(let sub):
                metrics.tokenHits.increment()
                forward(request, to: sub, receivedAt: now)
            case .parked(let startValidation):
                metrics.pendingMessages.set(Double(tokens.waitingCount))
                if startValidation {
                    metrics.tokenValidations.increment()
                    let token = request.token
                    validator.validate(token) { [mailbox] outcome in
                        mailbox.post(.tokenResolved(token: token, outcome: outcome))
                    }
                }
            case .backlogFull:
                logger.warning("too many messages wait for token validation; refusing", metadata: ["limit": "\(settings.maxPendingMessages)"])
                refuse(envelope: request.envelope, text: BrokerReply.tokenValidationFailed, reason: .authBacklogFull)
            }
        }
    }

    private func forward(_ request: ClientRequest, to sub: String, receivedAt: ContinuousClock.Instant) {
        // A server that said goodbye is closing its connection: a send would be accepted by
        // libzmq and then lost with the connection, leaving the client waiting forever.
        guard !registry.hasDeparted(sub) else {
            refuse(envelope: request.envelope, text: BrokerReply.serverNotReady(sub: sub), reason: .serverUnavailable)
            return
        }
        let serverID = Array(sub.utf8)
        do {
            try servers.send(request.forwardFrames(to: serverID))
        } catch let error as ZMQError {
            if error.isHostUnreachable, registry.records[sub] == nil, clock.now < startedAt + settings.startupGrace {
                // Just started (a restart): servers are reconnecting, and clients whose calls
                // waited in their queues are often quicker. Such a call waits for its server.
                awaitingServer.append(AwaitingCall(request: request, sub: sub, receivedAt: receivedAt))
                nextRetry = nextRetry ?? clock.now + Self.probeInterval
                return
            }
            if error.isHostUnreachable {
                // Calls routed to it earlier went down with its connection.
                lost(serverID, sub: sub)
            }
            logger.debug("server not reachable", metadata: ["server": "\(sub)", "error": "\(error)"])
            refuse(envelope: request.envelope, text: BrokerReply.serverNotReady(sub: sub), reason: .serverUnavailable)
            return
        } catch {
            return
        }
        routed(request, to: serverID, sub: sub, receivedAt: receivedAt)
    }

    /// Routes the calls waiting for servers after a start again: each reaches its server, waits
    /// on (within the grace), or gets "Server not ready" as any call for an absent server does.
    private func retryAwaitingServers() {
        let waiting = awaitingServer
        awaitingServer = []
        nextRetry = nil
        for parked in waiting {
            forward(parked.request, to: parked.sub, receivedAt: parked.receivedAt)
        }
    }

    /// Books a call (or cancel) that reached its server.
    private func routed(_ request: ClientRequest, to serverID: [UInt8], sub: String, receivedAt: ContinuousClock.Instant) {
        let now = clock.now
        if let clientID = request.envelope.first {
            clientRoutes[clientID] = ClientRoute(server: serverID, lastUsed: now)
        }
        switch request.kind {
        case .invoke:
            counters.invokes += 1
            metrics.clientMessages.increment()
            registry.noteCall(to: sub, at: now)
        case .cancel:
            counters.cancels += 1
            metrics.cancelMessages.increment()
        }
        metrics.routingLatency.record(now - receivedAt)
    }

    /// Answers a client with one of upstream's texts, as a pickled string.
    private func refuse(envelope: [[UInt8]], text: String, reason: BrokerError) {
        count(reason)
        guard !envelope.isEmpty else { return }
        try? clients.send(envelope + [[], PickledString.encode(text)], dontWait: true)
    }

    private func count(_ error: BrokerError) {
        counters.errors[error, default: 0] += 1
        metrics.count(error)
    }

    // MARK: Servers → clients

    private func handleServer(_ frames: [[UInt8]]) {
        guard let message = ServerMessage.parse(frames) else { return }
        let now = clock.now
        switch message {
        case .heartbeat(let server, let instance):
            counters.heartbeats += 1
            metrics.heartbeats.increment()
            note(registry.heard(from: String(decoding: server, as: UTF8.self), at: now, heartbeat: true, instance: instance), server: server)
        case .reply(let server, let clientFrames):
            note(registry.heard(from: String(decoding: server, as: UTF8.self), at: now, heartbeat: false), server: server)
            let clientID = clientFrames[0]
            // A server that answers a probe (ours and upstream's do not) has nobody to answer.
            if clientID == Self.probe.envelope[0] { return }
            guard var route = clientRoutes[clientID], route.server == server else {
                // Either a server addressing another user's client, or a reply after the
                // route was forgotten: never deliver it.
                count(.foreignClient)
                return
            }
            do {
                try clients.send(clientFrames, dontWait: true)
                counters.replies += 1
                metrics.serverReplies.increment()
                route.lastUsed = now
                clientRoutes[clientID] = route
            } catch {
                // The client hung up (Ctrl-C closes its socket at once) or stopped reading.
                count(.clientUnreachable)
            }
        case .goodbye(let server, let instance):
            let id = String(decoding: server, as: UTF8.self)
            if registry.departed(id, instance: instance) {
                logger.info("rexec server said goodbye; calls for it are refused until it reconnects", metadata: ["server": "\(id)"])
                // Calls it was running or had queued stop with it.
                abandonCalls(to: server, sub: id, cause: .saidGoodbye)
                publish()
            }
        case .invalid:
            count(.invalidServerMessage)
        }
    }

    /// Ends every call still routed to `server` with a stream ERROR event (the client raises it
    /// as a RuntimeError), so no client waits forever for answers from a server that has gone.
    /// Clients that already finished have closed their sockets, and the send to them fails
    /// harmlessly.
    private func abandonCalls(to server: [UInt8], sub: String, cause: ServerLoss) {
        let reply = PickledStreamError.encode(
            message: BrokerReply.serverLost(sub: sub, cause: cause), details: "rexec-broker: \(cause.rawValue)")
        for (clientID, route) in clientRoutes where route.server == server {
            clientRoutes[clientID] = nil
            if (try? clients.send([clientID, [], reply], dontWait: true)) != nil {
                count(.callAbandoned)
            }
        }
    }

    /// A send to `sub` found no connection: libzmq dropped it (the process died, or its host
    /// stopped answering the protocol heartbeat).
    private func lost(_ serverID: [UInt8], sub: String) {
        guard registry.markUnreachable(sub) else { return }
        let calls = clientRoutes.values.filter { $0.server == serverID }.count
        logger.warning("rexec server connection lost; ending its calls", metadata: ["server": "\(sub)", "calls": "\(calls)"])
        abandonCalls(to: serverID, sub: sub, cause: .connectionLost)
        publish()
    }

    // MARK: Finding dead servers

    /// libzmq reports that a server connection closed but not whose; probing tells.
    private func handleServerDisconnection() {
        let now = clock.now
        probingUntil = now + Self.probeWindow
        nextProbe = now
    }

    /// Sends each server with routed calls a probe; a server whose connection is gone fails
    /// the send with EHOSTUNREACH, and its calls end. Live servers ignore the probe.
    private func probeServersWithCalls() {
        let now = clock.now
        let busy = Set(clientRoutes.values.map(\.server))
        for serverID in busy {
            let sub = String(decoding: serverID, as: UTF8.self)
            guard !registry.hasDeparted(sub), registry.records[sub]?.unreachable != true else { continue }
            do {
                try servers.send(Self.probe.forwardFrames(to: serverID))
            } catch let error as ZMQError where error.isHostUnreachable {
                lost(serverID, sub: sub)
            } catch {
                // A full queue is not a dead server.
            }
        }
        if let until = probingUntil, now < until, !busy.isEmpty {
            nextProbe = now + Self.probeInterval
        } else {
            probingUntil = nil
            nextProbe = nil
        }
    }

    private func note(_ event: ServerRegistry.Event, server: [UInt8]) {
        let id = String(decoding: server, as: UTF8.self)
        if event != .none { publish() }
        switch event {
        case .appeared:
            logger.info("rexec server connected", metadata: ["server": "\(id)"])
        case .replaced:
            logger.notice("rexec server replaced by a new process with the same identity; routing goes to the new one", metadata: ["server": "\(id)"])
        case .returned:
            logger.info("rexec server heard from again", metadata: ["server": "\(id)"])
        case .none:
            break
        }
    }

    // MARK: Control

    private func handleControl(_ frames: [[UInt8]]) {
        let reply: String
        switch ControlCommand.parse(frames) {
        case .statistics:
            try? control.send([statistics().json()])
            return
        case .ping:
            reply = "OK"
        case .terminate(let secret):
            switch ControlCommand.authorize(given: secret, configured: settings.controlSecret) {
            case .accept:
                logger.notice("TERMINATE accepted on the control socket")
                exit = .terminated
                reply = "OK"
            case .refuse(let reason):
                logger.warning("TERMINATE refused on the control socket", metadata: ["reason": "\(reason)"])
                reply = "ERROR: \(reason)"
            }
        case .unknown:
            reply = "ERROR: unknown command; expected STATISTICS, PING or TERMINATE <secret>"
        }
        try? control.send([Array(reply.utf8)])
    }

    func statistics() -> BrokerStatistics {
        BrokerStatistics.make(
            counters: counters, registry: registry, pending: tokens.waitingCount, awaitingServer: awaitingServer.count,
            knownTokens: tokens.knownCount, clientRoutes: clientRoutes.count, refusals: servers.refusals,
            startedAt: startedAt, now: clock.now
        )
    }

    // MARK: Mailbox and housekeeping

    private func handleMailbox() {
        for letter in mailbox.takeAll() {
            switch letter {
            case .stop:
                exit = .stopped
            case .tokenResolved(let token, let outcome):
                resolved(token: token, outcome: outcome)
            }
        }
        metrics.pendingMessages.set(Double(tokens.waitingCount))
    }

    private func resolved(token: String, outcome: TokenOutcome) {
        switch tokens.resolve(token, outcome: outcome, at: clock.now) {
        case .route(let sub, let waiting, let servedStale):
            if servedStale {
                metrics.staleAuthServed.increment()
                logger.warning("identity provider unavailable; routing with the token's earlier validation", metadata: ["user": "\(sub)"])
            }
            for parked in waiting { forward(parked.request, to: sub, receivedAt: parked.receivedAt) }
        case .refuse(let waiting):
            if outcome == .unavailable {
                logger.warning("identity provider unavailable; token validation failed", metadata: ["messages": "\(waiting.count)"])
            }
            let (text, reason) =
                outcome == .forbidden
                ? (BrokerReply.accessForbidden, BrokerError.accessForbidden) : (BrokerReply.tokenValidationFailed, BrokerError.tokenValidationFailed)
            for parked in waiting {
                refuse(envelope: parked.request.envelope, text: text, reason: reason)
            }
        }
    }

    /// Keeps at most `maxClientRoutes` routes back to clients, the least recently used going
    /// first (to a tenth below the bound, so this runs rarely). The real client uses a new
    /// connection per call and the broker cannot see a call end (its END is a pickle it does
    /// not read), so without a bound every call ever made would keep its route for a day.
    private func boundClientRoutes() {
        guard clientRoutes.count > settings.maxClientRoutes else { return }
        let keep = settings.maxClientRoutes * 9 / 10
        let kept = clientRoutes.sorted { $0.value.lastUsed > $1.value.lastUsed }.prefix(keep)
        let dropped = clientRoutes.count - kept.count
        clientRoutes = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        logger.notice("forgot the routes of the least recently active clients", metadata: ["routes": "\(dropped)"])
    }

    private func housekeeping() {
        let now = clock.now
        for (id, silence) in registry.newlyStale(at: now) {
            logger.warning(
                "rexec server missed its heartbeats; reported stale", metadata: ["server": "\(id)", "silent_seconds": "\(Int(silence.seconds))"])
        }
        tokens.evictExpired(at: now)
        clientRoutes = clientRoutes.filter { now - $0.value.lastUsed < Self.clientRouteIdle }
        boundClientRoutes()
        metrics.connectedServers.set(Double(registry.count(in: .live, at: now)))
        metrics.staleServers.set(Double(registry.count(in: .stale, at: now)))
        metrics.pendingMessages.set(Double(tokens.waitingCount))
        servers.housekeeping(knownServers: Set(registry.records.keys))
        publish()
    }
}
