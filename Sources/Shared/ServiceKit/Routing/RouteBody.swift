import Essentials
import Foundation
import Hummingbird

/// How a route reads its request body: nothing, JSON or a form decoded leniently into a
/// Codable type (FastAPI's 422 for what cannot be taken), or the raw stream. The route's
/// OpenAPI request body comes from the same type.
public protocol RouteBody: Sendable {
    static func read(from request: Request) async throws -> Self
    /// The OpenAPI `requestBody` object; nil when the route takes none.
    static var requestBodyDocumentation: JSONValue? { get }
}

/// A body the route does not decode: none, or one its handler reads from the request.
public protocol UndecodedBody: RouteBody {}

/// A route without a body.
public struct NoBody: UndecodedBody {
    public static func read(from request: Request) async throws -> NoBody { NoBody() }
    public static var requestBodyDocumentation: JSONValue? { nil }
}

/// A body the handler reads itself from the request (an upload, a proxied stream).
public struct RawBody: UndecodedBody {
    public static func read(from request: Request) async throws -> RawBody { RawBody() }
    public static var requestBodyDocumentation: JSONValue? { nil }
}

/// A JSON body, decoded as pydantic's lax mode validates FastAPI's bodies (``LenientDecoder``):
/// a body that is no JSON, or a field that cannot be taken, is 422 with every issue.
public protocol JSONRequest: RouteBody, Decodable {
    /// A request without a body (no length, no chunks, or `Content-Length: 0`) counts as `{}`:
    /// for routes whose every field is optional.
    static var emptyBodyIsEmptyObject: Bool { get }
}

extension JSONRequest {
    public static var emptyBodyIsEmptyObject: Bool { false }

    public static func read(from request: Request) async throws -> Self {
        try await decode(from: request, limit: .max)
    }

    /// - Parameter limit: for routes past the body limit (they stream), their own bound.
    public static func decode(from request: Request, limit: Int) async throws -> Self {
        let json = try await RequestJSON.read(request, limit: limit, emptyIsObject: emptyBodyIsEmptyObject)
        return try RequestJSON.decode(Self.self, from: json, at: [.key("body")], input: .json)
    }

    public static var requestBodyDocumentation: JSONValue? {
        ["required": .bool(!emptyBodyIsEmptyObject), "content": ["application/json": ["schema": JSONSchema.of(Self.self)]]]
    }
}

/// An `application/x-www-form-urlencoded` body (a repeated field is a list where the type
/// wants one), decoded as FastAPI's `Form` fields are.
public protocol FormRequest: RouteBody, Decodable {}

extension FormRequest {
    public static func read(from request: Request) async throws -> Self {
        let form = try await FormBody.read(from: request)
        return try RequestJSON.decode(Self.self, from: form.json, at: [.key("body")], input: .text)
    }

    public static var requestBodyDocumentation: JSONValue? {
        ["required": true, "content": ["application/x-www-form-urlencoded": ["schema": JSONSchema.of(Self.self)]]]
    }
}

/// A JSON body of a type read by more than one kind of route (login's credentials come as
/// JSON and as a form): the value, decoded as ``JSONRequest`` decodes.
public struct JSONInput<Value: Decodable & Sendable>: RouteBody {
    public let value: Value

    public static func read(from request: Request) async throws -> JSONInput {
        let json = try await RequestJSON.read(request)
        return JSONInput(value: try RequestJSON.decode(Value.self, from: json, at: [.key("body")], input: .json))
    }

    public static var requestBodyDocumentation: JSONValue? {
        ["required": true, "content": ["application/json": ["schema": JSONSchema.of(Value.self)]]]
    }
}

/// A form body of such a type, decoded as ``FormRequest`` decodes.
public struct FormInput<Value: Decodable & Sendable>: RouteBody {
    public let value: Value

    public static func read(from request: Request) async throws -> FormInput {
        let form = try await FormBody.read(from: request)
        return FormInput(value: try RequestJSON.decode(Value.self, from: form.json, at: [.key("body")], input: .text))
    }

    public static var requestBodyDocumentation: JSONValue? {
        ["required": true, "content": ["application/x-www-form-urlencoded": ["schema": JSONSchema.of(Value.self)]]]
    }
}

/// Reading and decoding request JSON with FastAPI's refusals.
public enum RequestJSON {
    /// The body as JSON; `nil` when there is none. A body that is not JSON is 422
    /// `json_invalid`, as FastAPI answers it; one over `limit` is 413.
    public static func read(_ request: Request, limit: Int = .max, emptyIsObject: Bool = false) async throws -> JSONValue? {
        let declared = request.headers[.contentLength].flatMap(Int.init)
        if declared == 0 || (declared == nil && request.headers[.transferEncoding] == nil) {
            return emptyIsObject ? .object([:]) : nil
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, detail: "Request body exceeds the limit of \(limit) bytes.")
        }
        if buffer.readableBytes == 0 { return emptyIsObject ? .object([:]) : nil }
        guard let json = try? JSONValue.decode(Data(buffer: buffer)) else {
            throw APIError(
                .unprocessableContent,
                detail: [
                    ["type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error", "input": [:], "ctx": ["error": "Expecting value"]]
                ])
        }
        return json
    }

    /// `type` from `json`, or 422 with every issue.
    public static func decode<Value: Decodable>(
        _ type: Value.Type, from json: JSONValue?, at location: [ValidationIssue.Step], input: LenientDecoder.Input
    ) throws -> Value {
        do {
            return try LenientDecoder(input: input).decode(type, from: json, at: location)
        } catch let failure as ValidationFailure {
            throw APIError(.unprocessableContent, detail: .array(failure.issues.map(\.json)))
        }
    }
}

extension FormBody {
    /// The fields as a JSON object of texts, a repeated field as a list.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        for (name, value) in fields {
            switch object[name] {
            case nil: object[name] = .string(value)
            case .array(let values)?: object[name] = .array(values + [.string(value)])
            case let first?: object[name] = .array([first, .string(value)])
            }
        }
        return .object(object)
    }
}
