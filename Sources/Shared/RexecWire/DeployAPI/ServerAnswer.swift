import BrokerWire
import Essentials
import ServiceKit

/// The deploy API's answer to spawn, terminate and status: upstream's `Status`, `Username`
/// and `NDP_Endpoint_membership` (always present, `null` included), plus what a call adds.
public struct ServerAnswer: JSONAnswer, Sendable, Equatable {
    /// A server's phase as `/status` reports it.
    public enum Phase: String, Codable, Sendable, CaseIterable, ChoiceDecodable {
        case absent, starting, running, failed, terminating
    }

    /// What the broker reports of the server, when the deploy API can ask it.
    public struct BrokerView: Codable, Sendable, Equatable {
        public var state: BrokerServerState.State
        public var secondsSinceLastSeen: Double

        public init(state: BrokerServerState.State, secondsSinceLastSeen: Double) {
            self.state = state
            self.secondsSinceLastSeen = secondsSinceLastSeen
        }

        enum CodingKeys: String, CodingKey {
            case state
            case secondsSinceLastSeen = "seconds_since_last_seen"
        }
    }

    public var status: String
    /// Upstream answered `str(username)`, so a missing one reads "None".
    public var username: String
    public var membership: String?
    /// Why a spawn did not end well (409, 503, 504).
    public var detail: String?
    /// The existing server's requirements (409) or the server's (status).
    public var requirements: [String]?
    public var ready: Bool?
    /// Terminate: whether there was a server to remove.
    public var terminated: Bool?
    public var phase: Phase?
    public var digest: String?
    /// RFC 3339.
    public var created: String?
    public var message: String?
    public var broker: BrokerView?
    /// With ``broker``: nil (`null`) until a call has been routed to the server.
    public var secondsSinceLastCall: Double?

    public init(status: String, username: String?, membership: String?) {
        self.status = status
        self.username = username ?? "None"
        self.membership = membership
    }

    enum CodingKeys: String, CodingKey {
        case status = "Status"
        case username = "Username"
        case membership = "NDP_Endpoint_membership"
        case detail, requirements, ready, terminated, phase, digest, created, message, broker
        case secondsSinceLastCall = "seconds_since_last_call"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(username, forKey: .username)
        try container.encode(membership, forKey: .membership)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encodeIfPresent(requirements, forKey: .requirements)
        try container.encodeIfPresent(ready, forKey: .ready)
        try container.encodeIfPresent(terminated, forKey: .terminated)
        try container.encodeIfPresent(phase, forKey: .phase)
        try container.encodeIfPresent(digest, forKey: .digest)
        try container.encodeIfPresent(created, forKey: .created)
        try container.encodeIfPresent(message, forKey: .message)
        if let broker {
            try container.encode(broker, forKey: .broker)
            try container.encode(secondsSinceLastCall, forKey: .secondsSinceLastCall)
        }
    }
}
