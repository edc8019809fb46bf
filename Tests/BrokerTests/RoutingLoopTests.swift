import BrokerWire
import Foundation
import Identity
import TestSupport
import Testing
import ZeroMQ

@testable import Broker

/// The routing loop against real libzmq peers over loopback (docs/specs/rexec.md §2).
@Suite("Broker routing")
struct RoutingLoopTests {
    @Test("an invoke reaches the token's server without the token; the reply comes back to the caller")
    func invokeAndReply() async throws {
        let harness = try RoutingHarness()
        let alice = try await harness.server("alice")
        let client = try harness.client("c-1")
        try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("args")])
        #expect(try await alice.receiveOffPool() == [bytes("c-1"), [], bytes("fn"), bytes("args")])
        try alice.send([bytes("c-1"), [], bytes("event")])
        #expect(try await client.receiveOffPool() == [[], bytes("event")])

        try client.send([[], bytes("tok-alice"), bytes("__REXEC_CANCEL__")])
        #expect(try await alice.receiveOffPool() == [bytes("c-1"), [], bytes("__REXEC_CANCEL__"), bytes("keyboard_interrupt")])
        let statistics = try harness.statistics()
        #expect(statistics.messagesRouted == .init(invoke: 1, cancel: 1, reply: 1, heartbeat: 1))
        #expect(statistics.servers["alice"]?.state == .live)
    }

    @Test("upstream's error texts: bad token, no server, bad framing")
    func errorTexts() async throws {
        let harness = try RoutingHarness()
        let client = try harness.client()
        try client.send([[], bytes("nope"), bytes("fn"), bytes("args")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Token validation failed."))
        try client.send([[], bytes("tok-bob"), bytes("fn"), bytes("args")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Server not ready/available for user bob."))
        try client.send([[], bytes("tok-bob"), bytes("fn")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Invalid request framing."))
        let errors = try harness.statistics().errors
        #expect(errors["token_validation_failed"] == 1 && errors["server_unavailable"] == 1 && errors["invalid_framing"] == 1)
    }

    @Test("a held validation does not delay a known user's messages, and its own wait in order")
    func validationNeverBlocksRouting() async throws {
        let harness = try RoutingHarness()
        let alice = try await harness.server("alice")
        let bob = try await harness.server("bob")
        let aliceClient = try harness.client("ca")
        // Alice's token becomes known.
        try aliceClient.send([[], bytes("tok-alice"), bytes("warm"), bytes("a")])
        #expect(try await alice.receiveOffPool()[2] == bytes("warm"))

        // Bob's validation hangs; two of his messages wait, alice's goes straight through.
        await harness.provider.hold("tok-bob")
        let bobClient = try harness.client("cb")
        try bobClient.send([[], bytes("tok-bob"), bytes("first"), bytes("a")])
        try bobClient.send([[], bytes("tok-bob"), bytes("second"), bytes("a")])
        try await waitUntil("bob's validation is in flight") { await harness.provider.heldCount("tok-bob") == 1 }
        try aliceClient.send([[], bytes("tok-alice"), bytes("while-bob-waits"), bytes("a")])
        #expect(try await alice.receiveOffPool()[2] == bytes("while-bob-waits"))
        #expect(try harness.statistics().pendingMessages == 2)

        await harness.provider.release("tok-bob")
        #expect(try await bob.receiveOffPool()[2] == bytes("first"))
        #expect(try await bob.receiveOffPool()[2] == bytes("second"))
        // One IdP call per token: alice's second message was served from memory.
        #expect(await harness.provider.calls == 2)
    }

    @Test("IdP outage: a token validated before rides it out; a new token fails; nothing stalls")
    func outage() async throws {
        // TTL 0 validates every message, as upstream does, so the outage is met for certain.
        let harness = try RoutingHarness(tokenTTL: .zero, outageGrace: .seconds(300))
        let alice = try await harness.server("alice")
        let client = try harness.client("c")
        try client.send([[], bytes("tok-alice"), bytes("before"), bytes("a")])
        #expect(try await alice.receiveOffPool()[2] == bytes("before"))

        await harness.provider.setOutage(true)
        try client.send([[], bytes("tok-alice"), bytes("during"), bytes("a")])
        #expect(try await alice.receiveOffPool()[2] == bytes("during"))
        try client.send([[], bytes("tok-bob"), bytes("new"), bytes("a")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Token validation failed."))
        #expect(harness.registry.emitToString().contains("rexec_broker_auth_outage_grace_total 1"))
    }

    @Test("without outage grace, an outage fails every token")
    func outageWithoutGrace() async throws {
        let harness = try RoutingHarness(tokenTTL: .zero, outageGrace: .zero)
        _ = try await harness.server("alice")
        let client = try harness.client("c")
        await harness.provider.setOutage(true)
        try client.send([[], bytes("tok-alice"), bytes("x"), bytes("a")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Token validation failed."))
    }

    @Test("with group-based access, a valid token outside the groups is refused as the HTTP services refuse it")
    func groupGate() async throws {
        let harness = try RoutingHarness(
            access: AccessSettings(groupBasedAccess: true, groupNames: ["/ndp_ep/ep-demo"]),
            groups: ["alice": ["/ndp_ep/ep-demo"], "bob": ["/other"]]
        )
        let alice = try await harness.server("alice")
        let client = try harness.client("c")
        try client.send([[], bytes("tok-bob"), bytes("fn"), bytes("a")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Access forbidden: user is not a member of an allowed group."))
        try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        #expect(try await alice.receiveOffPool()[2] == bytes("fn"))
        #expect(try harness.statistics().errors["access_forbidden"] == 1)
    }

    @Test("a rejected token is refused even if it was valid before")
    func revoked() async throws {
        let harness = try RoutingHarness(users: ["tok": "alice"], tokenTTL: .zero)
        let alice = try await harness.server("alice")
        let client = try harness.client("c")
        try client.send([[], bytes("tok"), bytes("x"), bytes("a")])
        #expect(try await alice.receiveOffPool()[2] == bytes("x"))
        try client.send([[], bytes("other"), bytes("x"), bytes("a")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Token validation failed."))
    }

    @Test("a server can only answer clients that addressed it")
    func foreignClient() async throws {
        let harness = try RoutingHarness()
        let alice = try await harness.server("alice")
        let bob = try await harness.server("bob")
        let aliceClient = try harness.client("alice-client")
        try aliceClient.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        _ = try await alice.receiveOffPool()
        // Bob's server forges a reply to alice's client.
        try bob.send([bytes("alice-client"), [], bytes("forged")])
        try await waitUntil("the forged reply is counted") { try harness.statistics().errors["foreign_client"] == 1 }
        try alice.send([bytes("alice-client"), [], bytes("genuine")])
        #expect(try await aliceClient.receiveOffPool() == [[], bytes("genuine")])
    }

    @Test("a second server with the same key takes over at once (a restart); the first gets nothing more")
    func handover() async throws {
        let harness = try RoutingHarness()
        let credential = CurveKeyPair.generate()
        let old = try await harness.server("alice", credential: credential, instance: "one")
        let new = try harness.curveServer(credential)
        try new.send([[], ServerMessage.heartbeatMarker, bytes("two")])
        try await waitUntil("the replacement is recorded") { try harness.statistics().servers["alice"]?.replacements == 1 }
        let client = try harness.client("c")
        try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        #expect(try await new.receiveOffPool()[2] == bytes("fn"))
        #expect(try old.tryReceive() == nil)
    }

    @Test("other threads see each server's state and, within a housekeeping tick, its last call")
    func publishedState() async throws {
        let harness = try RoutingHarness()
        #expect(harness.loop.server("alice") == nil)
        let alice = try await harness.server("alice")
        let before = try #require(harness.loop.server("alice"))
        #expect(before.state == .live && before.secondsSinceLastCall == nil)
        let client = try harness.client("c")
        try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        _ = try await alice.receiveOffPool()
        try await waitUntil("the call is published", timeout: .seconds(5)) { harness.loop.server("alice")?.secondsSinceLastCall != nil }
    }

    @Test("a server's goodbye makes its calls fail at once, until it (or a new instance) is heard from")
    func goodbye() async throws {
        let harness = try RoutingHarness()
        let alice = try await harness.server("alice", instance: "one")
        // A goodbye from another instance (one already replaced) changes nothing.
        try alice.send([[], ServerMessage.goodbyeMarker, bytes("zero")])
        try alice.send([[], ServerMessage.goodbyeMarker, bytes("one")])
        try await waitUntil("alice has departed") { try harness.statistics().servers["alice"]?.state == .departed }
        let client = try harness.client("c")
        try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Server not ready/available for user alice."))
        #expect(try alice.tryReceive() == nil)

        try alice.send([[], ServerMessage.heartbeatMarker, bytes("two")])
        try await waitUntil("alice is back") { try harness.statistics().servers["alice"]?.state == .live }
        try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        #expect(try await alice.receiveOffPool()[2] == bytes("fn"))
    }

    @Test("calls a server had when it said goodbye end with an error the client raises instead of waiting forever")
    func goodbyeEndsCallsInFlight() async throws {
        let harness = try RoutingHarness()
        let alice = try await harness.server("alice", instance: "one")
        let running = try harness.client("running")
        let queued = try harness.client("queued")
        try running.send([[], bytes("tok-alice"), bytes("long"), bytes("a")])
        try queued.send([[], bytes("tok-alice"), bytes("next"), bytes("a")])
        _ = try await alice.receiveOffPool()
        _ = try await alice.receiveOffPool()
        try alice.send([bytes("running"), [], bytes("START")])
        #expect(try await running.receiveOffPool() == [[], bytes("START")])

        try alice.send([[], ServerMessage.goodbyeMarker, bytes("one")])
        let text = PickledStreamError.encode(
            message: "The rexec server for user alice shut down before this call finished.", details: "rexec-broker: said_goodbye")
        #expect(brokerText(try await running.receiveOffPool()) == text)
        #expect(brokerText(try await queued.receiveOffPool()) == text)
        #expect(try harness.statistics().errors["call_abandoned"] == 2)
        // The routes are gone: a late answer from the old process reaches no one.
        try alice.send([bytes("running"), [], bytes("END")])
        try await waitUntil("the late answer is dropped") { try harness.statistics().errors["foreign_client"] == 1 }
        #expect(try running.tryReceive() == nil)
    }

    @Test("just after a start, a call for a server not yet connected waits for it (a restarted broker); later ones are refused at once")
    func startupGrace() async throws {
        let harness = try RoutingHarness(startupGrace: .seconds(3))
        let client = try harness.client("early")
        try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        try await waitUntil("the call waits for its server") { try harness.statistics().awaitingServer == 1 }
        let alice = try await harness.server("alice")
        #expect(try await alice.receiveOffPool()[0] == bytes("early"))
        try alice.send([bytes("early"), [], bytes("END")])
        #expect(try await client.receiveOffPool() == [[], bytes("END")])

        // No server for bob: his call waits out the grace, then gets upstream's text.
        let bob = try harness.client("bob-client")
        try bob.setReceiveTimeout(milliseconds: 8000)
        try bob.send([[], bytes("tok-bob"), bytes("fn"), bytes("b")])
        #expect(brokerText(try await bob.receiveOffPool()) == PickledString.encode("Server not ready/available for user bob."))
    }

    @Test("routes back to clients are bounded: past the bound the least recently used go, the newest still get answers")
    func boundedRoutes() async throws {
        let harness = try RoutingHarness(maxClientRoutes: 10)
        let alice = try await harness.server("alice")
        var clients: [ZMQSocket] = []
        for index in 0..<12 {
            let client = try harness.client("client-\(index)")
            try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
            _ = try await alice.receiveOffPool()
            clients.append(client)
        }
        try await waitUntil("housekeeping bounds the routes") { try harness.statistics().clientRoutes <= 10 }
        #expect(try harness.statistics().clientRoutes == 9)
        // The newest client is still answered; the oldest's late answer is dropped.
        try alice.send([bytes("client-11"), [], bytes("END")])
        #expect(try await clients[11].receiveOffPool() == [[], bytes("END")])
        try alice.send([bytes("client-0"), [], bytes("END")])
        try await waitUntil("the forgotten client's answer is dropped") { try harness.statistics().errors["foreign_client"] == 1 }
    }

    @Test("a silent server is reported stale, and live again when heard from")
    func stale() async throws {
        let harness = try RoutingHarness(staleAfter: .milliseconds(200))
        let alice = try await harness.server("alice")
        try await waitUntil("alice is stale") { try harness.statistics().servers["alice"]?.state == .stale }
        #expect(try harness.statistics().staleServers == 1)
        try alice.send([[], ServerMessage.heartbeatMarker])
        try await waitUntil("alice is live again") { try harness.statistics().servers["alice"]?.state == .live }
    }

    @Test("a send to a server that went away reports it unreachable")
    func unreachable() async throws {
        let harness = try RoutingHarness()
        let alice = try await harness.server("alice")
        alice.close()
        try await harness.waitUntilUnreachable("alice")
        #expect(try harness.statistics().servers["alice"]?.state == .unreachable)
    }

    @Test("a call whose server's connection closes without a goodbye (a killed process) ends with an error, nothing else sent")
    func lostConnectionEndsCallsInFlight() async throws {
        let harness = try RoutingHarness()
        let alice = try await harness.server("alice")
        let bob = try await harness.server("bob")
        let waiting = try harness.client("waiting")
        let other = try harness.client("other")
        try waiting.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        try other.send([[], bytes("tok-bob"), bytes("fn"), bytes("b")])
        _ = try await alice.receiveOffPool()
        _ = try await bob.receiveOffPool()
        alice.close()
        // The client's receive times out after 5 s: the answer must come from the broker's
        // own probing, not from another call finding the server gone.
        let expected = PickledStreamError.encode(
            message: "The rexec server for user alice stopped (its connection was lost) before this call finished.",
            details: "rexec-broker: connection_lost")
        #expect(brokerText(try await waiting.receiveOffPool()) == expected)
        #expect(try harness.statistics().servers["alice"]?.state == .unreachable)
        #expect(try harness.statistics().errors["call_abandoned"] == 1)
        // Bob's server got only probes (a CANCEL for no call, which servers ignore) and still
        // answers his call.
        while let probe = try bob.tryReceive() {
            #expect(probe == [bytes("__rexec_broker_probe__"), [], ClientRequest.cancelMarker, bytes("broker_probe")])
        }
        try bob.send([bytes("other"), [], bytes("END")])
        #expect(try await other.receiveOffPool() == [[], bytes("END")])
        #expect(try harness.statistics().servers["bob"]?.state == .live)
    }

    @Test("too many messages waiting for validation: the excess is refused, not queued")
    func backlog() async throws {
        let harness = try RoutingHarness(maxPending: 1)
        await harness.provider.hold("tok-bob")
        let client = try harness.client("c")
        try client.send([[], bytes("tok-bob"), bytes("fn"), bytes("a")])
        try client.send([[], bytes("tok-alice"), bytes("fn"), bytes("a")])
        #expect(brokerText(try await client.receiveOffPool()) == PickledString.encode("Token validation failed."))
        #expect(try harness.statistics().errors["auth_backlog_full"] == 1)
        await harness.provider.release("tok-bob")
    }

    @Test("control: PING, unknown commands, and TERMINATE only with the secret")
    func control() async throws {
        let harness = try RoutingHarness()
        #expect(try harness.control(["PING"]) == "OK")
        #expect(try harness.control(["PAUSE"]).hasPrefix("ERROR: unknown command"))
        #expect(try harness.control(["TERMINATE"]) == "ERROR: TERMINATE needs the control secret")
        #expect(try harness.control(["TERMINATE", "wrong"]) == "ERROR: wrong control secret")
        #expect(try harness.control(["STOP wrong"]) == "ERROR: wrong control secret")
        #expect(harness.loop.isRunning)
        #expect(try harness.control(["TERMINATE", RoutingHarness.secret]) == "OK")
        #expect(harness.waitForExit() == .terminated)
    }

    @Test("stop() ends the loop and closes its ports")
    func stop() async throws {
        let harness = try RoutingHarness()
        #expect(harness.stop() == .stopped)
        #expect(!harness.loop.isRunning)
    }
}
