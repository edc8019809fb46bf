import Hummingbird

/// Serves every route both at its own path and under the configured prefixes.
///
/// Upstream runs behind ingresses that sometimes strip the prefix and sometimes do not
/// (`/rexec/spawn` and `/spawn` both reach the spawn route), so the prefix is removed here,
/// once, before routing. The original path stays available as `context.requestPath`.
public struct RootPathResponder<Base: HTTPResponder>: HTTPResponder where Base.Context: ServiceRequestContext {
    let base: Base
    let prefixes: [String]

    /// - Parameter prefixes: e.g. `["/ep/api", "/ep"]`; tried longest first.
    public init(base: Base, prefixes: [String]) {
        self.base = base
        self.prefixes = prefixes.sorted { $0.count > $1.count }
    }

    public func respond(to request: Request, context: Base.Context) async throws -> Response {
        var context = context
        context.requestPath = request.uri.path
        guard let path = request.head.path, let stripped = Self.strip(path, prefixes: prefixes) else {
            return try await base.respond(to: request, context: context)
        }
        var head = request.head
        head.path = stripped
        return try await base.respond(to: Request(head: head, body: request.body), context: context)
    }

    static func strip(_ path: String, prefixes: [String]) -> String? { RootPath.strip(path, prefixes: prefixes) }
}
