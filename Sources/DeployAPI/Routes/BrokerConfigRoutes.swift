import Essentials
import Hummingbird
import Identity
import RexecWire
import ServiceKit

/// `GET /broker-config`'s answer: where clients reach the broker (open, as upstream; docs/specs/rexec.md §5.6).
struct BrokerConfigRoutes: Sendable {
    let runtime: any ServerRuntime
    /// `REXEC_DEPLOYMENT_PUBLIC_URL`: when set, `api_url` tells clients to spawn there.
    let publicURL: String?

    func brokerConfig() async throws -> Response {
        let endpoint: BrokerEndpoint
        do {
            endpoint = try await runtime.brokerEndpoint()
        } catch {
            throw APIError(.internalServerError, detail: "Failed to retrieve Rexec broker configuration: \(error)")
        }
        return try BrokerConfig(host: endpoint.host, port: endpoint.port, apiURL: publicURL.map { $0.appendingPathString("spawn") })
            .makeResponse(status: .ok)
    }
}
