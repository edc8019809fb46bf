import Essentials
import Foundation
import ServiceKit

/// How the deploy API tells the broker which CURVE public key each user's rexec server holds,
/// so the broker admits a server connection only with the key registered for a user and
/// routes that user's calls to it (docs/ARCHITECTURE.md, "Servers prove who they are").
///
/// On Kubernetes the registration is two annotations of the user's server namespace, which
/// the broker watches; a namespace being deleted revokes its key at once. On one machine
/// (the local runtime) it is one JSON file per user in a directory both read, written
/// atomically and removed at termination.
public struct ServerKeyRegistration: Codable, Sendable, Equatable {
    /// The user's IdP `sub`: the identity the broker routes that user's calls to.
    public var sub: String
    /// The server's CURVE public key, Z85.
    public var publicKey: String

    public init(sub: String, publicKey: String) {
        self.sub = sub
        self.publicKey = publicKey
    }

    enum CodingKeys: String, CodingKey {
        case sub
        case publicKey = "public_key"
    }

    /// Namespace annotations carrying the registration (the `sub` one is also the deploy
    /// API's record of whose namespace it is).
    public static let subAnnotation = "rexec.ndp/sub"
    public static let publicKeyAnnotation = "rexec.ndp/server-public-key"
    /// The label every namespace the deploy API makes carries.
    public static let managedBySelector = "app.kubernetes.io/managed-by=rexec-deploy-api"

    /// The registration an object's annotations carry, nil without a well-formed one.
    public static func from(annotations: [String: String]?) -> ServerKeyRegistration? {
        guard let sub = annotations?[subAnnotation], !sub.isEmpty, let key = annotations?[publicKeyAnnotation], CurveKeyPair.isKey(key) else {
            return nil
        }
        return ServerKeyRegistration(sub: sub, publicKey: key)
    }

    /// The file name of a user's registration in a keys directory: the user's key (a DNS
    /// label, so a file name without path separators) and `.json`.
    public static func fileName(userKey: String) -> String { "\(userKey).json" }
}

/// `GET /server-key` on the broker's side port: the public key servers must know to
/// connect (public by nature; the deploy API asks for it when it has no copy of its own).
public struct BrokerServerKey: JSONAnswer, Sendable, Equatable {
    public var publicKey: String
    public var mechanism: String

    public init(publicKey: String, mechanism: String = "CURVE") {
        self.publicKey = publicKey
        self.mechanism = mechanism
    }

    enum CodingKeys: String, CodingKey {
        case publicKey = "public_key"
        case mechanism
    }
}
