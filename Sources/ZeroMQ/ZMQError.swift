import CZeroMQ

/// A failed libzmq call: its errno and libzmq's text for it.
public struct ZMQError: Error, Equatable, CustomStringConvertible, Sendable {
    public let code: Int32
    public let operation: String

    public init(code: Int32 = zmq_errno(), operation: String) {
        self.code = code
        self.operation = operation
    }

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code))) (errno \(code))"
    }

    /// No message within the receive timeout (or none waiting with `dontWait`).
    public var isTimeout: Bool { code == EAGAIN }
    /// ROUTER_MANDATORY: the peer identity is not connected.
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }
    /// The context was terminated: the socket must be closed.
    public var isTerminated: Bool { code == ETERM }
}
