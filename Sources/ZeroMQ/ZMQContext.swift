import CZeroMQ

/// A libzmq context: owns the I/O threads every socket of it uses.
public final class ZMQContext: @unchecked Sendable {
    // libzmq contexts are thread-safe; sockets are not (see ZMQSocket).
    let handle: UnsafeMutableRawPointer

    public init() {
        handle = zmq_ctx_new()
    }

    /// Unblocks every blocking call on this context's sockets with ETERM, so threads that
    /// own sockets can close them; used on shutdown.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    // Sockets hold their context, so this runs after the last of them has closed and
    // zmq_ctx_term has nothing to wait for.
    deinit {
        zmq_ctx_term(handle)
    }

    public static var version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}

/// libzmq's own CURVE key functions (libsodium underneath).
public enum ZMQCurve {
    /// Whether this libzmq was built with CURVE.
    public static var isAvailable: Bool { zmq_has("curve") == 1 }

    /// The Z85 public key of a Z85 secret key, nil if libzmq refuses it.
    public static func publicKey(ofSecretKey secret: String) -> String? {
        var output = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&output, secret) == 0 else { return nil }
        return String(cString: output)
    }
}
