import Essentials
import Hummingbird
import RexecWire
import ServiceKit

/// `GET /servers/{identity}` on the HTTP side port: what the broker knows of one rexec
/// server (``BrokerServerState``). The deploy API asks it to tell "ready" from "connected"
/// and to find idle servers. Read-only and per identity; the side port is meant for the
/// cluster network, like /metrics, so the route is open.
struct ServerStatusRoutes: Sendable {
    let loop: RoutingLoop

    var collection: RouteCollection<BasicServiceRequestContext> {
        let routes = RouteCollection(context: BasicServiceRequestContext.self)
        routes.get("servers/:identity") { _, context in
            let identity = try context.parameters.require("identity")
            guard var server = loop.server(identity) else {
                throw APIError(.notFound, detail: "The broker has not heard from a server with this identity.")
            }
            server.identity = identity
            return try WireJSON.response(server)
        }
        return routes
    }

    static let operations: [OpenAPIDocument.Operation] = [
        .init(
            "GET", "/servers/{identity}", summary: "One rexec server as the broker sees it.", tags: ["servers"],
            parameters: [["name": "identity", "in": "path", "required": true, "schema": ["type": "string"]]],
            responses: [
                200: .init("State, seconds since last seen / heartbeat / call", schema: BrokerServerState.schema),
                404: .init("Never heard from", schema: OpenAPIDocument.errorDetail),
            ]
        )
    ]
}
