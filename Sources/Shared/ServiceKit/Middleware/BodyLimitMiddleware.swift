import Hummingbird

/// Refuses request bodies larger than the configured size with 413, before a handler runs.
///
/// A declared `Content-Length` is checked without reading; otherwise the body is collected
/// up to the limit (our APIs take small JSON and form bodies). Routes that stream their
/// bodies (``StreamingPaths``) are let through unread.
public struct BodyLimitMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    let maxBytes: Int
    let exempt: StreamingPaths

    public init(maxBytes: Int, exempt: StreamingPaths = StreamingPaths()) {
        self.maxBytes = maxBytes
        self.exempt = exempt
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if exempt.contains(request) { return try await next(request, context) }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBytes {
            throw tooLarge
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: maxBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        }
        return try await next(request, context)
    }

    private var tooLarge: APIError {
        APIError(.contentTooLarge, detail: "Request body exceeds the limit of \(maxBytes) bytes.")
    }
}

/// Routes that stream their request bodies past ``BodyLimitMiddleware`` and
/// ``RequestTimeoutMiddleware``, by path prefix (after the root path is removed).
public struct StreamingPaths: Sendable {
    public let prefixes: [String]

    public init(prefixes: [String] = []) {
        self.prefixes = prefixes
    }

    public func contains(_ request: Request) -> Bool {
        guard !prefixes.isEmpty else { return false }
        let path = request.uri.path
        return prefixes.contains { path.hasPrefix($0) }
    }
}
