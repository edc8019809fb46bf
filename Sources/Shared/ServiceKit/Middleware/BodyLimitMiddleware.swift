import Hummingbird

/// Refuses request bodies larger than the configured size with 413, before a handler runs.
///
/// A declared `Content-Length` is checked without reading; otherwise the body is collected
/// up to the limit (our APIs take small JSON and form bodies).
public struct BodyLimitMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    let maxBytes: Int

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
