/// A message from a rexec server as the server-facing ROUTER receives it (docs/specs/rexec.md §2.3):
/// `[server id, "", "__REXEC_HEARTBEAT__"(, instance)]` or `[server id, client ids…, "", payload…]`;
/// our server also says `[server id, "", "__REXEC_GOODBYE__", instance]` when it stops.
enum ServerMessage: Equatable {
    static let heartbeatMarker = Array("__REXEC_HEARTBEAT__".utf8)
    static let goodbyeMarker = Array("__REXEC_GOODBYE__".utf8)

    /// Our server adds an instance id (one per process) so a replacement is visible;
    /// upstream's sends none.
    case heartbeat(server: [UInt8], instance: [UInt8]?)
    /// The server is stopping; calls must not be routed to it until it is heard from again.
    case goodbye(server: [UInt8], instance: [UInt8]?)
    /// To be forwarded to the client: everything after the server id.
    case reply(server: [UInt8], clientFrames: [[UInt8]])
    /// No client envelope or no delimiter: nothing to forward it to.
    case invalid(server: [UInt8])

    static func parse(_ frames: [[UInt8]]) -> ServerMessage? {
        guard let server = frames.first else { return nil }
        let rest = Array(frames.dropFirst())
        if rest.first?.isEmpty == true {
            if rest.count >= 2, rest[1] == heartbeatMarker {
                return .heartbeat(server: server, instance: rest.count > 2 ? rest[2] : nil)
            }
            if rest.count >= 2, rest[1] == goodbyeMarker {
                return .goodbye(server: server, instance: rest.count > 2 ? rest[2] : nil)
            }
            return .invalid(server: server)
        }
        guard rest.count >= 2, rest.contains(where: \.isEmpty) else { return .invalid(server: server) }
        return .reply(server: server, clientFrames: rest)
    }
}
