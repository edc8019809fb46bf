import BrokerWire
import Essentials
import ServiceKit

/// `GET /servers/{identity}` on the HTTP side port: what the broker knows of one rexec
/// server (``BrokerServerState``). The deploy API asks it to tell "ready" from "connected"
/// and to find idle servers. Read-only and per identity; the side port is meant for the
/// cluster network, like /metrics, so the route is open.
struct ServerStatusRoutes: Sendable {
    let loop: RoutingLoop
    /// The broker's CURVE public key (Z85).
    let curveKey: String

    var routes: [Route<BasicServiceRequestContext>] {
        [
            Route.get("/servers/{identity}", "One rexec server as the broker sees it.", access: .open).tags("servers")
                .responds(404, "Never heard from")
                .handle { call in
                    let identity = try call.parameter("identity")
                    guard var server = loop.server(identity) else {
                        throw APIError(.notFound, detail: "The broker has not heard from a server with this identity.")
                    }
                    server.identity = identity
                    return server
                },
            Route.get("/server-key", "The CURVE public key rexec servers must know to connect.", access: .open).tags("servers")
                .handle { _ in BrokerServerKey(publicKey: curveKey) },
        ]
    }
}
