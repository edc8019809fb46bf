import BrokerWire
import Essentials
import Foundation

/// What a rexec server proves itself to the broker with: a CURVE key pair of its own, made at
/// each spawn (so a respawn rotates it), and the broker's public key. The server reads both as
/// ZeroMQ certificate files from `REXEC_CREDENTIALS_DIR`; the broker learns the public key
/// through the runtime's registration (a namespace annotation, or a file in the local keys
/// directory).
struct ServerCredential: Sendable, Equatable {
    let keys: CurveKeyPair
    let brokerKey: String

    /// The certificate files, by name, for a Secret's data or a 0600 directory.
    func files(for user: UserKey) -> [String: String] {
        [
            CurveCertificate.serverSecretFile: CurveCertificate.secret(keys, comment: "rexec server of \(user.value), issued by rexec-deploy-api"),
            CurveCertificate.brokerPublicFile: CurveCertificate.public(brokerKey, comment: "rexec-broker"),
        ]
    }

    func registration(for user: UserKey) -> ServerKeyRegistration {
        ServerKeyRegistration(sub: user.sub, publicKey: keys.publicKey)
    }

    /// The environment variable the server reads the directory from.
    static let directoryVariable = "REXEC_CREDENTIALS_DIR"
}

/// Issues ``ServerCredential``s: a new key pair each time, with the broker's public key from
/// (in this order) `REXEC_BROKER_CURVE_PUBLIC_KEY`, the broker's key file
/// (`REXEC_BROKER_CURVE_KEY_FILE`, shared with the broker), or the broker's side port
/// (`GET /server-key` at `REXEC_BROKER_STATUS_URL`).
struct CredentialIssuer: Sendable {
    enum BrokerKeySource: Sendable {
        case key(String)
        case file(String)
        case sidePort(JSONUpstream)
        case none
    }

    let source: BrokerKeySource

    init(settings: DeploySettings.BrokerSettings) {
        if let key = settings.curvePublicKey {
            source = .key(key)
        } else if let file = settings.curveKeyFile {
            source = .file(file)
        } else if let url = settings.statusURL {
            source = .sidePort(JSONUpstream(base: url.absoluteString, timeout: .seconds(5), answerLimit: 16 << 10))
        } else {
            source = .none
        }
    }

    func issue() async throws -> ServerCredential {
        ServerCredential(keys: .generate(), brokerKey: try await brokerKey())
    }

    func brokerKey() async throws -> String {
        switch source {
        case .key(let key):
            return key
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RuntimeError(kind: .unavailable, message: "the broker's key file \(path) cannot be read (has the broker started?)")
            }
            guard let key = CurveCertificate.keyFile(String(decoding: data, as: UTF8.self))?.publicKey else {
                throw RuntimeError(kind: .internal, message: "the broker's key file \(path) holds no CURVE key")
            }
            return key
        case .sidePort(let broker):
            let answer: UpstreamAnswer
            do {
                answer = try await broker.call(.GET, "server-key")
            } catch {
                throw RuntimeError(kind: .unavailable, message: "the broker's public key could not be fetched: \(error)")
            }
            guard answer.status == 200, let key = answer.decode(BrokerServerKey.self)?.publicKey, CurveKeyPair.isKey(key) else {
                throw RuntimeError(kind: .upstream, message: "the broker's /server-key answered HTTP \(answer.status) without a key")
            }
            return key
        case .none:
            throw RuntimeError(
                kind: .unavailable,
                message:
                    "the broker's public key is unknown: set REXEC_BROKER_CURVE_PUBLIC_KEY, REXEC_BROKER_CURVE_KEY_FILE or REXEC_BROKER_STATUS_URL")
        }
    }
}
