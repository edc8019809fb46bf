import Crypto
import Foundation

/// A request on the control socket. Upstream's REP socket took one frame and answered `OK`;
/// TERMINATE, STOP or QUIT ended the broker, from anyone. Ours answers `STATISTICS` with JSON
/// and stops only when the request carries the configured secret, either as a second frame
/// (`["TERMINATE", secret]`) or after a space (`"TERMINATE <secret>"`).
enum ControlCommand: Equatable {
    case statistics
    case ping
    case terminate(secret: String?)
    case unknown

    static let terminateWords: Set<String> = ["TERMINATE", "STOP", "QUIT"]

    static func parse(_ frames: [[UInt8]]) -> ControlCommand {
        guard let first = frames.first else { return .unknown }
        let text = String(decoding: first, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let words = text.split(separator: " ", maxSplits: 1).map(String.init)
        let verb = words.first?.uppercased() ?? ""
        switch verb {
        case "STATISTICS": return .statistics
        case "PING": return .ping
        case _ where terminateWords.contains(verb):
            if frames.count > 1 { return .terminate(secret: String(decoding: frames[1], as: UTF8.self)) }
            return .terminate(secret: words.count > 1 ? words[1] : nil)
        default: return .unknown
        }
    }

    enum TerminateDecision: Equatable {
        case accept
        case refuse(reason: String)
    }

    /// Compares digests so the time taken says nothing about how much of the secret matched.
    static func authorize(given: String?, configured: String?) -> TerminateDecision {
        guard let configured else { return .refuse(reason: "TERMINATE is disabled: no control secret is configured") }
        guard let given, !given.isEmpty else { return .refuse(reason: "TERMINATE needs the control secret") }
        let givenDigest = Data(SHA256.hash(data: Data(given.utf8)))
        let configuredDigest = Data(SHA256.hash(data: Data(configured.utf8)))
        var difference: UInt8 = 0
        for (a, b) in zip(givenDigest, configuredDigest) { difference |= a ^ b }
        return difference == 0 ? .accept : .refuse(reason: "wrong control secret")
    }
}
