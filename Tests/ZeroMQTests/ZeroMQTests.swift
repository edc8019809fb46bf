import Testing
import ZeroMQ

/// The wrapper against real libzmq over loopback TCP.
@Suite("ZeroMQ")
struct ZeroMQTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func pair(_ context: ZMQContext, identity: String = "alice") throws -> (router: ZMQSocket, dealer: ZMQSocket) {
        let router = try ZMQSocket(context: context, kind: .router)
        try router.setReceiveTimeout(milliseconds: 5000)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.setReceiveTimeout(milliseconds: 5000)
        try dealer.setRoutingID(bytes(identity))
        try dealer.connect(router.lastEndpoint)
        return (router, dealer)
    }

    @Test("ROUTER and DEALER exchange multipart messages; the ROUTER sees the identity")
    func roundTrip() throws {
        let context = ZMQContext()
        let (router, dealer) = try Self.pair(context)
        #expect(router.lastEndpoint.hasPrefix("tcp://127.0.0.1:"))
        try dealer.send([[], Self.bytes("token"), [0x80, 0x04, 0x00]])
        #expect(try router.receive() == [Self.bytes("alice"), [], Self.bytes("token"), [0x80, 0x04, 0x00]])
        try router.send([Self.bytes("alice"), [], Self.bytes("reply")])
        #expect(try dealer.receive() == [[], Self.bytes("reply")])
    }

    @Test("ROUTER_MANDATORY turns a send to an unknown peer into EHOSTUNREACH")
    func mandatory() throws {
        let context = ZMQContext()
        let (router, _) = try Self.pair(context)
        try router.setRouterMandatory(true)
        #expect { try router.send([Self.bytes("bob"), [], Self.bytes("x")]) } throws: { ($0 as? ZMQError)?.isHostUnreachable == true }
    }

    @Test("a receive with nothing waiting times out; poll reports readable sockets")
    func timeoutsAndPoll() throws {
        let context = ZMQContext()
        let (router, dealer) = try Self.pair(context)
        try router.setReceiveTimeout(milliseconds: 50)
        #expect { try router.receive() } throws: { ($0 as? ZMQError)?.isTimeout == true }
        #expect(try ZMQPoller.readable([router], timeoutMilliseconds: 10).isEmpty)
        try dealer.send([[], Self.bytes("ping")])
        #expect(try ZMQPoller.readable([router], timeoutMilliseconds: 5000) == [0])
        #expect(try router.receive(dontWait: true).last == Self.bytes("ping"))
    }

    @Test("libzmq is 4.x")
    func version() {
        #expect(ZMQContext.version.hasPrefix("4."))
    }
}
