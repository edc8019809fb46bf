import Access
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
struct RegisteredServiceRoutes: Sendable {
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

    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head, .options]

    /// The proxy streams request bodies (the service's own timeout applies), every method, with
    /// and without a path below the service.
    var routes: [Route<IdentityRequestContext>] {
        let access = PolicyAccess.policy(.service, .read, .inHandler(.public))
        let proxied = { (method: HTTPRequest.Method, path: String, summary: String) in
            Route<IdentityRequestContext>.on(method, path, summary, access: access).tags("services").body(RawBody.self).streamingBody()
                .answers(200, "The service's answer, passed through", schema: [:], contentType: "*/*")
                .responds(401, "The service requires authentication").responds(404, "No such service")
                .responds(502, "The service is unreachable").responds(504, "The service did not answer in time")
        }
        return Self.methods.flatMap { method in
            [
                proxied(method, "/services/redirect/{name}", "Forward to the registered service (protected with requires_auth).")
                    .handleRequest { request, context in try await redirect(request, context: context) },
                proxied(method, "/services/redirect/{name}/**", "Forward to a path of the registered service.")
                    .documented(as: "/services/redirect/{name}/{path}")
                    .handleRequest { request, context in try await redirect(request, context: context) },
            ]
        } + [
            Route.get(
                "/services/health", "Check every registered service's health_check_url at once.", access: .policy(.service, .read, .fixed(.protected))
            )
            .tags("services")
            .answers(
                200, "One report per service",
                schema: JSONSchema.object([
                    "services": ["type": "array"], "up": JSONSchema.integer, "down": JSONSchema.integer, "checked_at": JSONSchema.string,
                ])
            )
            .handle { call in try await health(context: call.context) }
        ]
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
