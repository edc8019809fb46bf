import CZeroMQ
import Foundation

/// One libzmq socket. Like libzmq's own sockets it must be used by one thread at a time;
/// the broker gives each socket to a single loop thread.
public final class ZMQSocket: @unchecked Sendable {
    public enum Kind: Sendable {
        case router, dealer, req, rep, pair

        var raw: Int32 {
            switch self {
            case .router: ZMQ_ROUTER
            case .dealer: ZMQ_DEALER
            case .req: ZMQ_REQ
            case .rep: ZMQ_REP
            case .pair: ZMQ_PAIR
            }
        }
    }

    let handle: UnsafeMutableRawPointer
    /// Held so the context outlives its sockets: terminating a context waits until every
    /// socket of it is closed, so a context released first would block its releasing thread.
    private let context: ZMQContext
    private var closed = false

    public init(context: ZMQContext, kind: Kind) throws {
        guard let handle = zmq_socket(context.handle, kind.raw) else { throw ZMQError(operation: "zmq_socket") }
        self.handle = handle
        self.context = context
        // Do not hold the process open for unsent messages on close.
        try setOption(ZMQ_LINGER, 0)
    }

    deinit { close() }

    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError(operation: "bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError(operation: "connect \(endpoint)") }
    }

    /// The endpoint actually bound, e.g. `tcp://127.0.0.1:41234` after binding port `*`.
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Options

    public func setOption(_ option: Int32, _ value: Int32) throws {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else { throw ZMQError(operation: "setsockopt \(option)") }
    }

    public func setOption(_ option: Int32, bytes: [UInt8]) throws {
        let result = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard result == 0 else { throw ZMQError(operation: "setsockopt \(option)") }
    }

    /// The identity a DEALER presents to a ROUTER (the rexec server uses the user's `sub`).
    public func setRoutingID(_ id: [UInt8]) throws { try setOption(ZMQ_ROUTING_ID, bytes: id) }
    /// ROUTER: fail with EHOSTUNREACH instead of silently dropping a message to an unknown peer.
    public func setRouterMandatory(_ on: Bool) throws { try setOption(ZMQ_ROUTER_MANDATORY, on ? 1 : 0) }
    /// ROUTER: a new peer with an identity in use takes it over from the old connection.
    public func setRouterHandover(_ on: Bool) throws { try setOption(ZMQ_ROUTER_HANDOVER, on ? 1 : 0) }
    /// Milliseconds a blocking receive waits; -1 forever.
    public func setReceiveTimeout(milliseconds: Int32) throws { try setOption(ZMQ_RCVTIMEO, milliseconds) }
    public func setSendTimeout(milliseconds: Int32) throws { try setOption(ZMQ_SNDTIMEO, milliseconds) }
    /// Messages queued per peer before sends fail (DONTWAIT) or drop; 0 is unlimited.
    public func setSendHighWaterMark(_ messages: Int32) throws { try setOption(ZMQ_SNDHWM, messages) }
    public func setReceiveHighWaterMark(_ messages: Int32) throws { try setOption(ZMQ_RCVHWM, messages) }
    /// ZMTP-level PING every `interval` ms; a peer silent for `timeout` ms is disconnected, so
    /// connections to vanished peers (a deleted pod, a sleeping laptop) do not linger.
    public func setProtocolHeartbeat(intervalMilliseconds: Int32, timeoutMilliseconds: Int32) throws {
        try setOption(ZMQ_HEARTBEAT_IVL, intervalMilliseconds)
        try setOption(ZMQ_HEARTBEAT_TIMEOUT, timeoutMilliseconds)
    }

    // MARK: Security (ZeroMQ RFC 26 CURVE, RFC 27 ZAP)

