import Hummingbird
import Shared

/// `GET /broker-config`: where clients reach the broker (public, as upstream; §5.6).
struct BrokerConfigRoutes: Sendable {
    let runtime: any ServerRuntime
    /// `REXEC_DEPLOYMENT_PUBLIC_URL`: when set, `api_url` tells clients to spawn there.
    let publicURL: String?

    var collection: RouteCollection<ServiceRequestContext> {
        let routes = RouteCollection(context: ServiceRequestContext.self)
        routes.get("broker-config") { _, _ in try await brokerConfig() }
        return routes
    }

    func brokerConfig() async throws -> JSONValue {
        let endpoint: BrokerEndpoint
        do {
            endpoint = try await runtime.brokerEndpoint()
        } catch {
            throw APIError(.internalServerError, detail: "Failed to retrieve Rexec broker configuration: \(error)")
        }
        let url: JSONValue = if let host = endpoint.host, let port = endpoint.port { .string("\(host):\(port)") } else { .null }
        return [
            "broker_external_host": endpoint.host.map(JSONValue.string) ?? .null,
            "broker_external_port": endpoint.port.map { .number(Double($0)) } ?? .null,
            "broker_external_url": url,
            "api_url": publicURL.map { .string($0.appendingPathString("spawn")) } ?? .null,
        ]
    }
}
