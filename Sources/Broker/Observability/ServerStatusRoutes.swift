import Foundation
import Hummingbird
import Shared

/// `GET /servers/{identity}` on the HTTP side port: what the broker knows of one rexec
/// server (state, last heartbeat, last call). The deploy API asks it to tell "ready" from
/// "connected" and to find idle servers. Read-only and per identity; the side port is
/// meant for the cluster network, like /metrics.
struct ServerStatusRoutes: Sendable {
    let loop: RoutingLoop

    var collection: RouteCollection<ServiceRequestContext> {
        let routes = RouteCollection(context: ServiceRequestContext.self)
        routes.get("servers/:identity") { request, context in
            let identity = try context.parameters.require("identity")
            guard let server = loop.server(identity) else {
                throw APIError(.notFound, detail: "The broker has not heard from a server with this identity.")
            }
            var body = try JSONValue.decode(Data(BrokerStatistics.encode(server))).objectValue ?? [:]
            body["identity"] = .string(identity)
            return JSONValue.object(body)
        }
        return routes
    }

    static let operations: [OpenAPIDocument.Operation] = [
        .init(
            "GET", "/servers/{identity}", summary: "One rexec server as the broker sees it.", tags: ["servers"],
            parameters: [["name": "identity", "in": "path", "required": true, "schema": ["type": "string"]]],
            responses: [
                200: .init("State, seconds since last seen / heartbeat / call", schema: OpenAPIDocument.anyObject),
                404: .init("Never heard from", schema: OpenAPIDocument.errorDetail),
            ]
        )
    ]
}
