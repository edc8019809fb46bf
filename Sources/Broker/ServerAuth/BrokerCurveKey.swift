import BrokerWire
import Foundation
import ServiceKit

/// The broker's own CURVE key pair: servers must know its public key (the deploy API puts
/// it beside each server's credential) and the broker proves itself with the secret one.
/// Read from `REXEC_BROKER_CURVE_KEY_FILE` (the Z85 secret key, or a ZeroMQ secret
/// certificate), created there on first start if missing, so replicas and restarts share it;
/// without the setting it lasts as long as the process.
enum BrokerCurveKey {
    struct Loaded {
        var pair: CurveKeyPair
        /// Where it came from, for the start-up log.
        var origin: String
        var ephemeral: Bool
    }

    static func load(path: String?) throws -> Loaded {
        guard let path else { return Loaded(pair: .generate(), origin: "generated for this process", ephemeral: true) }
        if let data = FileManager.default.contents(atPath: path) {
            guard let pair = CurveCertificate.keyFile(String(decoding: data, as: UTF8.self))?.pair else {
                throw ConfigurationError(
                    variable: "REXEC_BROKER_CURVE_KEY_FILE", value: path,
                    expected: "a Z85 CURVE secret key (40 characters) or a ZeroMQ secret certificate")
            }
            return Loaded(pair: pair, origin: path, ephemeral: false)
        }
        let pair = CurveKeyPair.generate()
        do {
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: Data((pair.secretKey + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { throw ServerKeysError("cannot create the file") }
        } catch {
            throw ConfigurationError(
                variable: "REXEC_BROKER_CURVE_KEY_FILE", value: path, expected: "a readable key file, or a path where one can be created (\(error))")
        }
        return Loaded(pair: pair, origin: "\(path) (created)", ephemeral: false)
    }
}
