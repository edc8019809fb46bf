import BrokerWire
import Essentials
import Foundation
import Identity
import Logging
import NIOConcurrencyHelpers
import Prometheus
import ServiceKit
import TestSupport
import ZeroMQ

@testable import Broker

/// An identity provider the test scripts: known tokens, held validations, outages.
actor ScriptedIdentityProvider: IdentityProvider {
    private var users: [String: String]
    /// Groups per sub (none unless set).
    var groups: [String: [String]] = [:]
    private var held: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    private(set) var outage = false
    private(set) var calls = 0

    init(users: [String: String], groups: [String: [String]] = [:]) {
        self.users = users
        self.groups = groups
    }

    func identify(token: String) async throws -> UserIdentity {
        calls += 1
        if held.contains(token) {
            await withCheckedContinuation { waiters[token, default: []].append($0) }
        }
        if outage { throw IdentityProviderError.unreachable(reason: "scripted outage") }
        guard let sub = users[token] else { throw IdentityProviderError.unauthorized }
        return UserIdentity(idpObject: ["sub": .string(sub), "groups": .array((groups[sub] ?? []).map(JSONValue.string))])
    }

    func hold(_ token: String) { held.insert(token) }

    func release(_ token: String) {
        held.remove(token)
        for waiter in waiters.removeValue(forKey: token) ?? [] { waiter.resume() }
    }

    func setOutage(_ on: Bool) { outage = on }
    func heldCount(_ token: String) -> Int { waiters[token]?.count ?? 0 }
}

/// Registrations the test makes and withdraws, as the deploy API would.
final class TestServerKeys: ServerKeys {
    private let table = NIOLockedValueBox((ServerKeyTable(), UInt64(0), [ServerKeyRegistration]()))

    func register(_ sub: String, _ publicKey: String) {
        table.withLockedValue { state in
            state.2.removeAll { $0.sub == sub }
            state.2.append(ServerKeyRegistration(sub: sub, publicKey: publicKey))
            state.0 = ServerKeyTable(state.2)
            state.1 += 1
        }
    }

    func withdraw(_ sub: String) {
        table.withLockedValue { state in
            state.2.removeAll { $0.sub == sub }
            state.0 = ServerKeyTable(state.2)
            state.1 += 1
        }
    }

    func owner(of publicKey: String) -> String? { table.withLockedValue { $0.0.owners[publicKey] } }
    func hasKey(for sub: String) -> Bool { table.withLockedValue { $0.0.keys[sub] != nil } }
    var generation: UInt64 { table.withLockedValue { $0.1 } }
    var isSynced: Bool { true }
    func refresh(immediately: Bool) {}
    var sourceDescription: String { "test" }
}

/// A routing loop on its own thread with loopback endpoints, and sockets to talk to it.
final class RoutingHarness: @unchecked Sendable {
    static let secret = "a-control-secret-for-tests"

    let loop: RoutingLoop
    let provider: ScriptedIdentityProvider
    let context = ZMQContext()
    let registry = PrometheusCollectorRegistry()
    let brokerKey = CurveKeyPair.generate()
    let keys = TestServerKeys()
    private let outcome = LoopOutcome()

    init(
        users: [String: String] = ["tok-alice": "alice", "tok-bob": "bob"],
        tokenTTL: Duration = .seconds(60), outageGrace: Duration = .seconds(300),
        staleAfter: Duration = .seconds(90), maxPending: Int = 100,
        access: AccessSettings = AccessSettings(), groups: [String: [String]] = [:], startupGrace: Duration = .zero,
        maxClientRoutes: Int = 100_000, allowUnauthenticated: Bool = false
    ) throws {
        provider = ScriptedIdentityProvider(users: users, groups: groups)
        let settings = BrokerSettings(
            clientEndpoint: "tcp://127.0.0.1:*", serverEndpoint: "tcp://127.0.0.1:*", controlEndpoint: "tcp://127.0.0.1:*",
            controlSecret: Self.secret, staleAfter: staleAfter, tokenTTL: tokenTTL, outageGrace: outageGrace,
            maxPendingMessages: maxPending, clientSendHighWaterMark: 1000, startupGrace: startupGrace,
            maxClientRoutes: maxClientRoutes, unauthenticatedServerEndpoint: allowUnauthenticated ? "tcp://127.0.0.1:*" : nil
        )
        loop = try RoutingLoop(
            settings: settings, curveKey: brokerKey, serverKeys: keys,
            validator: TokenValidator(provider: provider, gate: GroupGate(settings: access)),
            metrics: BrokerMetrics(registry: registry), logger: Logger(label: "broker-test")
        )
        // The thread holds the loop and the outcome, never the harness, so dropping the harness
        // (its deinit) is what stops the loop.
        let thread = Thread { [loop, outcome] in outcome.set(loop.run()) }
        thread.start()
    }

