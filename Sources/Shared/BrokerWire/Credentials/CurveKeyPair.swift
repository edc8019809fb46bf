import Crypto
import Foundation

/// A CURVE key pair (X25519, as libsodium's `crypto_box` and so libzmq's CURVE use): the
/// broker's, and one per rexec server, made by the deploy API at each spawn. Keys travel as
/// Z85 text (40 characters).
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    /// A fresh pair from the system's random generator.
    public static func generate() -> CurveKeyPair {
        CurveKeyPair(Curve25519.KeyAgreement.PrivateKey())
    }

    /// The pair of a secret key given as Z85 text; nil if it is not a 32-byte Z85 key.
    public init?(secretKey text: String) {
        guard let bytes = Self.keyBytes(text), let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes) else { return nil }
        self.init(key)
    }

    private init(_ key: Curve25519.KeyAgreement.PrivateKey) {
        publicKey = Z85.encode(Array(key.publicKey.rawRepresentation))
        secretKey = Z85.encode(Array(key.rawRepresentation))
    }

    /// The 32 bytes of a Z85 key, nil for anything else.
    public static func keyBytes(_ text: String) -> [UInt8]? {
        guard text.utf8.count == 40, let bytes = Z85.decode(text), bytes.count == 32 else { return nil }
        return bytes
    }

    /// True for a well-formed Z85 public key.
    public static func isKey(_ text: String) -> Bool { keyBytes(text) != nil }
}

/// ZeroMQ's certificate files (the format of CZMQ's `zcert` and pyzmq's `zmq.auth`): a
/// `curve` section with `public-key` and, in the secret one, `secret-key`. The rexec server
/// reads its own secret certificate and the broker's public one with `zmq.auth.load_certificate`.
public enum CurveCertificate {
    /// `server.key_secret`, `broker.key`: the names zmq.auth's conventions use.
    public static let serverSecretFile = "server.key_secret"
    public static let brokerPublicFile = "broker.key"

    public static func secret(_ pair: CurveKeyPair, comment: String) -> String {
        text(comment: comment, kind: "Secret", fields: ["public-key": pair.publicKey, "secret-key": pair.secretKey])
    }

    public static func `public`(_ publicKey: String, comment: String) -> String {
        text(comment: comment, kind: "Public", fields: ["public-key": publicKey])
    }

    /// What a key file holds: a secret certificate or a bare Z85 secret key (the pair), or a
    /// public certificate (the public key only); nil for anything else.
    public static func keyFile(_ text: String) -> (pair: CurveKeyPair?, publicKey: String)? {
        let keys = keys(in: text)
        let secret = keys.secretKey ?? (keys.publicKey == nil ? text.trimmingCharacters(in: .whitespacesAndNewlines) : nil)
        if let secret {
            guard let pair = CurveKeyPair(secretKey: secret) else { return nil }
            return (pair, pair.publicKey)
        }
        guard let publicKey = keys.publicKey, CurveKeyPair.isKey(publicKey) else { return nil }
        return (nil, publicKey)
    }

    /// The `public-key` (and `secret-key`, if any) of a certificate's text.
    public static func keys(in text: String) -> (publicKey: String?, secretKey: String?) {
        var found: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            found[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return (found["public-key"], found["secret-key"])
    }

    private static func text(comment: String, kind: String, fields: [String: String]) -> String {
        var lines = [
            "#   ****  \(comment)  ****", "#   ZeroMQ CURVE **\(kind)** Certificate",
            "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
        ]
        if kind == "Public" { lines.removeLast() }
        lines += ["", "metadata", "curve"]
        for name in fields.keys.sorted() { lines.append("    \(name) = \"\(fields[name]!)\"") }
        return lines.joined(separator: "\n") + "\n"
    }
}
