/// The "silo IP" of a request: the address that becomes the NFS server of a new user's
/// storage and `HOME_SERVER_IP` in their pods (docs/specs/pods-backend.md §2.4).
///
/// Upstream believed the first `X-Forwarded-For` entry from anybody (docs/specs/pods-backend.md W6). Here the header
/// counts only when the connection comes from a configured trusted proxy, and then the
/// rightmost entry that is not itself a trusted proxy is the caller, as proxies append.
/// A loopback caller stands for `testingHost`, as upstream (its tests run on the node).
struct CallerAddress: Sendable {
    let trustedProxies: [IPAddressRange]
    let testingHost: String

    func resolve(peer: String?, forwardedFor: [String]) -> String {
        let peerAddress = peer.flatMap(IPAddress.init)
        var caller = peerAddress
        if let peerAddress, isTrusted(peerAddress) {
            let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { Self.stripPort(String($0)) }
            for hop in hops.reversed() {
                guard let address = IPAddress(hop) else { break }
                caller = address
                if !isTrusted(address) { break }
            }
        }
        guard let caller else { return "" }
        return caller.isLoopback ? testingHost : caller.description
    }

    private func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    /// `1.2.3.4:1234` → `1.2.3.4`; `[fe80::1]:80` → `fe80::1`; bare addresses unchanged.
    static func stripPort(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") {
            return String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
        }
        if trimmed.filter({ $0 == ":" }).count == 1, let colon = trimmed.firstIndex(of: ":") {
            return String(trimmed[..<colon])
        }
        return trimmed
    }
}
