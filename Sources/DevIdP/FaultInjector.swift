import Foundation

/// Makes the dev IdP misbehave on purpose so tests can exercise timeouts, 5xx and outages,
/// and counts what it was asked.
actor FaultInjector {
    struct Faults: Codable, Sendable, Equatable {
        /// Added before answering `/information`.
        var delayMilliseconds: Int = 0
        /// Answer `/information` with this status instead of the real answer.
        var status: Int?
        /// Answer `/information` with a body that is not JSON.
        var malformed: Bool = false
        /// Park `/information` requests until `/_dev/release`.
        var hold: Bool = false
        /// Answer `/information` with 200 and `{"error": <this>}`, the IdP's other way of saying no.
        var error: String?

        enum CodingKeys: String, CodingKey {
            case delayMilliseconds = "delay_ms", status, malformed, hold, error
        }

        init() {}

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            delayMilliseconds = try container.decodeIfPresent(Int.self, forKey: .delayMilliseconds) ?? 0
            status = try container.decodeIfPresent(Int.self, forKey: .status)
            malformed = try container.decodeIfPresent(Bool.self, forKey: .malformed) ?? false
            hold = try container.decodeIfPresent(Bool.self, forKey: .hold) ?? false
            error = try container.decodeIfPresent(String.self, forKey: .error)
        }
    }

    struct Counters: Codable, Sendable {
        var informationRequests = 0
        var loginRequests = 0
        /// Requests currently parked by `hold`.
        var held = 0

        enum CodingKeys: String, CodingKey {
            case informationRequests = "information_requests", loginRequests = "login_requests", held
        }
    }

    private(set) var faults = Faults()
    private(set) var counters = Counters()
    private var parked: [CheckedContinuation<Void, Never>] = []

    func set(_ faults: Faults) {
        self.faults = faults
        if !faults.hold { releaseHeld() }
    }

    func reset() {
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

    func releaseHeld() {
        let waiting = parked
        parked = []
        counters.held = 0
        waiting.forEach { $0.resume() }
    }
}
