import BrokerWire
import Foundation
import Logging
import TestSupport
import Testing
import ZeroMQ

@testable import Broker

/// Rexec servers prove who they are (CURVE, a ZAP handler, keys registered by the deploy API):
/// impostors on the server port, with no key, their own key or another user's, receive
/// nothing and displace nobody.
@Suite("Broker server authentication")
struct ServerAuthenticationTests {
    /// Alice's registered server, known to the broker, and a client of hers.
    static func aliceServing(_ harness: RoutingHarness) async throws -> (server: ZMQSocket, client: ZMQSocket) {
        let server = try await harness.server("alice")
        return (server, try harness.client("alice-client"))
    }

    /// Alice's next call reaches her own server.
    static func expectAliceServed(_ harness: RoutingHarness, _ alice: (server: ZMQSocket, client: ZMQSocket), _ name: String) async throws {
        try alice.client.send([[], bytes("tok-alice"), bytes(name), bytes("a")])
        #expect(try await alice.server.receiveOffPool() == [bytes("alice-client"), [], bytes(name), bytes("a")])
    }

    /// `impostor` announces itself as a server: the broker counts `refusal`, alice's next call
    /// still reaches her own server, and the impostor has received nothing.
    static func expectRefused(
        _ impostor: ZMQSocket, as refusal: ServerRefusal, _ harness: RoutingHarness, _ alice: (server: ZMQSocket, client: ZMQSocket)
    ) async throws {
        try impostor.send([[], ServerMessage.heartbeatMarker, bytes("impostor")])
        try await waitUntil("the impostor is refused (\(refusal.rawValue))") {
            try harness.statistics().serverRefusals[refusal.rawValue] ?? 0 >= 1
        }
        try await expectAliceServed(harness, alice, "after-\(refusal.rawValue)")
        try impostor.setReceiveTimeout(milliseconds: 200)
        #expect(throws: ZMQError.self) { try impostor.receive() }
    }

    @Test("a server without CURVE stating alice's identity is refused; alice's calls still reach her server")
    func noKey() async throws {
        let harness = try RoutingHarness()
        let alice = try await Self.aliceServing(harness)
        let impostor = try harness.socket(.dealer, identity: "alice", to: harness.loop.endpoints.server)
        try await Self.expectRefused(impostor, as: .noCurve, harness, alice)
        #expect(try harness.statistics().servers["alice"]?.replacements == 0)
    }

    @Test("a server with a key nobody registered is refused by the ZAP handler")
    func ownKey() async throws {
        let harness = try RoutingHarness()
        let alice = try await Self.aliceServing(harness)
        try await Self.expectRefused(try harness.curveServer(.generate(), identity: "alice"), as: .unknownKey, harness, alice)
    }

    @Test("a server with bob's key stating alice's identity is bob's server: it gets none of alice's calls")
    func anotherUsersKey() async throws {
        let harness = try RoutingHarness()
        let alice = try await Self.aliceServing(harness)
        let bobKey = CurveKeyPair.generate()
        harness.keys.register("bob", bobKey.publicKey)
        let impostor = try harness.curveServer(bobKey, identity: "alice")
        try impostor.send([[], ServerMessage.heartbeatMarker, bytes("impostor")])
        try await waitUntil("the broker routes bob to it") { try harness.statistics().servers["bob"] != nil }
        try await Self.expectAliceServed(harness, alice, "after-bobs-key")
        // It can only answer bob's clients, and alice's client never hears it.
        try impostor.send([bytes("alice-client"), [], bytes("forged")])
        try await waitUntil("the forged reply is dropped") { try harness.statistics().errors["foreign_client"] == 1 }
        let bobClient = try harness.client("bob-client")
        try bobClient.send([[], bytes("tok-bob"), bytes("for-bob"), bytes("a")])
        #expect(try await impostor.receiveOffPool() == [bytes("bob-client"), [], bytes("for-bob"), bytes("a")])
        #expect(try harness.statistics().servers["alice"]?.replacements == 0)
    }

    @Test("a withdrawn key stops working: calls are refused, the open connection is no longer heard, a reconnect is refused")
    func withdrawn() async throws {
        let harness = try RoutingHarness()
        let credential = CurveKeyPair.generate()
        let server = try await harness.server("alice", credential: credential)
        harness.keys.withdraw("alice")
        let client = try harness.client("c")
        try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Server not ready/available for user alice."))
        try server.send([bytes("c"), [], bytes("late")])
        try await waitUntil("its messages are refused") { try harness.statistics().serverRefusals["withdrawn_key"] ?? 0 >= 2 }
        let again = try harness.curveServer(credential)
        try again.send([[], ServerMessage.heartbeatMarker, bytes("two")])
        try await waitUntil("the reconnect is refused") { try harness.statistics().serverRefusals["unknown_key"] ?? 0 >= 1 }
    }

