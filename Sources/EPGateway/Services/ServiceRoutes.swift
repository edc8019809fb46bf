import AccessPolicy
import AsyncHTTPClient
import Essentials
import Foundation
import Hummingbird
import Identity
import NIOCore
import ServiceKit

/// The registered services' proxy and health view (docs/specs/ndp-ep.md §2.10): every method
/// of `/services/redirect/{name}[/{path…}]` is forwarded by ``ServiceProxy`` to the service the
/// catalog names; `GET /services/health` checks every service's `health_check_url` at once.
/// A service is `service read` for the policy, `protected` when it requires authentication.
struct ServiceRoutes: Sendable {
    let store: any CatalogStore
    let access: EndpointAccess
    let proxy: ServiceProxy
    let directory: ServiceDirectory
    /// How long one health check may take.
    var healthTimeout: Duration = .seconds(3)

    init(store: any CatalogStore, access: EndpointAccess, proxy: ServiceProxy = ServiceProxy()) {
        self.store = store
        self.access = access
        self.proxy = proxy
        self.directory = ServiceDirectory(store: store)
    }

    /// The WebSocket side of the proxy, for the server's upgrade hook.
    func webSockets(rootPaths: [String]) -> ServiceWebSocketProxy {
        ServiceWebSocketProxy(directory: directory, access: access, rootPaths: rootPaths)
    }

    static let proxyBinding = PolicyBinding(.service, .read, .inHandler(.public))
    static let healthBinding = PolicyBinding(.service, .read, .fixed(.protected))
    /// The proxy streams request bodies: past the body limit and the response-head timeout
    /// (the service's own timeout applies instead).
    static let streamingPaths = ["/services/redirect/"]
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head, .options]

    var proxyRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        for method in Self.methods {
            routes.on("services/redirect/{name}", method: method) { request, context in try await redirect(request, context: context) }
            routes.on("services/redirect/{name}/**", method: method) { request, context in try await redirect(request, context: context) }
        }
        return routes
    }

    var healthRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("services/health") { _, context in try await health(context: context) }
        return routes
    }

    func redirect(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        guard let service = try await directory.service(named: name) else {
            throw APIError(.notFound, detail: "Service '\(name)' not found")
        }
        if service.requiresAuthentication && context.identity == nil {
            throw APIError(.unauthorized, detail: "This service requires authentication. Provide a bearer token.")
        }
        try access.authorize(context.identity, .service, .read, service.policyObject, logger: context.logger)
        return try await proxy.forward(request, to: service, path: Self.subpath(request.uri.path, name: name), context: context)
    }

    /// What follows `/services/redirect/{name}/` in the path as sent (still percent-encoded,
    /// empty segments kept), so the service sees the path the caller wrote.
    static func subpath(_ path: String, name: String) -> String {
        guard let range = path.range(of: "/services/redirect/") else { return "" }
        let rest = path[range.upperBound...].drop { $0 != "/" }
        return String(rest.dropFirst())
    }

    /// `{services: [{name, url, status: up|down|unknown, latency_ms?, status_code?, error?}], checked_at}`:
    /// one request to each `health_check_url`, all at once, each within ``healthTimeout``; a
    /// service without one is `unknown`. Services the caller may not read are left out.
    func health(context: IdentityRequestContext) async throws -> JSONValue {
        let services = try await store.searchDatasets(tokens: [], organization: Catalog.servicesOrganization, limit: 1000)
            .compactMap(RegisteredService.init)
            .filter { access.permits(context.identity, .service, .read, $0.policyObject) }
        let reports = await withTaskGroup(of: (Int, JSONValue).self) { group in
            for (index, service) in services.enumerated() {
                group.addTask { (index, await check(service)) }
            }
            var reports = [JSONValue](repeating: .null, count: services.count)
            for await (index, report) in group { reports[index] = report }
            return reports
        }
        let up = reports.filter { $0["status"] == "up" }.count
        return [
            "services": .array(reports), "up": .number(Double(up)), "down": .number(Double(reports.filter { $0["status"] == "down" }.count)),
            "checked_at": .string(Date().formatted(.iso8601)),
        ]
    }

    private func check(_ service: RegisteredService) async -> JSONValue {
        var report: [String: JSONValue] = ["name": .string(service.name), "url": .string(service.url.absoluteString)]
        guard let url = service.healthCheckURL else {
            report["status"] = "unknown"
            report["error"] = "no health_check_url registered"
            return .object(report)
        }
        report["health_check_url"] = .string(url.absoluteString)
        let started = ContinuousClock.now
        do {
            let response = try await proxy.http.execute(HTTPClientRequest(url: url.absoluteString), timeout: .nanoseconds(healthTimeout.nanoseconds))
            _ = try? await response.body.collect(upTo: 64 << 10)
            let code = Int(response.status.code)
            report["status_code"] = .number(Double(code))
            report["status"] = (200..<400).contains(code) ? "up" : "down"
        } catch {
            report["status"] = "down"
            report["error"] = .string(
                (error as? HTTPClientError) == .deadlineExceeded ? "no answer within \(healthTimeout.seconds.formatted()) s" : "\(error)")
        }
        report["latency_ms"] = .number(((ContinuousClock.now - started).seconds * 10_000).rounded() / 10)
        return .object(report)
    }
}
