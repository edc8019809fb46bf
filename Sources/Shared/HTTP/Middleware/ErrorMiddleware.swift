import Hummingbird
import Logging

/// Turns every error into a JSON response in the service's ``ErrorStyle``, so clients
/// never see an empty or HTML error body. Unexpected errors are logged and hidden.
public struct ErrorMiddleware: RouterMiddleware {
    public typealias Context = ServiceRequestContext
    let style: ErrorStyle

    public init(style: ErrorStyle) {
        self.style = style
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return render(error, context: context)
        }
    }

    func render(_ error: any Error, context: Context) -> Response {
        let status: HTTPResponse.Status
        let detail: JSONValue
        var headers: HTTPFields = [:]
        switch error {
        case let error as APIError:
            (status, detail, headers) = (error.status, error.detail, error.headers)
        case let error as HTTPError:
            status = error.status
            headers = error.headers
            detail = .string(error.body ?? error.status.reasonPhrase)
            // Routing misses are not wrapped upstream either: FastAPI answers `{"detail": "Not Found"}`.
            if error.body == nil, status == .notFound || status == .methodNotAllowed {
                return ErrorBody.detailOnly(detail).response(status: status, headers: headers)
            }
        case let error as any HTTPResponseError:
            status = error.status
            detail = .string(status.reasonPhrase)
        default:
            status = .internalServerError
            detail = "An unexpected error occurred. Please try again later."
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
        }
        if status.code >= 500 {
            context.logger.warning("request failed", metadata: ["http.status": "\(status.code)", "detail": "\(detail.scalarDescription ?? "")"])
        }
        let body: JSONValue
        switch style {
        case .detail:
            body = ErrorBody.detailOnly(detail)
        case .envelope:
            body = ErrorBody.envelope(status: status, detail: detail, correlationID: context.correlationID, path: context.requestPath)
        }
        return body.response(status: status, headers: headers)
    }
}
