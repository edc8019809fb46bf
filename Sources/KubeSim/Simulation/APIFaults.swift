import Essentials

/// Makes the simulated API server misbehave on purpose, as the dev IdP's fault injector does
/// for the IdP: every API request (`/api/…`, `/apis/…`) is answered with a status (an API
/// server that is down behind its load balancer), slowed, or parked until released (one that
/// hangs; parked requests then run, as requests that reached etcd before a timeout do).
/// Open watches end when a status is set, and new ones get the status until reset.
///
/// Over HTTP: `POST /_sim/faults {"status": 503, "delay_ms": 0, "hold": false, "methods": ["POST"]}`, and
/// `POST /_sim/faults/reset`.
public actor APIFaults {
    public struct Faults: Codable, Sendable, Equatable {
        public var status: Int?
        public var delayMilliseconds = 0
        public var hold = false
        /// Only requests with these HTTP methods (`POST` = creates); all when nil.
        public var methods: Set<String>?

        enum CodingKeys: String, CodingKey {
            case status, hold, methods
            case delayMilliseconds = "delay_ms"
        }

        public init(status: Int? = nil, delayMilliseconds: Int = 0, hold: Bool = false, methods: Set<String>? = nil) {
            self.status = status
            self.delayMilliseconds = delayMilliseconds
            self.hold = hold
            self.methods = methods
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            status = try container.decodeIfPresent(Int.self, forKey: .status)
            delayMilliseconds = try container.decodeIfPresent(Int.self, forKey: .delayMilliseconds) ?? 0
            hold = try container.decodeIfPresent(Bool.self, forKey: .hold) ?? false
            methods = try container.decodeIfPresent(Set<String>.self, forKey: .methods).map { Set($0.map { $0.uppercased() }) }
        }
    }

    private let store: ObjectStore
    public private(set) var faults = Faults()
    private var parked: [CheckedContinuation<Void, Never>] = []

    init(store: ObjectStore) {
        self.store = store
    }

    public func set(_ faults: Faults) async {
        self.faults = faults
        if faults.status != nil, faults.methods?.contains("GET") ?? true { await store.beginWatchOutage() }
        if !faults.hold { release() }
    }

    /// Back to normal: parked requests go on, watches that ended may be opened again.
    public func reset() async {
        faults = Faults()
        release()
        await store.endWatchOutage(expired: false)
    }

    public var parkedCount: Int { parked.count }

    /// Called before each API request: the status to answer with, after any delay or hold.
    func before(method: String) async -> KubeStatus? {
        let current = faults
        guard current != Faults(), current.methods?.contains(method) ?? true else { return nil }
        if current.hold { await withCheckedContinuation { parked.append($0) } }
        if current.delayMilliseconds > 0 { try? await Sleep.for(.milliseconds(current.delayMilliseconds)) }
        guard let status = current.status else { return nil }
        return KubeStatus(code: status, reason: status == 503 ? "ServiceUnavailable" : "InternalError", message: "injected fault (kube-sim)")
    }

    private func release() {
        let waiting = parked
        parked = []
        for continuation in waiting { continuation.resume() }
    }
}
