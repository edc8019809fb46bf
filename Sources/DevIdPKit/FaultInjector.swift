import Foundation

/// Makes the dev IdP misbehave on purpose so tests can exercise timeouts, 5xx and outages,
/// and counts what it was asked.
public actor FaultInjector {
    public struct Faults: Codable, Sendable, Equatable {
        /// Added before answering `/information`.
        public var delayMilliseconds: Int = 0
        /// Answer `/information` with this status instead of the real answer.
        public var status: Int?
        /// Answer `/information` with a body that is not JSON.
        public var malformed: Bool = false
        /// Park `/information` requests until `/_dev/release`.
        public var hold: Bool = false
        /// Answer `/information` with 200 and `{"error": <this>}`, the IdP's other way of saying no.
        public var error: String?
        /// Answer the AAI's group and role calls with this status, changing nothing.
        public var aaiStatus: Int?

        enum CodingKeys: String, CodingKey {
            case delayMilliseconds = "delay_ms"
            case aaiStatus = "aai_status"
            case status, malformed, hold, error
        }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            delayMilliseconds = try container.decodeIfPresent(Int.self, forKey: .delayMilliseconds) ?? 0
            status = try container.decodeIfPresent(Int.self, forKey: .status)
            malformed = try container.decodeIfPresent(Bool.self, forKey: .malformed) ?? false
            hold = try container.decodeIfPresent(Bool.self, forKey: .hold) ?? false
            error = try container.decodeIfPresent(String.self, forKey: .error)
            aaiStatus = try container.decodeIfPresent(Int.self, forKey: .aaiStatus)
        }
    }

    public struct Counters: Codable, Sendable {
        public var informationRequests = 0
        public var loginRequests = 0
        /// Requests currently parked by `hold`.
        public var held = 0

        enum CodingKeys: String, CodingKey {
            case informationRequests = "information_requests"
            case loginRequests = "login_requests"
            case held
        }
    }

    public init() {}

    public private(set) var faults = Faults()
    public private(set) var counters = Counters()
    private var parked: [CheckedContinuation<Void, Never>] = []

    public func set(_ faults: Faults) {
        self.faults = faults
        if !faults.hold { releaseHeld() }
    }

    public func reset() {
        faults = Faults()
        counters = Counters()
        releaseHeld()
    }

    func countLogin() {
        counters.loginRequests += 1
    }

    /// Counts an `/information` call and applies the configured faults before it is answered.
    func beforeInformation() async -> Faults {
        counters.informationRequests += 1
        let current = faults
        if current.hold {
            counters.held += 1
            await withCheckedContinuation { parked.append($0) }
        }
        return current
    }

    public func releaseHeld() {
        let waiting = parked
        parked = []
        counters.held = 0
        for waiter in waiting { waiter.resume() }
    }
}
