import Dispatch
import Hummingbird
import Logging

/// One log line per request: method, path (never the query, which could carry secrets),
/// status and duration. Correlation id comes from the logger metadata.
public struct AccessLogMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    let level: Logger.Level

    public init(level: Logger.Level = .info) {
        self.level = level
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        context.logger.log(
            level: level, "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.path": "\(context.requestPath.isEmpty ? request.uri.path : context.requestPath)",
                "http.status": "\(response.status.code)",
                "duration_ms": "\((elapsed * 100).rounded() / 100)",
                // Explicit as well, for loggers made without the bootstrap's metadata provider.
                "correlation_id": "\(context.correlationID)",
            ]
        )
        return response
    }
}
