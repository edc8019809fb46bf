import Foundation
import Hummingbird

/// An error a handler means the caller to see: a status and a `detail` (a string, or for
/// validation errors a list/object), rendered by ``ErrorMiddleware`` in the service's style.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var detail: JSONValue
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, detail: String, headers: HTTPFields = [:]) {
        self.init(status, detail: .string(detail), headers: headers)
    }

    public init(_ status: HTTPResponse.Status, detail: JSONValue, headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    /// Plain `{detail}`; ``ErrorMiddleware`` normally renders it instead, with the service's style.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        ErrorBody.detailOnly(detail).response(status: status, headers: headers)
    }

    public static func validation(_ message: String, field: String, location: String = "body") -> APIError {
        APIError(.unprocessableContent, detail: [["loc": [.string(location), .string(field)], "msg": .string(message), "type": "value_error"]])
    }
}

/// The two error shapes upstream uses.
public enum ErrorStyle: Sendable {
    /// The EP API's `{error, detail, correlation_id, timestamp, path}`.
    case envelope
    /// FastAPI's `{detail}`, used by the deploy API and the pods backend.
    case detail
}

/// Builds error bodies.
enum ErrorBody {
    static func detailOnly(_ detail: JSONValue) -> JSONValue { ["detail": detail] }

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
        case 500: "InternalServerError"
        case 502: "BadGateway"
        case 503: "ServiceUnavailable"
        case 504: "GatewayTimeout"
        default: "HTTPError"
        }
    }
}

enum Timestamp {
    /// A value type, so one shared instance is safe across threads (no formatter per call).
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)

    /// `2026-11-21T10:00:00.123+00:00`: UTC with an explicit offset, like upstream's `isoformat()`.
    static func isoUTC(_ date: Date) -> String {
        let text = style.format(date)
        return text.hasSuffix("Z") ? String(text.dropLast()) + "+00:00" : text
    }
}

extension JSONValue {
    /// A JSON response with this value as body.
    public func response(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes())))
    }
}

extension JSONValue: ResponseGenerator {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }
}
