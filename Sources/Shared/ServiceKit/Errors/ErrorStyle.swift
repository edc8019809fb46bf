import Essentials
import Foundation
import Hummingbird

/// The two error shapes upstream uses.
public enum ErrorStyle: Sendable {
    /// The EP API's `{error, detail, correlation_id, timestamp, path}`.
    case envelope
    /// FastAPI's `{detail}`, used by the deploy API and the pods backend.
    case detail
}

/// Builds error bodies.
enum ErrorBody {
    static func detailOnly(_ detail: JSONValue, fields: [String: JSONValue] = [:]) -> JSONValue {
        var body = fields
        body["detail"] = detail
        return .object(body)
    }

    static func envelope(status: HTTPResponse.Status, detail: JSONValue, correlationID: String, path: String) -> JSONValue {
        [
            "error": .string(errorName(for: status)),
            "detail": detail,
            "correlation_id": .string(correlationID),
            "timestamp": .string(Timestamp.isoUTC(Date())),
            "path": .string(path),
        ]
    }

    /// The EP's error type names, derived from the status.
    static func errorName(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 413: "ContentTooLarge"
        case 422: "ValidationError"
        case 429: "TooManyRequests"
        case 500: "InternalServerError"
        case 502: "BadGateway"
        case 503: "ServiceUnavailable"
        case 504: "GatewayTimeout"
        case 507: "InsufficientStorage"
        default: "HTTPError"
        }
    }
}
