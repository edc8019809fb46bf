import Hummingbird
import NIOConcurrencyHelpers

/// Turns a routing miss on a path that exists for other methods into `405 Method Not Allowed`
/// with an `Allow` header, as FastAPI does upstream. A 404 there would tell clients the API
/// itself is missing (scidx-rexec maps 404 to "R-Exec API url not found.").
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes, known once the router is complete (the middleware is added before them).
    final class RouteTable: Sendable {
        private let routes = NIOLockedValueBox<[(path: RouterPath, method: HTTPRequest.Method)]>([])

        func set(_ routes: [(path: RouterPath, method: HTTPRequest.Method)]) {
            self.routes.withLockedValue { $0 = routes }
        }

        /// Methods registered for a path matching `path`.
        func methods(for path: String) -> [HTTPRequest.Method] {
            let segments = path.split(separator: "/", omittingEmptySubsequences: true)
            return routes.withLockedValue { routes in
                routes.filter { Self.matches($0.path, segments) }.map(\.method)
            }
        }

        static func matches(_ route: RouterPath, _ segments: [Substring]) -> Bool {
            var index = 0
            for element in route.components {
                if element == .recursiveWildcard { return true }
                guard index < segments.count, element ~= segments[index] else { return false }
                index += 1
            }
            return index == segments.count
        }
    }

    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            let allowed = table.methods(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method) else { throw error }
            let names = Set(allowed.map(\.rawValue)).sorted().joined(separator: ", ")
            throw HTTPError(.methodNotAllowed, headers: [.allow: names])
        }
    }
}