    @Test("allowed unauthenticated servers get the calls of users without a key, never of users with one")
    func unauthenticatedAllowed() async throws {
        let harness = try RoutingHarness(users: ["tok-alice": "alice", "tok-carol": "carol"], allowUnauthenticated: true)
        let alice = try await Self.aliceServing(harness)
        let plainEndpoint = try #require(harness.loop.endpoints.unauthenticatedServer)
        let carol = try harness.socket(.dealer, identity: "carol", to: plainEndpoint)
        try carol.send([[], ServerMessage.heartbeatMarker, bytes("carol")])
        try await waitUntil("carol's upstream-style server is known") { try harness.statistics().servers["carol"] != nil }
        let carolClient = try harness.client("carol-client")
        try carolClient.send([[], bytes("tok-carol"), bytes("for-carol"), bytes("a")])
        #expect(try await carol.receiveOffPool() == [bytes("carol-client"), [], bytes("for-carol"), bytes("a")])

        let impostor = try harness.socket(.dealer, identity: "alice", to: plainEndpoint)
        try await Self.expectRefused(impostor, as: .unauthenticatedClaim, harness, alice)
    }

    @Test("by default there is no unauthenticated port")
    func noPlainPortByDefault() throws {
        let harness = try RoutingHarness()
        #expect(harness.loop.endpoints.unauthenticatedServer == nil)
    }
}

@Suite("CURVE keys and registrations")
struct CurveKeyTests {
    @Test("Z85 matches RFC 32's example and refuses what is not Z85")
    func z85() {
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(Z85.encode(bytes) == "HelloWorld")
        #expect(Z85.decode("HelloWorld") == bytes)
        #expect(Z85.decode("Hello") != nil && Z85.decode("Hell") == nil && Z85.decode("Hell\"") == nil)
        // Above 2³²−1.
        #expect(Z85.decode("%%%%%") == nil)
    }

    @Test("a key pair made with swift-crypto is the pair libzmq derives (X25519)")
    func matchesLibzmq() throws {
        #expect(ZMQCurve.isAvailable)
        for _ in 0..<5 {
            let pair = CurveKeyPair.generate()
            #expect(ZMQCurve.publicKey(ofSecretKey: pair.secretKey) == pair.publicKey)
            #expect(CurveKeyPair(secretKey: pair.secretKey) == pair)
        }
        #expect(CurveKeyPair(secretKey: "not a key") == nil)
    }

    @Test("certificates carry the keys zmq.auth reads")
    func certificates() throws {
        let pair = CurveKeyPair.generate()
        let secret = CurveCertificate.secret(pair, comment: "test")
        #expect(CurveCertificate.keys(in: secret) == (pair.publicKey, pair.secretKey))
        let publicOnly = CurveCertificate.public(pair.publicKey, comment: "test")
        #expect(CurveCertificate.keys(in: publicOnly).publicKey == pair.publicKey)
        #expect(CurveCertificate.keys(in: publicOnly).secretKey == nil)
    }

    @Test("a keys directory: new files are read, removed ones withdrawn, and one others can write is refused")
    func directory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("server-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let keys = try DirectoryServerKeys(directory: folder, logger: Logger(label: "test"))
        let pair = CurveKeyPair.generate()
        #expect(keys.owner(of: pair.publicKey) == nil)
        let before = keys.generation
        try JSONEncoder().encode(ServerKeyRegistration(sub: "alice", publicKey: pair.publicKey)).write(
            to: folder.appendingPathComponent("alice.json"))
        keys.read(force: true)
        #expect(keys.owner(of: pair.publicKey) == "alice" && keys.hasKey(for: "alice") && keys.generation != before)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("alice.json"))
        keys.read(force: true)
        #expect(keys.owner(of: pair.publicKey) == nil && !keys.hasKey(for: "alice"))

        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: folder.path)
        #expect(throws: ServerKeysError.self) { try DirectoryServerKeys(directory: folder, logger: Logger(label: "test")) }
    }

    @Test("the broker's key file is created on first start and read back after")
    func brokerKeyFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("broker-\(UUID().uuidString)/curve.key").path
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let created = try BrokerCurveKey.load(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let again = try BrokerCurveKey.load(path: path)
        #expect(again.pair == created.pair && !again.ephemeral)
        try "garbage".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try BrokerCurveKey.load(path: path) }
    }
}