    /// Makes this socket a CURVE server with `secretKey` (32 bytes): peers must know its
    /// public key and present a key pair of their own, which the ZAP handler of this
    /// socket's context judges; traffic is encrypted. Set before `bind`.
    public func setCurveServer(secretKey: [UInt8]) throws {
        try setOption(ZMQ_CURVE_SERVER, 1)
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: secretKey)
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverKey`,
    /// presenting `publicKey`/`secretKey` (32 bytes each). Set before `connect`.
    public func setCurveClient(publicKey: [UInt8], secretKey: [UInt8], serverKey: [UInt8]) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, bytes: serverKey)
        try setOption(ZMQ_CURVE_PUBLICKEY, bytes: publicKey)
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: secretKey)
    }

    /// The ZAP domain this socket's handshakes are judged in (RFC 27).
    public func setZAPDomain(_ domain: String) throws { try setOption(ZMQ_ZAP_DOMAIN, bytes: Array(domain.utf8)) }

    // MARK: Monitoring

    /// A PAIR socket of this socket's context receiving the events in `events` (a mask of
    /// `ZMQ_EVENT_*`), as libzmq's monitor messages (``ZMQMonitorEvent/parse(_:)``).
    public func openMonitor(_ events: Int32) throws -> ZMQSocket {
        let endpoint = "inproc://monitor-\(UUID().uuidString)"
        try monitor(events, to: endpoint)
        let receiver = try ZMQSocket(context: context, kind: .pair)
        try receiver.connect(endpoint)
        return receiver
    }

    /// Publishes the events in `events` (a mask of `ZMQ_EVENT_*`) on a PAIR socket bound at
    /// `endpoint` (inproc).
    public func monitor(_ events: Int32, to endpoint: String) throws {
        guard zmq_socket_monitor(handle, endpoint, events) == 0 else {
            throw ZMQError(operation: "zmq_socket_monitor \(endpoint)")
        }
    }

    // MARK: Messages

    /// Sends a multipart message atomically (all frames or none).
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws {
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            let sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            guard sent >= 0 else { throw ZMQError(operation: "send") }
        }
    }

    /// The next message if one is waiting, nil if none is.
    public func tryReceive() throws -> [[UInt8]]? {
        do {
            return try receive(dontWait: true)
        } catch let error as ZMQError where error.isTimeout {
            return nil
        }
    }

    /// Receives every frame of the next message.
    public func receive(dontWait: Bool = false) throws -> [[UInt8]] {
        try receive(dontWait: dontWait, property: nil).frames
    }

    /// The next message if one is waiting, with the value of one of its metadata properties
    /// (`User-Id`: who the ZAP handler said the peer is; nil when the connection has none).
    public func tryReceive(property: String) throws -> (frames: [[UInt8]], property: String?)? {
        do {
            return try receive(dontWait: true, property: property)
        } catch let error as ZMQError where error.isTimeout {
            return nil
        }
    }

    private func receive(dontWait: Bool, property: String?) throws -> (frames: [[UInt8]], property: String?) {
        var frames: [[UInt8]] = []
        var value: String?
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        repeat {
            guard zmq_msg_recv(&message, handle, dontWait ? ZMQ_DONTWAIT : 0) >= 0 else { throw ZMQError(operation: "receive") }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)!
            frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            // Frames from the peer carry its connection's metadata (a ROUTER's own routing-id
            // frame does not, in libzmq 4.3.4): the first that has it is enough.
            if value == nil, let property, let found = zmq_msg_gets(&message, property) {
                value = String(cString: found)
            }
        } while zmq_msg_more(&message) == 1
        return (frames, value)
    }
}

/// One event from a socket monitor: two frames, a 16-bit event number and a 32-bit value in
/// the first (host byte order), the affected endpoint in the second.
public struct ZMQMonitorEvent: Sendable, Equatable {
    public var event: UInt16
    public var value: UInt32
    public var endpoint: String

    public var isDisconnection: Bool { Int32(event) == ZMQ_EVENT_DISCONNECTED }
    /// A peer's handshake failed: a wrong mechanism (no CURVE), a bad key, a ZAP refusal.
    public var isHandshakeFailure: Bool {
        [ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH].contains(Int32(event))
    }
    /// The handshake was refused by the ZAP handler (already counted there).
    public var isAuthenticationFailure: Bool { Int32(event) == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH }

    /// The mask of every handshake failure event, for ``ZMQSocket/monitor(_:to:)``.
    public static let handshakeFailures = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
    public static let disconnections = ZMQ_EVENT_DISCONNECTED

    public static func parse(_ frames: [[UInt8]]) -> ZMQMonitorEvent? {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let head = frames[0]
        return ZMQMonitorEvent(
            event: head[0..<2].withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) },
            value: head[2..<6].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) },
            endpoint: String(decoding: frames[1], as: UTF8.self))
    }
}

/// Waits until any of several sockets can be read.
public enum ZMQPoller {
    /// Indices of the sockets with a message waiting, after at most `timeoutMilliseconds`
    /// (-1 waits forever). Empty on timeout.
    public static func readable(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws -> [Int] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        guard zmq_poll(&items, Int32(items.count), timeoutMilliseconds) >= 0 else { throw ZMQError(operation: "poll") }
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
