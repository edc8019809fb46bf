import Essentials
import Hummingbird
import Logging

/// Turns every error into a JSON response in the service's ``ErrorStyle``, so clients
/// never see an empty or HTML error body. Unexpected errors are logged and hidden.
public struct ErrorMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
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
        let failure: APIError
        switch error {
        case let error as any APIErrorConvertible:
            failure = error.apiError
        case let error as HTTPError:
            failure = APIError(error.status, detail: .string(error.body ?? error.status.reasonPhrase), headers: error.headers)
            // Routing misses are not wrapped upstream either: FastAPI answers `{"detail": "Not Found"}`.
            if error.body == nil, error.status == .notFound || error.status == .methodNotAllowed {
                return ErrorBody.detailOnly(failure.detail).response(status: failure.status, headers: failure.headers)
            }
        case let error as any HTTPResponseError:
            failure = APIError(error.status, detail: .string(error.status.reasonPhrase))
        default:
            failure = APIError(.internalServerError, detail: "An unexpected error occurred. Please try again later.")
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
        }
        if failure.status.code >= 500 {
            context.logger.warning(
                "request failed", metadata: ["http.status": "\(failure.status.code)", "detail": "\(failure.detail.scalarDescription ?? "")"])
        }
        var body: JSONValue
        switch style {
        case .detail:
            body = ErrorBody.detailOnly(failure.detail, fields: failure.fields)
        case .envelope:
            body = ErrorBody.envelope(status: failure.status, detail: failure.detail, correlationID: context.correlationID, path: context.requestPath)
            for (key, value) in failure.fields where body[key] == nil { body[key] = value }
        }
        return body.response(status: failure.status, headers: failure.headers)
    }
}