    /// Stops the loop (if still running) and waits for its thread to finish.
    @discardableResult
    func stop() -> RoutingLoop.Exit? {
        loop.stop()
        return waitForExit()
    }

    func waitForExit(timeout: TimeInterval = 10) -> RoutingLoop.Exit? {
        outcome.wait(timeout: timeout)
    }

    func socket(_ kind: ZMQSocket.Kind, identity: String? = nil, to endpoint: String) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, kind: kind)
        try socket.setReceiveTimeout(milliseconds: 5000)
        if let identity { try socket.setRoutingID(Array(identity.utf8)) }
        try socket.connect(endpoint)
        return socket
    }

    func client(_ identity: String? = nil) throws -> ZMQSocket { try socket(.dealer, identity: identity, to: loop.endpoints.client) }

    /// Sends calls for `sub` until the broker answers "Server not ready": it learns that a
    /// server's connection is gone only when a send to it fails. A call sent before libzmq
    /// has noticed the closed connection goes into it and is lost, so each attempt uses a
    /// fresh client and a short wait, and an unanswered attempt just means "not yet".
    func waitUntilUnreachable(_ sub: String) async throws {
        let refused = PickledString.encode("Server not ready/available for user \(sub).")
        try await waitUntil("the broker notices \(sub) is gone", timeout: .seconds(10)) {
            let probe = try self.client()
            defer { probe.close() }
            try probe.setReceiveTimeout(milliseconds: 300)
            try probe.send([[], bytes("tok-\(sub)"), bytes("fn"), bytes("a")])
            do {
                return brokerText(try await probe.receiveOffPool()) == refused
            } catch let error as ZMQError where error.isTimeout {
                return false
            }
        }
    }

    /// A DEALER on the server port authenticating with `keys` (CURVE), stating `identity` as
    /// its routing id if given (which the broker ignores).
    func curveServer(_ keys: CurveKeyPair, identity: String? = nil) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, kind: .dealer)
        try socket.setReceiveTimeout(milliseconds: 5000)
        if let identity { try socket.setRoutingID(Array(identity.utf8)) }
        try socket.setCurveClient(
            publicKey: CurveKeyPair.keyBytes(keys.publicKey)!, secretKey: CurveKeyPair.keyBytes(keys.secretKey)!,
            serverKey: CurveKeyPair.keyBytes(brokerKey.publicKey)!)
        try socket.connect(loop.endpoints.server)
        return socket
    }

    /// A server with a newly registered key for `identity` that has announced itself with a
    /// heartbeat and is known to the broker.
    func server(_ identity: String, credential: CurveKeyPair = .generate(), instance: String = UUID().uuidString) async throws -> ZMQSocket {
        keys.register(identity, credential.publicKey)
        let server = try curveServer(credential)
        try server.send([[], ServerMessage.heartbeatMarker, Array(instance.utf8)])
        try await waitUntil("the broker knows server \(identity) (instance \(instance))") {
            try self.statistics().servers[identity] != nil
        }
        return server
    }

    func control(_ frames: [String]) throws -> String {
        let request = try socket(.req, to: loop.endpoints.control)
        defer { request.close() }
        try request.send(frames.map { Array($0.utf8) })
        return String(decoding: try request.receive()[0], as: UTF8.self)
    }

    func statistics() throws -> BrokerStatistics {
        try WireJSON.decode(BrokerStatistics.self, from: Array(try control(["STATISTICS"]).utf8))
    }

    deinit {
        loop.stop()
        _ = waitForExit()
    }
}

/// How the loop's thread ended, once it has.
final class LoopOutcome: @unchecked Sendable {
    private let condition = NSCondition()
    private var exit: RoutingLoop.Exit?

    func set(_ value: RoutingLoop.Exit) {
        condition.lock()
        exit = value
        condition.broadcast()
        condition.unlock()
    }

    func wait(timeout: TimeInterval) -> RoutingLoop.Exit? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while exit == nil, condition.wait(until: deadline) {}
        return exit
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// What a client DEALER receives for a broker error: `["", pickled text]`.
func brokerText(_ frames: [[UInt8]]) -> [UInt8]? {
    frames.count == 2 && frames[0].isEmpty ? frames[1] : nil
}

extension ZMQSocket {
    /// A blocking receive on a thread of its own. Blocking on one of the (two, here) cooperative
    /// threads would starve the validation tasks the broker is waiting for.
    func receiveOffPool() async throws -> [[UInt8]] {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try self.receive() }) }.start()
        }
    }
}
