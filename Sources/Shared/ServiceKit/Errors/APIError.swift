import Essentials
import Foundation
import Hummingbird

/// An error a handler means the caller to see: a status and a `detail` (a string, or for
/// validation errors a list/object), rendered by ``ErrorMiddleware`` in the service's style.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var detail: JSONValue
    public var headers: HTTPFields
    /// Fields some upstream answers carry beside `detail` (the pods backend's
    /// `{"pod_name": "", "detail": …}`).
    public var fields: [String: JSONValue]

    public init(_ status: HTTPResponse.Status, detail: String, headers: HTTPFields = [:], fields: [String: JSONValue] = [:]) {
        self.init(status, detail: .string(detail), headers: headers, fields: fields)
    }

    public init(_ status: HTTPResponse.Status, detail: JSONValue, headers: HTTPFields = [:], fields: [String: JSONValue] = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
        self.fields = fields
    }

    /// This error with `fields` beside its `detail` (a route's usual answer, for example).
    public func adding(fields: [String: JSONValue]) -> APIError {
        var copy = self
        copy.fields.merge(fields) { current, _ in current }
        return copy
    }

    public static func validation(_ message: String, field: String, location: String = "body") -> APIError {
        APIError(.unprocessableContent, detail: [["loc": [.string(location), .string(field)], "msg": .string(message), "type": "value_error"]])
    }
}

/// A domain error that knows how the caller should see it. Conforming is all a domain
/// error needs: ``ErrorMiddleware`` renders it in the service's style, and it is a
/// Hummingbird `HTTPResponseError` for code outside that middleware.
public protocol APIErrorConvertible: HTTPResponseError {
    var apiError: APIError { get }
}

extension APIErrorConvertible {
    public var status: HTTPResponse.Status { apiError.status }

    /// Plain `{detail}`; ``ErrorMiddleware`` normally renders it instead, with the service's style.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let error = apiError
        return ErrorBody.detailOnly(error.detail, fields: error.fields).response(status: error.status, headers: error.headers)
    }
}

extension APIError: APIErrorConvertible {
    public var apiError: APIError { self }
}
