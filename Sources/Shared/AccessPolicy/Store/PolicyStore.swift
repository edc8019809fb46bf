import Foundation
import Logging
import NIOConcurrencyHelpers

/// The policy in force in one process, and how it is replaced. Requests read ``current``
/// (a lock held for a pointer copy); reloads parse the new file completely before swapping,
/// so a request sees the old policy or the new one, never a mixture, and a file that does not
/// parse leaves the old one in force.
public final class PolicyStore: Sendable {
    /// `POLICY_FILE`; nil when the built-in policy is in force.
    public let file: String?
    private let state: NIOLockedValueBox<State>
    let metrics: PolicyMetrics
    let logger: Logger

    struct State {
        var loaded: LoadedPolicy
        /// Of the bytes last tried, valid or not (or why the file could not be read): the file
        /// watcher reports an invalid file once, not on every poll.
        var lastSeen: String
    }

    public init(loaded: LoadedPolicy, file: String?, metrics: PolicyMetrics = PolicyMetrics(), logger: Logger) {
        self.file = file
        self.state = NIOLockedValueBox(State(loaded: loaded, lastSeen: loaded.sha256))
        self.metrics = metrics
        self.logger = logger
    }

    /// The built-in policy, which never reloads.
    public static func builtIn(metrics: PolicyMetrics = PolicyMetrics(), logger: Logger = Logger(label: "policy")) -> PolicyStore {
        PolicyStore(loaded: .builtIn(), file: nil, metrics: metrics, logger: logger)
    }

    /// `file`'s policy, or the built-in one when `file` is nil; the file's gaps are logged as
    /// warnings. An unusable file throws: start-up reports it and stops.
    public static func open(file: String?, metrics: PolicyMetrics = PolicyMetrics(), logger: Logger) throws(PolicyError) -> PolicyStore {
        let loaded = try file.map { path throws(PolicyError) in try LoadedPolicy.read(file: path) } ?? .builtIn()
        for warning in loaded.warnings { logger.warning("\(warning)") }
        logger.info("access policy loaded", metadata: ["policy.source": "\(loaded.source)", "policy.sha256": "\(loaded.sha256)"])
        return PolicyStore(loaded: loaded, file: file, metrics: metrics, logger: logger)
    }

    public var current: LoadedPolicy { state.withLockedValue { $0.loaded } }

    public enum ReloadOutcome: Sendable, Equatable {
        case reloaded(sha256: String)
        case unchanged
        case failed(PolicyError)
        /// No `POLICY_FILE`: the built-in policy stays.
        case builtIn
    }

    /// Reads the file again and swaps it in when it parses. `onlyIfChanged` (the file watcher)
    /// skips bytes already tried, so an invalid file is reported once, not every poll.
    @discardableResult
    public func reload(reason: String, onlyIfChanged: Bool = false) -> ReloadOutcome {
        guard let file else {
            logger.notice("no POLICY_FILE: the built-in policy stays in force", metadata: ["policy.reload": "\(reason)"])
            return .builtIn
        }
        let bytes: Data
        do {
            bytes = try LoadedPolicy.bytes(of: file)
        } catch {
            // A file that stays unreadable (removed, permissions) is reported once too.
            if onlyIfChanged, state.withLockedValue({ $0.lastSeen == error.message }) { return .unchanged }
            return failed(error, sha256: error.message, reason: reason)
        }
        let sha256 = LoadedPolicy.digest(bytes)
        if onlyIfChanged, state.withLockedValue({ $0.lastSeen == sha256 }) { return .unchanged }
        let loaded: LoadedPolicy
        do {
            loaded = try LoadedPolicy(bytes: bytes, source: file)
        } catch {
            return failed(error, sha256: sha256, reason: reason)
        }
        state.withLockedValue { $0 = State(loaded: loaded, lastSeen: sha256) }
        metrics.reloaded.increment()
        for warning in loaded.warnings { logger.warning("\(warning)") }
        logger.notice(
            "access policy reloaded",
            metadata: ["policy.source": "\(file)", "policy.sha256": "\(loaded.sha256)", "policy.reload": "\(reason)"])
        return .reloaded(sha256: loaded.sha256)
    }

    /// `seen`: the bytes' SHA-256, or why they could not be read.
    private func failed(_ error: PolicyError, sha256 seen: String, reason: String) -> ReloadOutcome {
        let previous = state.withLockedValue { state in
            state.lastSeen = seen
            return state.loaded.sha256
        }
        metrics.reloadFailures.increment()
        logger.error(
            "access policy not reloaded, the previous one stays in force: \(error)",
            metadata: ["policy.reload": "\(reason)", "policy.sha256": "\(previous)"])
        return .failed(error)
    }
}
