import Essentials
import ServiceKit

/// One rexec server as the broker sees it: the answer of the broker's
/// `GET /servers/{identity}` (its HTTP side port), which the deploy API reads to tell
/// "ready" from "connected" and to find idle servers. Also each entry of the control
/// socket's STATISTICS answer (there without `identity`).
public struct BrokerServerState: JSONAnswer, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable, ChoiceDecodable {
        /// Heard from recently and not since unreachable.
        case live
        /// Silent longer than the stale threshold.
        case stale
        /// The last attempt to reach it failed.
        case unreachable
        /// It said goodbye; calls are refused until it is heard from again.
        case departed
    }

    public var identity: String?
    public var state: State
    public var secondsSinceLastSeen: Double
    /// nil for a server that has only replied, never sent a heartbeat.
    public var secondsSinceLastHeartbeat: Double?
    /// nil until a call has been routed to it.
    public var secondsSinceLastCall: Double?
    public var connectedForSeconds: Double
    /// How often another process took this identity over.
    public var replacements: Int

    public init(
        identity: String? = nil, state: State, secondsSinceLastSeen: Double, secondsSinceLastHeartbeat: Double?,
        secondsSinceLastCall: Double?, connectedForSeconds: Double, replacements: Int
    ) {
        self.identity = identity
        self.state = state
        self.secondsSinceLastSeen = secondsSinceLastSeen
        self.secondsSinceLastHeartbeat = secondsSinceLastHeartbeat
        self.secondsSinceLastCall = secondsSinceLastCall
        self.connectedForSeconds = connectedForSeconds
        self.replacements = replacements
    }

    /// Live servers are connected: the broker can route calls to them.
    public var connected: Bool { state == .live }

    enum CodingKeys: String, CodingKey {
        case identity, state, replacements
        case secondsSinceLastSeen = "seconds_since_last_seen"
        case secondsSinceLastHeartbeat = "seconds_since_last_heartbeat"
        case secondsSinceLastCall = "seconds_since_last_call"
        case connectedForSeconds = "connected_for_seconds"
    }
}
