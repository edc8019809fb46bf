import BrokerWire

/// Which CURVE public key each user's rexec server holds, as the deploy API registered it
/// (``ServerKeyRegistration``). The broker admits a server connection only with a registered
/// key and routes the calls of that key's user to it; a key the deploy API withdraws (a
/// terminated or respawned server) stops working for new connections and for open ones.
///
/// Read by the routing thread on every handshake and, through ``generation``, cheaply on
/// every message: implementations keep their table in memory.
protocol ServerKeys: Sendable {
    /// The user (`sub`) whose server holds `publicKey` (Z85) now; nil if none does.
    func owner(of publicKey: String) -> String?
    /// Whether `sub` has a registered key: such a user's server must authenticate.
    func hasKey(for sub: String) -> Bool
    /// Changes whenever the table does, so answers given earlier can be checked again only then.
    var generation: UInt64 { get }
    /// False until the table has been read once (after a start, refusals mean "try again").
    var isSynced: Bool { get }
    /// Read the source again if it can be polled and has changed; `immediately` for a
    /// handshake, else at most every so often.
    func refresh(immediately: Bool)
    /// Where the keys come from, for logs and /servers.
    var sourceDescription: String { get }
}

/// No source: nobody is registered, so only unauthenticated servers (when allowed) connect.
struct NoServerKeys: ServerKeys {
    func owner(of publicKey: String) -> String? { nil }
    func hasKey(for sub: String) -> Bool { false }
    var generation: UInt64 { 0 }
    var isSynced: Bool { true }
    func refresh(immediately: Bool) {}
    var sourceDescription: String { "none" }
}

/// A table of registrations, by key and by user.
struct ServerKeyTable: Sendable, Equatable {
    private(set) var owners: [String: String] = [:]
    private(set) var keys: [String: String] = [:]

    init(_ registrations: [ServerKeyRegistration] = []) {
        for registration in registrations {
            // One key per user: a second registration of a user replaces the first.
            if let previous = keys[registration.sub] { owners[previous] = nil }
            keys[registration.sub] = registration.publicKey
            owners[registration.publicKey] = registration.sub
        }
    }

    var count: Int { keys.count }
}
