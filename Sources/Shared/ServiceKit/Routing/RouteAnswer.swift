import Essentials
import Hummingbird

/// What a route's handler gives back: a Codable answer encoded as JSON, any JSON, or a
/// whole response (a stream, a redirect, text). The route's OpenAPI answer comes from the type.
public protocol RouteAnswer {
    /// The answer's schema and media type in the OpenAPI document; nil when the route's
    /// declaration says it instead (``RouteBuilder/answers(_:_:schema:contentType:)``).
    static var answerDocumentation: (schema: JSONValue, contentType: String)? { get }
    func makeResponse(status: HTTPResponse.Status) throws -> Response
}

/// A Codable answer, encoded as every answer of ours (keys sorted). `nilEncoding` says whether
/// a nil field is left out or written `null` (FastAPI's `response_model` writes them all).
public protocol JSONAnswer: RouteAnswer, Codable {
    static var nilEncoding: JSONValueEncoder.NilEncoding { get }
}

extension JSONAnswer {
    public static var nilEncoding: JSONValueEncoder.NilEncoding { .omit }
    public static var answerDocumentation: (schema: JSONValue, contentType: String)? { (JSONSchema.of(Self.self), "application/json") }

    public func makeResponse(status: HTTPResponse.Status) throws -> Response {
        WireJSON.response(bytes: try JSONValueEncoder(nilEncoding: Self.nilEncoding).encodedBytes(self), status: status)
    }

    /// The answer as JSON, for handlers that add to it.
    public var json: JSONValue {
        get throws { try JSONValueEncoder(nilEncoding: Self.nilEncoding).encode(self) }
    }
}

extension Array: RouteAnswer where Element: Codable {
    public static var answerDocumentation: (schema: JSONValue, contentType: String)? { (JSONSchema.of(Self.self), "application/json") }

    public func makeResponse(status: HTTPResponse.Status) throws -> Response {
        WireJSON.response(bytes: try JSONValueEncoder().encodedBytes(self), status: status)
    }
}

extension JSONValue: RouteAnswer {
    public static var answerDocumentation: (schema: JSONValue, contentType: String)? { ([:], "application/json") }

    public func makeResponse(status: HTTPResponse.Status) throws -> Response {
        response(status: status)
    }
}

extension Response: RouteAnswer {
    public static var answerDocumentation: (schema: JSONValue, contentType: String)? { nil }

    /// The response as the handler made it: its own status wins.
    public func makeResponse(status: HTTPResponse.Status) throws -> Response { self }
}
